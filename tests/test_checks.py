"""check() on a learner's own work, at the unit level: the account is moto in-process (no
sandbox server, no Terraform), filled the way the learner's Terraform would fill it.

The three paths of the issue: a learner who typed nothing (no traceback, the check says
what is missing), the classic mistakes (each named), the answer and an equivalent
written differently (both pass). And check() returns without printing; solution()
without apply changes nothing."""

from __future__ import annotations

import json
import shutil

import boto3
import pytest

from iamlab import paths
from iamlab.account import Account
from iamlab.course import checks, graders
from iamlab.course.lessons import REFERENCES
from iamlab.course.lessons.l02_managed_policy import BROWSE
from iamlab.facts import MANAGED_ATTACHMENT
from iamlab.facts import MANAGED_POLICY_ARN as MANAGED_ARN
from iamlab.terraform import edits

moto = pytest.importorskip("moto")
ACCOUNT, REGION = "123456789012", "us-east-1"
FLASK = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/flask_app"
CUSTOM = f"arn:aws:iam::{ACCOUNT}:policy/ecr_custom_read_only"
PULL = ["ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer"]


def put_custom(account, document, attach=True):
    """The account change a Terraform apply of custom_policy.tf would make."""
    iam = account.client("iam")
    try:
        iam.detach_role_policy(RoleName="ec2-ecr-role", PolicyArn=CUSTOM)
        iam.delete_policy(PolicyArn=CUSTOM)
    except iam.exceptions.NoSuchEntityException:
        pass
    iam.create_policy(PolicyName="ecr_custom_read_only", PolicyDocument=json.dumps(document))
    if attach:
        iam.attach_role_policy(RoleName="ec2-ecr-role", PolicyArn=CUSTOM)


def detach_managed(account):
    account.client("iam").detach_role_policy(RoleName="ec2-ecr-role", PolicyArn=MANAGED_ARN)


def never(*_):
    pytest.fail("nothing may be applied here")


@pytest.fixture(scope="module")
def moto_account(tmp_path_factory):
    """One moto account for the module (loading AWS's managed policies takes seconds): an ``Account``
    as the checks take it, with plain boto3 clients."""
    patch = pytest.MonkeyPatch()
    patch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    for key in ("AWS_PROFILE", "AWS_CA_BUNDLE"):
        patch.delenv(key, raising=False)
    with moto.mock_aws():
        fake = Account(lambda: boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"),
                       REGION, tmp_path_factory.mktemp("checks") / "tf", id=ACCOUNT)
        iam, ecr = fake.client("iam"), fake.client("ecr")
        iam.create_role(RoleName="ec2-ecr-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}]}))
        for name in ("flask_app", "reports_app"):
            ecr.create_repository(repositoryName=name, tags=[{"Key": "app", "Value": name}])
        yield fake
    patch.undo()


@pytest.fixture
def account(moto_account):
    """Lesson 03's starting account (the managed policy attached, nothing else) and a fresh working copy."""
    account = moto_account
    iam, ecr = account.client("iam"), account.client("ecr")
    for attached in iam.list_attached_role_policies(RoleName="ec2-ecr-role")["AttachedPolicies"]:
        iam.detach_role_policy(RoleName="ec2-ecr-role", PolicyArn=attached["PolicyArn"])
    for name in iam.list_role_policies(RoleName="ec2-ecr-role")["PolicyNames"]:
        iam.delete_role_policy(RoleName="ec2-ecr-role", PolicyName=name)
    for policy in iam.list_policies(Scope="Local")["Policies"]:
        iam.delete_policy(PolicyArn=policy["Arn"])
    for name in ("flask_app", "reports_app"):
        try:
            ecr.delete_repository_policy(repositoryName=name)
        except ecr.exceptions.RepositoryPolicyNotFoundException:
            pass
    iam.attach_role_policy(RoleName="ec2-ecr-role", PolicyArn=MANAGED_ARN)
    shutil.rmtree(account.directory, ignore_errors=True)
    shutil.copytree(paths.course_tf_dir(), account.directory)
    return account


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


SEED = doc({"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", *PULL], "Resource": "*"})
ANSWER = doc({"Sid": "Login", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
             {"Sid": "Pull", "Effect": "Allow", "Action": PULL, "Resource": FLASK})
MISTAKES = lambda result: {s.id for s in result.slips}  # noqa: E731


def test_typed_nothing_gives_a_message_not_a_traceback(account, capsys):
    for name in checks.EXERCISES:
        if name == "07-clean":
            continue
        result = checks.evaluate(name, None, account)
        assert not result.passed, name
        assert str(result) and result._repr_html_()
    result = checks.evaluate("03-custom-policy", None, account)
    assert "not written yet: fill in the %%tf cell" in str(result)
    assert "no answer yet" in str(checks.evaluate("02-browse", None, account))
    assert capsys.readouterr().out == ""  # grading prints nothing


def test_03_written_but_not_applied_says_apply(account):
    (account.directory / "custom_policy.tf").write_text(REFERENCES["03-custom-policy"].files["custom_policy.tf"])
    result = checks.evaluate("03-custom-policy", None, account)
    assert MISTAKES(result) == {"not-applied"} and "custom_policy.tf declares it" in str(result) and "run lab.apply()" in str(result)


def test_03_the_answer_passes_and_a_pasted_arn_is_named(account):
    put_custom(account, SEED)
    assert checks.evaluate("03-custom-policy", None, account).passed
    (account.directory / "custom_policy.tf").write_text(
        'resource "aws_iam_role_policy_attachment" "ecr_custom_read_only" {\n  role = aws_iam_role.ec2_ecr_role.name\n'
        f'  policy_arn = "{CUSTOM}"\n}}\n')
    result = checks.evaluate("03-custom-policy", None, account)
    assert not result.passed and MISTAKES(result) == {"hand-typed-arn"} and "custom_policy.tf, line 3" in str(result)


def test_03_an_extra_action_is_the_counterexample(account):
    put_custom(account, doc({"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", *PULL, "ecr:DescribeRepositories"], "Resource": "*"}))
    result = checks.evaluate("03-custom-policy", None, account)
    assert not result.passed and "ecr_custom_read_only still lets the instance run ecr:DescribeRepositories on " in result.hint


