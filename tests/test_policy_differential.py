"""The engine against an independent implementation: @cloud-copilot/iam-simulate (npm, run by node).

Hypothesis generates policies (identity and resource, Allow and Deny, Action/NotAction,
Resource/NotResource, wildcards, conditions on global keys, principals of this and another
account) and requests; each case is decided by ``iamlab.policy.evaluate`` and by the oracle
(``tests/oracle/evaluate.mjs``, the package pinned in ``tests/oracle/package-lock.json``,
installed by ``npm ci``: scripts/install.sh does it, and this module's fixture does it when
it is missing). Context keys the oracle sets aside as not applying to the action are taken
out of the engine's context too, so both judge the same request.

Every disagreement is either ours to fix or an oracle bug listed in ``ORACLE_BUGS`` with the
AWS documentation page that decides it. The run's figures (cases, agreements, documented
oracle bugs) are written to ``test-artifacts/differential.json`` (a test leaves the checkout clean);
``IAMLAB_RECORD_RESULTS=1`` writes them to ``benchmarks/results/differential.json`` instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamlab.policy import Context, Principal, Request, evaluate, parse
from iamlab.policy.engine import base_context

ROOT = Path(__file__).resolve().parents[1]
ORACLE = ROOT / "tests" / "oracle"
RESULTS = (ROOT / "benchmarks" / "results" if os.environ.get("IAMLAB_RECORD_RESULTS") == "1"
           else ROOT / "test-artifacts") / "differential.json"
ACCOUNT, OTHER_ACCOUNT = "123456789012", "210987654321"
REGION = "us-east-1"
EXAMPLES = 1000

REPOS = [f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/flask_app", f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/reports_app",
         f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/team/app"]
REQUESTS = [(action, resource) for action in ("ecr:BatchGetImage", "ecr:DescribeImages", "ecr:PutImage", "ecr:ListImages")
            for resource in REPOS] + [
    ("ecr:GetAuthorizationToken", "*"),
    ("s3:GetObject", "arn:aws:s3:::course-bucket/blue/a.txt"),
    ("s3:ListBucket", "arn:aws:s3:::course-bucket"),
    ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/app-role"),
    ("iam:GetRole", f"arn:aws:iam::{ACCOUNT}:role/app-role"),
]
ACTION_PATTERNS = ["ecr:BatchGetImage", "ECR:batchgetimage", "ecr:*", "ecr:Batch*", "ecr:*Image", "ecr:?atchGetImage",
                   "ecr:DescribeImages", "ecr:PutImage", "ecr:GetAuthorizationToken", "s3:GetObject", "s3:*", "s3:List*",
                   "iam:PassRole", "iam:Get*", "*"]
RESOURCE_PATTERNS = ["*", REPOS[0], REPOS[1], f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/*",
                     f"arn:aws:ecr:*:{ACCOUNT}:repository/flask*", f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/team/*",
                     f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/?lask_app", "arn:aws:s3:::course-bucket/*",
                     "arn:aws:s3:::course-bucket", f"arn:aws:iam::{ACCOUNT}:role/app-*", f"arn:aws:iam::{ACCOUNT}:role/*",
                     "arn:aws:s3:::course-bucket/${aws:username}/*", "arn:aws:s3:::course-bucket/${aws:PrincipalTag/team}/*",
                     f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/${{aws:PrincipalTag/team}}*"]
CONDITIONS = [
    {"StringEquals": {"aws:RequestedRegion": REGION}},
    {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
    {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "us-west-2"]}},
    {"StringLike": {"aws:PrincipalTag/team": "blu*"}},
    {"StringEqualsIfExists": {"aws:PrincipalTag/team": "blue"}},
    {"Null": {"aws:PrincipalTag/team": "true"}},
    {"Null": {"aws:PrincipalTag/team": "false"}},
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"Bool": {"aws:SecureTransport": "false"}},
    {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
    {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
    {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
    {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/app-*"}},
    {"ForAnyValue:StringEquals": {"aws:PrincipalTag/team": ["red", "blue"]}},
    {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
    {"StringNotEqualsIfExists": {"iam:PassedToService": "ec2.amazonaws.com"}},
    {"StringLike": {"aws:userid": "*:i-*"}},
    {"StringEquals": {"aws:username": "ana"}},
    {"StringEquals": {"aws:PrincipalType": "User"}},
    {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/*"}},
    {"StringEquals": {"aws:RequestedRegion": REGION}, "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]}},
    {"ForAllValues:StringLike": {"aws:PrincipalTag/team": ["b*", "r*"]}},
    {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "BLUE"}},
    {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
]
PRINCIPALS = {
    "session": Principal.role_session(ACCOUNT, "app-role", "i-0abc"),
    "user": Principal(arn=f"arn:aws:iam::{ACCOUNT}:user/ana", identity_arn=f"arn:aws:iam::{ACCOUNT}:user/ana", account=ACCOUNT),
    "outsider": Principal(arn=f"arn:aws:iam::{OTHER_ACCOUNT}:user/eve", identity_arn=f"arn:aws:iam::{OTHER_ACCOUNT}:user/eve",
                          account=OTHER_ACCOUNT),
}
RESOURCE_PRINCIPALS = ["*", {"AWS": "*"}, {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, {"AWS": ACCOUNT},
                       {"AWS": f"arn:aws:iam::{ACCOUNT}:role/app-role"},
                       {"AWS": f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/i-0abc"},
                       {"AWS": f"arn:aws:iam::{ACCOUNT}:user/ana"}, {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
                       {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:user/eve"}]



def _arns_of(who: str) -> list[str]:
    principal = PRINCIPALS[who]
    found = [principal.arn, principal.identity_arn, f"arn:aws:iam::{principal.account}:root", principal.account]
    return list(dict.fromkeys(found))


def _not_principal_spares_on_any_listed_arn(found: dict) -> dict | None:
    """The case as the oracle reads NotPrincipal: naming any one of the principal's ARNs (its account,
    its role for a session) spares it. None when the case has no such NotPrincipal."""
    if not found["resource_policy"]:
        return None
    arns, changed = _arns_of(found["who"]), False
    statements = []
    for statement in found["resource_policy"]["Statement"]:
        listed = statement.get("NotPrincipal", {}).get("AWS", []) if isinstance(statement.get("NotPrincipal"), dict) else []
        if any(arn in listed for arn in arns) and not all(arn in listed for arn in arns):
            statement, changed = {**statement, "NotPrincipal": {"AWS": listed + [a for a in arns if a not in listed]}}, True
        statements.append(statement)
    return {**found, "resource_policy": {**found["resource_policy"], "Statement": statements}} if changed else None


def _not_resource_with_an_unresolved_variable(found: dict) -> bool:
    context = {**principal_keys(found["who"]), **found["context"]}
    for policy in found["identity"]:
        for statement in policy["Statement"]:
            patterns = statement.get("NotResource", [])
            for pattern in [patterns] if isinstance(patterns, str) else patterns:
                keys = [part.split("}")[0] for part in pattern.split("${")[1:]]
                if any(key not in context for key in keys):
                    return True
    return False


# Cases AWS's documentation does not decide: compared, and on a disagreement counted apart, not failed.
UNDECIDED = [
    ("a NotResource whose policy variable has no value: AWS says only that an unresolved variable 'might cause the "
     "entire statement to be invalid'. Both engines drop the statement when the pattern could match the resource; "
     "iam-simulate also drops it when the pattern cannot match whatever the value (same service), the engine keeps it",
     "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html",
     _not_resource_with_an_unresolved_variable),
]

# Disagreements the oracle gets wrong, each with the AWS page that decides it, and how to recognise one:
# the case read the oracle's way gives the oracle's answer in our engine.
ORACLE_BUGS = [
    ("NotPrincipal spares a role session that only its role (or only its account) is listed for; iam-simulate's own "
     "source marks this 'Need to do research on this'. AWS: a Deny with NotPrincipal must list the account, the role "
     "and the assumed-role session ARN to spare the session",
     "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html",
     _not_principal_spares_on_any_listed_arn),
]


def one_or_many(items):
    return st.lists(st.sampled_from(items), min_size=1, max_size=3, unique=True).map(lambda xs: xs[0] if len(xs) == 1 else xs)


@st.composite
def statement(draw, resource_policy: bool = False):
    found = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    found["NotAction" if draw(st.integers(0, 5)) == 0 else "Action"] = draw(one_or_many(ACTION_PATTERNS))
    if resource_policy:
        if draw(st.integers(0, 6)) == 0 and found["Effect"] == "Deny":
            found["NotPrincipal"] = {"AWS": draw(st.lists(st.sampled_from(
                [f"arn:aws:iam::{ACCOUNT}:role/app-role", f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/i-0abc",
                 f"arn:aws:iam::{ACCOUNT}:root", f"arn:aws:iam::{ACCOUNT}:user/ana"]), min_size=1, max_size=4, unique=True))}
        else:
            found["Principal"] = draw(st.sampled_from(RESOURCE_PRINCIPALS))
    else:
        found["NotResource" if draw(st.integers(0, 6)) == 0 else "Resource"] = draw(one_or_many(RESOURCE_PATTERNS))
    if draw(st.booleans()):
        found["Condition"] = draw(st.sampled_from(CONDITIONS))
    return found


@st.composite
def case(draw):
    action, resource = draw(st.sampled_from(REQUESTS))
    who = draw(st.sampled_from(list(PRINCIPALS)))
    identity = [{"Version": "2012-10-17", "Statement": draw(st.lists(statement(), min_size=0, max_size=3))}
                for _ in range(draw(st.integers(0, 2)))]
    identity = [p for p in identity if p["Statement"]]
    resource_policy = None
    if resource.startswith("arn:aws:ecr:") and draw(st.booleans()):
        resource_policy = {"Version": "2012-10-17", "Statement": draw(st.lists(statement(True), min_size=1, max_size=3))}
    context = {"aws:SourceIp": draw(st.sampled_from(["10.1.2.3", "192.0.2.7"])),
               "aws:RequestedRegion": draw(st.sampled_from([REGION, "eu-west-1"])),
               "aws:SecureTransport": "true", "aws:CurrentTime": "2026-12-02T18:00:00Z"}
    if who != "outsider" and draw(st.booleans()):
        context["aws:PrincipalTag/team"] = draw(st.sampled_from(["blue", "red", "green"]))
    if action == "iam:PassRole" and draw(st.booleans()):
        context["iam:PassedToService"] = draw(st.sampled_from(["ec2.amazonaws.com", "lambda.amazonaws.com"]))
    return {"action": action, "resource": resource, "who": who, "identity": identity,
            "resource_policy": resource_policy, "context": context}


class Oracle:
    """One node process answering simulations line by line."""

    def __init__(self):
        self.process = subprocess.Popen(["node", str(ORACLE / "evaluate.mjs")], cwd=ORACLE, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)

    def ask(self, simulation: dict) -> dict:
        self.process.stdin.write(json.dumps(simulation) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def oracle():
    if shutil.which("node") is None:
        pytest.fail("node is needed for the differential test (Debian: apt-get install nodejs npm)")
    if not (ORACLE / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=ORACLE, check=True, timeout=600)
    found = Oracle()
    yield found
    found.close()


def principal_keys(who: str) -> dict:
    """The keys AWS derives from the principal (the engine's ``base_context``), handed to the oracle
    as context: it takes them from the request's context only."""
    derived = base_context(Request(PRINCIPALS[who], "sts:GetCallerIdentity"))
    return {key: derived.get(key) for key in derived.keys()}


def principal_arn(who: str) -> str:
    return PRINCIPALS[who].arn


def simulation(found: dict) -> dict:
    # A resource whose ARN names no account (``*``, an S3 bucket) is the caller's own: the engine reads
    # the owner from the ARN only (the sandbox has one account), so that is the case both express.
    account = found["resource"].split(":")[4] if found["resource"].count(":") >= 5 else ""
    return {
        "request": {"principal": principal_arn(found["who"]), "action": found["action"],
                    "resource": {"resource": found["resource"], "accountId": account or PRINCIPALS[found["who"]].account},
                    "contextVariables": {**principal_keys(found["who"]), **found["context"]}},
        "identityPolicies": [{"name": f"p{i}", "policy": p} for i, p in enumerate(found["identity"])],
        "serviceControlPolicies": [], "resourceControlPolicies": [],
        **({"resourcePolicy": found["resource_policy"]} if found["resource_policy"] else {}),
    }


OURS = {"allowed": "Allowed", "explicitDeny": "ExplicitlyDenied", "implicitDeny": "ImplicitlyDenied"}


def ours(found: dict, ignored: list[str]) -> str:
    context = {k: v for k, v in found["context"].items() if k not in ignored}
    policies = [parse(p, f"p{i}", "user-managed") for i, p in enumerate(found["identity"])]
    resource_policy = parse(found["resource_policy"], "RepositoryPolicy", "resource") if found["resource_policy"] else None
    request = Request(PRINCIPALS[found["who"]], found["action"], found["resource"], Context(context))
    return OURS[evaluate(request, policies, resource_policy).decision]


TALLY = {"cases": 0, "agreed": 0, "oracle_errors": 0, "documented_oracle_bugs": 0, "disagreements": []}


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(found=case())
def test_the_engine_agrees_with_iam_simulate(oracle, found):
    answer = oracle.ask(simulation(found))
    if "error" in answer:  # a case the oracle cannot express (it says why): not compared
        TALLY["oracle_errors"] += 1
        return
    TALLY["cases"] += 1
    mine = ours(found, answer.get("ignored", []))
    if mine == answer["result"]:
        TALLY["agreed"] += 1
        return
    for name, page, read_as_oracle in ORACLE_BUGS:
        alternative = read_as_oracle(found)
        if alternative is not None and ours(alternative, answer.get("ignored", [])) == answer["result"]:
            TALLY["documented_oracle_bugs"] += 1
            TALLY.setdefault("by_bug", {}).setdefault(page, 0)
            TALLY["by_bug"][page] += 1
            return
    for name, page, applies in UNDECIDED:
        if applies(found):
            TALLY["undecided_by_aws_docs"] = TALLY.get("undecided_by_aws_docs", 0) + 1
            return
    TALLY["disagreements"].append({"case": found, "ours": mine, "oracle": answer["result"]})
    assert mine == answer["result"], json.dumps(found, indent=1)


def test_report_the_differential_figures():
    """Runs after the property test (file order): the figures the issue asks for."""
    assert TALLY["cases"] >= EXAMPLES // 2, TALLY
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({**TALLY, "disagreements": len(TALLY["disagreements"])}, indent=2) + "\n")
    assert TALLY["disagreements"] == []
