"""The widgets, driven without a browser: set values, click, read what they wrote and show."""

from __future__ import annotations

import json
import threading

import pytest

from iamlab.editor.model import ALL
from iamlab.matrix import AccessMatrix, Question
from iamlab.terraform import TerraformFailed, policy_file
from iamlab.terraform.plan import Change
from iamlab.widgets import ActionPicker, PolicyEditor, ResourcePicker, TerraformRunner

from .conftest import FixedProbe
from . import waits


def test_action_picker_groups_hover_text_and_typed_wildcards():
    picker = ActionPicker()
    assert picker.boxes["ecr:BatchGetImage"].tooltip.startswith("Grants permission")
    picker.groups["List"].value = True
    assert {"ecr:DescribeImages", "ecr:ListImages"} <= set(picker.value)
    assert "ecr:BatchGetImage" not in picker.value  # a Read action, not List
    picker.free_text.value = "ecr:BatchGet*, ecr:Describe*"
    assert picker.value[-2:] == ["ecr:BatchGet*", "ecr:Describe*"]
    picker.value = ["ECR:batchgetimage", "ecr:Get*"]
    assert picker.value == ["ecr:BatchGetImage", "ecr:Get*"]


def test_action_picker_reports_changes():
    seen = []
    picker = ActionPicker(on_change=lambda: seen.append(1))
    picker.boxes["ecr:ListImages"].value = True
    assert seen


def test_resource_picker_modes():
    picker = ResourcePicker(["flask_app", "reports_app"])
    assert picker.value == [ALL]
    picker.mode.value = "repositories"
    picker.repositories.value = ("flask_app",)
    assert picker.value == ["repository:flask_app"]
    picker.mode.value = "arns"
    picker.arns.value = "arn:aws:ecr:us-east-1:123456789012:repository/x\n\n"
    assert picker.value == ["arn:aws:ecr:us-east-1:123456789012:repository/x"]
    picker.value = ["repository:reports_app"]
    assert picker.mode.value == "repositories" and picker.repositories.value == ("reports_app",)


@pytest.fixture
def editor(lab):
    policy_file.remove(lab.account.directory)
    return PolicyEditor(lab.account, lab.terraform.driver, lab.instance.ask, lab.terraform.policy())


def test_editor_starts_from_the_lessons_seed_policy(editor):
    [statement] = editor.model.document()["Statement"]
    assert statement["Resource"] == "*" and "ecr:GetDownloadUrlForLayer" in statement["Action"]
    assert "No problems found" in editor.findings.value
    assert "resource &quot;aws_iam_policy&quot; &quot;ecr_custom_read_only&quot;" in editor.hcl_preview.value
    assert "No policy named ecr_custom_read_only is applied yet" in editor.diff_preview.value


def test_scoping_to_a_repository_offers_the_login_split(editor):
    statement = editor.statement_editors[0]
    assert statement.split.layout.display == "none"
    statement.resources.mode.value = "repositories"
    statement.resources.repositories.value = ("flask_app",)
    assert statement.split.layout.display is None and "GetAuthorizationToken" in statement.split.description
    assert "supports no resource-level permission" in editor.findings.value
    statement.split.click()
    login, pull = editor.model.document()["Statement"]
    assert login["Resource"] == "*" and pull["Resource"].endswith("repository/flask_app")
    assert len(editor.statement_editors) == 2 and "No problems found" in editor.findings.value
    # A late event from the replaced widgets (a browser echo) must not overwrite the new statements.
    statement.resources.mode.value = "all"
    statement.actions.free_text.value = "ecr:*"
    assert editor.model.document()["Statement"] == [login, pull]


def test_save_writes_only_the_editors_file(editor, lab):
    others = lambda: {p.name: p.read_text() for p in lab.account.directory.glob("*.tf") if p.name != policy_file.FILE_NAME}  # noqa: E731
    before = others()
    assert editor.save() is None
    written = policy_file.path(lab.account.directory).read_text()
    assert 'resource "aws_iam_policy" "ecr_custom_read_only"' in written and policy_file.written_by_editor(written)
    assert others() == before
    assert "Your other .tf files were not touched" in editor.save_message.value


def test_errors_block_writing_and_lose_nothing(editor, lab):
    editor.statement_editors[0].actions.free_text.value = "ecr:BatchGetImge"
    assert "Did you mean ecr:BatchGetImage" in editor.findings.value
    assert editor.save() is not None
    assert not policy_file.path(lab.account.directory).exists()
    assert "ecr:BatchGetImge" in editor.model.statements[0].actions  # the learner's input is still there


def test_a_hand_written_declaration_is_not_duplicated(editor, lab):
    mine = lab.account.directory / "my_policy.tf"
    mine.write_text('resource "aws_iam_policy" "ecr_custom_read_only" {\n  name = "x"\n  policy = "{}"\n}\n')
    try:
        assert editor.save() is not None
        assert "my_policy.tf already declares aws_iam_policy.ecr_custom_read_only" in editor.save_message.value
        assert not policy_file.path(lab.account.directory).exists()
    finally:
        mine.unlink()


def test_import_json_with_checks_and_bad_input_changes_nothing(editor):
    before = editor.model.document()
    assert not editor.import_json("{ not json")
    assert "Your current policy is unchanged" in editor.import_message.value
    assert not editor.import_json('{"Version": "2012-10-17"}')
    assert editor.model.document() == before
    pasted = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:PutImage", "Resource": "*"}]}
    assert editor.import_json(json.dumps(pasted))
    assert editor.model.document()["Statement"][0]["Action"] == "ecr:PutImage"
    assert "can change or delete images" in editor.findings.value
    assert editor.statement_editors[0].actions.value == ["ecr:PutImage"]


