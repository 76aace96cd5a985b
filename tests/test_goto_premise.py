"""goto judges the account by effect against the lesson's start, with the course's own grader.

A learner's kept file can contradict what the next lesson assumes (a policy the course cannot
read offline that still lets the instance pull reports_app): goto must say so, keep the file,
and offer the reference; it says "Ready" only when the account holds the premise.

The fast tests build the account with boto3 (what an apply of those files would leave) and give
``goto`` an apply that records its call; the integration test runs real Terraform and the CLI.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from iamlab import facts
from iamlab.course import stages
from iamlab.course.lessons import REFERENCES, STAGES
from iamlab.terraform import edits

from .conftest import TRUST_EC2, run_cli

SCOPE = REFERENCES["04-scope"].files["custom_policy.tf"]

# A policy the course cannot read offline (a function around the document), pulling from every repository.
UNREADABLE = '''data "aws_iam_policy_document" "pull" {
  statement {
    actions   = ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "ecr_custom_read_only" {
  name   = "ecr_custom_read_only"
  policy = replace(data.aws_iam_policy_document.pull.json, "x", "x")
}

resource "aws_iam_role_policy_attachment" "ecr_custom_read_only" {
  role       = aws_iam_role.ec2_ecr_role.name
  policy_arn = aws_iam_policy.ecr_custom_read_only.arn
}
'''

EVERY_REPOSITORY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": [facts.LOGIN, *facts.PULL], "Resource": "*"}]}


def scoped_document(account: str, region: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "Login", "Effect": "Allow", "Action": facts.LOGIN, "Resource": "*"},
        {"Sid": "Pull", "Effect": "Allow", "Action": list(facts.PULL),
         "Resource": facts.repository_arn(region, account, facts.PULL_REPOSITORY)}]}


class Account:
    """The account as an apply of the learner's files would leave it, made with boto3 (fast)."""

    def __init__(self, lab):
        self.lab = lab
        self.iam = lab.client("iam")

    def custom_policy(self, document: dict) -> None:
        arn = facts.policy_arn(self.lab.account.id)
        try:
            self.iam.detach_role_policy(RoleName=facts.ROLE, PolicyArn=arn)
            self.iam.delete_policy(PolicyArn=arn)
        except self.iam.exceptions.NoSuchEntityException:
            pass
        self.iam.create_policy(PolicyName=facts.POLICY, PolicyDocument=json.dumps(document))
        self.iam.attach_role_policy(RoleName=facts.ROLE, PolicyArn=arn)


@pytest.fixture
def account(lab):
    from iamlab import sandbox

    sandbox.reset()
    made = Account(lab)
    made.iam.create_role(RoleName=facts.ROLE, AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    return made


def goto(lab, lesson, reference=False, apply_does=None):
    applied = []

    def run_apply():
        applied.append(True)
        if apply_does:
            apply_does()
        return SimpleNamespace(summary={"change": 1})

    result = stages.goto(lesson, lab.account.directory, run_apply=run_apply, settled=lambda: not apply_does,
                         account=lab.account, reference=reference)
    return result, applied


def test_05_says_not_ready_while_the_instance_can_pull_reports_app_and_keeps_the_file(lab, account):
    directory = lab.account.directory
    stages.carry_out(stages.plan("05", directory), directory)
    (directory / "custom_policy.tf").write_text(UNREADABLE)
    account.custom_policy(EVERY_REPOSITORY)  # what applying that file gives
    result, _ = goto(lab, "05")
    text = str(result)
    assert not result.ready and result.judged
    assert text.startswith("Not ready for lesson 05: the instance can still pull reports_app")
    assert "Ready for lesson 05" not in text and "Ready for lesson 05" not in result._repr_html_()
    assert 'lab.goto(\'05\', reference=True)' in text
    assert (directory / "custom_policy.tf").read_text() == UNREADABLE  # kept: it is the learner's


def test_reference_true_replaces_the_policy_keeps_theirs_in_backups_and_then_it_is_ready(lab, account):
    directory = lab.account.directory
    stages.carry_out(stages.plan("05", directory), directory)
    (directory / "custom_policy.tf").write_text(UNREADABLE)
    account.custom_policy(EVERY_REPOSITORY)
    result, applied = goto(lab, "05", reference=True,
                           apply_does=lambda: account.custom_policy(scoped_document(lab.account.id, lab.account.region)))
    assert applied and (directory / "custom_policy.tf").read_text() == SCOPE
    assert (result.backup_dir / "custom_policy.tf").read_text() == UNREADABLE
    assert result.ready and str(result).startswith("Ready for lesson 05")


def at_start_with_reports_app_granted(lab, account, lesson: str) -> None:
    """``lesson``'s start files, 04's scoped policy, and reports_app's own policy granting the role the pull."""
    directory = lab.account.directory
    stages.carry_out(stages.plan(lesson, directory), directory)
    account.custom_policy(scoped_document(lab.account.id, lab.account.region))
    lab.client("ecr").set_repository_policy(repositoryName=facts.OTHER_REPOSITORY, policyText=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(facts.PULL),
                                                "Principal": {"AWS": facts.role_arn(lab.account.id, facts.ROLE)}}]}))


