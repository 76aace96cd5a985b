"""The notebook facade: a cell shows its result once; Terraform's output belongs to the call
that asked for it; the Lab knows its region and account in both modes."""

from __future__ import annotations

import pytest

from iamlab import lab as lab_module
from iamlab.lab import Lab
from iamlab.sandbox.manager import SandboxInfo
from iamlab.terraform.driver import Driver, Result
from iamlab.widgets import TerraformRunner

APPLY_LOG = ["aws_iam_policy.ecr_custom_read_only: Modifying... [id=arn:x]\n",
             "aws_iam_policy.ecr_custom_read_only: Modifications complete after 1s [id=arn:x]\n",
             "Apply complete! Resources: 0 added, 1 changed, 0 destroyed.\n"]


class ScriptedDriver:
    """Stands in for Terraform: streams a fixed log to the sink of each call."""

    directory = None

    def apply(self, sink):
        for line in APPLY_LOG:
            sink(line)
        return Result("apply", 0, "".join(APPLY_LOG), "", 1.0, {"add": 0, "change": 1, "destroy": 0})


@pytest.fixture
def offline_lab(course_home):
    lab = Lab(None, region="us-east-1", account="123456789012")
    lab.terraform.driver = ScriptedDriver()
    lab.terraform.driver.directory = lab.account.directory
    return lab


def test_a_cell_shows_its_result_once_and_prints_nothing(offline_lab):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    try:
        shell.user_ns["lab"] = offline_lab
        with capture_output() as captured:
            shell.run_cell("lab.apply()")
        assert captured.outputs == []  # no display() beside the result
        assert captured.stdout.count("Applied in 1 s: 0 added, 1 changed, 0 destroyed.") == 1  # the result, once
        assert "Modifying" not in captured.stdout  # Terraform's raw lines are in the report, not printed
        report = shell.user_ns["_"]
        formats, _ = shell.display_formatter.format(report)
        assert "text/html" in formats and "<details" in formats["text/html"]
    finally:
        InteractiveShell.clear_instance()


class VersionDriver(Driver):
    """The real driver and a real (fast) Terraform command, without a sandbox."""

    def prepare(self, command="plan"):
        return None

    def needs_init(self) -> bool:
        return False

    def apply(self, sink=None):
        return self._run("apply", lambda tf: tf.cmd("version"), sink=sink)


def test_terraform_output_belongs_to_the_call_that_asked(course_home):
    lab = Lab(None, region="us-east-1", account="123456789012")
    lab.terraform.driver = VersionDriver(sink=lambda line: pytest.fail(f"no call should fall back to the default sink: {line}"),
                                         directory=lab.account.directory)
    runner = TerraformRunner(lab.terraform.driver)
    runner.apply_button.click()  # the widget's apply, in its thread, into its own Output
    runner.wait()
    assert runner.last_error is None

    def widget_lines():
        return sum("Terraform v" in o.get("text", "") for o in runner.output.outputs)

    assert widget_lines() == 1
    report = lab.apply()  # then a cell's apply: its output is its own report's
    assert "Terraform v" in report.stdout
    mine = []
    lab.terraform.driver.apply(sink=mine.append)
    assert any("Terraform v" in line for line in mine)
    assert widget_lines() == 1  # nothing of the later calls landed in the widget


def test_real_aws_mode_lab_knows_its_region_and_account_without_a_sandbox(course_home, monkeypatch):
    monkeypatch.setenv("IAMLAB_MODE", "aws")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    asked = []
    monkeypatch.setattr(lab_module, "_aws_account", lambda: asked.append(1) or "111122223333")
    lab = Lab(None)
    assert lab.account.region == "eu-west-1"
    assert "real AWS" in repr(lab) and "region=eu-west-1" in repr(lab) and not asked  # repr asks no one
    assert "Real AWS mode" in lab._repr_markdown_()
    assert lab.account.id == "111122223333" and asked == [1]
    arranged = []
    from iamlab.course import stages

    monkeypatch.setattr(stages, "goto", lambda lesson, directory, apply, **_: arranged.append((lesson, directory, apply)) or "ready")
    assert lab.goto("03", apply=False) == "ready"
    assert arranged == [("03", lab.account.directory, False)]


def test_a_started_lab_says_where_the_sandbox_and_working_copy_are(course_home):
    lab = Lab(SandboxInfo(pid=1, port=45678, region="us-east-1"))
    text = lab._repr_markdown_()
    assert "**Sandbox ready** at `http://127.0.0.1:45678`" in text and "account `123456789012`" in text
    assert "working copy" in text and lab.account.region == "us-east-1"
    assert repr(lab).startswith("Lab(sandbox=http://127.0.0.1:45678, account=123456789012, region=us-east-1")


@pytest.mark.integration
def test_editor_is_filled_from_the_first_render_and_shows_no_false_change_after_an_apply(tmp_path_factory):
    from iamlab import sandbox
    from iamlab.terraform import policy_file
    from iamlab.widgets import PolicyEditor

    from .conftest import own_course_home

    with own_course_home(tmp_path_factory, "facade-home"):
        lab = Lab(sandbox.start())
        lab.goto("03")
        first = lab.access()
        assert first.matrix.before is None and first["pull:flask_app"] == "allowed"

        policy_file.remove(lab.account.directory)
        editor = PolicyEditor(lab.account, lab.terraform.driver, lab.instance.ask, lab.terraform.policy())
        assert 'class="iamlab-matrix"' in editor.matrix.table.value  # filled before any Apply
        assert "<svg" in editor.diagram.image.value
        assert editor.matrix.matrix.before is not None  # one session matrix: lab.access() was the "before"

        assert editor.save() is None
        applied = lab.apply()
        assert "aws_iam_policy.ecr_custom_read_only" in dict(applied.finished())
        assert any(c.address == "aws_iam_policy.ecr_custom_read_only" for c in applied.policy_changes)
        editor._edited()
        assert "The editor's policy is the one applied." in editor.diff_preview.value  # no ["*"] vs "*" change

        again = lab.access()
        assert again.matrix.before is not None and again["login"] == "allowed" and not again.disagreements

        # Lesson 04's step 2: the login scoped to a repository, the managed policy detached.
        from iamlab.editor.model import StatementModel

        editor.model.statements = [StatementModel("Allow", ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                                                  ["repository:flask_app"])]
        assert editor.save() is None
        lab.terraform.comment_out("aws_iam_role_policy_attachment.ecr_read_only")
        lab.apply()
        scoped = lab.access()
        assert scoped["login"] == scoped["pull:flask_app"] == "denied" and "pull:flask_app" in scoped.changed
        assert "is not authorized to perform: ecr:GetAuthorizationToken" in scoped.login_error  # the instance's own words
        [pull] = [c for c in scoped.matrix.questions if c.key == "pull:flask_app"]
        assert scoped.matrix.decided_by(pull).startswith("log in refused (ecr:GetAuthorizationToken)")
        assert not scoped.disagreements  # the simulator, asked step by step, agrees with the real calls
        refused = lab.pull("flask_app")
        assert refused.login_error == scoped.login_error and "AWS answered" in refused._repr_markdown_()


def test_the_facade_keeps_twelve_verbs_at_most(offline_lab):
    """The verbs notebooks use most; everything else lives on ``account``, ``terraform``, ``instance``."""
    public = [name for name in dir(offline_lab) if not name.startswith("_")]
    assert len(public) <= 12, public
    assert {"client", "apply", "goto", "show", "pull", "as_instance", "access", "plan"} <= set(public)
