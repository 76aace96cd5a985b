"""The editor and the learner's custom_policy.tf: opened as it is on disk every time, shown as it
is when the editor cannot hold it, never overwritten without an explicit choice (and then kept in
backups/), never overwritten after it changed on disk behind the editor. Driven without a sandbox:
a working copy in a temporary folder and an account that answers only what the editor asks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from iamlab.course.policies import seed_policy
from iamlab.editor import io as policy_io
from iamlab.editor.model import PolicyModel, StatementModel
from iamlab.terraform import policy_file
from iamlab.widgets import PolicyEditor

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT, REGION = "123456789012", "us-east-1"
FLASK = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/flask_app"

HAND_WRITTEN = '''resource "aws_iam_policy" "ecr_custom_read_only" {
  name   = "ecr_custom_read_only"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
      Resource  = data.aws_ecr_repository.pull.arn
      Condition = { StringEquals = { "aws:RequestedRegion" = "us-east-1" } }
    }]
  })
}
'''
UNPARSABLE = 'resource "aws_iam_policy" "ecr_custom_read_only" {\n  name = "ecr_custom_read_only"\n  policy = jsonencode({\n'
A_FUNCTION = HAND_WRITTEN.replace('policy = jsonencode({', 'policy = replace(jsonencode({').replace("  })\n}", '  }), "x", "y")\n}')
AN_OUTPUT = HAND_WRITTEN + '\noutput "policy_arn" {\n  value = aws_iam_policy.ecr_custom_read_only.arn\n}\n'
TAGGED = HAND_WRITTEN.replace('  name   = "ecr_custom_read_only"\n', '  name   = "ecr_custom_read_only"\n  tags   = { team = "web" }\n')


class Account:
    """What the editor asks of an account, with nothing applied yet."""

    def __init__(self, directory: Path):
        self.directory, self.region, self.id = directory, REGION, ACCOUNT

    def repositories(self) -> list[str]:
        return ["flask_app", "reports_app"]

    def outputs(self) -> dict:
        return {}

    def client(self, name):
        raise ConnectionError("no sandbox in this test")


@pytest.fixture
def directory(tmp_path, monkeypatch):
    monkeypatch.setenv("IAMLAB_HOME", str(tmp_path / "home"))  # backups/ go there, not into the checkout
    work = tmp_path / "tf"
    work.mkdir()
    for file in (ROOT / "tf").glob("*.tf"):
        shutil.copy(file, work)
    return work


def editor_for(directory: Path) -> PolicyEditor:
    return PolicyEditor(Account(directory), driver=None, ask=lambda *a: None, start=seed_policy())


def backups(directory: Path) -> list[Path]:
    from iamlab import paths

    return sorted(paths.backups_dir().rglob(policy_file.FILE_NAME))


@pytest.mark.parametrize("text, why", [
    (UNPARSABLE, "not valid HCL"),
    (A_FUNCTION, "cannot read as a value"),
    (AN_OUTPUT, "output block"),
    (TAGGED, "sets tags"),
])
def test_a_file_it_cannot_hold_is_shown_with_why_and_saving_never_overwrites_it(directory, text, why):
    policy_file.path(directory).write_text(text)
    editor = editor_for(directory)
    assert not editor.opened.readable and why in editor.opened.reason
    assert "cannot show your custom_policy.tf" in editor.file_note.value and why in editor.file_note.value
    assert "resource &quot;aws_iam_policy&quot;" in editor.file_note.value  # the file's own text, shown
    assert editor.replace_button.layout.display is None  # the explicit choice is offered
    problem = editor.save()
    assert problem is not None and "nothing was written" in problem and "replace=True" not in problem
    assert "Replace mine" in editor.file_note.value
    assert policy_file.path(directory).read_text() == text
    assert editor.replace_mine() is None  # chosen: theirs goes to backups/ first
    assert [b.read_text() for b in backups(directory)] == [text]
    assert policy_file.written_by_editor(policy_file.path(directory).read_text())
    assert editor.opened.readable and editor.replace_button.layout.display == "none"


def test_a_hand_written_file_with_a_condition_is_shown_whole_and_kept_on_save(directory):
    policy_file.path(directory).write_text(HAND_WRITTEN)
    editor = editor_for(directory)
    assert editor.opened.source == "file"
    [statement] = editor.model.document()["Statement"]
    assert statement["Resource"] == FLASK and statement["Condition"] == {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}
    assert "Condition" in editor.statement_editors[0].kept.value  # shown, as kept
    assert editor.save() is None
    assert [b.read_text() for b in backups(directory)] == [HAND_WRITTEN]
    again = policy_io.open_policy(directory, seed_policy())
    assert again.model.document() == editor.model.document()
    assert "description" not in policy_file.path(directory).read_text()  # none in theirs, none made up


def test_a_policy_without_a_name_is_not_renamed_behind_the_learners_back(directory):
    policy_file.path(directory).write_text(HAND_WRITTEN.replace('  name   = "ecr_custom_read_only"\n', ""))
    opened = policy_io.open_policy(directory, seed_policy())
    assert not opened.readable and "has no name argument" in opened.reason


def test_no_stale_state_from_an_earlier_session(directory):
    (directory / policy_file.LEGACY_STATE_NAME).write_text(json.dumps(
        {"name": "ecr_custom_read_only", "description": "old", "statements": [StatementModel("Allow", ["ecr:*"]).__dict__]}))
    policy_file.path(directory).write_text(HAND_WRITTEN)
    editor = editor_for(directory)
    assert "ecr:*" not in json.dumps(editor.model.document())
    assert not (directory / policy_file.LEGACY_STATE_NAME).exists()


def test_a_file_changed_on_disk_is_not_overwritten_and_reopen_shows_it(directory):
    editor = editor_for(directory)
    assert editor.opened.source == "none"
    policy_file.path(directory).write_text(HAND_WRITTEN)  # a %%tf cell, meanwhile
    problem = editor.save()
    assert problem is not None and "changed after the editor opened it" in problem
    assert "changed on disk" in editor.file_note.value and editor.reopen_button.layout.display is None
    assert policy_file.path(directory).read_text() == HAND_WRITTEN
    editor.reopen()
    assert editor.model.document()["Statement"][0]["Condition"]
    assert editor.save() is None  # now it is what the editor opened: saving may replace it (kept in backups/)
    assert [b.read_text() for b in backups(directory)] == [HAND_WRITTEN]


def test_shown_again_it_reads_the_file_again(directory):
    editor = editor_for(directory)
    policy_file.path(directory).write_text(HAND_WRITTEN)
    editor._repr_mimebundle_()  # untouched: it simply reopens
    assert editor.opened.source == "file" and editor.model.document()["Statement"][0]["Resource"] == FLASK
    editor.statement_editors[0].remove.click()  # an edit of its own, then the file changes again
    policy_file.path(directory).write_text(HAND_WRITTEN.replace("us-east-1", "eu-west-1"))
    editor._repr_mimebundle_()
    assert "changed on disk" in editor.file_note.value and editor.model.statements == []  # the edit is not thrown away


def test_writing_after_a_save_needs_no_reopen(directory):
    editor = editor_for(directory)
    assert editor.save() is None
    editor.model.statements.append(StatementModel("Allow", ["ecr:DescribeRepositories"], ["*"], "Browse"))
    assert editor.save() is None  # its own file, unchanged since it wrote it


def test_import_keeps_and_names_condition_not_resource_version_and_id(directory):
    editor = editor_for(directory)
    pasted = {"Version": "2008-10-17", "Id": "mine", "Statement": [
        {"Effect": "Allow", "Action": "ecr:BatchGetImage", "NotResource": FLASK,
         "Condition": {"StringEquals": {"aws:RequestedRegion": REGION}}}]}
    assert editor.import_json(json.dumps(pasted))
    message = editor.import_message.value
    assert "No problems" not in message and "NotResource and Condition" in message and "2008-10-17" in message
    assert editor.model.document() == {**pasted, "Statement": [{**pasted["Statement"][0]}]}
    assert "Allow with NotResource" in editor.findings.value  # and the checks say what it means
    assert editor.save() is None
    assert policy_io.open_policy(directory, seed_policy()).model.document() == editor.model.document()


def test_import_refuses_what_it_cannot_keep_naming_it(directory):
    editor = editor_for(directory)
    before = editor.model.document()
    pasted = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*",
                                                      "Principal": {"AWS": "*"}}]}
    assert not editor.import_json(json.dumps(pasted))
    assert "Principal" in editor.import_message.value or "principal" in editor.import_message.value
    assert editor.model.document() == before


def test_the_working_copys_policy_never_passes_the_seed_off_as_the_learners(directory):
    from iamlab.working_copy import Terraform

    terraform = Terraform.__new__(Terraform)  # only its files: no driver needed
    terraform.account, terraform.directory = Account(directory), directory
    assert terraform.policy().document() == PolicyModel.document(_in_account(seed_policy()))  # no file: the start
    policy_file.path(directory).write_text(A_FUNCTION)
    with pytest.raises(policy_io.PolicyNotReadable) as raised:
        terraform.policy()
    assert "cannot show it" in str(raised.value) and "cannot read as a value" in str(raised.value)
    assert raised.value._render_traceback_()[0].startswith("Your custom_policy.tf")  # no Python traceback


def _in_account(model: PolicyModel) -> PolicyModel:
    model.region, model.account = REGION, ACCOUNT
    return model
