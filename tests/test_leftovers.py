"""07's check tells a leftover Terraform's state records (destroy deletes it) from one outside the state
(made by hand, or forgotten by the state: destroy never deletes it, however often it runs). For the
second kind the calls it names really delete it: the test runs them."""

from __future__ import annotations

import json

import pytest

from iamlab import facts
from iamlab.cleanup import leftovers
from iamlab.course import checks

from .conftest import TRUST_EC2, run_cli

TAGS = [{"Key": "course", "Value": "iamlab"}]


@pytest.fixture
def account(lab):
    from iamlab import sandbox

    sandbox.reset()
    (lab.account.directory / "terraform.tfstate").unlink(missing_ok=True)
    return lab


def made_by_hand(lab) -> None:
    """The role, its profile, a policy attached and an inline policy: made with boto3, outside Terraform."""
    iam = lab.client("iam")
    iam.create_role(RoleName=facts.ROLE, AssumeRolePolicyDocument=json.dumps(TRUST_EC2), Tags=TAGS)
    iam.create_instance_profile(InstanceProfileName=facts.PROFILE)
    iam.add_role_to_instance_profile(InstanceProfileName=facts.PROFILE, RoleName=facts.ROLE)
    arn = iam.create_policy(PolicyName=facts.POLICY, Tags=TAGS, PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": facts.LOGIN, "Resource": "*"}]}))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=facts.ROLE, PolicyArn=arn)
    iam.put_role_policy(RoleName=facts.ROLE, PolicyName="deny-push", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "ecr:PutImage", "Resource": "*"}]}))


def state_recording(lab, role: str) -> None:
    (lab.account.directory / "terraform.tfstate").write_text(json.dumps({"version": 4, "resources": [
        {"mode": "managed", "type": "aws_iam_role", "name": "ec2_ecr_role",
         "instances": [{"attributes": {"name": role, "arn": facts.role_arn(lab.account.id, role)}}]}]}))


def test_leftovers_outside_the_state_name_the_calls_that_delete_them_and_those_calls_work(account):
    lab = account
    made_by_hand(lab)
    left = leftovers(lab.client, lab.account.directory)
    assert {str(item) for item in left} == {f"IAM role {facts.ROLE}", f"instance profile {facts.PROFILE}", f"IAM policy {facts.POLICY}"}
    assert not any(item.in_state for item in left)
    result = checks.evaluate("07-clean", None, lab.account)
    text = str(result)
    assert not result.passed and "destroy will never delete it" in text and "destroy()" not in text.split("hint:")[0]
    assert f'lab.client("iam").delete_role(RoleName={facts.ROLE!r})' in text
    # what the check says, done as said (in the order given, profile first, as a learner would)
    order = {"instance profile": 0, "IAM role": 1, "IAM policy": 2}
    for item in sorted(left, key=lambda i: order[i.kind]):
        for call in item.calls:
            try:
                eval(call.boto3(), {"lab": lab})  # noqa: S307 - the course's own generated call
            except lab.client("iam").exceptions.NoSuchEntityException:
                pass  # an earlier item's calls already did this step (the role's detach)
    assert leftovers(lab.client, lab.account.directory) == []
    assert checks.evaluate("07-clean", None, lab.account).passed


def test_a_leftover_the_state_records_is_destroy_s_to_delete(account):
    lab = account
    lab.client("iam").create_role(RoleName=facts.ROLE, AssumeRolePolicyDocument=json.dumps(TRUST_EC2), Tags=TAGS)
    state_recording(lab, facts.ROLE)
    [item] = leftovers(lab.client, lab.account.directory)
    assert item.in_state and item.address == "aws_iam_role.ec2_ecr_role"
    text = str(checks.evaluate("07-clean", None, lab.account))
    assert "Terraform's state still records it (aws_iam_role.ec2_ecr_role): lab.terraform.destroy() deletes it" in text
    assert "never delete" not in text


def test_the_renderings_and_the_cli_spelling(account):
    lab = account
    made_by_hand(lab)
    left = leftovers(lab.client, lab.account.directory)
    markdown = left._repr_markdown_()
    assert "not in Terraform's state" in markdown and "delete_instance_profile" in markdown
    role = next(item for item in left if item.kind == "IAM role")
    cli = role.next_step(cli=True)
    assert f"aws iam delete-role --role-name {facts.ROLE}" in cli
    assert f"aws iam remove-role-from-instance-profile --instance-profile-name {facts.PROFILE} --role-name {facts.ROLE}" in cli
    assert str(leftovers.__globals__["Leftovers"]()) == "Nothing the course created is left."


@pytest.mark.integration
def test_destroy_on_the_cli_names_the_aws_cli_calls_for_a_hand_made_leftover(course_home):
    from iamlab import sandbox

    lab_info = sandbox.start()
    iam = sandbox.session(lab_info).client("iam")
    iam.create_role(RoleName="by-hand", AssumeRolePolicyDocument=json.dumps(TRUST_EC2), Tags=TAGS)
    done = run_cli("destroy", env={"IAMLAB_HOME": str(course_home)})
    assert done.returncode == 1 and "IAM role by-hand: not in Terraform's state" in done.stdout, done.stdout + done.stderr
    assert "aws iam delete-role --role-name by-hand" in done.stdout and "sandbox env" in done.stdout
