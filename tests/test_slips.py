"""The catalogue of classic slips: each classic mistake is named by its own slip, no message
writes the answer, and the references (right answers) produce no slip at all."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from iamlab.course import slips
from iamlab.course.lessons import REFERENCES
from iamlab.course.slips import Expected
from iamlab import facts

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT, REGION = "123456789012", "us-east-1"
FLASK_ARN = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/flask_app"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/ec2-ecr-role"
COURSE_FILES = {p.name: p.read_text() for p in (ROOT / "tf").glob("*.tf")}
# What no message may write: the answers' expressions and the ARNs they stand for.
ANSWERS = ("data.aws_ecr_repository.pull.arn", "aws_iam_policy.ecr_custom_read_only.arn", "aws_iam_role.ec2_ecr_role.arn",
           ".arn", "ec2.amazonaws.com", FLASK_ARN, ROLE_ARN, '"*"\n')
BASE = Expected(ACCOUNT, REGION)
SCOPED = Expected(ACCOUNT, REGION, scoped=True)
DENY = Expected(ACCOUNT, REGION, deny=("ecr:PutImage", "ecr:InitiateLayerUpload"))


def policy(*statements) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions, resource="*", sid=None, effect="Allow") -> dict:
    entry = {"Effect": effect, "Action": actions, "Resource": resource}
    return {"Sid": sid, **entry} if sid else entry


LOGIN = allow("ecr:GetAuthorizationToken", sid="Login")
PULL = allow(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], FLASK_ARN, sid="Pull")


def tf_policy(resource_expression: str, attach: str = "aws_iam_policy.ecr_custom_read_only.arn") -> str:
    return f"""resource "aws_iam_policy" "ecr_custom_read_only" {{
  name   = "ecr_custom_read_only"
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = ["ecr:BatchGetImage"], Resource = {resource_expression} }}]
  }})
}}

