"""Configurations no one here wrote, against the sandbox: apply, re-plan (no changes), destroy.

The modules are terraform-aws-modules' own (vendored under tests/data/configs/vendor, see its
README), called as their examples call them. Each runs through the course's driver in a
folder of its own, so the override, the environment and the refusals are the course's.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from iamlab import sandbox
from iamlab.terraform import Driver

pytestmark = pytest.mark.integration

CONFIGS = Path(__file__).parent / "data" / "configs"


@pytest.fixture
def copied(tmp_path, shared_sandbox):
    shutil.copytree(CONFIGS, tmp_path / "configs")
    return tmp_path / "configs"


def _round_trip(folder: Path) -> Driver:
    tf = Driver(sink=lambda line: None, directory=folder)
    applied = tf.apply()
    assert applied.summary.get("add", 0) > 0
    replanned = tf.plan()
    assert replanned.returncode == 0 and replanned.summary == {"add": 0, "change": 0, "destroy": 0}, replanned.stdout
    return tf


def _destroy(tf: Driver) -> None:
    destroyed = tf.destroy()
    assert "Destroy complete!" in destroyed.stdout


def test_iam_user_policy_and_role_modules(copied):
    tf = _round_trip(copied / "iam")
    iam = sandbox.session().client("iam")
    assert iam.get_user(UserName="vasya.pupkin")["User"]["UserName"] == "vasya.pupkin"
    assert iam.list_ssh_public_keys(UserName="vasya.pupkin")["SSHPublicKeys"]
    _destroy(tf)  # force_destroy: keys, SSH key, service-specific credentials listed and removed
    users = {u["UserName"] for u in iam.list_users()["Users"]}
    assert not users & {"vasya.pupkin", "vasya.pupkin6"}
    assert "custom" not in {r["RoleName"] for r in iam.list_roles()["Roles"]}


def test_ecr_repository_with_repository_and_lifecycle_policies(copied):
    tf = _round_trip(copied / "ecr")
    ecr = sandbox.session().client("ecr")
    assert ecr.get_lifecycle_policy(repositoryName="ecr-ex-complete")["lifecyclePolicyText"]
    assert ecr.get_repository_policy(repositoryName="ecr-ex-complete")["policyText"]
    _destroy(tf)
    assert "ecr-ex-complete" not in {r["repositoryName"] for r in ecr.describe_repositories()["repositories"]}


def test_ec2_instance_with_a_public_ip_in_a_vpc(copied):
    tf = _round_trip(copied / "ec2")  # enclave options and security groups as EC2 reports them: no drift
    ec2 = sandbox.session().client("ec2")
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["ex-ec2-complete"]}])["Vpcs"]
    assert len(vpcs) == 1
    _destroy(tf)  # the instance's network interface goes with it, so the subnet, group and VPC can go
    assert ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["ex-ec2-complete"]}])["Vpcs"] == []