def test_reference_true_when_something_outside_the_files_holds_it_says_so(lab, account):
    """A grant made by hand (outside Terraform) survives the reference files: goto must not say Ready."""
    at_start_with_reports_app_granted(lab, account, "05")
    result, _ = goto(lab, "05", reference=True)
    assert not result.ready and "the instance can still pull reports_app" in str(result)
    assert "sandbox reset" in str(result)


def test_a_missing_role_is_not_ready(lab, account):
    lab.client("iam").delete_role(RoleName=facts.ROLE)
    result, _ = goto(lab, "05")
    assert not result.ready and f"there is no role {facts.ROLE}" in str(result)


def test_06_judges_the_role_s_own_policies_its_repository_policy_is_the_exercise(lab, account):
    at_start_with_reports_app_granted(lab, account, "06")
    assert goto(lab, "06")[0].ready
    assert not goto(lab, "05")[0].ready  # 05 assumes no repository grants it


def test_an_account_nobody_could_read_is_never_ready(lab, account):
    class Broken:
        directory = lab.account.directory

        def client(self, service):
            raise ConnectionError("the sandbox does not answer")

    stages.carry_out(stages.plan("05", lab.account.directory), lab.account.directory)
    result = stages.goto("05", lab.account.directory, run_apply=lambda: None, settled=lambda: True, account=Broken())
    assert not result.ready and "could not be checked" in str(result) and "Ready for" not in str(result)


def test_every_stage_that_applies_declares_its_premise():
    """A lesson whose start goto applies says what that start assumes of the account."""
    assert {name for name, stage in STAGES.items() if stage.apply and stage.premise is None} == set()


@pytest.mark.integration
def test_the_cli_exits_1_when_not_ready_and_reference_gets_there(course_home):
    from iamlab.terraform import workspace

    directory = workspace.ensure()
    assert run_cli("goto", "05").returncode == 0
    (directory / "custom_policy.tf").write_text(UNREADABLE)
    not_ready = run_cli("goto", "05")
    assert not_ready.returncode == 1, not_ready.stdout + not_ready.stderr
    assert "Not ready for lesson 05: the instance can still pull reports_app" in not_ready.stdout
    assert "python -m iamlab goto 05 --reference" in not_ready.stdout
    assert (directory / "custom_policy.tf").read_text() == UNREADABLE
    ready = run_cli("goto", "05", "--reference")
    assert ready.returncode == 0 and "Ready for lesson 05" in ready.stdout, ready.stdout + ready.stderr
    assert (directory / "custom_policy.tf").read_text() == SCOPE and not edits.is_active(directory, stages.MANAGED_ATTACHMENT)