resource "aws_iam_role_policy_attachment" "ecr_custom_read_only" {{
  role       = aws_iam_role.ec2_ecr_role.name
  policy_arn = {attach}
}}
"""


# (slip id, what to check, keyword arguments of slips.slips)
CASES = [
    ("unknown-action", BASE, {"policy": policy(allow(["ecr:GetAuthorizationToken", "ecr:BatchGetImages"]))}),
    ("unknown-action", BASE, {"policy": policy(allow(["ecr:GetAuthorisationToken"]))}),
    ("missing-prefix", BASE, {"policy": policy(allow(["GetAuthorizationToken", "ecr:BatchGetImage"]))}),
    ("unknown-service", BASE, {"policy": policy(allow(["ecrr:BatchGetImage"]))}),
    ("effect-case", BASE, {"policy": policy(allow(["ecr:BatchGetImage"], effect="allow"))}),
    ("effect-invalid", BASE, {"policy": policy(allow(["ecr:BatchGetImage"], effect="Permit"))}),
    ("quoted-reference", BASE, {"hcl": tf_policy('"data.aws_ecr_repository.pull.arn"'), "context": COURSE_FILES}),
    ("quoted-reference", BASE, {"policy": policy(allow("ecr:BatchGetImage", "data.aws_ecr_repository.pull.arn"))}),
    ("object-without-attribute", BASE, {"hcl": tf_policy('"*"', attach="aws_iam_policy.ecr_custom_read_only"),
                                        "context": COURSE_FILES}),
    ("object-without-attribute", BASE, {"hcl": tf_policy("data.aws_ecr_repository.pull"), "context": COURSE_FILES}),
    ("unknown-label", BASE, {"hcl": tf_policy("data.aws_ecr_repository.flask_app.arn"), "context": COURSE_FILES}),
    ("hand-typed-arn", BASE, {"hcl": tf_policy(json.dumps(FLASK_ARN)), "context": COURSE_FILES}),
    ("arn-wrong-region", SCOPED, {"policy": policy(LOGIN, allow("ecr:BatchGetImage", FLASK_ARN.replace(REGION, "eu-west-1")))}),
    ("arn-wrong-account", SCOPED, {"policy": policy(LOGIN, allow("ecr:BatchGetImage", FLASK_ARN.replace(ACCOUNT, "210987654321")))}),
    ("arn-wrong-repository", SCOPED, {"policy": policy(LOGIN, allow("ecr:BatchGetImage", FLASK_ARN.replace("flask_app", "flask-app")))}),
    ("arn-wrong-service", SCOPED, {"policy": policy(LOGIN, allow("ecr:BatchGetImage", f"arn:aws:s3:::flask_app"))}),
    ("arn-malformed", SCOPED, {"policy": policy(LOGIN, allow("ecr:BatchGetImage", "flask_app"))}),
    ("arn-not-repository", SCOPED, {"policy": policy(LOGIN, allow("ecr:BatchGetImage", f"arn:aws:ecr:{REGION}:{ACCOUNT}:flask_app"))}),
    ("login-scoped", SCOPED, {"policy": policy(allow(["ecr:GetAuthorizationToken", "ecr:BatchGetImage"], FLASK_ARN))}),
    ("login-too-wide", SCOPED, {"policy": policy(allow("ecr:*", sid="Login"), PULL)}),
    ("pull-on-star", SCOPED, {"policy": policy(allow(["ecr:GetAuthorizationToken", "ecr:BatchGetImage"]))}),
    ("excess", BASE, {"policy": policy(LOGIN, allow(["ecr:BatchGetImage", "ecr:PutImage"], FLASK_ARN, sid="PullPlus"))}),
    ("excess", BASE, {"policy": policy(LOGIN, allow(["ecr:BatchGetImage", "s3:GetObject"], FLASK_ARN, sid="Pull"))}),
    ("allow-where-deny", DENY, {"policy": policy(allow(["ecr:PutImage", "ecr:InitiateLayerUpload"], sid="NoPush"))}),
    ("trust-principal-is-action", BASE, {"trust": policy({"Effect": "Allow", "Action": "sts:AssumeRole",
                                                           "Principal": {"Service": "sts:AssumeRole"}})}),
    ("trust-principal-is-role", BASE, {"trust": policy({"Effect": "Allow", "Action": "sts:AssumeRole",
                                                         "Principal": {"AWS": ROLE_ARN}})}),
    ("trust-principal-is-instance", BASE, {"trust": policy({"Effect": "Allow", "Action": "sts:AssumeRole",
                                                             "Principal": {"AWS": f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-0123456789abcdef0"}})}),
    ("trust-principal-is-instance", BASE, {"trust": policy({"Effect": "Allow", "Action": "sts:AssumeRole",
                                                             "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:instance-profile/ec2-profile"}})}),
    ("service-principal-form", BASE, {"trust": policy({"Effect": "Allow", "Action": "sts:AssumeRole",
                                                        "Principal": {"Service": "ec2"}})}),
    ("trust-action", BASE, {"trust": policy({"Effect": "Allow", "Action": "ecr:BatchGetImage",
                                              "Principal": {"Service": "ec2.amazonaws.com"}})}),
    ("repo-principal-account", BASE, {"repository_policy": policy({"Effect": "Allow", "Action": "ecr:BatchGetImage",
                                                                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}})}),
    ("repo-principal-account", BASE, {"repository_policy": policy({"Effect": "Allow", "Action": "ecr:BatchGetImage",
                                                                    "Principal": {"AWS": ACCOUNT}})}),
    ("repo-principal-everyone", BASE, {"repository_policy": policy({"Effect": "Allow", "Action": "ecr:BatchGetImage",
                                                                     "Principal": "*"})}),
    ("repo-principal-service", BASE, {"repository_policy": policy({"Effect": "Allow", "Action": "ecr:BatchGetImage",
                                                                    "Principal": {"Service": "ec2.amazonaws.com"}})}),
    ("repo-principal-instance-profile", BASE, {"repository_policy": policy({
        "Effect": "Allow", "Action": "ecr:BatchGetImage",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:instance-profile/ec2-profile"}})}),
    ("repo-principal-instance", BASE, {"repository_policy": policy({"Effect": "Allow", "Action": "ecr:BatchGetImage",
                                                                     "Principal": {"AWS": "i-0123456789abcdef0"}})}),
]


@pytest.mark.parametrize("slip_id, expected, written", CASES, ids=[f"{c[0]}-{n}" for n, c in enumerate(CASES)])
def test_each_classic_mistake_is_named_without_the_answer(slip_id, expected, written):
    found = slips.slips(expected, **written)
    assert slip_id in [s.id for s in found], [str(s) for s in found]
    for slip in found:
        assert slip.id in slips.SLIP_IDS
        text = str(slip) + slip._repr_markdown_()
        for answer in ANSWERS:
            assert answer not in text, (answer, text)


def test_every_slip_of_the_catalogue_has_a_case():
    from tests.test_feedback import ACCOUNT_CASES

    assert {c[0] for c in CASES} | {c[0] for c in ACCOUNT_CASES} == set(slips.SLIP_IDS)


def test_the_typo_names_the_closest_real_action():
    slip = slips.first(BASE, policy=policy(allow("ecr:BatchGetImages")))
    assert slip.id == "unknown-action" and re.search(r"closest real one is ecr:BatchGetImage\b(?!s)", slip.message)
    slip = slips.first(BASE, policy=policy(allow("ecr:GetAuthorisationToken")))
    assert "ecr:GetAuthorizationToken" in slip.message


def test_a_missing_prefix_is_one_slip_not_eight_lines():
    found = slips.slips(BASE, policy=policy(allow(["GetAuthorizationToken", "BatchGetImage", "GetDownloadUrlForLayer"])))
    assert [s.id for s in found] == ["missing-prefix"] * 3


def test_the_excess_is_named_by_its_statement():
    slip = next(s for s in slips.slips(BASE, policy=policy(LOGIN, allow(["ecr:BatchGetImage", "ecr:PutImage"], FLASK_ARN, sid="PullPlus")))
                if s.id == "excess")
    assert 'Statement "PullPlus"' in str(slip) and "ecr:PutImage" in slip.message


def test_a_wide_login_statement_is_blamed_not_the_pull_statement():
    found = slips.slips(SCOPED, policy=policy(allow("ecr:*", sid="Login"), PULL))
    assert [s.id for s in found] == ["login-too-wide"]
    assert found[0].where == 'Statement "Login"'
    assert "login statement is too wide" in found[0].message and "scoped to the repository is not the problem" in found[0].message


def test_the_account_principal_delegates_it_does_not_let_root_in():
    slip = slips.first(BASE, repository_policy=policy({"Effect": "Allow", "Action": "ecr:BatchGetImage",
                                                       "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}))
    assert "delegates" in slip.message and "lets root in" not in slip.message and "does not let the root user in" in slip.message


def _reference_document(name: str, expected: Expected) -> tuple[str, dict]:
    text = REFERENCES[name].files["custom_policy.tf"]
    return text, slips.hcl_document(text, "aws_iam_policy.ecr_custom_read_only", expected, context=COURSE_FILES)


@pytest.mark.parametrize("name, expected", [("03-custom-policy", BASE), ("04-scope", SCOPED)])
def test_the_references_produce_no_slip(name, expected):
    text, document = _reference_document(name, expected)
    assert document is not None
    assert slips.slips(expected, policy=document, hcl=text, context=COURSE_FILES) == []


def test_right_answers_written_otherwise_produce_no_slip():
    assert slips.slips(SCOPED, policy=policy(LOGIN, PULL)) == []  # without BatchCheckLayerAvailability
    with_check = allow(list(facts.PULL_ACCEPTED[1:]), FLASK_ARN)
    assert slips.slips(SCOPED, policy=policy(LOGIN, with_check)) == []  # with it
    assert slips.slips(SCOPED, policy=policy(LOGIN, allow("ecr:BatchGetIm*", [FLASK_ARN]), allow("ecr:GetDownloadUrlForLayer", FLASK_ARN))) == []
    assert slips.slips(BASE, policy=policy(allow(list(facts.PULL_NEEDS)))) == []
    deny = REFERENCES["06-deny"].files["deny_push.tf"]
    document = slips.hcl_document(deny, "aws_iam_role_policy.deny_push", DENY, context=COURSE_FILES)
    assert slips.slips(DENY, policy=document, hcl=deny, file="deny_push.tf", context=COURSE_FILES) == []
    repository = REFERENCES["06-repository-policy"].files["repository_policy.tf"]
    document = slips.hcl_document(repository, "aws_ecr_repository_policy.reports_app", BASE, context=COURSE_FILES)
    assert document["Statement"][0]["Principal"] == {"AWS": ROLE_ARN}
    assert slips.slips(BASE, repository_policy=document, hcl=repository, file="repository_policy.tf", context=COURSE_FILES) == []


def test_the_course_trust_policy_produces_no_slip():
    document = slips.hcl_document(COURSE_FILES["main.tf"], "aws_iam_role.ec2_ecr_role", BASE, argument="assume_role_policy")
    assert document["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert slips.slips(BASE, trust=document) == []


def test_a_wildcard_reaching_further_is_excess():
    slip = slips.first(SCOPED, policy=policy(LOGIN, allow(["ecr:BatchGet*", "ecr:GetDownloadUrlForLayer"], FLASK_ARN)))
    assert slip.id == "excess" and "BatchGetRepositoryScanningConfiguration" in slip.message


def test_one_fact_for_a_pull():
    from iamlab.course import grading

    assert grading.LOGIN == facts.LOGIN and tuple(grading.PULL_CHECKS) == facts.PULL_CHECKS
    assert "ecr:BatchCheckLayerAvailability" not in facts.PULL_NEEDS
    assert set(facts.PULL_NEEDS) <= set(facts.PULL_ONLY_MANAGED)


def test_working_copy_slips_read_the_learners_file(tmp_path):
    for name, text in COURSE_FILES.items():
        (tmp_path / name).write_text(text)
    assert slips.working_copy_slips(tmp_path, SCOPED) == []  # nothing written yet: the check says so, not a slip
    (tmp_path / "custom_policy.tf").write_text(tf_policy('"data.aws_ecr_repository.pull.arn"'))
    found = slips.working_copy_slips(tmp_path, SCOPED)
    assert found[0].id == "quoted-reference" and found[0].where == "custom_policy.tf, line 5"
    (tmp_path / "custom_policy.tf").write_text(REFERENCES["04-scope"].files["custom_policy.tf"])
    assert slips.working_copy_slips(tmp_path, SCOPED) == []
    trust = slips.working_copy_slips(tmp_path, BASE, file="main.tf", address="aws_iam_role.ec2_ecr_role", kind="trust",
                                     argument="assume_role_policy")
    assert trust == []


def test_what_aws_refuses_is_named_before_what_it_accepts():
    found = slips.slips(BASE, policy=policy(allow(["ecr:PutImage", "BatchGetImage"], sid="Mixed")))
    assert [s.id for s in found][:2] == ["missing-prefix", "excess"]
    assert found[0].blocks and not found[1].blocks