def test_04_scope_at_the_start_of_lesson_04_names_two_mistakes_and_one_counterexample(account):
    put_custom(account, SEED)
    result = checks.evaluate("04-scope", None, account)
    assert not result.passed and MISTAKES(result) == {"managed-attached", "pull-on-star"}
    assert "For instance: your policy still lets the instance run ecr:" in result.hint and result.hint.endswith("on reports_app.")
    assert "GetAuthorizationToken, BatchGetImage" not in str(result)  # the reference is never printed


def test_04_login_scoped_is_named(account):
    put_custom(account, doc({"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", *PULL], "Resource": FLASK}))
    detach_managed(account)
    result = checks.evaluate("04-scope", None, account)
    assert MISTAKES(result) == {"login-scoped"}
    assert result.hint.endswith("For instance: your policy does not let the instance run ecr:GetAuthorizationToken yet.")
    assert checks.evaluate("04-reference", None, account).passed  # step 1 of lesson 04 is exactly this


def test_04_the_answer_passes_and_so_does_an_equivalent(account):
    put_custom(account, ANSWER)
    detach_managed(account)
    assert checks.evaluate("04-scope", None, account).passed
    # as data "aws_iam_policy_document" would render it: lower case, one action per statement, a tag condition
    put_custom(account, doc({"Effect": "Allow", "Action": ["ecr:getauthorizationtoken"], "Resource": ["*"]},
                       {"Effect": "Allow", "Action": ["ecr:batchgetimage"], "Resource": ["*"],
                        "Condition": {"StringEquals": {"aws:ResourceTag/app": ["flask_app"]}}},
                       {"Effect": "Allow", "Action": ["ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                        "Resource": [f"arn:aws:ecr:*:{ACCOUNT}:repository/flask_app"]}))
    assert checks.evaluate("04-scope", None, account).passed


def test_04_detach_reads_the_working_copy_and_the_account(account):
    assert not checks.evaluate("04-detach", None, account).passed
    edits.comment_out(account.directory, MANAGED_ATTACHMENT)
    halfway = checks.evaluate("04-detach", None, account)
    assert not halfway.passed and "your files are right, now run lab.apply()" in str(halfway)
    detach_managed(account)
    assert checks.evaluate("04-detach", None, account).passed


def test_06_deny_wants_an_explicit_deny_and_the_pull_kept(account):
    put_custom(account, ANSWER)
    detach_managed(account)
    result = checks.evaluate("06-deny", None, account)
    assert not result.passed and "not explicitly denied" in result.hint
    iam = account.client("iam")
    iam.put_role_policy(RoleName="ec2-ecr-role", PolicyName="deny-push", PolicyDocument=json.dumps(graders.DENY_DOCUMENT))
    assert checks.evaluate("06-deny", None, account).passed
    iam.put_role_policy(RoleName="ec2-ecr-role", PolicyName="deny-push", PolicyDocument=json.dumps(
        doc({"Effect": "Deny", "Action": "ecr:*", "Resource": "*"})))
    too_much = checks.evaluate("06-deny", None, account)
    assert not too_much.passed and "does not let the instance run" in too_much.hint


def test_06_repository_policy(account):
    put_custom(account, ANSWER)
    detach_managed(account)
    assert not checks.evaluate("06-repository-policy", None, account).passed
    policy = graders.repository_policy_document(graders.snapshot(account).world)
    account.client("ecr").set_repository_policy(repositoryName="reports_app", policyText=json.dumps(policy))
    assert checks.evaluate("06-repository-policy", None, account).passed
    for statement in policy["Statement"]:
        statement["Principal"] = "*"  # the instance can pull, and so can everyone else
    account.client("ecr").set_repository_policy(repositoryName="reports_app", policyText=json.dumps(policy))
    open_to_all = checks.evaluate("06-repository-policy", None, account)
    assert not open_to_all.passed and 'anyone (Principal "*")' in str(open_to_all)


def test_02_browse_says_how_many_are_missing_not_which(account):
    partial = checks.evaluate("02-browse", ["ecr:DescribeRepositories", "ecr:BatchGetImage"], account)
    text = str(partial)
    assert not partial.passed and "named 1 of the 8 browsing actions; 7 more to find" in text
    assert "ecr:BatchGetImage: a pull needs it" in text
    assert not any(a in text for a in BROWSE if a != "ecr:DescribeRepositories")
    assert partial.hint.startswith("Your list should hold")  # the first rung of 02-browse's hints
    assert checks.evaluate("02-browse", BROWSE, account).passed
    assert checks.evaluate("02-browse", BROWSE + ["ecr:BatchCheckLayerAvailability"], account).passed  # not a pull's check


def test_check_returns_without_printing_and_solution_changes_nothing(account, monkeypatch, capsys):
    before = {p.name: p.read_text() for p in account.directory.iterdir() if p.is_file()}
    result = checks.check("04-scope", None, account, apply=never, destroy=never)
    assert isinstance(result, checks.CheckResult) and not result
    view = checks.solution("04-scope")
    assert '<details class="iamlab-solution">' in view._repr_html_() and "Nothing was changed" in view._repr_html_()
    assert "data.aws_ecr_repository.pull.arn" in view.markdown
    assert {p.name: p.read_text() for p in account.directory.iterdir() if p.is_file()} == before
    assert account.client("iam").list_attached_role_policies(RoleName="ec2-ecr-role")["AttachedPolicies"][0]["PolicyArn"] == MANAGED_ARN
    assert capsys.readouterr().out == ""


def test_solutions_mode_fills_a_typed_answer_and_says_so(account, monkeypatch):
    monkeypatch.setenv("IAMLAB_SOLUTIONS", "1")
    result = checks.check("01-trust", None, account, apply=never, destroy=never)
    assert result.passed and result.notes == ["Solutions mode: the reference answer was filled in."]


def test_a_typed_answer_s_solution_offers_no_apply():
    """apply=True changes the account; a typed answer has nothing to apply, so it is never offered."""
    typed = checks.solution("05-predict")
    assert "apply=True" not in str(typed) and "apply=True" not in typed._repr_html_()
    assert "an answer you type" in str(typed)
    written = checks.solution("04-scope")
    assert "solution('04-scope', apply=True)" in str(written) and "apply=True" in written._repr_html_()
