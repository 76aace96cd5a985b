"""The editor keeps the policy: every element an identity policy holds survives import, the
model and the written file with the same effect, or the import is refused, loudly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamlab.course import grading
from iamlab.editor import checks
from iamlab.editor import io as policy_io
from iamlab.editor.model import ALL, NotKept, PolicyModel, StatementModel, normalise, terraform_block
from iamlab.policy import catalogue
from iamlab.policy.document import validate
from iamlab.policy.grammar import MalformedPolicyDocument
from iamlab.terraform import policy_file

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT, REGION = "123456789012", "us-east-1"
COURSE_FILES = [p.read_text() for p in sorted((ROOT / "tf").glob("*.tf"))]
FLASK = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/flask_app"
REPORTS = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/reports_app"
WORLD = grading.World(ACCOUNT, REGION, ("flask_app", "reports_app"), {"flask_app": {"team": "web"}, "reports_app": {}})
ECR = sorted(info.action for info in catalogue.actions("ecr").values())


def effect(document: dict) -> dict:
    return grading.effect(WORLD, grading.policies([("p", document)])).decisions


def same_document(a: dict, b: dict) -> bool:
    fill = lambda d: normalise({"Version": "2008-10-17", **d})  # noqa: E731 - no Version means 2008-10-17
    return fill(a) == fill(b)


# -- documents IAM accepts (and a few it refuses) --------------------------------------
text = st.text(st.sampled_from(list("abcXYZ09-_/*?:.$%{}\"\\ é\n")), min_size=1, max_size=12)
action = st.one_of(st.sampled_from(ECR), st.sampled_from(ECR).map(str.lower),
                   st.sampled_from(["ecr:*", "ecr:Batch*", "ecr:Get*", "ecr:Describe?mages", "s3:GetObject", "*"]))
resource = st.one_of(st.sampled_from(["*", FLASK, REPORTS, "arn:aws:ecr:*:*:repository/flask*",
                                      f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/${{aws:username}}",
                                      "arn:aws:ecr:eu-west-1:210987654321:repository/other"]),
                     text.map(lambda t: f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{t}"))
value = st.one_of(text, st.booleans(), st.integers(-5, 5))
condition = st.dictionaries(
    st.sampled_from(["StringEquals", "StringLike", "StringNotEquals", "Bool", "ForAnyValue:StringEquals",
                     "StringEqualsIfExists", "NumericLessThan", "Null"]),
    st.dictionaries(st.sampled_from(["aws:RequestedRegion", "aws:ResourceTag/team", "ecr:ResourceTag/team",
                                     "aws:SecureTransport", "aws:PrincipalTag/x"]),
                    st.one_of(value, st.lists(value, min_size=1, max_size=3)), min_size=1, max_size=2),
    min_size=1, max_size=2)
one_or_many = lambda s: st.one_of(s, st.lists(s, min_size=1, max_size=4))  # noqa: E731


@st.composite
def statement(draw) -> dict:
    entry = {}
    if draw(st.booleans()):
        entry["Sid"] = draw(st.text(st.sampled_from(list("abcXYZ019")), min_size=1, max_size=6))
    entry["Effect"] = draw(st.sampled_from(["Allow", "Deny"]))
    entry["NotAction" if draw(st.booleans()) and draw(st.booleans()) else "Action"] = draw(one_or_many(action))
    entry["NotResource" if draw(st.booleans()) and draw(st.booleans()) else "Resource"] = draw(one_or_many(resource))
    if draw(st.booleans()):
        entry["Condition"] = draw(condition)
    return entry


@st.composite
def document(draw) -> dict:
    doc = {}
    version = draw(st.sampled_from(["2012-10-17", "2008-10-17", None]))
    if version:
        doc["Version"] = version
    if draw(st.integers(0, 5)) == 0:
        doc["Id"] = draw(st.text(st.sampled_from(list("abc-1")), min_size=1, max_size=5))
    statements = draw(st.lists(statement(), min_size=1, max_size=4))
    doc["Statement"] = statements[0] if len(statements) == 1 and draw(st.booleans()) else statements
    breach = draw(st.integers(0, 9))  # now and then, something IAM refuses
    target = statements[0]
    if breach == 1:
        target["Principal"] = {"AWS": "*"}
    elif breach == 2:
        target["Effect"] = target["Effect"].lower()
    elif breach == 3:
        target["Foo"] = "bar"
    elif breach == 4:
        target.pop("Resource", None), target.pop("NotResource", None)
    return doc


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document())
def test_any_policy_round_trips_through_import_the_editor_and_the_file_or_is_refused(doc):
    try:
        validate(doc)
        accepted = True
    except MalformedPolicyDocument:
        accepted = False
    try:
        model = PolicyModel.from_document(json.dumps(doc), region=REGION, account=ACCOUNT,
                                          known_repositories=["flask_app", "reports_app"])
    except NotKept as refused:
        assert str(refused)  # refused, saying why
        return
    assert accepted, "the editor took a policy IAM refuses"
    assert same_document(model.document(), doc)
    written = terraform_block(model)
    back = policy_io.read_hcl(written, PolicyModel(region=REGION, account=ACCOUNT), COURSE_FILES)
    assert same_document(back.document(), doc)
    assert effect(back.document()) == effect(doc)


# -- what the learner sees -----------------------------------------------------------
def test_import_keeps_condition_and_not_resource_and_says_nothing_is_lost():
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecr:BatchGetImage", "NotResource": REPORTS,
         "Condition": {"StringEquals": {"aws:RequestedRegion": REGION}}}]}
    model = PolicyModel.from_document(doc, region=REGION, account=ACCOUNT, known_repositories=["flask_app", "reports_app"])
    assert model.document()["Statement"][0]["NotResource"] == REPORTS and "Resource" not in model.document()["Statement"][0]
    assert model.document()["Statement"][0]["Condition"] == doc["Statement"][0]["Condition"]
    assert ("warning", "ALLOW_NOT_RESOURCE") in {(f.level, f.code) for f in checks.check(model)}


@pytest.mark.parametrize("doc, named", [
    ({"Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*", "Principal": "*"}]}, "principal"),
    ({"Statement": [{"Effect": "allow", "Action": "ecr:*", "Resource": "*"}]}, "Effect"),
    ({"Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*", "Foo": 1}]}, "Foo"),
    ({"Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*", "Sid": 3}]}, "Sid"),
])
def test_what_cannot_be_kept_is_refused_naming_it(doc, named):
    with pytest.raises(NotKept, match=named):
        PolicyModel.from_document(doc)


def _stale_state(directory: Path) -> None:
    """What earlier editors saved and reopened over a newer file: ecr:* on everything."""
    (directory / policy_file.LEGACY_STATE_NAME).write_text(json.dumps(
        {"name": "ecr_custom_read_only", "description": "old",
         "statements": [StatementModel("Allow", ["ecr:*"], [ALL]).__dict__]}))


def _working_copy(tmp_path) -> Path:
    for text, name in zip(COURSE_FILES, sorted(p.name for p in (ROOT / "tf").glob("*.tf"))):
        (tmp_path / name).write_text(text)
    return tmp_path


POLICY_DOCUMENT_FILE = '''data "aws_iam_policy_document" "pull" {
  statement {
    sid       = "Login"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "Pull"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [data.aws_ecr_repository.pull.arn]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = ["us-east-1"]
    }
  }
}

resource "aws_iam_policy" "ecr_custom_read_only" {
  name   = "ecr_custom_read_only"
  policy = data.aws_iam_policy_document.pull.json
}
'''


def test_a_policy_document_data_source_is_read_not_replaced_by_stale_state(tmp_path):
    directory = _working_copy(tmp_path)
    _stale_state(directory)
    (directory / policy_file.FILE_NAME).write_text(POLICY_DOCUMENT_FILE)
    opened = policy_io.open_policy(directory, PolicyModel(region=REGION, account=ACCOUNT))
    assert opened.source == "file" and opened.readable
    pull = opened.model.document()["Statement"][1]
    assert pull["Resource"] == FLASK and pull["Condition"] == {"StringEquals": {"aws:RequestedRegion": ["us-east-1"]}}
    assert opened.model.statements[1].resources == ["repository:flask_app"]


def test_a_file_the_editor_cannot_read_is_shown_as_such_and_never_overwritten_unasked(tmp_path):
    directory = _working_copy(tmp_path)
    mine = POLICY_DOCUMENT_FILE.replace('policy = data.aws_iam_policy_document.pull.json',
                                        'policy = replace(data.aws_iam_policy_document.pull.json, "x", "y")')
    (directory / policy_file.FILE_NAME).write_text(mine)
    _stale_state(directory)
    seed = PolicyModel(statements=[StatementModel("Allow", ["ecr:GetAuthorizationToken"], [ALL])], region=REGION, account=ACCOUNT)
    opened = policy_io.open_policy(directory, seed)
    assert opened.source == "unreadable" and opened.model is None and "cannot show it" in str(opened)
    with pytest.raises(policy_io.PolicyNotReadable, match="cannot show it"):  # neither the seed nor the stale state
        policy_io.load(directory, seed)
    with pytest.raises(policy_io.FileNotReadable, match="replace=True"):
        policy_io.write(directory, seed)
    assert (directory / policy_file.FILE_NAME).read_text() == mine
    saved = policy_io.write(directory, seed, replace=True)
    assert saved.backups and saved.backups[0].read_text() == mine


def test_no_file_means_the_starting_policy_not_an_old_saved_state(tmp_path):
    directory = _working_copy(tmp_path)
    _stale_state(directory)
    seed = PolicyModel(region=REGION, account=ACCOUNT)
    opened = policy_io.open_policy(directory, seed)
    assert opened.source == "none" and opened.model is seed
    assert not (directory / policy_file.LEGACY_STATE_NAME).exists()  # removed, never shown again


def test_the_editors_own_file_reads_back_as_written(tmp_path):
    directory = _working_copy(tmp_path)
    model = PolicyModel(statements=[StatementModel("Allow", ["ecr:GetAuthorizationToken"], [ALL], "Login"),
                                    StatementModel("Deny", [], [ALL], "NoPush", not_actions=["ecr:BatchGetImage"],
                                                   condition={"Bool": {"aws:SecureTransport": "false"}})],
                        region=REGION, account=ACCOUNT)
    policy_io.write(directory, model)
    opened = policy_io.open_policy(directory, PolicyModel(region=REGION, account=ACCOUNT))
    assert opened.source == "editor" and opened.model.document() == model.document()


# -- Move ----------------------------------------------------------------------------
def test_move_leaves_no_empty_statement_and_no_duplicate_sid():
    only_login = PolicyModel(statements=[StatementModel("Allow", ["ecr:GetAuthorizationToken"], ["repository:flask_app"], "Login")])
    assert only_login.split_resourceless(0)
    assert only_login.document()["Statement"] == [{"Sid": "Login", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}]
    taken = PolicyModel(statements=[
        StatementModel("Allow", ["ecr:GetAuthorizationToken", "ecr:BatchGetImage"], ["repository:flask_app"], "Login")])
    assert taken.split_resourceless(0)
    sids = [s["Sid"] for s in taken.document()["Statement"]]
    assert len(sids) == len(set(sids)) == 2
    assert all(s.actions for s in taken.statements)
    into_existing = PolicyModel(statements=[
        StatementModel("Allow", ["ecr:DescribeRepositories"], [ALL], "Browse"),
        StatementModel("Allow", ["ecr:GetAuthorizationToken"], ["repository:flask_app"], "Pull")])
    assert into_existing.split_resourceless(1)
    assert [s.sid for s in into_existing.statements] == ["Browse"]
    assert into_existing.statements[0].actions == ["ecr:DescribeRepositories", "ecr:GetAuthorizationToken"]


def test_every_ecr_action_appears_under_its_access_level():
    from iamlab.widgets import ActionPicker

    picker = ActionPicker()
    assert len(picker.boxes) == len(catalogue.actions("ecr")) == 64
    assert {"Permissions management", "Tagging"} <= set(picker.groups)
    assert "ecr:SetRepositoryPolicy" in picker.boxes and "ecr:TagResource" in picker.boxes


@pytest.mark.integration  # runs terraform console
def test_terraform_renders_the_written_expression_as_the_document(tmp_path):
    """The writer's escapes are Terraform's: policy variables, $${, quotes, backslashes, tabs, non-ASCII."""
    import os
    import subprocess

    from iamlab.editor.model import policy_expression

    model = PolicyModel(statements=[StatementModel(
        "Allow", [], ["arn:aws:ecr:*:*:repository/${aws:username}", 'a"b\\c é\tz', "$${x}", "100%", "$$${y}"], "S1",
        not_actions=["ecr:Batch*"],
        condition={"StringEquals": {"aws:ResourceTag/team": ["x", "${aws:PrincipalTag/team}"]},
                   "Bool": {"aws:SecureTransport": True}, "NumericLessThan": {"s3:max-keys": 10}})],
        policy_id="id-1", region=REGION, account=ACCOUNT)
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": os.devnull}
    # the expression custom_policy.tf holds, as a local value
    (tmp_path / "policy.tf").write_text(f"locals {{\n  written = {policy_expression(model)}\n}}\n")
    shown = subprocess.run(["terraform", "console"], input="local.written\n", capture_output=True, text=True,
                           cwd=tmp_path, env=env, timeout=120)
    assert shown.returncode == 0, shown.stderr
    rendered = json.loads(json.loads(shown.stdout.strip()))
    assert normalise(rendered) == normalise(model.document())
