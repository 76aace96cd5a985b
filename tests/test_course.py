"""The course's structure: every lesson's start is reachable from a fresh sandbox (idempotently),
and every self-check passes on the reference solution and fails on a wrong answer."""

from __future__ import annotations


import pytest

import iamlab
from iamlab import sandbox
from iamlab.course import checks, stages
from iamlab.lab import Lab
from iamlab.terraform import edits, policy_file


pytestmark = pytest.mark.integration
MANAGED = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"


def attached(lab: Lab) -> set[str]:
    return {a["PolicyName"] for a in lab.client("iam").list_attached_role_policies(RoleName="ec2-ecr-role")["AttachedPolicies"]}


def test_answer_checks_pass_on_the_solution_and_fail_on_wrong_answers(lab):
    lab.goto("02")
    assert checks.evaluate("01-trust", "ec2.amazonaws.com", lab.account).passed
    wrong = checks.evaluate("01-trust", "lambda.amazonaws.com", lab.account)
    assert not wrong.passed and [s.id for s in wrong.slips] == ["trust-principal-other-service"]
    assert checks.evaluate("02-browse", checks.EXERCISES["02-browse"].answer, lab.account).passed
    partial = checks.evaluate("02-browse", ["ecr:DescribeRepositories", "ecr:BatchGetImage"], lab.account)
    assert not partial.passed
    text = str(partial)
    assert "7 more to find" in text and "ecr:BatchGetImage: a pull needs it" in text
    assert "ecr:DescribeImageScanFindings" not in text  # what is missing is counted, never listed
    assert not checks.evaluate("02-browse", checks.EXERCISES["02-browse"].answer + ["ecr:PutImage"], lab.account).passed


def test_03_custom_policy_fails_before_and_passes_at_the_next_lesson(lab):
    lab.goto("03")
    before = checks.evaluate("03-custom-policy", None, lab.account)
    assert not before.passed and "not written yet: fill in the %%tf cell" in str(before)
    lab.goto("04")
    assert attached(lab) == {"AmazonEC2ContainerRegistryReadOnly", "ecr_custom_read_only"}
    assert checks.evaluate("03-custom-policy", None, lab.account).passed


def test_04_scope_fails_while_the_managed_policy_is_attached(lab):
    lab.goto("04")
    result = checks.evaluate("04-scope", None, lab.account)
    assert not result.passed
    assert "AmazonEC2ContainerRegistryReadOnly is still attached" in str(result) and "hint:" in str(result)


def test_04_scope_flags_a_pasted_arn(lab):
    lab.goto("05")
    pasted = lab.account.directory / "pasted.tf"
    pasted.write_text('locals {\n  flask = "arn:aws:ecr:us-east-1:123456789012:repository/flask_app"\n}\n')
    try:
        result = checks.evaluate("04-scope", None, lab.account)
        assert not result.passed and {s.id for s in result.slips} == {"hand-typed-arn"} and "pasted.tf, line 2" in str(result)
    finally:
        pasted.unlink()


def test_lesson_05_start_passes_04_and_the_solution_changes_nothing(lab):
    lab.goto("05")
    assert attached(lab) == {"ecr_custom_read_only"}
    assert not edits.is_active(lab.account.directory, stages.MANAGED_ATTACHMENT)
    assert checks.evaluate("04-scope", None, lab.account).passed
    files = {p.name: p.read_text() for p in lab.account.directory.glob("*.tf*") if p.suffix in (".tf", ".json")}
    checks.solution("04-scope")
    assert {p.name: p.read_text() for p in lab.account.directory.glob("*.tf*") if p.suffix in (".tf", ".json")} == files
    again = lab.goto("05")
    assert again.keeps_everything and again.done == []  # idempotent: nothing to do the second time


def test_goto_applies_only_when_something_changed(lab):
    lab.goto("05")
    lab.access()  # the instance's reads, logins and refused pushes change nothing
    lab.client("iam").get_role(RoleName="ec2-ecr-role")
    again = lab.goto("05")
    assert again.applied == stages.SETTLED and "no apply needed" in str(again)
    custom = f"arn:aws:iam::{lab.account.id}:policy/ecr_custom_read_only"
    lab.client("iam").detach_role_policy(RoleName="ec2-ecr-role", PolicyArn=custom)  # by hand, outside Terraform
    assert not lab.terraform.settled()
    back = lab.goto("05")
    assert back.applied == "applied: 1 add" and attached(lab) == {"ecr_custom_read_only"}
    assert lab.terraform.settled()
    lab.plan()  # only reads
    assert lab.terraform.settled()


def test_05_predict(lab):
    from iamlab.course import predictions

    right = checks.EXERCISES["05-predict"].answer
    predictions.new_round("05")
    iamlab.predict("05-predict", right)
    assert checks.evaluate("05-predict", right, lab.account).passed
    predictions.new_round("05")
    iamlab.predict("05-predict", dict(right, **{"pull:reports_app": "allowed"}))
    assert not checks.evaluate("05-predict", right, lab.account).passed  # the recorded prediction is graded


