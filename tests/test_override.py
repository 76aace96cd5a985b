"""The sandbox override: sandbox endpoints and fake keys, loopback only."""

from __future__ import annotations

import pytest

from iamlab.terraform import override


def test_override_points_every_service_at_the_sandbox():
    text = override.render("http://127.0.0.1:4566", "eu-west-1", "AKIAIAMLABTESTKEY001", "secret")
    for service in ("ec2", "ecr", "iam", "sts"):
        assert f'{service:<15}= "http://127.0.0.1:4566"' in text
    assert 'region     = "eu-west-1"' in text
    assert 'access_key = "AKIAIAMLABTESTKEY001"' in text
    assert "skip_credentials_validation = true" in text and "skip_metadata_api_check     = true" in text


@pytest.mark.parametrize("endpoint", ["https://ecr.us-east-1.amazonaws.com", "http://10.0.0.5:4566", "http://localhost.evil.com:1"])
def test_override_refuses_anything_but_loopback(endpoint):
    with pytest.raises(ValueError):
        override.render(endpoint, "us-east-1", "AKIAIAMLABTESTKEY001", "secret")


def test_override_file_name_is_one_terraform_merges(tmp_path):
    path = override.write(tmp_path, "http://127.0.0.1:1", "us-east-1", "AKIAIAMLABTESTKEY001", "secret")
    assert path.name.endswith("_override.tf")
    override.remove(tmp_path)
    assert not path.exists()
