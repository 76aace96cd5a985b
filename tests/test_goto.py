"""goto respects the learner's work: judged by structure and effect, not bytes; what changes,
and where the learner's version goes, is said before anything changes. (Files only: the
apply is proven in test_course.py.)"""

from __future__ import annotations

import pytest

from iamlab.course import stages
from iamlab.course.lessons import REFERENCES
from iamlab.course.lessons.l06_beyond import DENY_PUSH
from iamlab.terraform import edits

SCOPE = REFERENCES["04-scope"].files["custom_policy.tf"]
SEED = REFERENCES["03-custom-policy"].files["custom_policy.tf"]


@pytest.fixture
def wc(working_copy):
    return working_copy


def go(lesson, directory):
    return stages.carry_out(stages.plan(lesson, directory), directory)


def snapshot(directory):
    return {p.name: p.read_text() for p in directory.glob("*.tf")}


def test_a_fresh_working_copy_is_brought_to_05_then_kept(wc):
    first = stages.plan("05", wc)
    assert {c.file for c in first.changes} == {"main.tf", "custom_policy.tf"}
    assert "main.tf: written: aws_iam_role_policy_attachment.ecr_read_only commented out" in first.announcement()
    stages.carry_out(first, wc)
    assert not edits.is_active(wc, stages.MANAGED_ATTACHMENT) and (wc / "custom_policy.tf").read_text() == SCOPE
    again = stages.plan("05", wc)
    assert again.keeps_everything and "already reaches lesson 05's start" in again.announcement()


def test_an_equivalent_policy_and_a_reformatted_main_tf_are_kept(wc):
    go("05", wc)
    main = (wc / "main.tf").read_text().replace("# The repositories", "# my note\n# The repositories").replace("  role       =", "  role =")
    (wc / "main.tf").write_text(main)
    (wc / "custom_policy.tf").write_text('''resource "aws_iam_policy" "ecr_custom_read_only" {
  name   = "ecr_custom_read_only"
  policy = jsonencode({
    Version = "2012-10-17",
    Statement = [
      { Effect = "Allow", Action = ["ecr:GetAuthorizationToken"], Resource = ["*"] },
      { Effect = "Allow", Action = ["ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability"],
        Resource = [data.aws_ecr_repository.pull.arn] },
    ]
  })
}

resource "aws_iam_role_policy_attachment" "ecr_custom_read_only" {
  role       = aws_iam_role.ec2_ecr_role.name
  policy_arn = aws_iam_policy.ecr_custom_read_only.arn
}
''')
    before = snapshot(wc)
    kept = stages.plan("05", wc)
    assert kept.keeps_everything and "custom_policy.tf (it has the effect the lesson assumes)" in kept.announcement()
    stages.carry_out(kept, wc)
    assert snapshot(wc) == before


def test_a_policy_with_another_effect_is_replaced_and_the_backup_is_named_first(wc):
    go("05", wc)
    (wc / "custom_policy.tf").write_text(SEED)
    planned = stages.plan("05", wc)
    [change] = planned.changes
    announced = planned.announcement()
    assert f"yours goes to {planned.backup_dir / 'custom_policy.tf'}" in announced
    assert (wc / "custom_policy.tf").read_text() == SEED  # nothing changed by planning
    stages.carry_out(planned, wc)
    assert (planned.backup_dir / "custom_policy.tf").read_text() == SEED and (wc / "custom_policy.tf").read_text() == SCOPE
    assert "Your files are at lesson 05's start (the account was not checked)" in str(planned)
    assert "Ready" not in str(planned) and "Ready" not in planned._repr_html_()  # only goto, having judged the account, says it


def test_the_lessons_own_exercise_files_are_kept(wc):
    (wc / "custom_policy.tf").write_text("# my attempt, not finished\n")
    assert stages.plan("03", wc).keeps_everything  # 03's exercise is custom_policy.tf itself
    go("04", wc)
    assert (wc / "custom_policy.tf").read_text() == SEED  # 04 needs a custom policy: the half-done one went to backups
    (wc / "custom_policy.tf").write_text(REFERENCES["04-reference"].files["custom_policy.tf"])
    edits.comment_out(wc, stages.MANAGED_ATTACHMENT)
    assert stages.plan("04", wc).keeps_everything  # halfway through 04: both edits are 04's own
    go("06", wc)
    (wc / "deny_push.tf").write_text(DENY_PUSH)
    assert stages.plan("06", wc).keeps_everything
    moved = stages.plan("05", wc)
    assert [(c.file, c.new_text) for c in moved.changes] == [("deny_push.tf", None)]


POLICY_DOCUMENT_LOGIN_ONLY = '''data "aws_iam_policy_document" "pull" {
  statement {
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "ecr_custom_read_only" {
  name   = "ecr_custom_read_only"
  policy = POLICY
}

resource "aws_iam_role_policy_attachment" "ecr_custom_read_only" {
  role       = aws_iam_role.ec2_ecr_role.name
  policy_arn = aws_iam_policy.ecr_custom_read_only.arn
}
'''


def test_a_policy_the_course_cannot_read_offline_is_kept(wc):
    go("05", wc)
    (wc / "custom_policy.tf").write_text(POLICY_DOCUMENT_LOGIN_ONLY.replace(
        "POLICY", 'replace(data.aws_iam_policy_document.pull.json, "x", "x")'))
    planned = stages.plan("05", wc)
    assert planned.keeps_everything and "cannot judge offline" in planned.announcement()


def test_a_policy_document_data_source_is_judged_by_its_effect(wc):
    """data "aws_iam_policy_document" (lesson 03 teaches it) is read offline: a login-only policy does
    not reach lesson 05's start, so goto says so and keeps the learner's file in backups/."""
    go("05", wc)
    (wc / "custom_policy.tf").write_text(POLICY_DOCUMENT_LOGIN_ONLY.replace("POLICY", "data.aws_iam_policy_document.pull.json"))
    planned = stages.plan("05", wc)
    assert not planned.keeps_everything
    assert [c.file for c in planned.changes] == ["custom_policy.tf"] and "backups" in planned.announcement()


def test_going_back_before_03_moves_the_custom_policy_aside(wc):
    go("05", wc)
    planned = stages.plan("02", wc)
    assert {c.file for c in planned.changes} == {"main.tf", "custom_policy.tf"}
    stages.carry_out(planned, wc)
    assert edits.is_active(wc, stages.MANAGED_ATTACHMENT) and not (wc / "custom_policy.tf").exists()
    assert (planned.backup_dir / "custom_policy.tf").read_text() == SCOPE
