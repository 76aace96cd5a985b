"""Every AWS provider block of a configuration is found, and those the override cannot reach are refused by name."""

from __future__ import annotations

import json

import pytest

from iamlab.terraform import provider_blocks
from iamlab.terraform.override import OVERRIDE_NAME

ALIASED = '''
provider "aws" {
  region  = "eu-west-1"
  profile = "prod"
}

provider "aws" {
  alias  = "production"
  region = "eu-west-1"
  assume_role {
    role_arn = "arn:aws:iam::999999999999:role/production"
  }
}
'''


def test_the_default_block_and_every_alias_are_found(tmp_path):
    (tmp_path / "main.tf").write_text(ALIASED)
    (tmp_path / "more.tf.json").write_text(json.dumps({"provider": {"aws": [{"alias": "web", "region": "us-west-2"}]}}))
    (tmp_path / OVERRIDE_NAME).write_text('provider "aws" {\n  region = "us-east-1"\n}\n')  # the course's own
    blocks = provider_blocks.check(tmp_path, OVERRIDE_NAME)
    assert sorted(block.alias for block in blocks) == ["", "production", "web"]
    assert [block.line for block in blocks if block.alias == "production"] == [7]


def test_a_provider_block_inside_a_local_module_is_refused_by_name(tmp_path):
    (tmp_path / "main.tf").write_text('module "legacy" {\n  source = "./modules/legacy"\n}\n')
    legacy = tmp_path / "modules" / "legacy"
    legacy.mkdir(parents=True)
    (legacy / "main.tf").write_text('resource "aws_iam_user" "u" {\n  name = "u"\n}\n\nprovider "aws" {\n  alias = "other"\n}\n')
    with pytest.raises(provider_blocks.ProviderOutOfReach) as refusal:
        provider_blocks.check(tmp_path, OVERRIDE_NAME)
    message = str(refusal.value)
    assert 'provider "aws" (alias "other") in module.legacy, modules/legacy/main.tf line 5' in message
    assert "Nothing was run" in message and "providers = { aws = aws.NAME }" in message


def test_a_provider_block_in_a_downloaded_module_is_refused(tmp_path):
    (tmp_path / "main.tf").write_text('module "remote" {\n  source = "terraform-aws-modules/iam/aws"\n}\n')
    downloaded = tmp_path / ".terraform" / "modules" / "remote"
    downloaded.mkdir(parents=True)
    (downloaded / "providers.tf").write_text('provider "aws" {\n  region = "eu-west-1"\n}\n')
    (tmp_path / ".terraform" / "modules" / "modules.json").write_text(json.dumps(
        {"Modules": [{"Key": "", "Source": "", "Dir": "."},
                     {"Key": "remote", "Source": "registry.terraform.io/terraform-aws-modules/iam/aws",
                      "Dir": ".terraform/modules/remote"}]}))
    with pytest.raises(provider_blocks.ProviderOutOfReach, match=r"module\.remote, \.terraform/modules/remote/providers\.tf line 1"):
        provider_blocks.check(tmp_path, OVERRIDE_NAME)


def test_a_provider_block_in_the_learners_own_override_file_is_refused(tmp_path):
    """Terraform merges override files in name order: a later one could undo the course's."""
    (tmp_path / "main.tf").write_text(ALIASED)
    (tmp_path / "zz_override.tf").write_text('provider "aws" {\n  endpoints {\n    iam = "https://iam.amazonaws.com"\n  }\n}\n')
    with pytest.raises(provider_blocks.ProviderOutOfReach, match="your own override files"):
        provider_blocks.check(tmp_path, OVERRIDE_NAME)


def test_a_file_python_hcl2_cannot_read_is_still_searched_for_provider_blocks(tmp_path):
    """A typo elsewhere in the file: Terraform reports it; an alias Terraform would parse is still found."""
    (tmp_path / "main.tf").write_text('provider "aws" {\n  alias  = "production"\n  region = "eu-west-1"\n}\n\n'
                                      'resource "aws_iam_user" "u" {\n  name = \n}\n')
    assert [block.alias for block in provider_blocks.check(tmp_path, OVERRIDE_NAME)] == ["production"]
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "main.tf").write_text('provider "aws" {\n  region = "eu-west-1"\n}\n')
    (tmp_path / "calls.tf").write_text('module "legacy" {\n  source = "./legacy"\n  broken = [\n}\n')
    with pytest.raises(provider_blocks.ProviderOutOfReach, match="module.legacy"):
        provider_blocks.check(tmp_path, OVERRIDE_NAME)


def test_a_json_file_that_is_not_json_is_refused(tmp_path):
    (tmp_path / "main.tf.json").write_text('{"provider": {"aws": ')
    with pytest.raises(provider_blocks.UnreadableConfiguration, match="main.tf.json"):
        provider_blocks.check(tmp_path, OVERRIDE_NAME)


def test_modules_without_provider_blocks_pass(tmp_path):
    (tmp_path / "main.tf").write_text('provider "aws" {}\nmodule "m" {\n  source = "./m"\n}\n')
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "versions.tf").write_text(
        'terraform {\n  required_providers {\n    aws = {\n      source = "hashicorp/aws"\n    }\n  }\n}\n')
    assert [block.alias for block in provider_blocks.check(tmp_path, OVERRIDE_NAME)] == [""]
