"""The %%tf cell: the learner's own file, checked, never a course file; and the policy
editor ends in the same file, so switching ways never declares a resource twice."""

from __future__ import annotations

import pytest

import iamlab
from iamlab.course import magic
from iamlab.course.lessons import REFERENCES
from iamlab.editor import io as policy_io
from iamlab.editor.model import PolicyModel
from iamlab.course.policies import least_privilege_policy, seed_policy
from iamlab.terraform import config as tfconfig
from iamlab.terraform import policy_file

SCAFFOLD = '''resource "aws_iam_policy" "ecr_custom_read_only" {
  name = "ecr_custom_read_only"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["TODO: the four actions"]
      Resource = "TODO"
    }]
  })
}
'''


def files(directory):
    return {p.name: p.read_text() for p in directory.iterdir() if p.is_file()}


@pytest.mark.parametrize("name", ["main.tf", "variables.tf", "outputs.tf", "terraform.tf", "iamlab_sandbox_override.tf",
                                  "mine_override.tf", "../escape.tf", "sub/dir.tf", "policy.json"])
def test_the_magic_refuses_course_files_and_odd_names(working_copy, name):
    before = files(working_copy)
    result = magic.write_cell(name, 'locals {\n  x = 1\n}\n', validate=False)
    assert not result.written and result.message.startswith("Not written")
    assert files(working_copy) == before
    if name == "main.tf":
        assert "course's files" in result.message and "JupyterLab's editor" in result.message


def test_a_todo_cell_writes_nothing_and_says_where(working_copy):
    before = files(working_copy)
    result = magic.tf("custom_policy.tf", SCAFFOLD)
    assert not result.written and result.todo_lines == [7, 8]
    assert "still has TODO on lines 7, 8" in str(result) and "still has TODO on lines 7, 8" in result._repr_html_()
    assert files(working_copy) == before


def test_a_syntax_error_names_the_line_and_writes_nothing(working_copy):
    result = magic.write_cell("custom_policy.tf", 'resource "a" "b" {\n  x = [1,\n  y = 2\n}\n', validate=False)
    assert not result.written and "not valid HCL" in result.message and result.problem.startswith("line 3")
    assert not (working_copy / "custom_policy.tf").exists()


def test_writing_shows_the_diff_and_keeps_the_previous_version(working_copy):
    first = magic.write_cell("custom_policy.tf", REFERENCES["03-custom-policy"].files["custom_policy.tf"], validate=False)
    assert first.written and first.diff.startswith("--- custom_policy.tf (before)") and not first.notes
    second = magic.write_cell("custom_policy.tf", REFERENCES["04-scope"].files["custom_policy.tf"], validate=False)
    assert second.written and '+        Resource = data.aws_ecr_repository.pull.arn' in second.diff
    assert "Your previous custom_policy.tf is kept in" in second.notes[0]
    assert magic.write_cell("custom_policy.tf", REFERENCES["04-scope"].files["custom_policy.tf"],
                            validate=False).message == "custom_policy.tf is unchanged."


def test_a_block_declared_in_another_file_is_refused(working_copy):
    magic.write_cell("custom_policy.tf", REFERENCES["03-custom-policy"].files["custom_policy.tf"], validate=False)
    result = magic.write_cell("my_policy.tf", REFERENCES["03-custom-policy"].files["custom_policy.tf"], validate=False)
    assert not result.written and "aws_iam_policy.ecr_custom_read_only is already declared in custom_policy.tf" in result.message
    assert not (working_copy / "my_policy.tf").exists()


def test_solutions_mode_writes_the_exercises_reference_instead_of_the_scaffold(working_copy, monkeypatch):
    monkeypatch.setenv("IAMLAB_SOLUTIONS", "1")
    result = magic.tf("custom_policy.tf --exercise 04-scope --no-validate", SCAFFOLD)
    assert result.written and "Solutions mode: the reference for 04-scope" in result.notes[0]
    assert (working_copy / "custom_policy.tf").read_text() == REFERENCES["04-scope"].files["custom_policy.tf"]


def test_solutions_mode_finds_the_exercise_named_in_the_scaffold(working_copy, monkeypatch):
    monkeypatch.setenv("IAMLAB_SOLUTIONS", "1")
    result = magic.tf("custom_policy.tf --no-validate", "# exercise 04-reference\n" + SCAFFOLD)
    assert result.written and "04-reference" in result.notes[0]


def test_the_editor_and_the_cell_end_in_the_same_file(working_copy):
    # the editor first, then a cell: the cell replaces the editor's file, nothing declared twice
    policy_io.write(working_copy, seed_policy())
    assert policy_file.written_by_editor((working_copy / "custom_policy.tf").read_text())
    cell = magic.write_cell("custom_policy.tf", REFERENCES["04-scope"].files["custom_policy.tf"], validate=False)
    assert cell.written and "replaces the policy editor's custom_policy.tf" in cell.notes[0]
    addresses = [b.address for b in tfconfig.blocks(working_copy)]
    assert addresses.count("aws_iam_policy.ecr_custom_read_only") == 1
    # the editor reopens on the learner's own policy, then writes over it (keeping a copy)
    model = policy_io.load(working_copy, PolicyModel())
    assert model.document() == least_privilege_policy().document()
    saved = policy_io.write(working_copy, seed_policy())
    assert saved.backups and saved.backups[0].read_text() == REFERENCES["04-scope"].files["custom_policy.tf"]
    assert [b.address for b in tfconfig.blocks(working_copy)].count("aws_iam_policy.ecr_custom_read_only") == 1


