"""The course's structure: every lesson's start is reachable from a fresh sandbox (idempotently),
and every self-check passes on the reference solution and fails on a wrong answer."""

from __future__ import annotations


import pytest

from iamlab import sandbox
from iamlab.course import checks, stages
from iamlab.lab import Lab
from iamlab.terraform import edits, policy_file

from .conftest import own_course_home

pytestmark = pytest.mark.integration
MANAGED = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with own_course_home(tmp_path_factory, "course-home"):
        yield Lab(sandbox.start())


def attached(lab: Lab) -> set[str]:
    return {a["PolicyName"] for a in lab.client("iam").list_attached_role_policies(RoleName="ec2-ecr-role")["AttachedPolicies"]}


def test_answer_checks_pass_on_the_solution_and_fail_on_wrong_answers(lab):
    lab.goto("02")
    assert checks.evaluate("01-trust", "ec2.amazonaws.com", lab).passed
    wrong = checks.evaluate("01-trust", "lambda.amazonaws.com", lab)
    assert not wrong.passed and "trust policy" in wrong.hint
    assert checks.evaluate("02-browse", checks.EXERCISES["02-browse"].answer, lab).passed
    partial = checks.evaluate("02-browse", ["ecr:DescribeRepositories", "ecr:BatchGetImage"], lab)
    assert not partial.passed
    text = str(partial)
    assert "missing: ecr:DescribeImageScanFindings" in text and "ecr:batchgetimage is needed to pull" in text
    assert not checks.evaluate("02-browse", checks.EXERCISES["02-browse"].answer + ["ecr:PutImage"], lab).passed


def test_03_custom_policy_fails_before_and_passes_at_the_next_lesson(lab):
    lab.goto("03")
    before = checks.evaluate("03-custom-policy", lab=lab)
    assert not before.passed and "no policy named ecr_custom_read_only" in str(before)
    lab.goto("04")
    assert attached(lab) == {"AmazonEC2ContainerRegistryReadOnly", "ecr_custom_read_only"}
    assert checks.evaluate("03-custom-policy", lab=lab).passed


def test_04_scope_fails_while_the_managed_policy_is_attached(lab):
    lab.goto("04")
    result = checks.evaluate("04-scope", lab=lab)
    assert not result.passed
    assert "AmazonEC2ContainerRegistryReadOnly is still attached" in str(result) and "hint:" in str(result)


def test_04_scope_flags_a_pasted_arn(lab):
    lab.goto("05")
    pasted = lab.directory / "pasted.tf"
    pasted.write_text('locals {\n  flask = "arn:aws:ecr:us-east-1:123456789012:repository/flask_app"\n}\n')
    try:
        result = checks.evaluate("04-scope", lab=lab)
        assert not result.passed and "typed into pasted.tf" in str(result)
    finally:
        pasted.unlink()


def test_lesson_05_start_passes_04_and_the_solution_changes_nothing(lab):
    lab.goto("05")
    assert attached(lab) == {"ecr_custom_read_only"}
    assert not edits.is_active(lab.directory, stages.MANAGED_ATTACHMENT)
    assert checks.evaluate("04-scope", lab=lab).passed
    files = {p.name: p.read_text() for p in lab.directory.glob("*.tf*") if p.suffix in (".tf", ".json")}
    checks.solution("04-scope", lab)
    assert {p.name: p.read_text() for p in lab.directory.glob("*.tf*") if p.suffix in (".tf", ".json")} == files
    assert lab.goto("05").done == []  # idempotent: nothing to do the second time


def test_05_predict(lab):
    right = checks.EXERCISES["05-predict"].answer
    assert checks.evaluate("05-predict", right, lab).passed
    assert not checks.evaluate("05-predict", dict(right, **{"pull:reports_app": "allowed"}), lab).passed


def test_06_deny_fails_then_the_solution_passes(lab):
    lab.goto("06")
    assert not checks.evaluate("06-deny", lab=lab).passed
    checks.solution("06-deny", lab)
    assert checks.evaluate("06-deny", lab=lab).passed


def test_07_clean_fails_before_destroy_and_passes_after(lab):
    lab.goto("07")  # resets the working copy (the deny file is backed up) and applies lesson 05's state
    assert not (lab.directory / "deny_push.tf").exists()
    result = checks.evaluate("07-clean", lab=lab)
    assert not result.passed and "IAM role ec2-ecr-role" in str(result)
    lab.destroy()
    assert checks.evaluate("07-clean", lab=lab).passed


@pytest.mark.parametrize("lesson", ["05", "playground"])
def test_any_lesson_starts_from_a_fresh_sandbox(lab, lesson):
    sandbox.reset()
    lab.goto(lesson)
    stage = stages.STAGES[lesson]
    assert edits.is_active(lab.directory, stages.MANAGED_ATTACHMENT) == stage.managed_attached
    assert policy_file.path(lab.directory).exists() == (stage.policy is not None)
    assert attached(lab) == ({"AmazonEC2ContainerRegistryReadOnly"} if stage.managed_attached else set()) | {"ecr_custom_read_only"}
    assert lab.access()["pull:flask_app"] == "allowed"
