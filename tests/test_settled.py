"""goto spends no apply when one would find nothing to do, and only then.

The sandbox's account version moves on whatever may change the account (and not on reads);
``terraform/settled.py`` notes it with the working copy after an apply. The real-Terraform
side is in test_course.py (``test_goto_applies_only_when_something_changed``).
"""

from __future__ import annotations

import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError

from iamlab import sandbox
from iamlab.sandbox import changes
from iamlab.terraform import settled

from . import waits


# -- the sandbox's account version -------------------------------------------------------------
@pytest.fixture
def version(shared_sandbox):
    return lambda: sandbox.account_version(shared_sandbox)


def test_reads_leave_the_version_where_it_was(shared_sandbox, version):
    session = sandbox.session(shared_sandbox)
    before = version()
    session.client("ecr").describe_repositories()
    session.client("iam").list_roles()
    session.client("ec2").describe_instances()
    session.client("sts").get_caller_identity()
    assert version() == before


def test_a_change_moves_it_and_a_failed_call_does_not(shared_sandbox, version):
    iam = sandbox.session(shared_sandbox).client("iam")
    before = version()
    arn = iam.create_policy(PolicyName=f"v-{uuid.uuid4().hex[:8]}", PolicyDocument='{"Version": "2012-10-17", "Statement": '
                            '[{"Effect": "Allow", "Action": "ecr:ListImages", "Resource": "*"}]}')["Policy"]["Arn"]
    moved = version()
    assert moved != before
    iam.delete_policy(PolicyArn=arn)
    gone = version()
    assert gone != moved
    with pytest.raises(ClientError):
        iam.delete_policy(PolicyArn=arn)  # NoSuchEntity: nothing changed
    assert version() == gone


def test_a_registry_write_moves_it_even_when_refused(shared_sandbox, version):
    before = version()
    request = urllib.request.Request(f"{shared_sandbox.endpoint}/v2/flask_app/blobs/uploads/", method="POST", data=b"")
    with pytest.raises(urllib.error.HTTPError):  # no token: 401
        urllib.request.urlopen(request, timeout=waits.bound(waits.REQUEST))
    assert version() != before  # unsure: counted


@pytest.mark.parametrize("action, read", [
    ("ecr:BatchGetImage", True), ("ec2:DescribeInstanceAttribute", True), ("iam:SimulatePrincipalPolicy", True),
    ("iam:CreatePolicyVersion", False), ("sts:AssumeRole", False), ("ecr:PutImage", False), ("", False),
    ("ecr:NoSuchAction", False),
])
def test_only_what_the_catalogue_calls_read_or_list_is_a_read(action, read):
    assert changes.read_only(action) is read


def test_refused_calls_and_client_errors_change_nothing():
    version = changes.AccountVersion()
    start = str(version)
    version.after_call("ecr:PutImage", 200, refused=True)
    version.after_call("iam:DeletePolicy", 404, refused=False)
    assert str(version) == start
    version.after_call("iam:DeletePolicy", 500, refused=False)  # moto failed midway: maybe changed
    assert str(version) != start
    version.renew()
    assert str(version).split("-")[0] != start.split("-")[0]


# -- what the driver notes after an apply ----------------------------------------------------------
@pytest.fixture
def wc(tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_iam_role" "r" {}\n')
    (tmp_path / "terraform.tfstate").write_text('{"serial": 3}')
    (tmp_path / ".terraform").mkdir()
    settled.record(tmp_path, {"TF_VAR_region": "us-east-1"}, "abc-7")
    return tmp_path


def test_it_holds_while_nothing_changed(wc):
    assert settled.holds(wc, {"TF_VAR_region": "us-east-1", "PATH": "/elsewhere"}, "abc-7")


@pytest.mark.parametrize("change", [
    lambda wc: (wc / "main.tf").write_text('resource "aws_iam_role" "r" { name = "x" }\n'),
    lambda wc: (wc / "extra.tf").write_text("# a file of the learner's\n"),
    lambda wc: (wc / "terraform.tfvars").write_text('region = "eu-west-1"\n'),
    lambda wc: (wc / "terraform.tfstate").write_text('{"serial": 4}'),
    lambda wc: (wc / "terraform.tfstate").unlink(),
])
def test_any_file_terraform_reads_undoes_it(wc, change):
    change(wc)
    assert not settled.holds(wc, {"TF_VAR_region": "us-east-1"}, "abc-7")


def test_another_variable_account_version_or_a_forgotten_note_undoes_it(wc):
    assert not settled.holds(wc, {"TF_VAR_region": "eu-west-1"}, "abc-7")
    assert not settled.holds(wc, {"TF_VAR_region": "us-east-1"}, "abc-8")
    assert not settled.holds(wc, {"TF_VAR_region": "us-east-1"}, None)  # real AWS, or no sandbox
    settled.forget(wc)
    assert not settled.holds(wc, {"TF_VAR_region": "us-east-1"}, "abc-7")


def test_nothing_is_noted_without_an_account_version(wc):
    settled.record(wc, {}, None)
    assert not (wc / settled.NOTE).exists()