def test_06_deny_fails_then_the_solution_passes(lab):
    lab.goto("06")
    assert not checks.evaluate("06-deny", None, lab.account).passed
    checks.solution("06-deny", lab.account, apply=lab.apply, destroy=lab.terraform.destroy)
    assert checks.evaluate("06-deny", None, lab.account).passed


def test_07_clean_fails_before_destroy_and_passes_after(lab):
    lab.goto("07")  # keeps the learner's 06 files: 07 destroys whatever there is
    assert (lab.account.directory / "deny_push.tf").exists()
    result = checks.evaluate("07-clean", None, lab.account)
    assert not result.passed and "IAM role ec2-ecr-role" in str(result)
    lab.terraform.destroy()
    assert checks.evaluate("07-clean", None, lab.account).passed


@pytest.mark.parametrize("lesson", ["05", "playground"])
def test_any_lesson_starts_from_a_fresh_sandbox(lab, lesson):
    sandbox.reset()
    lab.goto(lesson)
    stage = stages.STAGES[lesson]
    assert edits.is_active(lab.account.directory, stages.MANAGED_ATTACHMENT) == stage.managed_attached
    assert policy_file.path(lab.account.directory).exists() == (stage.policy is not None)
    assert attached(lab) == ({"AmazonEC2ContainerRegistryReadOnly"} if stage.managed_attached else set()) | {"ecr_custom_read_only"}
    answers = lab.access()
    if lesson == "05":  # lesson 05 asks for the prediction before its first access report
        assert "Write your prediction first" in str(answers)
        answers = lab.access()
    assert answers["pull:flask_app"] == "allowed"


# -- the learner's paths, with real Terraform ------------------------------------------------
def write(lab, name, text):
    from iamlab.course import magic

    result = magic.write_cell(name, text, directory=lab.account.directory)
    assert result.written and result.valid, str(result)
    return result


def test_the_learner_writes_03_and_04_step_by_step(lab):
    from iamlab.course.lessons import REFERENCES

    lab.goto("03")
    write(lab, "custom_policy.tf", REFERENCES["03-custom-policy"].files["custom_policy.tf"])
    lab.apply()
    assert checks.evaluate("03-custom-policy", None, lab.account).passed
    assert lab.goto("04").keeps_everything  # the learner's own 03 answer is 04's start
    write(lab, "custom_policy.tf", REFERENCES["04-reference"].files["custom_policy.tf"])
    lab.apply()
    assert checks.evaluate("04-reference", None, lab.account).passed
    step2 = checks.evaluate("04-scope", None, lab.account)
    assert {s.id for s in step2.slips} == {"login-scoped", "managed-attached"}
    edits.comment_out(lab.account.directory, stages.MANAGED_ATTACHMENT)  # the hand edit, as JupyterLab's editor would save it
    assert "Write your prediction first" in str(lab.apply())  # step 2's apply is a reveal: the prediction comes first
    iamlab.predict("04-step2", {"login": "denied", "pull:flask_app": "denied", "pull:reports_app": "denied"})
    lab.apply()
    assert checks.evaluate("04-detach", None, lab.account).passed
    assert {s.id for s in checks.evaluate("04-scope", None, lab.account).slips} == {"login-scoped"}
    assert lab.access()["login"] != "allowed"
    write(lab, "custom_policy.tf", REFERENCES["04-scope"].files["custom_policy.tf"])
    lab.apply()
    assert checks.evaluate("04-scope", None, lab.account).passed


def test_an_aws_iam_policy_document_with_the_same_effect_passes(lab):
    lab.goto("05")
    write(lab, "custom_policy.tf", '''data "aws_iam_policy_document" "pull" {
  statement {
    sid       = "Login"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "Pull"
    actions   = ["ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability"]
    resources = [data.aws_ecr_repository.pull.arn]
  }
}

resource "aws_iam_policy" "ecr_custom_read_only" {
  name   = "ecr_custom_read_only"
  policy = data.aws_iam_policy_document.pull.json
}

resource "aws_iam_role_policy_attachment" "ecr_custom_read_only" {
  role       = aws_iam_role.ec2_ecr_role.name
  policy_arn = aws_iam_policy.ecr_custom_read_only.arn
}
''')
    lab.apply()
    assert checks.evaluate("04-scope", None, lab.account).passed
    assert lab.goto("05").keeps_everything  # kept: the course cannot read it offline, and it is the learner's


def test_a_stuck_learner_catches_up_in_one_line(lab):
    lab.goto("03")
    assert not checks.evaluate("04-scope", None, lab.account).passed
    view = checks.solution("04-scope", lab.account, apply=lab.apply, destroy=lab.terraform.destroy)
    assert view.applied and any(d.startswith("applied") for d in view.done)
    assert checks.evaluate("04-scope", None, lab.account).passed