def test_add_and_remove_statements(editor):
    editor.add_button.click()
    assert len(editor.statement_editors) == 2
    assert "This statement grants nothing" in editor.findings.value
    editor.statement_editors[1].remove.click()
    assert len(editor.model.statements) == 1


class FakeDriver:
    """Stands in for Terraform: apply waits until released, and can fail."""

    def __init__(self, fail: bool = False):
        self.release, self.calls, self.fail = threading.Event(), [], fail

    def apply(self, sink):
        self.calls.append("apply")
        sink("aws_iam_policy.ecr_custom_read_only: Modifying...\n")
        self.release.wait(waits.bound(waits.PROCESS_EXIT))  # until the test releases it
        if self.fail:
            raise TerraformFailed("apply", 1, "AWS rejected a policy document.", "Error: MalformedPolicyDocument")
        from iamlab.terraform.driver import Result

        return Result("apply", 0, "Apply complete! Resources: 0 added, 1 changed, 0 destroyed.", "", 0.1, {"add": 0, "change": 1, "destroy": 0})

    def plan_changes(self, sink):
        self.calls.append("plan")
        before = {"policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "ecr:BatchGetImage", "Resource": "*"}]})}
        after = {"policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "ecr:BatchGetImage", "Resource": "arn:x"}]})}
        return None, [Change("aws_iam_policy.ecr_custom_read_only", "change", before, after)]


def test_apply_runs_in_the_background_and_a_second_click_does_nothing():
    driver, applied = FakeDriver(), []
    runner = TerraformRunner(driver, after_apply=lambda: applied.append(True))
    runner.apply_button.click()
    assert runner.running and runner.apply_button.disabled and runner.plan_button.disabled
    runner.apply_button.click()  # a second click while applying
    assert runner.start("apply") is None
    driver.release.set()
    runner.wait()
    assert driver.calls == ["apply"] and applied == [True]
    assert not runner.apply_button.disabled
    assert "Applied" in runner.status.value and "1 changed" in runner.status.value
    assert any("Modifying" in o.get("text", "") for o in runner.output.outputs)
    assert set(runner.timings) >= {"terraform", "after", "total"}


def test_a_failed_apply_ends_in_an_error_panel_that_explains():
    driver = FakeDriver(fail=True)
    runner = TerraformRunner(driver)
    driver.release.set()
    runner.apply_button.click()
    runner.wait()
    assert "terraform apply failed" in runner.status.value
    assert "AWS rejected a policy document." in runner.status.value and "MalformedPolicyDocument" in runner.status.value
    assert not runner.apply_button.disabled


def test_plan_is_shown_in_plain_words():
    runner = TerraformRunner(FakeDriver())
    runner.plan_button.click()
    runner.wait()
    assert "Plan: 1 to change." in runner.status.value
    assert "aws_iam_policy.ecr_custom_read_only will be changed in place" in runner.status.value
    assert '-      &quot;Resource&quot;: &quot;*&quot;' in runner.status.value  # the policy document's diff
    assert '+      &quot;Resource&quot;: &quot;arn:x&quot;' in runner.status.value


def test_a_failing_check_before_the_run_starts_nothing():
    driver = FakeDriver()
    runner = TerraformRunner(driver, before_run=lambda: "fix the errors first")
    runner.apply_button.click()
    assert driver.calls == [] and "Nothing was run" in runner.status.value


def test_matrix_shows_before_and_after_with_text_for_screen_readers():
    matrix = AccessMatrix([Question("pull", "flask_app", "arn"), Question("pull", "reports_app", "arn")])
    matrix.refresh(FixedProbe({"pull:flask_app": True, "pull:reports_app": True}))
    matrix.refresh(FixedProbe({"pull:flask_app": True, "pull:reports_app": False}))
    assert matrix.changed() == [Question("pull", "reports_app")]
    html = matrix.to_html()
    assert 'data-check="pull:reports_app" data-column="before" data-decision="allowed"' in html
    assert 'data-check="pull:reports_app" data-column="after" data-decision="denied"' in html
    assert 'aria-hidden="true">⛔</span> denied' in html and "(changed)" in html


def test_pickers_announce_a_change_once_and_show_the_input_their_mode_needs():
    seen = []
    picker = ActionPicker(on_change=lambda: seen.append(list(picker.value)))
    picker.groups["List"].value = True  # a whole group: one change, not one per box
    assert len(seen) == 1 and {"ecr:DescribeImages", "ecr:ListImages"} <= set(seen[0])
    resources = ResourcePicker(["flask_app", "reports_app"])
    assert resources.repositories.layout.display == "none" and resources.arns.layout.display == "none"
    resources.value = ["repository:flask_app"]
    assert resources.repositories.layout.display is None and resources.mode.value == "repositories"
    resources.value = ["arn:aws:ecr:us-east-1:123456789012:repository/x"]
    assert resources.arns.layout.display is None and resources.repositories.layout.display == "none"


def test_a_refused_switch_to_aws_stays_in_the_sandbox_and_says_why(monkeypatch):
    from iamlab import aws_mode, mode
    from iamlab.widgets.mode import ModeSwitch

    monkeypatch.setenv("IAMLAB_MODE", "sandbox")

    def refuse():
        raise aws_mode.AwsModeError("Real AWS mode needs AWS credentials, and none were found.")

    switch = ModeSwitch(preflight=refuse)
    switch.choice.value = mode.AWS
    assert switch.choice.value == mode.SANDBOX and mode.current() == mode.SANDBOX
    assert "Staying in the sandbox" in switch.details.value and "none were found" in switch.details.value
