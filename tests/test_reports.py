"""What the facade returns renders itself, once: reports, tables, the access matrix, the pull."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from iamlab.access import AccessReport
from iamlab.diagram import AccessPicture, Diagram, PolicyNode
from iamlab.editor.model import PolicyModel, StatementModel, normalise
from iamlab.matrix import AccessMatrix, Cell, InstanceProbe, Question, SimulatorProbe
from iamlab.pull import PullReport, Step
from iamlab.reports import (ApplyReport, InstanceRun, JsonDocument, PlanReport, Table, policy_changes,
                            state_policies)
from iamlab.terraform.driver import Result
from iamlab.terraform.plan import Change

from .conftest import FixedProbe

STAR = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ecr:BatchGetImage"], "Resource": ["*"]}]}
SCOPED = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ecr:BatchGetImage"],
                                                  "Resource": ["arn:aws:ecr:us-east-1:123456789012:repository/flask_app"]}]}
APPLY_LOG = ("aws_iam_policy.ecr_custom_read_only: Modifying... [id=arn:x]\n"
             "aws_iam_policy.ecr_custom_read_only: Modifications complete after 1s [id=arn:x]\n\n"
             "Apply complete! Resources: 0 added, 1 changed, 0 destroyed.\n")


def write_state(directory, document):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "terraform.tfstate").write_text(json.dumps({"resources": [
        {"mode": "managed", "type": "aws_iam_policy", "name": "ecr_custom_read_only",
         "instances": [{"attributes": {"policy": json.dumps(document)}}]},
        {"mode": "data", "type": "aws_iam_policy", "name": "ignored", "instances": [{"attributes": {"policy": "{}"}}]}]}))


def test_policy_changes_are_read_from_the_state_before_and_after(tmp_path):
    write_state(tmp_path, STAR)
    before = state_policies(tmp_path)
    assert list(before) == ["aws_iam_policy.ecr_custom_read_only"]
    write_state(tmp_path, SCOPED)
    [change] = policy_changes(before, state_policies(tmp_path))
    assert change.action == "change" and '+        "arn:aws:ecr:us-east-1:123456789012:repository/flask_app"' in change.policy_diff()
    # the same document, spelt with other whitespace, is no change
    assert policy_changes({"a": json.dumps(STAR)}, {"a": json.dumps(STAR, indent=4)}) == []
    assert state_policies(tmp_path / "nowhere") == {}


def test_apply_report_summary_policy_diff_and_collapsed_log(tmp_path):
    result = Result("apply", 0, APPLY_LOG, "", 7.6, {"add": 0, "change": 1, "destroy": 0})
    report = ApplyReport(result, policy_changes({"aws_iam_policy.p": json.dumps(STAR)}, {"aws_iam_policy.p": json.dumps(SCOPED)}))
    page = report._repr_html_()
    assert "Applied in 8 s: 0 added, 1 changed, 0 destroyed." in page
    assert "<code>aws_iam_policy.ecr_custom_read_only</code> changed" in page
    assert "The policy document of <code>aws_iam_policy.p</code>" in page and "repository/flask_app" in page
    log_start = page.index("<details")
    assert "Apply complete!" in page[log_start:] and "Apply complete!" not in page[:log_start]  # the raw log, collapsed
    assert report.changed and report.summary["change"] == 1
    assert str(report).startswith("Applied in 8 s") and "aws_iam_policy.ecr_custom_read_only changed" in str(report)
    quiet = ApplyReport(Result("apply", 0, "No changes.", "", 2.0, {"add": 0, "change": 0, "destroy": 0}))
    assert "no changes, the account already matched" in str(quiet) and not quiet.changed
    destroyed = ApplyReport(Result("destroy", 0, "Destroy complete! Resources: 4 destroyed.", "", 9, {"add": 0, "change": 0, "destroy": 4}))
    assert str(destroyed).startswith("Destroyed in 9 s") and destroyed.summary["destroy"] == 4
    assert str(ApplyReport(Result("init", 0, "Terraform has been successfully initialized!", "", 2, {}))).startswith("Initialised in 2 s")


def test_plan_report_is_the_list_of_changes_and_shows_diffs():
    change = Change("aws_iam_policy.p", "change", {"policy": json.dumps(STAR)}, {"policy": json.dumps(SCOPED)})
    report = PlanReport([change], Result("plan", 2, "Plan: 0 to add, 1 to change, 0 to destroy.", "", 3, {}))
    assert report[0] is change and len(report) == 1 and list(report) == [change]
    page = report._repr_html_()
    assert "1 to change." in page and "aws_iam_policy.p will be changed in place" in page
    assert "iamlab-diff" in page and "<details" in page
    assert "Plan: 1 to change." in str(report) and "repository/flask_app" in str(report)
    assert "No changes" in str(PlanReport([], None))


def test_tables_stay_lists_of_rows():
    rows = [{"action": "ecr:BatchGetImage", "decision": "implicitDeny", "decided by": "no statement allows it"}]
    table = Table(rows, [("decision", "EvalDecision"), ("action", "action"), ("decided by", "matched statements")], code=("action",))
    [row] = table
    assert row["decision"] == "implicitDeny" and table == rows
    assert "<code>ecr:BatchGetImage</code>" in table._repr_html_() and "<th>EvalDecision</th>" in table._repr_html_()
    assert "implicitDeny  ecr:BatchGetImage" in str(table)


def test_instance_run_is_a_completed_process_shown_like_a_terminal():
    run = InstanceRun("aws ecr describe-repositories", 255, "", "An error occurred (AccessDeniedException)\n")
    assert run.returncode == 255 and "AccessDeniedException" in run.stderr
    assert str(run) == "[instance]$ aws ecr describe-repositories\nAn error occurred (AccessDeniedException)\n(exit code 255)"
    assert "(exit code 255)" in run._repr_html_()
    with pytest.raises(Exception):
        run.check_returncode()


def test_credentials_read_like_the_document_but_show_secrets_shortened():
    document = {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s" * 40, "Token": "t" * 200}
    shown = JsonDocument(document, "Credentials", {**document, "SecretAccessKey": "s" * 12 + "…", "Token": "t" * 12 + "…"})
    assert shown["Token"] == "t" * 200 and dict(shown) == document
    assert "t" * 13 not in shown._repr_markdown_() and "**Credentials**" in shown._repr_markdown_()


def test_the_policy_model_renders_its_document():
    text = PolicyModel(statements=[StatementModel("Allow", ["ecr:BatchGetImage"], ["*"])])._repr_markdown_()
    assert text.startswith("The policy `ecr_custom_read_only`") and '"Resource": "*"' in text


def test_normalise_makes_a_bare_string_and_a_list_of_one_the_same():
    editor = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ecr:BatchGetImage", "Resource": "*"}}
    assert normalise(editor) == normalise(STAR) == STAR


def test_the_diagram_renders_svg_and_text():
    picture = AccessPicture("i-1", "ec2-ecr-instance-profile", "ec2-ecr-role", ["ec2.amazonaws.com"],
                            [PolicyNode("ecr_custom_read_only", "customer managed", ["flask_app"], ["ecr:BatchGetImage"])],
                            ["flask_app", "reports_app"])
    diagram = Diagram(picture, "now")
    assert diagram._repr_svg_().lstrip().startswith(("<?xml", "<svg", "<!--"))
    assert "customer managed ecr_custom_read_only allows on flask_app" in str(diagram)


# -- the access matrix: the step that decided, before/after, predictions, disagreements -------
CHECKS = [Question("login"), Question("pull", "flask_app", "arn:aws:ecr:us-east-1:123456789012:repository/flask_app")]
REFUSED = ("User: arn:aws:sts::123456789012:assumed-role/ec2-ecr-role/i-1 is not authorized to perform: "
           "ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action")


def client_error(message: str, code: str = "AccessDeniedException") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "GetAuthorizationToken")


class FakeIam:
    """simulate_principal_policy with fixed decisions per action."""

    def __init__(self, decisions: dict[str, str]):
        self.decisions, self.asked = decisions, []

    def simulate_principal_policy(self, PolicySourceArn, ActionNames, ResourceArns):
        [action], [resource] = ActionNames, ResourceArns
        self.asked.append((action, resource))
        decision = self.decisions[action]
        matched = [] if decision != "allowed" else [{"SourcePolicyId": "ecr_custom_read_only", "SourcePolicyType": "IAM Policy",
                                                      "StartPosition": {"Line": 1, "Column": 40}, "EndPosition": {"Line": 1, "Column": 90}}]
        return {"EvaluationResults": [{"EvalActionName": action, "EvalResourceName": resource, "EvalDecision": decision,
                                       "MatchedStatements": matched}]}


def instance_probe_refusing_login() -> InstanceProbe:
    import threading

    probe = InstanceProbe.__new__(InstanceProbe)  # no sandbox: the login's refusal is given
    probe.instance_id, probe._login, probe._login_lock = "i-1", client_error(REFUSED), threading.Lock()
    probe.ecr = None
    return probe


def test_a_pull_refused_at_login_names_the_login_not_the_manifest():
    cell = instance_probe_refusing_login().run(CHECKS[1])
    assert not cell.allowed and cell.step == "log in" and cell.action == "ecr:GetAuthorizationToken"
    assert cell.detail == "login refused: " + REFUSED


def test_the_simulator_asks_a_pull_step_by_step_and_the_first_refusal_decides():
    iam = FakeIam({"ecr:GetAuthorizationToken": "implicitDeny", "ecr:BatchGetImage": "allowed", "ecr:GetDownloadUrlForLayer": "allowed"})
    cell = SimulatorProbe(iam, "arn:aws:iam::123456789012:role/ec2-ecr-role").run(CHECKS[1])
    assert (cell.allowed, cell.step, cell.action) == (False, "log in", "ecr:GetAuthorizationToken")
    assert iam.asked == [("ecr:GetAuthorizationToken", "*")]  # asked against "*", as AWS evaluates it
    assert cell.statement == "no statement allows it (implicit deny)"


def test_the_matrix_names_the_deciding_step_keeps_before_and_marks_changes():
    iam = FakeIam({"ecr:GetAuthorizationToken": "implicitDeny", "ecr:BatchGetImage": "allowed", "ecr:GetDownloadUrlForLayer": "allowed"})
    simulator = SimulatorProbe(iam, "arn:aws:iam::123456789012:role/ec2-ecr-role")
    matrix = AccessMatrix(CHECKS)
    matrix.refresh(FixedProbe({"login": Cell(True, action="ecr:GetAuthorizationToken"), "pull:flask_app": Cell(True, action="ecr:BatchGetImage")}))
    matrix.refresh(instance_probe_refusing_login(), simulator)
    assert matrix.changed() == [Question("login"), Question("pull", "flask_app")]
    [pull] = [c for c in matrix.questions if c.key == "pull:flask_app"]
    assert matrix.decided_by(pull) == "log in refused (ecr:GetAuthorizationToken): no statement allows it (implicit deny)"
    report = AccessReport(matrix.snapshot())
    page = report._repr_html_()
    assert "log in refused (ecr:GetAuthorizationToken)" in page and "ecr_custom_read_only" not in page
    assert report.login_error == REFUSED and f"<code>{REFUSED}</code>" in page.replace("&#x27;", "'")
    assert "Changed since you last asked: login, pull:flask_app." in str(report)
    assert report["pull:flask_app"] == "denied" and dict(report) == {"login": "denied", "pull:flask_app": "denied"}
    assert not matrix.disagreements()


def test_the_report_keeps_its_answers_when_the_matrix_is_asked_again():
    matrix = AccessMatrix(CHECKS)
    matrix.refresh(FixedProbe({"login": Cell(True), "pull:flask_app": Cell(True)}))
    report = AccessReport(matrix.snapshot())
    matrix.refresh(FixedProbe({"login": Cell(False), "pull:flask_app": Cell(False)}))
    assert report["login"] == "allowed" and "First look this session" in str(report)


def test_a_disagreement_between_simulator_and_real_call_is_flagged_loudly():
    class Says:
        def __init__(self, allowed):
            self.allowed = allowed

        def run(self, check):
            return Cell(self.allowed, "simulated", "a statement", action=check.action)

    matrix = AccessMatrix(CHECKS)
    matrix.refresh(FixedProbe({"login": Cell(True, action="ecr:GetAuthorizationToken"),
                               "pull:flask_app": Cell(True, action="ecr:BatchGetImage")}), Says(False))
    assert [q.key for q in matrix.disagreements()] == ["login", "pull:flask_app"]
    page = matrix.to_html()
    assert 'role="alert"' in page and "The policy simulator and the real calls disagree" in page
    assert page.count("iamlab-disagree-note") == 2 and "The policy simulator says denied; the real call was allowed." in page
    assert "the simulator disagrees" in str(matrix)


def test_a_pending_prediction_is_shown_beside_each_answer_and_compared():
    class Prediction:
        answers = {"login": "allowed", "pull:flask_app": "allowed"}
        compared_with = None

        def compare(self, actual):
            self.compared_with = dict(actual)
            return "compared"

    matrix = AccessMatrix(CHECKS)
    matrix.refresh(FixedProbe({"login": Cell(True), "pull:flask_app": Cell(False)}))
    prediction = Prediction()
    report = AccessReport(matrix.snapshot(), prediction)
    assert prediction.compared_with == {"login": "allowed", "pull:flask_app": "denied"}
    page = report._repr_html_()
    assert '<th scope="col">your prediction</th>' in page
    assert 'data-check="login" data-right="true"' in page and 'data-check="pull:flask_app" data-right="false"' in page
    assert "you predicted allowed for pull:flask_app: it is denied" in str(report)


def test_the_pull_report_shows_the_refused_logins_own_words():
    report = PullReport("flask_app", "latest", [Step("log in", "ecr:GetAuthorizationToken", False, REFUSED)])
    assert report.login_error == REFUSED and not report.pulled
    assert f"AWS answered:\n\n> {REFUSED}" in report._repr_markdown_()
    manifest = PullReport("reports_app", "latest", [Step("log in", "ecr:GetAuthorizationToken", True, "ok"),
                                                    Step("manifest", "ecr:BatchGetImage", False, "HTTP 403: denied")])
    assert manifest.login_error is None and "stopped at **manifest**" in manifest._repr_markdown_()


def test_progress_keeps_every_line_and_counts_finished_resources():
    from iamlab.progress import TerraformProgress

    with TerraformProgress("apply") as progress:
        for line in ["\x1b[1maws_instance.ec2_instance: Creating...\x1b[0m\n", "aws_instance.ec2_instance: Still creating... [10s elapsed]\n",
                     "aws_instance.ec2_instance: Creation complete after 12s [id=i-1]\n", "Apply complete! Resources: 1 added, 0 changed, 0 destroyed.\n"]:
            progress(line)
    assert progress.done == 1 and len(progress.lines) == 4 and "\x1b" not in progress.text()


def test_the_lessons_questions_come_from_one_table_in_its_order():
    from iamlab.matrix import lesson_questions

    questions = lesson_questions(["flask_app", "reports_app"], "us-east-1", "123456789012")
    assert [q.key for q in questions] == ["describe", "list:flask_app", "list:reports_app", "login",
                                          "pull:flask_app", "pull:reports_app", "push:flask_app"]
    assert questions[0].resource == "arn:aws:ecr:us-east-1:123456789012:repository/*" and questions[3].resource == "*"
    assert questions[4].label == "pull flask_app:latest" and questions[4].action == "ecr:BatchGetImage"
    assert Question("pull", "flask_app") == questions[4]  # a question is its kind and repository, not its ARN


def test_a_new_kind_of_question_is_one_line_in_the_table(monkeypatch):
    from iamlab import matrix

    monkeypatch.setitem(matrix.ASKED, "tags", matrix.Asked("read the tags of {repository}", "ecr:ListTagsForResource",
                                                           matrix.EACH, lambda probe, q: f"tags of {q.repository} read"))
    questions = matrix.lesson_questions(["flask_app"], "us-east-1", "123456789012")
    [tags] = [q for q in questions if q.kind == "tags"]
    assert tags.key == "tags:flask_app" and tags.label == "read the tags of flask_app"
    probe = instance_probe_refusing_login()
    cell = probe.run(tags)
    assert cell.allowed and cell.detail == "tags of flask_app read" and cell.action == "ecr:ListTagsForResource"
    refused = matrix.Asked("x", "ecr:ListTagsForResource", matrix.EACH, lambda probe, q: (_ for _ in ()).throw(client_error("no")))
    monkeypatch.setitem(matrix.ASKED, "tags", refused)
    assert not probe.run(tags).allowed and probe.run(tags).detail == "no"