def test_the_old_editor_file_is_retired(working_copy):
    (working_copy / policy_file.LEGACY_FILE_NAME).write_text('{"resource": {"aws_iam_policy": {"ecr_custom_read_only": {}}}}')
    result = magic.write_cell("custom_policy.tf", REFERENCES["03-custom-policy"].files["custom_policy.tf"], validate=False)
    assert result.written and any("iamlab_policy.tf.json" in n for n in result.notes)
    assert not (working_copy / policy_file.LEGACY_FILE_NAME).exists()


def test_the_magic_is_registered_by_load_ext():
    class Shell:
        def __init__(self):
            self.magics = {}

        def register_magic_function(self, function, magic_kind, magic_name):
            self.magics[(magic_kind, magic_name)] = function

    shell = Shell()
    iamlab.load_ipython_extension(shell)
    assert shell.magics[("cell", "tf")] is magic.tf
    assert not magic.tf("", "x").written  # no file name: a message, not a traceback


@pytest.mark.integration
def test_validate_errors_are_explained(working_copy):
    broken = 'resource "aws_iam_role_policy_attachment" "extra" {\n  role       = aws_iam_role.no_such_role.name\n' \
             '  policy_arn = aws_iam_policy.ecr_custom_read_only.arn\n}\n'
    result = magic.write_cell("extra.tf", broken)
    assert result.written and result.valid is False and not result
    assert "no .tf file of your working copy declares" in str(result) and "extra.tf, line 2" in str(result)
    assert "aws_iam_role.no_such_role" in result.problem
    fixed = magic.write_cell("custom_policy.tf", REFERENCES["03-custom-policy"].files["custom_policy.tf"])
    assert fixed.written and fixed.valid is False  # extra.tf is still broken: the whole configuration is validated
    (working_copy / "extra.tf").unlink()
    assert magic.write_cell("custom_policy.tf", REFERENCES["04-scope"].files["custom_policy.tf"]).valid is True


def test_course_test_cells_run_only_in_solutions_mode(course_home, monkeypatch):
    """A learner's Run All never meets the course's hidden asserts; the unattended run does."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    magic.register(shell)
    monkeypatch.delenv("IAMLAB_SOLUTIONS", raising=False)
    assert shell.run_cell("%%course_test a hidden claim\nran = True\nassert False").success
    assert "ran" not in shell.user_ns
    monkeypatch.setenv("IAMLAB_SOLUTIONS", "1")
    failed = shell.run_cell("%%course_test a hidden claim\nran = True\nassert False")
    assert not failed.success and isinstance(failed.error_in_exec, AssertionError) and shell.user_ns["ran"] is True


POLICY_CELL = '''resource "aws_iam_policy" "ecr_custom_read_only" {{
  name   = "ecr_custom_read_only"
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = ["ecr:GetAuthorizationToken"], Resource = {resource} }}]
  }})
}}

resource "aws_iam_role_policy_attachment" "ecr_custom_read_only" {{
  role       = aws_iam_role.ec2_ecr_role.name
  policy_arn = {attach}
}}
'''


@pytest.mark.parametrize("resource, attach, slip, line", [
    ('"*"', "aws_iam_policy.ecr_custom_read_only", "object-without-attribute", 11),
    ('"data.aws_ecr_repository.pull.arn"', "aws_iam_policy.ecr_custom_read_only.arn", "quoted-reference", 5),
    ("data.aws_ecr_repository.pull", "aws_iam_policy.ecr_custom_read_only.arn", "object-without-attribute", 5),
    ("data.aws_ecr_repository.flask.arn", "aws_iam_policy.ecr_custom_read_only.arn", "unknown-label", 5),
])
def test_the_cell_refuses_what_the_plan_would_refuse_without_running_terraform(working_copy, resource, attach, slip, line):
    steps = []
    result = magic.write_cell("custom_policy.tf", POLICY_CELL.format(resource=resource, attach=attach),
                              progress=steps.append)
    assert result.written and result.valid is False and not result
    assert f"custom_policy.tf, line {line}" in result.message and "plan would refuse" in result.message
    assert "Next step:" in str(result)
    assert "validate accepts" not in str(result)
    assert steps == []  # refused statically: Terraform never started
    for answer in ("data.aws_ecr_repository.pull.arn", "aws_iam_policy.ecr_custom_read_only.arn"):
        assert answer not in result.message + " ".join(result.notes)


def test_a_hand_typed_arn_is_noted_not_refused(working_copy):
    arn = '"arn:aws:ecr:us-east-1:123456789012:repository/flask_app"'
    result = magic.write_cell("custom_policy.tf", POLICY_CELL.format(resource=arn, attach="aws_iam_policy.ecr_custom_read_only.arn"),
                              validate=False)
    assert result.ok and any("typed by hand" in note for note in result.notes)


def test_a_terraform_failure_renders_itself_without_a_traceback():
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from iamlab.terraform import TerraformFailed
    from iamlab.terraform.explain import explain

    error = ('Error: Incorrect attribute value type\n\n  on custom_policy.tf line 11, in resource '
             '"aws_iam_role_policy_attachment" "ecr_custom_read_only":\n  11:   policy_arn = aws_iam_policy.x\n')
    failure = TerraformFailed("plan", 1, explain("", error), error)
    assert failure.locations == [("custom_policy.tf", 11)]
    shell = InteractiveShell.instance()
    shell.user_ns["failure"] = failure
    with capture_output() as captured:
        shell.run_cell("raise failure")
    shown = captured.stdout + captured.stderr
    assert "terraform plan failed (custom_policy.tf, line 11)" in shown and "Next step:" in shown
    assert "Traceback" not in shown and "File \"" not in shown
    assert "custom_policy.tf, line 11" in failure._repr_html_()
