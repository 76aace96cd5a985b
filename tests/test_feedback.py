"""Feedback names the slip, never the answer: one row per classic mistake, typed into the
learner's files or the account the way a learner would, then ``check()``.

For each row: the check fails, names the slip by its id (one line per kind, at most three),
writes no fragment of any exercise's reference, and no traceback reaches the learner. Right
answers (also written otherwise) pass, untouched scaffolds fail. Then the prediction gate:
the reveal asks for the prediction first, a later one is LATE, ``check`` grades what was
recorded and never a dict passed in.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

import iamlab
from iamlab import facts, paths
from iamlab.course import checks, hints, predictions, slips
from iamlab.course.lessons import EXERCISES, REFERENCES
from iamlab.course.lessons.l02_managed_policy import BROWSE
from iamlab.course.record import PredictionGate
from iamlab.terraform import edits
from tests.test_checks import ACCOUNT, ANSWER, FLASK, PULL, REGION, SEED, account, detach_managed, doc, moto_account, put_custom  # noqa: F401

ROLE_ARN = facts.role_arn(ACCOUNT)
OTHER = facts.repository_arn(REGION, ACCOUNT, facts.OTHER_REPOSITORY)


# -- what no feedback may write ------------------------------------------------------------
def reference_fragments() -> list[str]:
    """Every exercise's reference, in pieces a learner could copy: the expressions and values of its
    files, the typed answers, and the ARNs the references stand for in the test account."""
    found = {"ec2.amazonaws.com", FLASK, ROLE_ARN}
    for reference in REFERENCES.values():
        for text in reference.files.values():
            found.update(re.findall(r"\b(?:data\.)?aws_[a-z0-9_]+\.[a-z0-9_]+\.(?:arn|name|id)\b", text))
            for line in text.splitlines():
                if "=" in line and not line.strip().startswith(("#", "name ", "description", "Version", "Sid")):
                    value = line.split("=", 1)[1].strip()
                    if len(value) > 12 and value not in ('"Allow"', '"Deny"', "[", "{", "jsonencode({"):
                        found.add(value)
    for exercise in EXERCISES.values():
        if isinstance(exercise.answer, str):
            found.add(exercise.answer)
        elif isinstance(exercise.answer, list):
            found.add(", ".join(exercise.answer))  # the whole list; one action of it may be a counterexample
    return sorted(found)


FRAGMENTS = reference_fragments()


def assert_no_reference(text: str) -> None:
    for fragment in FRAGMENTS:
        assert fragment not in text, (fragment, text)
    assert "Traceback" not in text and 'File "' not in text


def shown(result) -> str:
    return str(result) + result._repr_html_()


# -- writing like a learner -----------------------------------------------------------------
class Raw(str):
    """An HCL expression, written without quotes."""


def hcl(value, indent: str = "") -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        inner = indent + "  "
        return "{\n" + "".join(f"{inner}{k} = {hcl(v, inner)}\n" for k, v in value.items()) + indent + "}"
    if isinstance(value, list):
        return "[" + ", ".join(hcl(v, indent) for v in value) + "]"
    return json.dumps(value)


def policy_tf(*statements, attach: str = "aws_iam_policy.ecr_custom_read_only.arn") -> str:
    document = hcl({"Version": "2012-10-17", "Statement": list(statements)}, "  ")
    return (f'resource "aws_iam_policy" "ecr_custom_read_only" {{\n  name   = "ecr_custom_read_only"\n'
            f"  policy = jsonencode({document})\n}}\n\n"
            f'resource "aws_iam_role_policy_attachment" "ecr_custom_read_only" {{\n'
            f"  role       = aws_iam_role.ec2_ecr_role.name\n  policy_arn = {attach}\n}}\n")


def statement(actions, resource="*", sid=None, effect="Allow") -> dict:
    return {**({"Sid": sid} if sid else {}), "Effect": effect, "Action": actions, "Resource": resource}


LOGIN = statement("ecr:GetAuthorizationToken", sid="Login")
PULL_ONE = statement(PULL, Raw("data.aws_ecr_repository.pull.arn"), sid="Pull")


def written(text: str, document: dict | None = None, detach: bool = False):
    """custom_policy.tf as the learner wrote it, and (when the apply would succeed) what it put in the account."""
    def setup(ctx):
        (ctx.account.directory / "custom_policy.tf").write_text(text)
        if document is not None:
            put_custom(ctx.account, document)
        if detach:
            detach_managed(ctx.account)
            edits.comment_out(ctx.account.directory, facts.MANAGED_ATTACHMENT)
    return setup


def in_account(document: dict, detach: bool = True):
    """The custom policy in the account and in the file (read from the account's document)."""
    def setup(ctx):
        put_custom(ctx.account, document)
        if detach:
            detach_managed(ctx.account)
            edits.comment_out(ctx.account.directory, facts.MANAGED_ATTACHMENT)
        resolved = json.loads(json.dumps(document).replace(FLASK, "@@FLASK@@"))
        text = policy_tf(*[{**s, "Resource": Raw("data.aws_ecr_repository.pull.arn") if s["Resource"] == "@@FLASK@@" else s["Resource"]}
                           for s in resolved["Statement"]])
        (ctx.account.directory / "custom_policy.tf").write_text(text)
    return setup


def _scoped_with_pull_grant(ctx, principal) -> dict:
    """04's end in the account, and a repository policy document granting ``principal`` the pull."""
    put_custom(ctx.account, ANSWER)
    detach_managed(ctx.account)
    edits.comment_out(ctx.account.directory, facts.MANAGED_ATTACHMENT)
    return {"Version": "2012-10-17", "Statement": [{"Sid": "InstanceMayPull", "Effect": "Allow",
                                                    "Principal": principal, "Action": list(facts.PULL)}]}


def repository_policy(principal):
    def setup(ctx):
        document = _scoped_with_pull_grant(ctx, principal)
        ctx.account.client("ecr").set_repository_policy(repositoryName=facts.OTHER_REPOSITORY, policyText=json.dumps(document))
    return setup


def repository_policy_tf(principal):
    def setup(ctx):
        document = _scoped_with_pull_grant(ctx, principal)
        (ctx.account.directory / "repository_policy.tf").write_text(
            'resource "aws_ecr_repository_policy" "reports_app" {\n  repository = data.aws_ecr_repository.other.name\n'
            f"  policy = jsonencode({hcl(document, '  ')})\n}}\n")
    return setup


def deny_written_as_allow(ctx):
    put_custom(ctx.account, ANSWER)
    detach_managed(ctx.account)
    document = doc(statement(list(facts.PUSH), sid="NeverPush"))
    ctx.account.client("iam").put_role_policy(RoleName=facts.ROLE, PolicyName="deny-push", PolicyDocument=json.dumps(document))
    (ctx.account.directory / "deny_push.tf").write_text(
        'resource "aws_iam_role_policy" "deny_push" {\n  name = "deny-push"\n  role = aws_iam_role.ec2_ecr_role.id\n'
        f"  policy = jsonencode({hcl(document, '  ')})\n}}\n")


def course_copy_file(ctx):
    course = ctx.tmp_path / "course-tf"
    shutil.copytree(paths.course_tf_dir(), course)
    (course / "custom_policy.tf").write_text(REFERENCES["03-custom-policy"].files["custom_policy.tf"])
    ctx.monkeypatch.setenv("IAMLAB_COURSE_TF", str(course))


def course_copy_main(ctx):
    course = ctx.tmp_path / "course-tf"
    shutil.copytree(paths.course_tf_dir(), course)
    with (course / "main.tf").open("a") as main:
        main.write("\n" + REFERENCES["03-custom-policy"].files["custom_policy.tf"])
    ctx.monkeypatch.setenv("IAMLAB_COURSE_TF", str(course))


def course_copy_edit(ctx):
    course = ctx.tmp_path / "course-tf"
    shutil.copytree(paths.course_tf_dir(), course)
    edits.comment_out(course, facts.MANAGED_ATTACHMENT)
    ctx.monkeypatch.setenv("IAMLAB_COURSE_TF", str(course))


def commented_not_applied(ctx):
    edits.comment_out(ctx.account.directory, facts.MANAGED_ATTACHMENT)


def nothing(ctx):
    pass


WRONG_REGION = FLASK.replace(REGION, "eu-west-1")
# (slip id, exercise, setup, typed answer, words the feedback must hold)
ACCOUNT_CASES = [
    # what the learner typed in a file or the account
    ("unknown-action", "03-custom-policy", in_account(doc(statement(["ecr:GetAuthorizationToken", "ecr:BatchGetImages",
                                                                     "ecr:GetDownloadUrlForLayer"])), detach=False),
     None, "closest real one is ecr:BatchGetImage"),
    ("unknown-action", "03-custom-policy", in_account(doc(statement(["ecr:GetAuthorisationToken", *PULL])), detach=False),
     None, "closest real one is ecr:GetAuthorizationToken"),
    ("missing-prefix", "03-custom-policy", written(policy_tf(statement(["GetAuthorizationToken", "BatchGetImage",
                                                                         "GetDownloadUrlForLayer"]))), None, "and 2 more like it"),
    ("effect-case", "03-custom-policy", written(policy_tf(statement(["ecr:GetAuthorizationToken", *PULL], effect="allow"))),
     None, 'Effect is written "allow"'),
    ("quoted-reference", "04-reference", written(policy_tf(statement(PULL, "data.aws_ecr_repository.pull.arn"))), None, "quoted"),
    ("object-without-attribute", "03-custom-policy",
     written(policy_tf(statement(["ecr:GetAuthorizationToken", *PULL]), attach="aws_iam_policy.ecr_custom_read_only")),
     None, "as a whole"),
    ("object-without-attribute", "04-reference", written(policy_tf(statement(PULL, Raw("data.aws_ecr_repository.pull")))),
     None, "as a whole"),
    ("hand-typed-arn", "04-reference", written(policy_tf(statement(["ecr:GetAuthorizationToken", *PULL], FLASK)),
                                               doc(statement(["ecr:GetAuthorizationToken", *PULL], FLASK))), None, "typed by hand"),
    ("arn-wrong-region", "04-reference", written(policy_tf(statement(PULL, WRONG_REGION)), doc(statement(PULL, WRONG_REGION))),
     None, "region eu-west-1"),
    ("arn-wrong-account", "04-reference", written(policy_tf(statement(PULL, FLASK.replace(ACCOUNT, "210987654321"))),
                                                  doc(statement(PULL, FLASK.replace(ACCOUNT, "210987654321")))), None, "account"),
    ("arn-wrong-repository", "04-reference", written(policy_tf(statement(PULL, FLASK.replace("flask_app", "flask-app"))),
                                                     doc(statement(PULL, FLASK.replace("flask_app", "flask-app")))),
     None, "'flask-app'"),
    # the workflow
    ("edited-course-copy", "03-custom-policy", course_copy_file, None, "not in your working copy"),
    ("edited-course-copy", "03-custom-policy", course_copy_main, None, "is written in the course's own"),
    ("edited-course-copy", "04-detach", course_copy_edit, None, "make the same edit there"),
    ("not-saved", "04-detach", nothing, None, "not saved yet"),
    ("not-applied", "04-detach", commented_not_applied, None, "lab.apply()"),
    ("not-applied", "03-custom-policy", written(REFERENCES["03-custom-policy"].files["custom_policy.tf"]), None, "declares it"),
    ("not-applied", "04-scope", written(REFERENCES["04-scope"].files["custom_policy.tf"], SEED, detach=True), None,
     "says something else than the account holds"),
    # which statement carries the excess
    ("managed-attached", "04-scope", in_account(ANSWER, detach=False), None, "Policies add up"),
    ("excess", "04-scope", in_account(doc(LOGIN, statement(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:PutImage"],
                                                           FLASK, sid="PullPlus"))), None, 'Statement "PullPlus"'),
    ("login-too-wide", "04-scope", in_account(doc(statement("ecr:*", sid="Login"), statement(PULL, FLASK, sid="Pull"))),
     None, 'Statement "Login"'),
    ("pull-on-star", "04-scope", in_account(SEED), None, "every repository"),
    ("login-scoped", "04-scope", in_account(doc(statement(["ecr:GetAuthorizationToken", *PULL], FLASK))), None, "acts on no repository"),
    ("allow-where-deny", "06-deny", deny_written_as_allow, None, 'Statement "NeverPush"'),
    # who the principal is
    ("trust-principal-is-action", "01-trust", nothing, "sts:AssumeRole", "is an action"),
    ("trust-principal-is-role", "01-trust", nothing, facts.ROLE, "the role itself"),
    ("trust-principal-is-instance", "01-trust", nothing, facts.PROFILE, "the instance"),
    ("trust-principal-is-instance", "01-trust", nothing, "i-0123456789abcdef0", "the instance"),
    ("service-principal-form", "01-trust", nothing, "ec2", "DNS-style"),
    ("trust-principal-kind", "01-trust", nothing, "Service", "kind of principal"),
    ("trust-principal-everyone", "01-trust", nothing, "*", "everyone"),
    ("trust-principal-account", "01-trust", nothing, ACCOUNT, "delegates"),
    ("trust-principal-other-service", "01-trust", nothing, "lambda.amazonaws.com", "another service"),
    ("repo-principal-account", "06-repository-policy", repository_policy({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), None, "delegates"),
    ("repo-principal-everyone", "06-repository-policy", repository_policy("*"), None, "everyone"),
    ("repo-principal-service", "06-repository-policy", repository_policy({"Service": "ec2.amazonaws.com"}), None, "service"),
    ("repo-principal-instance-profile", "06-repository-policy",  # ECR refuses it: only the file holds it
     repository_policy_tf({"AWS": Raw("aws_iam_instance_profile.ec2_profile.arn")}), None, "refuses it"),
    # a typed list
    ("missing-prefix", "02-browse", nothing, [a.split(":")[1] for a in BROWSE], "and 7 more like it"),
    ("unknown-action", "02-browse", nothing, ["ecr:DescribeRepository"], "closest real one is ecr:DescribeRepositories"),
]


class Context:
    def __init__(self, account, monkeypatch, tmp_path):
        self.account, self.monkeypatch, self.tmp_path = account, monkeypatch, tmp_path


@pytest.mark.parametrize("slip_id, name, setup, answer, words", ACCOUNT_CASES,
                         ids=[f"{c[1]}-{c[0]}-{n}" for n, c in enumerate(ACCOUNT_CASES)])
def test_the_feedback_names_the_slip_and_never_the_answer(slip_id, name, setup, answer, words, account, monkeypatch,
                                                          tmp_path, capsys):
    setup(Context(account, monkeypatch, tmp_path))
    result = checks.check(name, answer, account, apply=never, destroy=never)
    text = shown(result)
    assert not result.passed, text
    assert slip_id in [s.id for s in result.slips], text
    assert words in str(result), text
    assert str(result).count("classic mistake") <= slips.MAX_SHOWN
    assert "lets root in" not in text  # the account principal delegates (lesson 06)
    assert_no_reference(text)
    assert capsys.readouterr().out == ""


def never(*_):
    pytest.fail("nothing may be applied here")


def test_each_kind_of_wrong_trust_answer_gets_its_own_line(account):
    lines = {}
    for slip_id, name, _, answer, _ in ACCOUNT_CASES:
        if name == "01-trust":
            result = checks.evaluate(name, answer, account)
            lines.setdefault(slip_id, set()).add(next(line for line in str(result).splitlines() if "classic mistake" in line))
    assert all(len(same) == 1 for same in lines.values())  # one line per kind...
    assert len({line for same in lines.values() for line in same}) == len(lines) >= 8  # ...and each kind its own


def test_a_missing_prefix_is_one_line_not_eight(account):
    result = checks.evaluate("02-browse", [a.split(":")[1] for a in BROWSE], account)
    assert str(result).count("no service prefix") == 1 and "not in the managed policy" not in str(result)


def test_with_ecr_star_on_login_the_login_statement_is_blamed(account):
    in_account(doc(statement("ecr:*", sid="Login"), statement(PULL, FLASK, sid="Pull")))(Context(account, None, None))
    result = checks.evaluate("04-scope", None, account)
    assert [s.where for s in result.slips if s.id in ("login-too-wide", "pull-on-star", "excess")] == ['Statement "Login"']


# -- right answers pass, untouched scaffolds fail --------------------------------------------
def test_untouched_scaffolds_fail_without_a_traceback(account, capsys):
    for name in EXERCISES:
        if name == "07-clean":
            continue
        result = checks.evaluate(name, None, account)
        assert not result.passed, name
        assert_no_reference(shown(result))
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("name, setup", [
    ("03-custom-policy", written(REFERENCES["03-custom-policy"].files["custom_policy.tf"], SEED)),
    ("03-custom-policy", written(policy_tf(statement(list(facts.PULL_NEEDS))), doc(statement(list(facts.PULL_NEEDS))))),
    ("04-reference", written(REFERENCES["04-reference"].files["custom_policy.tf"],
                             doc(statement(["ecr:GetAuthorizationToken", *PULL], FLASK)))),
    ("04-detach", lambda ctx: (detach_managed(ctx.account), edits.comment_out(ctx.account.directory, facts.MANAGED_ATTACHMENT))),
    ("04-scope", written(REFERENCES["04-scope"].files["custom_policy.tf"], ANSWER, detach=True)),
    ("04-scope", in_account(doc(LOGIN, statement(list(facts.PULL_CHECKS), FLASK, sid="Pull")))),  # without BatchCheckLayerAvailability
])
def test_right_answers_pass(name, setup, account, monkeypatch, tmp_path):
    setup(Context(account, monkeypatch, tmp_path))
    result = checks.evaluate(name, None, account)
    assert result.passed, str(result)


def test_typed_right_answers_pass(account):
    assert checks.evaluate("01-trust", EXERCISES["01-trust"].answer, account).passed
    assert checks.evaluate("02-browse", BROWSE, account).passed
    assert checks.evaluate("02-browse", [a.lower() for a in BROWSE], account).passed


# -- hints and slips against every reference -----------------------------------------------
def test_no_hint_rung_holds_any_reference():
    for ladder in hints.LADDERS.values():
        for level in (1, 2):
            rung = ladder.rung(level)
            assert_no_reference(str(rung) + rung._repr_html_() + rung._repr_markdown_())


def test_no_slip_of_the_catalogue_cases_holds_any_reference():
    from tests.test_slips import CASES

    for _, expected, kwargs in CASES:
        for slip in slips.slips(expected, **kwargs):
            assert_no_reference(str(slip) + slip._repr_markdown_())


def test_the_fragments_are_real():
    """The scan would catch the leaks the issue saw: 06's role expression, 04's data source, 01's principal."""
    assert {"aws_iam_role.ec2_ecr_role.arn", "data.aws_ecr_repository.pull.arn", "ec2.amazonaws.com",
            "aws_iam_policy.ecr_custom_read_only.arn"} <= set(FRAGMENTS)


# -- solution() of a typed answer ----------------------------------------------------------
@pytest.mark.parametrize("name", [n for n, e in EXERCISES.items() if e.reference is None])
def test_a_typed_answer_offers_no_apply(name):
    view = checks.solution(name)
    assert "apply=True" not in str(view) and "apply=True" not in view._repr_html_()


# -- the prediction gate -------------------------------------------------------------------
GATE = PredictionGate("04-step2", "apply")
REPORT = {"login": "denied", "pull:flask_app": "denied", "pull:reports_app": "denied"}


@pytest.fixture
def gated(course_home, monkeypatch):
    from iamlab.course import lessons

    monkeypatch.setitem(lessons.GATES, "04", (GATE,))
    predictions.new_round("04")
    return course_home


def test_the_reveal_asks_for_the_prediction_first_once(gated):
    first = predictions.before_reveal("apply", None)
    assert isinstance(first, predictions.PredictionFirst) and "Write your prediction first" in str(first)
    assert "Write your prediction first" in first._repr_html_()
    assert predictions.before_reveal("apply", None) is None  # asked again: it goes on
    late = iamlab.predict("04-step2", REPORT)
    assert late.late and "LATE" in str(late) and 'data-late="true"' in late._repr_html_()
    result = late.compare(REPORT)
    assert result.late and "does not count" in str(result) and "LATE" in result._repr_html_()


def test_a_prediction_before_the_reveal_counts(gated):
    made = iamlab.predict("04-step2", REPORT)
    assert not made.late and predictions.before_reveal("apply", None) is None
    assert predictions.for_check("04-step2").made_at == made.made_at
    assert iamlab.predict("04-step2", REPORT).late  # written again after the reveal: late


def test_goto_starts_a_new_round(gated):
    predictions.before_reveal("apply", None)
    predictions.before_reveal("apply", None)
    assert iamlab.predict("04-step2", REPORT).late
    predictions.new_round("04")
    assert predictions.for_check("04-step2") is None
    assert not iamlab.predict("04-step2", REPORT).late


def test_a_gate_not_due_asks_nothing(gated, monkeypatch):
    from iamlab.course import lessons

    monkeypatch.setitem(lessons.GATES, "04", (PredictionGate("04-step2", "apply", due=lambda account: False),))
    assert predictions.before_reveal("apply", None) is None
    assert not iamlab.predict("04-step2", REPORT).late


def test_another_lessons_reveal_asks_nothing(gated):
    predictions.new_round("03")
    assert predictions.before_reveal("apply", None) is None


def test_lab_apply_waits_for_the_prediction(gated, monkeypatch):
    from tests.test_facade import ScriptedDriver

    from iamlab.lab import Lab

    lab = Lab(None, region=REGION, account=ACCOUNT)
    lab.terraform.driver = ScriptedDriver()
    lab.terraform.driver.directory = lab.account.directory
    asked = lab.apply()
    assert isinstance(asked, predictions.PredictionFirst)
    assert "Applied" in str(lab.apply())  # the learner goes on anyway
    assert iamlab.predict("04-step2", REPORT).late


def test_05_check_grades_the_recorded_prediction_not_the_dict(course_home):
    from iamlab.course.lessons.l05_verify import PREDICT_ANSWER

    predictions.new_round("05")
    right = dict(PREDICT_ANSWER)
    assert "no prediction is recorded" in str(checks.evaluate("05-predict", right, None))
    spelt = {k: {"allowed": "Allowed", "denied": "DENY"}[v] for k, v in right.items()}
    iamlab.predict("05-predict", spelt)  # spelt otherwise: the same answers
    assert predictions.before_reveal("access", None) is None
    assert checks.evaluate("05-predict", spelt, None).passed
    assert checks.evaluate("05-predict", None, None).passed  # what was recorded, whatever is passed


def test_05_copying_the_report_after_the_reveal_does_not_pass(course_home):
    from iamlab.course.lessons.l05_verify import PREDICT_ANSWER

    predictions.new_round("05")
    assert isinstance(predictions.before_reveal("access", None), predictions.PredictionFirst)
    assert predictions.before_reveal("access", None) is None  # looked without predicting
    copied = dict(PREDICT_ANSWER)  # the report, copied
    assert iamlab.predict("05-predict", copied).late
    result = checks.evaluate("05-predict", copied, None)
    assert not result.passed and "LATE" in str(result)


def test_05_a_wrong_prediction_fails_whatever_dict_is_passed(course_home):
    from iamlab.course.lessons.l05_verify import PREDICT_ANSWER

    predictions.new_round("05")
    iamlab.predict("05-predict", {key: "allowed" for key in PREDICT_ANSWER})
    assert not checks.evaluate("05-predict", dict(PREDICT_ANSWER), None).passed


def test_predict_and_check_spell_alike():
    for spelling in ("Allowed", "allow", "ALLOW", " allowed "):
        assert predictions.normalise(spelling) == "allowed"
    for spelling in ("Denied", "deny", "DENY"):
        assert predictions.normalise(spelling) == "denied"


def test_a_failed_check_shows_rung_one_and_hint_climbs_from_there(account):
    hints.HINTS.reset("04-scope")
    result = checks.check("04-scope", None, account, apply=never, destroy=never)
    assert result.hint == hints.LADDERS["04-scope"].rung(1, result.hint.split("For instance: ")[1].rstrip(".")).text
    asked = iamlab.hint("04-scope")
    assert asked.level == 2 and asked.link.startswith("lessons/04-least-privilege.md#") and asked.top
    assert 'solution("04-scope")' in str(asked)
    assert_no_reference(str(asked) + asked._repr_html_())
    hints.HINTS.reset("04-scope")


def test_lab_goto_starts_a_new_round(gated, monkeypatch):
    from iamlab.course import stages
    from iamlab.lab import Lab

    monkeypatch.setattr(stages, "goto", lambda lesson, *args, **kwargs: lesson)
    lab = Lab(None, region=REGION, account=ACCOUNT)
    predictions.before_reveal("apply", None)
    predictions.before_reveal("apply", None)
    assert iamlab.predict("04-step2", REPORT).late
    assert lab.goto("04") == "04"
    assert predictions.for_check("04-step2") is None and not iamlab.predict("04-step2", REPORT).late


def test_solutions_mode_records_the_reference_prediction(course_home, monkeypatch):
    monkeypatch.setenv("IAMLAB_SOLUTIONS", "1")
    predictions.new_round("05")
    result = checks.check("05-predict", None, None, apply=never, destroy=never)
    assert result.passed and result.notes == ["Solutions mode: the reference prediction was recorded."]
