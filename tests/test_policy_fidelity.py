"""The engine against the IAM User Guide, one table per area that our own probing found wrong.

Pages read: "Policy evaluation logic", "Condition operators", "Variables and tags",
"Grammar of the IAM JSON policy language", "Version". Each row says what AWS
documents; a property per area says what must hold for every input.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iamlab.policy import Context, MalformedPolicyDocument, PolicyError, Principal, Request, evaluate, parse, validate

ACCOUNT = "123456789012"
ROLE = Principal.role_session(ACCOUNT, "ec2-ecr-role", "i-0abc")
USER = Principal(arn=f"arn:aws:iam::{ACCOUNT}:user/ana", identity_arn=f"arn:aws:iam::{ACCOUNT}:user/ana", account=ACCOUNT)
NOBODY = Principal()  # the simulator's caller when none is given: no identity, no aws:username
REPO = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/"
FLASK = REPO + "flask_app"


def decide(statement, action="ecr:BatchGetImage", resource=FLASK, context=None, principal=ROLE, version="2012-10-17"):
    document = {"Statement": [statement]}
    if version is not None:
        document = {"Version": version, **document}
    return evaluate(Request(principal, action, resource, Context(context or {})), [parse(document)]).decision


def allow(resource="*", **extra):
    return {"Effect": "Allow", "Action": "ecr:*", "Resource": resource, **extra}


def when(operator, key, values):
    return allow(Condition={operator: {key: values}})


# -- ARN operators: ArnEquals is ArnLike, ArnNotEquals is ArnNotLike ------------------------
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/ec2-ecr-role"
ARN_CASES = [
    ("ArnEquals exact", "ArnEquals", ROLE_ARN, "allowed"),
    ("ArnEquals with * in the resource part", "ArnEquals", f"arn:aws:iam::{ACCOUNT}:role/ec2-*", "allowed"),
    ("ArnEquals with ? in the resource part", "ArnEquals", f"arn:aws:iam::{ACCOUNT}:role/ec2-ecr-rol?", "allowed"),
    ("ArnEquals with * in the account part", "ArnEquals", "arn:aws:iam::*:role/ec2-ecr-role", "allowed"),
    ("ArnEquals: * stays inside its part", "ArnEquals", "arn:aws:iam::*", "implicitDeny"),
    ("ArnEquals is case-sensitive", "ArnEquals", ROLE_ARN.upper(), "implicitDeny"),
    ("ArnLike with *", "ArnLike", f"arn:aws:iam::{ACCOUNT}:role/*", "allowed"),
    ("ArnNotEquals with a matching wildcard", "ArnNotEquals", f"arn:aws:iam::{ACCOUNT}:role/ec2-*", "implicitDeny"),
    ("ArnNotEquals with another wildcard", "ArnNotEquals", f"arn:aws:iam::{ACCOUNT}:role/lambda-*", "allowed"),
    ("ArnNotLike with a matching wildcard", "ArnNotLike", f"arn:aws:iam::{ACCOUNT}:role/ec2-*", "implicitDeny"),
]


@pytest.mark.parametrize("description,operator,value,expected", ARN_CASES, ids=[c[0] for c in ARN_CASES])
def test_arn_operators(description, operator, value, expected):
    assert decide(when(operator, "aws:PrincipalArn", value)) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abc-*?:/", max_size=12), st.text(alphabet="abc-:/", max_size=12))
def test_arn_equals_and_arn_like_always_agree(pattern, value):
    context = {"aws:SourceArn": value}
    for equal, like in (("ArnEquals", "ArnLike"), ("ArnNotEquals", "ArnNotLike")):
        assert decide(when(equal, "aws:SourceArn", pattern), context=context) == \
            decide(when(like, "aws:SourceArn", pattern), context=context)


# -- policy variables: escapes, defaults, values taken literally ------------------------------
VARIABLE_CASES = [
    # (description, statement, resource, context, principal, expected)
    ("${*} is a literal star, not a wildcard", allow(REPO + "flask${*}"), FLASK, {}, ROLE, "implicitDeny"),
    ("${*} matches a literal star", allow(REPO + "flask${*}"), REPO + "flask*", {}, ROLE, "allowed"),
    ("${?} is a literal question mark", allow(REPO + "flask_ap${?}"), FLASK, {}, ROLE, "implicitDeny"),
    ("${$} is a literal dollar", allow(REPO + "${$}app"), REPO + "$app", {}, ROLE, "allowed"),
    ("a plain * beside ${*} still is a wildcard", allow(REPO + "*${*}"), REPO + "x*", {}, ROLE, "allowed"),
    ("StringEquals with ${*} compares a star", when("StringEquals", "aws:ResourceTag/app", "${*}"), FLASK,
     {"aws:ResourceTag/app": "flask_app"}, ROLE, "implicitDeny"),
    ("StringLike with ${*} compares a star", when("StringLike", "aws:ResourceTag/app", "flask${*}"), FLASK,
     {"aws:ResourceTag/app": "flask_app"}, ROLE, "implicitDeny"),
    ("StringLike with ${*} matches a star", when("StringLike", "aws:ResourceTag/app", "flask${*}"), FLASK,
     {"aws:ResourceTag/app": "flask*"}, ROLE, "allowed"),
    ("default used when the key is absent", allow(REPO + "${aws:username, 'flask_app'}"), FLASK, {}, ROLE, "allowed"),
    ("default ignored when the key is present", allow(REPO + "${aws:username, 'flask_app'}"), FLASK, {}, USER, "implicitDeny"),
    ("the key's value when present", allow(REPO + "${aws:username, 'x'}"), REPO + "ana", {}, USER, "allowed"),
    ("default with a doubled quote", when("StringEquals", "aws:ResourceTag/owner", "${aws:username, 'o''neil'}"), FLASK,
     {"aws:ResourceTag/owner": "o'neil"}, ROLE, "allowed"),
    ("key names in variables are case-insensitive", allow(REPO + "${AWS:UserName}"), REPO + "ana", {}, USER, "allowed"),
    ("no value, no default: matches nothing", allow(REPO + "${aws:username}"), FLASK, {}, ROLE, "implicitDeny"),
    ("a variable's value is literal, not a wildcard", allow(REPO + "${aws:PrincipalTag/repo}"), FLASK,
     {"aws:PrincipalTag/repo": "*"}, ROLE, "implicitDeny"),
    ("variables are not read by Numeric operators", when("NumericEquals", "aws:MultiFactorAuthAge", "${aws:EpochTime}"), FLASK,
     {"aws:MultiFactorAuthAge": "5", "aws:EpochTime": "5"}, ROLE, "implicitDeny"),
    ("a tag as a variable in a condition", when("StringEquals", "aws:ResourceTag/team", "${aws:PrincipalTag/team}"), FLASK,
     {"aws:ResourceTag/team": "blue", "aws:PrincipalTag/team": "blue"}, ROLE, "allowed"),
]


@pytest.mark.parametrize("description,statement,resource,context,principal,expected", VARIABLE_CASES,
                         ids=[c[0] for c in VARIABLE_CASES])
def test_policy_variables(description, statement, resource, context, principal, expected):
    assert decide(statement, resource=resource, context=context, principal=principal) == expected


def test_a_missing_variable_is_reported_as_missing_context():
    request = Request(NOBODY, "ecr:BatchGetImage", FLASK, Context())
    result = evaluate(request, [parse({"Version": "2012-10-17", "Statement": [allow(REPO + "${aws:username}")]})])
    assert result.decision == "implicitDeny" and "aws:username" in result.missing_context


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab*?$", min_size=1, max_size=8))
def test_a_variables_value_only_ever_matches_itself(value):
    """Whatever a tag holds, ${tag} in a Resource matches exactly that text."""
    statement = allow(REPO + "${aws:PrincipalTag/repo}")
    assert decide(statement, resource=REPO + value, context={"aws:PrincipalTag/repo": value}) == "allowed"
    assert decide(statement, resource=REPO + value + "x", context={"aws:PrincipalTag/repo": value}) == "implicitDeny"


# -- Version: variables exist only in 2012-10-17 ------------------------------------------------
VERSION_CASES = [
    ("2012-10-17 reads the variable", "2012-10-17", REPO + "ana", "allowed"),
    ("2008-10-17 takes it as text", "2008-10-17", REPO + "ana", "implicitDeny"),
    ("no Version takes it as text", None, REPO + "ana", "implicitDeny"),
    ("2008-10-17 matches the literal text", "2008-10-17", REPO + "${aws:username}", "allowed"),
    ("no Version matches the literal text", None, REPO + "${aws:username}", "allowed"),
]


@pytest.mark.parametrize("description,version,resource,expected", VERSION_CASES, ids=[c[0] for c in VERSION_CASES])
def test_version_decides_whether_variables_are_read(description, version, resource, expected):
    assert decide(allow(REPO + "${aws:username}"), resource=resource, principal=USER, version=version) == expected


def test_version_2008_conditions_take_variables_as_text():
    statement = when("StringEquals", "aws:ResourceTag/owner", "${aws:username}")
    assert decide(statement, context={"aws:ResourceTag/owner": "ana"}, principal=USER, version="2008-10-17") == "implicitDeny"
    assert decide(statement, context={"aws:ResourceTag/owner": "${aws:username}"}, principal=USER, version=None) == "allowed"


# -- the grammar: what is a MalformedPolicyDocument --------------------------------------------
GOOD = {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}
GRAMMAR_CASES = [
    ("no Resource nor NotResource", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*"}]}, "resources"),
    ("an invalid Version", {"Version": "2012-10-18", "Statement": [GOOD]}, "Version"),
    ("a Version that is a number", {"Version": 2012, "Statement": [GOOD]}, "Version"),
    ("an unknown condition operator", {"Version": "2012-10-17", "Statement": [
        dict(GOOD, Condition={"StringEqualz": {"aws:username": "ana"}})]}, "StringEqualz"),
    ("an unknown qualifier", {"Version": "2012-10-17", "Statement": [
        dict(GOOD, Condition={"ForSomeValues:StringEquals": {"aws:TagKeys": "a"}})]}, "ForSomeValues"),
    ("Null...IfExists does not exist", {"Version": "2012-10-17", "Statement": [
        dict(GOOD, Condition={"NullIfExists": {"aws:TagKeys": "true"}})]}, "NullIfExists"),
    ("an operator over no keys", {"Version": "2012-10-17", "Statement": [dict(GOOD, Condition={"StringEquals": {}})]}, "StringEquals"),
    ("a condition that is a list", {"Version": "2012-10-17", "Statement": [dict(GOOD, Condition=["x"])]}, "Condition"),
    ("an unknown top element", {"Version": "2012-10-17", "Statment": [GOOD], "Statement": [GOOD]}, "Statment"),
    ("an unknown statement element", {"Version": "2012-10-17", "Statement": [dict(GOOD, Efect="Allow")]}, "Efect"),
    ("an empty Statement", {"Version": "2012-10-17", "Statement": []}, "empty"),
    ("a Principal in an identity policy", {"Version": "2012-10-17", "Statement": [dict(GOOD, Principal="*")]}, "principal"),
    ("a statement that is a string", {"Version": "2012-10-17", "Statement": "ecr:*"}, "object"),
]


@pytest.mark.parametrize("description,document,reason", GRAMMAR_CASES, ids=[c[0] for c in GRAMMAR_CASES])
def test_grammar_errors_are_malformed_policy_documents(description, document, reason):
    with pytest.raises(MalformedPolicyDocument, match=reason):
        parse(document)
    with pytest.raises(MalformedPolicyDocument):
        validate(json.dumps(document))


@pytest.mark.parametrize("document", [
    {"Statement": [GOOD]},  # no Version: valid, it defaults to 2008-10-17
    {"Version": "2008-10-17", "Statement": GOOD},
    {"Version": "2012-10-17", "Id": "x", "Statement": [dict(GOOD, Sid="A", Condition={"ForAllValues:StringLikeIfExists": {"aws:TagKeys": ["a*"]}})]},
])
def test_valid_documents_pass(document):
    validate(document)


def test_resource_policies_name_a_principal_and_may_omit_resource():
    validate({"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}]}, "resource")
    with pytest.raises(MalformedPolicyDocument, match="Principal"):
        validate({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:BatchGetImage"}]}, "resource")


def test_malformed_is_the_policy_error_the_rest_of_the_course_catches():
    assert MalformedPolicyDocument is PolicyError and MalformedPolicyDocument.code == "MalformedPolicyDocument"


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda children: st.lists(children, max_size=3) | st.dictionaries(
                        st.sampled_from(["Version", "Statement", "Effect", "Action", "Resource", "Condition", "x"]),
                        children, max_size=4), max_leaves=12))
def test_any_json_either_parses_or_is_malformed(document):
    """Whatever a learner uploads, the answer is a policy or a MalformedPolicyDocument: never a crash."""
    try:
        parse(json.dumps(document))
    except MalformedPolicyDocument:
        pass


def test_a_missing_variable_in_a_condition_is_reported_as_missing_context():
    statement = when("StringEquals", "aws:ResourceTag/owner", "${aws:username}")
    request = Request(NOBODY, "ecr:BatchGetImage", FLASK, Context({"aws:ResourceTag/owner": "ana"}))
    result = evaluate(request, [parse({"Version": "2012-10-17", "Statement": [statement]})])
    assert result.decision == "implicitDeny" and "aws:username" in result.missing_context
    with_default = when("StringEquals", "aws:ResourceTag/owner", "${aws:username, 'ana'}")
    result = evaluate(request, [parse({"Version": "2012-10-17", "Statement": [with_default]})])
    assert result.decision == "allowed" and "aws:username" not in result.missing_context
