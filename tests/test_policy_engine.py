"""The policy engine against AWS's documented behaviour, case by case, and by property."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iamlab.policy import Context, catalogue, Principal, Request, evaluate, parse
from iamlab.policy.document import PolicyError

ACCOUNT = "123456789012"
ROLE = Principal.role_session(ACCOUNT, "ec2-ecr-role", "i-0abc")
OTHER = Principal.role_session(ACCOUNT, "someone-else", "s")
USER = Principal(arn=f"arn:aws:iam::{ACCOUNT}:user/ana", identity_arn=f"arn:aws:iam::{ACCOUNT}:user/ana", account=ACCOUNT)
FLASK = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/flask_app"
REPORTS = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/reports_app"
PULL = ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer"]


def policy(*statements, source="p", kind="user-managed"):
    return parse({"Version": "2012-10-17", "Statement": list(statements)}, source, kind)


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def decide(statements, action, resource="*", principal=ROLE, context=None, resource_policy=None):
    policies = [policy(*statements)] if statements else []
    rp = parse({"Version": "2012-10-17", "Statement": resource_policy}, "RepositoryPolicy", "resource") if resource_policy else None
    return evaluate(Request(principal, action, resource, Context(context or {})), policies, rp)


# (description, statements, action, resource, context, expected decision)
CASES = [
    ("exact action and resource", [allow("ecr:BatchGetImage", FLASK)], "ecr:BatchGetImage", FLASK, {}, "allowed"),
    ("action names are case-insensitive", [allow("ECR:batchgetimage", FLASK)], "ecr:BatchGetImage", FLASK, {}, "allowed"),
    ("? matches one character", [allow("ecr:BatchGet?mage", FLASK)], "ecr:BatchGetImage", FLASK, {}, "allowed"),
    ("? does not match two", [allow("ecr:BatchGet?", FLASK)], "ecr:BatchGetImage", FLASK, {}, "implicitDeny"),
    ("* in an action", [allow("ecr:BatchGet*", "*")], "ecr:BatchGetImage", FLASK, {}, "allowed"),
    ("ARNs are case-sensitive", [allow("ecr:BatchGetImage", FLASK.replace("flask_app", "Flask_App"))], "ecr:BatchGetImage", FLASK, {}, "implicitDeny"),
    ("* inside the resource part", [allow("ecr:BatchGetImage", f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/flask_*")], "ecr:BatchGetImage", FLASK, {}, "allowed"),
    ("wildcard region segment", [allow("ecr:BatchGetImage", f"arn:aws:ecr:*:{ACCOUNT}:repository/flask_app")], "ecr:BatchGetImage", FLASK, {}, "allowed"),
    ("a wildcard never spans segments", [allow("ecr:BatchGetImage", "arn:aws:ecr:*:repository/flask_app")], "ecr:BatchGetImage", FLASK, {}, "implicitDeny"),
    ("scoped statement grants another repository nothing", [allow(PULL, FLASK)], "ecr:BatchGetImage", REPORTS, {}, "implicitDeny"),
    ("GetAuthorizationToken needs Resource *", [allow(PULL, FLASK)], "ecr:GetAuthorizationToken", "*", {}, "implicitDeny"),
    ("GetAuthorizationToken even when asked with an ARN", [allow(PULL, FLASK)], "ecr:GetAuthorizationToken", FLASK, {}, "implicitDeny"),
    ("GetAuthorizationToken with Resource *", [allow("ecr:GetAuthorizationToken")], "ecr:GetAuthorizationToken", "*", {}, "allowed"),
    ("the seed's custom policy denies describe", [allow(PULL)], "ecr:DescribeRepositories", f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/*", {}, "implicitDeny"),
    ("nothing allowed is an implicit deny", [], "ecr:BatchGetImage", FLASK, {}, "implicitDeny"),
    ("explicit deny beats allow", [allow("ecr:*"), deny("ecr:BatchGetImage", FLASK)], "ecr:BatchGetImage", FLASK, {}, "explicitDeny"),
    ("deny elsewhere leaves the allow", [allow("ecr:*"), deny("ecr:BatchGetImage", REPORTS)], "ecr:BatchGetImage", FLASK, {}, "allowed"),
    ("NotAction allows all but", [{"Effect": "Allow", "NotAction": "ecr:Delete*", "Resource": "*"}], "ecr:DescribeRepositories", "*", {}, "allowed"),
    ("NotAction excludes", [{"Effect": "Allow", "NotAction": "ecr:Delete*", "Resource": "*"}], "ecr:DeleteRepository", FLASK, {}, "implicitDeny"),
    ("NotResource deny hits the others", [allow("ecr:*"), {"Effect": "Deny", "Action": "ecr:*", "NotResource": FLASK}], "ecr:BatchGetImage", REPORTS, {}, "explicitDeny"),
    ("NotResource deny spares the named one", [allow("ecr:*"), {"Effect": "Deny", "Action": "ecr:*", "NotResource": FLASK}], "ecr:BatchGetImage", FLASK, {}, "allowed"),
    # Conditions (IAM User Guide, "Condition operators")
    ("StringEquals on a present key", [allow("ecr:*", Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}})], "ecr:BatchGetImage", FLASK, {"aws:RequestedRegion": "us-east-1"}, "allowed"),
    ("StringEquals, other value", [allow("ecr:*", Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}})], "ecr:BatchGetImage", FLASK, {"aws:RequestedRegion": "eu-west-1"}, "implicitDeny"),
    ("values of one key are ORed", [allow("ecr:*", Condition={"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}})], "ecr:BatchGetImage", FLASK, {"aws:RequestedRegion": "us-east-1"}, "allowed"),
    ("keys are ANDed", [allow("ecr:*", Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1", "aws:ResourceTag/app": "flask_app"}})], "ecr:BatchGetImage", FLASK, {"aws:RequestedRegion": "us-east-1", "aws:ResourceTag/app": "reports_app"}, "implicitDeny"),
    ("operators are ANDed", [allow("ecr:*", Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}, "Bool": {"aws:SecureTransport": "true"}})], "ecr:BatchGetImage", FLASK, {"aws:RequestedRegion": "us-east-1", "aws:SecureTransport": "false"}, "implicitDeny"),
    ("condition keys are case-insensitive", [allow("ecr:*", Condition={"StringEquals": {"AWS:requestedregion": "us-east-1"}})], "ecr:BatchGetImage", FLASK, {"aws:RequestedRegion": "us-east-1"}, "allowed"),
    ("StringLike with a wildcard", [allow("ecr:*", Condition={"StringLike": {"aws:ResourceTag/app": "flask*"}})], "ecr:BatchGetImage", FLASK, {"aws:ResourceTag/app": "flask_app"}, "allowed"),
    ("StringEqualsIgnoreCase", [allow("ecr:*", Condition={"StringEqualsIgnoreCase": {"aws:ResourceTag/app": "FLASK_APP"}})], "ecr:BatchGetImage", FLASK, {"aws:ResourceTag/app": "flask_app"}, "allowed"),
    ("a missing key fails a positive operator", [allow("ecr:*", Condition={"StringEquals": {"aws:ResourceTag/app": "flask_app"}})], "ecr:BatchGetImage", FLASK, {}, "implicitDeny"),
    ("a missing key passes a negated operator", [allow("ecr:*", Condition={"StringNotEquals": {"aws:ResourceTag/app": "secret"}})], "ecr:BatchGetImage", FLASK, {}, "allowed"),
    ("negated operators match none of the values", [allow("ecr:*", Condition={"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}})], "ecr:BatchGetImage", FLASK, {"aws:RequestedRegion": "us-east-1"}, "implicitDeny"),
    ("IfExists passes on a missing key", [allow("ecr:*", Condition={"StringEqualsIfExists": {"aws:ResourceTag/app": "flask_app"}})], "ecr:BatchGetImage", FLASK, {}, "allowed"),
    ("IfExists still checks a present key", [allow("ecr:*", Condition={"StringEqualsIfExists": {"aws:ResourceTag/app": "flask_app"}})], "ecr:BatchGetImage", FLASK, {"aws:ResourceTag/app": "x"}, "implicitDeny"),
    ("Null true: key absent", [allow("ecr:*", Condition={"Null": {"aws:ResourceTag/app": "true"}})], "ecr:BatchGetImage", FLASK, {}, "allowed"),
    ("Null false: key present", [allow("ecr:*", Condition={"Null": {"aws:ResourceTag/app": "false"}})], "ecr:BatchGetImage", FLASK, {}, "implicitDeny"),
    ("IpAddress in range", [allow("ecr:*", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})], "ecr:BatchGetImage", FLASK, {"aws:SourceIp": "203.0.113.7"}, "allowed"),
    ("IpAddress out of range", [allow("ecr:*", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})], "ecr:BatchGetImage", FLASK, {"aws:SourceIp": "198.51.100.7"}, "implicitDeny"),
    ("deny NotIpAddress (the docs' source-IP example)", [allow("ecr:*"), deny("*", Condition={"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]}})], "ecr:BatchGetImage", FLASK, {"aws:SourceIp": "198.51.100.7"}, "explicitDeny"),
    ("IPv6 in range", [allow("ecr:*", Condition={"IpAddress": {"aws:SourceIp": "2001:db8::/32"}})], "ecr:BatchGetImage", FLASK, {"aws:SourceIp": "2001:db8::1"}, "allowed"),
    ("DateLessThan aws:CurrentTime", [allow("ecr:*", Condition={"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})], "ecr:BatchGetImage", FLASK, {"aws:CurrentTime": "2026-11-27T12:00:00Z"}, "allowed"),
    ("DateGreaterThan aws:CurrentTime", [allow("ecr:*", Condition={"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})], "ecr:BatchGetImage", FLASK, {"aws:CurrentTime": "2026-11-27T12:00:00Z"}, "implicitDeny"),
    ("dates as epoch seconds", [allow("ecr:*", Condition={"DateGreaterThan": {"aws:CurrentTime": "1700000000"}})], "ecr:BatchGetImage", FLASK, {"aws:CurrentTime": "2026-11-27T12:00:00Z"}, "allowed"),
    ("Bool SecureTransport deny", [allow("ecr:*"), deny("ecr:*", Condition={"Bool": {"aws:SecureTransport": "false"}})], "ecr:BatchGetImage", FLASK, {"aws:SecureTransport": "false"}, "explicitDeny"),
    ("NumericLessThan", [allow("ecr:*", Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}})], "ecr:BatchGetImage", FLASK, {"aws:MultiFactorAuthAge": "100"}, "allowed"),
    ("Numeric with a non-number does not match", [allow("ecr:*", Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}})], "ecr:BatchGetImage", FLASK, {"aws:MultiFactorAuthAge": "soon"}, "implicitDeny"),
    ("ArnLike on aws:PrincipalArn", [allow("ecr:*", Condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/ec2-*"}})], "ecr:BatchGetImage", FLASK, {}, "allowed"),
    ("ArnNotEquals on aws:PrincipalArn", [allow("ecr:*", Condition={"ArnNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/ec2-ecr-role"}})], "ecr:BatchGetImage", FLASK, {}, "implicitDeny"),
    ("ForAnyValue: one tag key matches", [allow("ecr:*", Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["team", "app"]}})], "ecr:TagResource", FLASK, {"aws:TagKeys": ["app", "cost"]}, "allowed"),
    ("ForAnyValue: missing key is false", [allow("ecr:*", Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}})], "ecr:TagResource", FLASK, {}, "implicitDeny"),
    ("ForAllValues: every tag key listed", [allow("ecr:*", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "app"]}})], "ecr:TagResource", FLASK, {"aws:TagKeys": ["app", "cost"]}, "implicitDeny"),
    ("ForAllValues: missing key is true", [allow("ecr:*", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}})], "ecr:TagResource", FLASK, {}, "allowed"),
    ("policy variable in a resource", [allow("iam:GetUser", "arn:aws:iam::*:user/${aws:username}")], "iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/ana", {}, "allowed-user"),
    ("policy variable for someone else", [allow("iam:GetUser", "arn:aws:iam::*:user/${aws:username}")], "iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/bo", {}, "implicitDeny-user"),
    ("policy variable in a condition", [allow("ecr:*", Condition={"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}})], "ecr:BatchGetImage", FLASK, {"aws:ResourceTag/owner": "ana"}, "allowed-user"),
    ("missing variable matches nothing", [allow("ecr:*", "arn:aws:ecr:*:*:repository/${aws:username}")], "ecr:BatchGetImage", FLASK, {}, "implicitDeny"),
]


@pytest.mark.parametrize("description,statements,action,resource,context,expected", CASES, ids=[c[0] for c in CASES])
def test_documented_behaviour(description, statements, action, resource, context, expected):
    principal = USER if expected.endswith("-user") else ROLE
    assert decide(statements, action, resource, principal, context).decision == expected.removesuffix("-user")


def test_a_winning_deny_lists_only_the_deny():
    result = decide([allow("ecr:*"), deny("ecr:BatchGetImage", FLASK, Sid="NoFlask")], "ecr:BatchGetImage", FLASK)
    assert [s.sid for s in result.matched] == ["NoFlask"]


def test_matched_statement_positions_point_into_the_policy_text():
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},\n    {"Effect": "Allow", "Action": "ecr:BatchGetImage", "Resource": "%s"}\n  ]\n}' % FLASK
    result = evaluate(Request(ROLE, "ecr:BatchGetImage", FLASK), [parse(text, "p1", "user-managed")])
    [statement] = result.matched
    assert (statement.start.line, statement.start.column) == (5, 5)
    assert statement.end.line == 5 and text.splitlines()[4][statement.end.column - 2] == "}"


def test_missing_context_values_are_reported():
    result = decide([allow("ecr:*", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})], "ecr:BatchGetImage", FLASK)
    assert result.decision == "implicitDeny" and result.missing_context == ("aws:SourceIp",)
    assert decide([allow("ecr:*", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})], "ecr:BatchGetImage", FLASK,
                  context={"aws:SourceIp": "203.0.113.1"}).missing_context == ()


# Resource-based policies (an ECR repository policy), same account.
def test_repository_policy_alone_can_allow_a_named_role():
    statement = {"Effect": "Allow", "Principal": {"AWS": ROLE.identity_arn}, "Action": PULL}
    assert decide([], "ecr:BatchGetImage", FLASK, resource_policy=[statement]).decision == "allowed"
    assert decide([], "ecr:BatchGetImage", FLASK, principal=OTHER, resource_policy=[statement]).decision == "implicitDeny"


def test_repository_policy_naming_only_the_account_delegates_to_iam():
    statement = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": PULL}
    assert decide([], "ecr:BatchGetImage", FLASK, resource_policy=[statement]).decision == "implicitDeny"


def test_repository_policy_deny_beats_identity_allow_and_says_so():
    statement = {"Effect": "Deny", "Principal": "*", "Action": "ecr:*"}
    result = decide([allow("ecr:*")], "ecr:BatchGetImage", FLASK, resource_policy=[statement])
    assert result.decision == "explicitDeny"
    assert result.denial_message().endswith("with an explicit deny in a resource-based policy")


def test_not_principal_deny_spares_a_session_only_when_it_lists_the_session_role_and_account():
    role_only = {"Effect": "Deny", "NotPrincipal": {"AWS": ROLE.identity_arn}, "Action": "ecr:*"}
    assert decide([allow("ecr:*")], "ecr:BatchGetImage", FLASK, resource_policy=[role_only]).decision == "explicitDeny"
    every_arn = {"Effect": "Deny", "NotPrincipal": {"AWS": [ROLE.identity_arn, ROLE.arn, f"arn:aws:iam::{ACCOUNT}:root"]},
                 "Action": "ecr:*"}
    assert decide([allow("ecr:*")], "ecr:BatchGetImage", FLASK, resource_policy=[every_arn]).decision == "allowed"
    assert decide([allow("ecr:*")], "ecr:BatchGetImage", FLASK, principal=OTHER, resource_policy=[every_arn]).decision == "explicitDeny"


OUTSIDER = Principal(arn="arn:aws:iam::210987654321:user/eve", identity_arn="arn:aws:iam::210987654321:user/eve",
                     account="210987654321")


def test_another_accounts_principal_needs_the_resource_policy_and_its_own_identity_policy():
    grant = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"}, "Action": "ecr:BatchGetImage"}
    both = decide([allow("ecr:BatchGetImage")], "ecr:BatchGetImage", FLASK, principal=OUTSIDER, resource_policy=[grant])
    assert both.decision == "allowed"
    only_resource = decide([], "ecr:BatchGetImage", FLASK, principal=OUTSIDER, resource_policy=[grant])
    assert only_resource.decision == "implicitDeny"
    only_identity = decide([allow("ecr:BatchGetImage")], "ecr:BatchGetImage", FLASK, principal=OUTSIDER)
    assert only_identity.decision == "implicitDeny"
    assert only_identity.denial_message().endswith("because no resource-based policy allows the ecr:BatchGetImage action")


def test_trust_policy_lets_a_service_assume_the_role():
    trust = [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    role_arn = ROLE.identity_arn
    assert decide([], "sts:AssumeRole", role_arn, principal=Principal.aws_service("ec2.amazonaws.com"), resource_policy=trust).allowed
    assert not decide([], "sts:AssumeRole", role_arn, principal=Principal.aws_service("lambda.amazonaws.com"), resource_policy=trust).allowed


def test_denial_message_reads_like_aws():
    result = decide([allow(PULL)], "ecr:DescribeRepositories", f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/*")
    assert result.denial_message() == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/ec2-ecr-role/i-0abc is not authorized to perform: "
        f"ecr:DescribeRepositories on resource: arn:aws:ecr:us-east-1:{ACCOUNT}:repository/* "
        "because no identity-based policy allows the ecr:DescribeRepositories action"
    )
    denied = decide([allow("ecr:*"), deny("ecr:*")], "ecr:BatchGetImage", FLASK)
    assert denied.denial_message().endswith("with an explicit deny in an identity-based policy")


@pytest.mark.parametrize("document,reason", [
    ("{not json", "not valid JSON"),
    ({"Version": "2012-10-17"}, "Statement"),
    ({"Statement": [{"Effect": "Permit", "Action": "ecr:*", "Resource": "*"}]}, "Effect"),
    ({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, "Action or NotAction"),
])
def test_unreadable_policies_say_why(document, reason):
    with pytest.raises(PolicyError, match=reason):
        parse(document)


# Properties ---------------------------------------------------------------
ACTIONS = ["ecr:BatchGetImage", "ecr:GetAuthorizationToken", "ecr:DescribeRepositories", "ecr:PutImage", "ecr:ListImages"]
ACTION_PATTERNS = ACTIONS + ["ecr:*", "ecr:Batch*", "ECR:batchgetimage", "ecr:*Image", "*", "ecr:List?mages"]
RESOURCES = [FLASK, REPORTS, "*"]
RESOURCE_PATTERNS = [FLASK, REPORTS, "*", f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/*", f"arn:aws:ecr:*:{ACCOUNT}:repository/flask_?pp"]
CONDITIONS = [None, {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}, {"Bool": {"aws:SecureTransport": "true"}},
              {"StringEqualsIfExists": {"aws:ResourceTag/app": "flask_app"}}]

statement_strategy = st.builds(
    lambda effect, actions, resources, condition, negate: {
        "Effect": effect, ("NotAction" if negate else "Action"): actions, "Resource": resources,
        **({"Condition": condition} if condition else {}),
    },
    st.sampled_from(["Allow", "Deny"]),
    st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=3),
    st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2),
    st.sampled_from(CONDITIONS),
    st.booleans(),
)
request_strategy = st.tuples(st.sampled_from(ACTIONS), st.sampled_from(RESOURCES),
                             st.fixed_dictionaries({"aws:RequestedRegion": st.sampled_from(["us-east-1", "eu-west-1"]),
                                                    "aws:SecureTransport": st.sampled_from(["true", "false"])}))


@settings(max_examples=300, deadline=None)
@given(st.lists(statement_strategy, max_size=6), request_strategy, st.randoms())
def test_statement_order_never_matters(statements, request, random):
    shuffled = list(statements)
    random.shuffle(shuffled)
    action, resource, context = request
    assert decide(statements, action, resource, context=context).decision == decide(shuffled, action, resource, context=context).decision


@settings(max_examples=300, deadline=None)
@given(st.lists(statement_strategy, max_size=6), request_strategy)
def test_a_matching_deny_always_wins(statements, request):
    action, resource, context = request
    # A Deny naming exactly this request (an action without resource types is named with "*").
    named = resource if catalogue.supports_resources(action) else "*"
    assert decide(statements + [deny(action, named)], action, resource, context=context).decision == "explicitDeny"


@settings(max_examples=300, deadline=None)
@given(st.lists(statement_strategy, max_size=6), statement_strategy, request_strategy)
def test_adding_an_allow_never_removes_access(statements, extra, request):
    action, resource, context = request
    extra = dict(extra, Effect="Allow")
    before = decide(statements, action, resource, context=context).decision
    after = decide(statements + [extra], action, resource, context=context).decision
    if before == "allowed":
        assert after == "allowed"
    if before == "explicitDeny":
        assert after == "explicitDeny"


def test_a_not_resource_whose_variable_has_no_value_does_not_apply():
    """Found by the differential test: an unresolved variable leaves the statement out (it does not
    turn NotResource into "every resource")."""
    statement = deny("ecr:BatchGetImage", **{"NotResource": f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/${{aws:PrincipalTag/team}}*"})
    del statement["Resource"]
    assert decide([allow("ecr:*"), statement], "ecr:BatchGetImage", FLASK).decision == "allowed"
    assert decide([allow("ecr:*"), statement], "ecr:BatchGetImage", FLASK, context={"aws:PrincipalTag/team": "red"}).decision \
        == "explicitDeny"
