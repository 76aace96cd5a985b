"""The sandbox override: sandbox endpoints and fake keys, loopback only."""

from __future__ import annotations

import pytest

from iamlab.terraform import override


def test_override_points_every_service_at_the_sandbox():
    text = override.render("http://127.0.0.1:4566", "eu-west-1", "AKIAIAMLABTESTKEY001", "secret")
    for service in ("ec2", "ecr", "iam", "sts", "ecrpublic", "ssoadmin", "s3", "organizations", "logs"):
        assert f'    {service} = "http://127.0.0.1:4566"' in text
    assert len(override.sandbox_services()) == 255  # every service of the provider 5.100.0 (303 keys with aliases)
    assert all(f'    {alias} = ' not in text for alias in override.endpoint_aliases())  # one key per service
    assert 'region     = "eu-west-1"' in text
    assert 'access_key = "AKIAIAMLABTESTKEY001"' in text
    assert "skip_credentials_validation   = true" in text and "skip_metadata_api_check       = true" in text


def test_override_gives_each_alias_a_sandbox_block_and_neutralises_credentials():
    text = override.render("http://127.0.0.1:4566", "us-east-1", "AKIAIAMLABTESTKEY001", "secret",
                           aliases=("production", "web"), config_file="/h/aws/config", credentials_file="/h/aws/credentials")
    blocks = text.split('provider "aws" {')[1:]
    assert len(blocks) == 3
    assert [b for b in blocks if 'alias      = "production"' in b] and [b for b in blocks if 'alias      = "web"' in b]
    for block in blocks:
        assert block.count('= "http://127.0.0.1:4566"') == len(override.sandbox_services()) + 1  # + the metadata service
        for line in ("profile    = null", "token      = null", 'shared_config_files      = ["/h/aws/config"]',
                     'shared_credentials_files = ["/h/aws/credentials"]', "assume_role {}", 'role_arn           = ""'):
            assert line in block
    assert 'region     = "us-east-1"' in blocks[0] and "region" not in blocks[1].split("access_key")[0]


@pytest.mark.parametrize("endpoint", ["https://ecr.us-east-1.amazonaws.com", "http://10.0.0.5:4566", "http://localhost.evil.com:1"])
def test_override_refuses_anything_but_loopback(endpoint):
    with pytest.raises(ValueError):
        override.render(endpoint, "us-east-1", "AKIAIAMLABTESTKEY001", "secret")


def test_override_file_name_is_one_terraform_merges(tmp_path):
    path = override.write(tmp_path, "http://127.0.0.1:1", "us-east-1", "AKIAIAMLABTESTKEY001", "secret")
    assert path.name.endswith("_override.tf")
    override.remove(tmp_path)
    assert not path.exists()


def test_override_replaces_a_symlink_instead_of_writing_through_it(tmp_path):
    """The override holds the sandbox's secret: a symlink in its place must not carry it elsewhere."""
    import os
    import stat

    outside = tmp_path / "outside.txt"
    outside.write_text("someone else's file\n")
    folder = tmp_path / "tf"
    folder.mkdir()
    (folder / override.OVERRIDE_NAME).symlink_to(outside)
    path = override.write(folder, "http://127.0.0.1:1", "us-east-1", "AKIAIAMLABTESTKEY001", "s3cret")
    assert outside.read_text() == "someone else's file\n"
    assert not path.is_symlink() and "s3cret" in path.read_text()
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o600
    assert [p.name for p in folder.iterdir()] == [override.OVERRIDE_NAME]  # no temporary file left behind


def test_override_is_rewritten_when_someone_loosened_its_mode(tmp_path):
    import os
    import stat

    path = override.write(tmp_path, "http://127.0.0.1:1", "us-east-1", "AKIAIAMLABTESTKEY001", "s3cret")
    os.chmod(path, 0o644)
    override.write(tmp_path, "http://127.0.0.1:1", "us-east-1", "AKIAIAMLABTESTKEY001", "s3cret")
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o600


def test_assume_role_is_replaced_exactly_when_the_configuration_names_it(tmp_path):
    """An empty assume_role block makes the provider warn on every command ("role_arn is
    required"): the override carries it only where a file names assume_role, modules included."""
    (tmp_path / "main.tf").write_text('provider "aws" {\n  region = "us-east-1"\n}\n')
    path = override.write(tmp_path, "http://127.0.0.1:1", "us-east-1", "AKIAIAMLABTESTKEY001", "secret")
    assert "assume_role" not in path.read_text()
    module = tmp_path / ".terraform" / "modules" / "x"
    module.mkdir(parents=True)
    (module / "main.tf").write_text('provider "aws" {\n  assume_role {\n    role_arn = "arn:aws:iam::1:role/r"\n  }\n}\n')
    text = override.write(tmp_path, "http://127.0.0.1:1", "us-east-1", "AKIAIAMLABTESTKEY001", "secret").read_text()
    assert "assume_role {}" in text and 'web_identity_token = "iamlab-sandbox"' in text


def test_a_roles_trust_policy_is_not_an_assume_role_block(tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_iam_role" "r" {\n  assume_role_policy = "{}"\n}\n')
    assert not override.names_assume_role(tmp_path)
    (tmp_path / "p.tf.json").write_text('{"provider": {"aws": {"dynamic": {"assume_role_with_web_identity": {}}}}}')
    assert override.names_assume_role(tmp_path)
