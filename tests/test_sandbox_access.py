"""The sandbox decides access like AWS: the instance's identity, enforcement, simulator, registry."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from iamlab import sandbox
from iamlab.pull import pull_steps, skopeo_pull
from iamlab.sandbox import instance

from .conftest import FLASK, PULL, error_of
from . import waits

ACCOUNT = sandbox.ACCOUNT_ID
REPORTS = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/reports_app"


# -- the instance's identity -------------------------------------------------------
def test_instance_credentials_belong_to_a_session_named_after_the_instance(world, puller):
    document = instance.credentials(puller)
    assert document["Code"] == "Success" and document["AccessKeyId"].startswith("ASIA")
    assert set(document) >= {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}
    me = instance.session(puller).client("sts").get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/puller/{puller}"
    assert instance.credentials(puller)["AccessKeyId"] == document["AccessKeyId"]  # reused, as IMDS does


def test_broken_trust_gives_no_credentials_and_says_why(world):
    lambda_trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    instance_id = world.instance_with_role("untrusting", trust=lambda_trust)
    with pytest.raises(instance.InstanceCredentialsError) as error:
        instance.credentials(instance_id)
    assert error.value.code == "AssumeRoleUnauthorizedAccess"
    assert "trust policy does not allow the principal ec2.amazonaws.com" in str(error.value)


def test_instance_without_profile_gets_no_credentials(world):
    instance_id = world.instance_with_role("unworn", profile=False)
    with pytest.raises(instance.InstanceCredentialsError, match="no instance profile"):
        instance.credentials(instance_id)


def test_cli_prints_metadata_json_and_export_lines(world, puller):
    env = dict(os.environ)
    printed = subprocess.run([sys.executable, "-m", "iamlab", "instance", "credentials", puller], capture_output=True, text=True, env=env)
    assert json.loads(printed.stdout)["Code"] == "Success"
    exports = subprocess.run([sys.executable, "-m", "iamlab", "instance", "env", puller], capture_output=True, text=True, env=env).stdout
    assert "export AWS_SESSION_TOKEN=" in exports and f"export AWS_ENDPOINT_URL={world.info.endpoint}" in exports


# -- enforcement --------------------------------------------------------------------
def test_scoped_policy_allows_its_repository_and_denies_the_rest(world, puller):
    ecr = instance.session(puller).client("ecr")
    assert ecr.batch_get_image(repositoryName="flask_app", imageIds=[{"imageTag": "latest"}])["images"]
    denied = error_of(lambda: ecr.batch_get_image(repositoryName="reports_app", imageIds=[{"imageTag": "latest"}]))
    assert denied["Code"] == "AccessDeniedException"
    assert denied["Message"] == (f"User: arn:aws:sts::{ACCOUNT}:assumed-role/puller/{puller} is not authorized to perform: "
                                 f"ecr:BatchGetImage on resource: {REPORTS} because no identity-based policy allows the ecr:BatchGetImage action")


def test_describe_repositories_is_denied_on_repository_star(world, puller):
    denied = error_of(lambda: instance.session(puller).client("ecr").describe_repositories())
    assert denied["Code"] == "AccessDeniedException"
    assert f"on resource: arn:aws:ecr:us-east-1:{ACCOUNT}:repository/* because no identity-based policy" in denied["Message"]


def test_the_learner_keeps_full_access(world, puller):
    assert len(world.ecr.describe_repositories()["repositories"]) == 2


def test_aws_cli_on_the_instance_prints_the_real_error(world, puller):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(instance.environment(puller))
    result = subprocess.run(["aws", "ecr", "describe-repositories"], capture_output=True, text=True, env=env,
                            timeout=waits.bound(waits.COMMAND))
    assert result.returncode != 0
    assert (f"An error occurred (AccessDeniedException) when calling the DescribeRepositories operation: "
            f"User: arn:aws:sts::{ACCOUNT}:assumed-role/puller/{puller} is not authorized to perform: ecr:DescribeRepositories") in result.stderr
    password = subprocess.run(["aws", "ecr", "get-login-password"], capture_output=True, text=True, env=env,
                            timeout=waits.bound(waits.COMMAND))
    assert password.returncode == 0 and password.stdout.strip()


def test_action_names_match_case_insensitively_unlike_moto(world):
    instance_id = world.instance_with_role("shouty")
    world.grant("shouty", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ECR:batchgetimage", "Resource": FLASK}]})
    ecr = instance.session(instance_id).client("ecr")
    assert ecr.batch_get_image(repositoryName="flask_app", imageIds=[{"imageTag": "latest"}])["images"]


def test_explicit_deny_in_a_policy_says_so(world):
    instance_id = world.instance_with_role("denied")
    world.grant("denied", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "ecr:BatchGetImage", "Resource": FLASK}]})
    ecr = instance.session(instance_id).client("ecr")
    denied = error_of(lambda: ecr.batch_get_image(repositoryName="flask_app", imageIds=[{"imageTag": "latest"}]))
    assert denied["Message"].endswith("with an explicit deny in an identity-based policy")
    assert ecr.batch_get_image(repositoryName="reports_app", imageIds=[{"imageTag": "latest"}])["images"]


def test_repository_policy_can_grant_and_deny(world):
    instance_id = world.instance_with_role("repo-guest")
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/repo-guest"
    world.ecr.set_repository_policy(repositoryName="reports_app", policyText=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "GuestMayPull", "Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": PULL}]}))
    try:
        ecr = instance.session(instance_id).client("ecr")
        assert ecr.batch_get_image(repositoryName="reports_app", imageIds=[{"imageTag": "latest"}])["images"]
        assert error_of(lambda: ecr.batch_get_image(repositoryName="flask_app", imageIds=[{"imageTag": "latest"}]))["Code"] == "AccessDeniedException"
        world.ecr.set_repository_policy(repositoryName="reports_app", policyText=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "ecr:*"}]}))
        world.grant("repo-guest", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]})
        denied = error_of(lambda: ecr.batch_get_image(repositoryName="reports_app", imageIds=[{"imageTag": "latest"}]))
        assert denied["Message"].endswith("with an explicit deny in a resource-based policy")
    finally:
        world.ecr.delete_repository_policy(repositoryName="reports_app")


def test_condition_on_a_resource_tag_is_enforced(world):
    instance_id = world.instance_with_role("tagged")
    world.grant("tagged", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:BatchGetImage", "Resource": "*",
                                                               "Condition": {"StringEquals": {"aws:ResourceTag/app": "flask_app"}}}]})
    ecr = instance.session(instance_id).client("ecr")
    assert ecr.batch_get_image(repositoryName="flask_app", imageIds=[{"imageTag": "latest"}])["images"]
    assert error_of(lambda: ecr.batch_get_image(repositoryName="reports_app", imageIds=[{"imageTag": "latest"}]))["Code"] == "AccessDeniedException"


def test_denials_in_iam_and_ec2_take_their_protocols_shape(world, puller):
    session = instance.session(puller)
    assert error_of(lambda: session.client("iam").list_roles())["Code"] == "AccessDenied"
    ec2 = error_of(lambda: session.client("ec2").describe_instances())
    assert ec2["Code"] == "UnauthorizedOperation" and "ec2:DescribeInstances" in ec2["Message"]


def test_layer_apis_exist_and_are_enforced(world, puller):
    ecr = instance.session(puller).client("ecr")
    manifest = json.loads(ecr.batch_get_image(repositoryName="flask_app", imageIds=[{"imageTag": "latest"}])["images"][0]["imageManifest"])
    digest = manifest["layers"][0]["digest"]
    checked = ecr.batch_check_layer_availability(repositoryName="flask_app", layerDigests=[digest, "sha256:" + "0" * 64])
    assert checked["layers"][0]["layerAvailability"] == "AVAILABLE" and checked["failures"][0]["failureCode"] == "MissingLayerDigest"
    url = ecr.get_download_url_for_layer(repositoryName="flask_app", layerDigest=digest)["downloadUrl"]
    with urllib.request.urlopen(url) as reply:
        assert "sha256:" + __import__("hashlib").sha256(reply.read()).hexdigest() == digest
    assert error_of(lambda: ecr.get_download_url_for_layer(repositoryName="reports_app", layerDigest=digest))["Code"] == "AccessDeniedException"


def test_activity_records_what_the_instance_did(world, puller):
    instance.session(puller).client("ecr").batch_get_image(repositoryName="flask_app", imageIds=[{"imageTag": "latest"}])
    records = sandbox.activity(f"arn:aws:sts::{ACCOUNT}:assumed-role/puller/", world.info)
    assert any(r["action"] == "ecr:BatchGetImage" and r["resource"] == FLASK and r["decision"] == "allowed" for r in records)


# -- the policy simulator ---------------------------------------------------------
def test_simulate_principal_policy_answers_in_boto3s_shape(world, puller):
    results = world.iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:role/puller",
        ActionNames=["ecr:BatchGetImage", "ecr:GetAuthorizationToken", "ecr:DescribeRepositories"],
        ResourceArns=[FLASK])["EvaluationResults"]
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in results}
    assert decisions == {"ecr:BatchGetImage": "allowed", "ecr:GetAuthorizationToken": "allowed", "ecr:DescribeRepositories": "implicitDeny"}
    pull = next(r for r in results if r["EvalActionName"] == "ecr:BatchGetImage")
    [matched] = pull["MatchedStatements"]
    assert matched["SourcePolicyId"] == f"arn:aws:iam::{ACCOUNT}:policy/puller-policy"
    assert matched["SourcePolicyType"] == "user-managed" and matched["StartPosition"]["Line"] >= 1
    assert pull["ResourceSpecificResults"][0]["EvalResourceDecision"] == "allowed"


def test_simulate_custom_policy_reports_missing_context(world):
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*",
                                                               "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]})
    [missing] = world.iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["ecr:ListImages"])["EvaluationResults"]
    assert missing["EvalDecision"] == "implicitDeny" and missing["MissingContextValues"] == ["aws:SourceIp"]
    [given] = world.iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["ecr:ListImages"], ContextEntries=[
        {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["203.0.113.9"], "ContextKeyType": "ip"}])["EvaluationResults"]
    assert given["EvalDecision"] == "allowed"


def test_simulator_rejects_a_malformed_policy(world):
    error = error_of(lambda: world.iam.simulate_custom_policy(PolicyInputList=["{oops"], ActionNames=["ecr:ListImages"]))
    assert error["Code"] == "MalformedPolicyDocument"


# -- the registry ---------------------------------------------------------------------
def test_registry_requires_a_login(world):
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{world.info.endpoint}/v2/")
    assert error.value.code == 401 and "Basic realm=" in error.value.headers["WWW-Authenticate"]
    bad = urllib.request.Request(f"{world.info.endpoint}/v2/", headers={"Authorization": "Basic " + base64.b64encode(b"AWS:nope").decode()})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(bad)
    assert error.value.code == 401


def test_pull_steps_show_each_decision(world, puller):
    granted = pull_steps(puller, "flask_app")
    assert granted.pulled and [s.permission for s in granted.steps][-1] == "ecr:GetDownloadUrlForLayer"
    refused = pull_steps(puller, "reports_app")
    assert not refused.pulled and refused.denied_step.permission == "ecr:BatchGetImage"
    assert "is not authorized to perform: ecr:BatchGetImage" in refused.denied_step.detail


def test_skopeo_pulls_the_granted_image_and_is_refused_the_other(world, puller):
    granted = skopeo_pull(puller, "flask_app")
    assert granted.ok, granted.output
    assert "Writing manifest to image destination" in granted.output
    refused = skopeo_pull(puller, "reports_app")
    assert not refused.ok and "denied: User: " in refused.output and "ecr:BatchGetImage" in refused.output


def test_login_fails_without_resource_star(world):
    instance_id = world.instance_with_role("scoped-login")
    world.grant("scoped-login", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"] + PULL, "Resource": FLASK}]})
    report = pull_steps(instance_id, "flask_app")
    assert not report.pulled and report.denied_step.permission == "ecr:GetAuthorizationToken"
    assert "on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action" in report.denied_step.detail


def test_instance_env_exports_the_registry_the_readings_skopeo_command_uses(world, puller, tmp_path):
    """lessons/05: after `eval "$(python -m iamlab instance env ID)"`, skopeo pulls from $REGISTRY."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(instance.environment(puller))
    proxy = instance.session(puller).client("ecr").get_authorization_token()["authorizationData"][0]["proxyEndpoint"]
    assert env["REGISTRY"] == proxy.split("://", 1)[1]
    assert "export REGISTRY=" in instance.export(puller)
    command = ('skopeo copy --src-tls-verify=false --src-creds "AWS:$(aws ecr get-login-password)" '
               f'"docker://$REGISTRY/flask_app:latest" dir:{tmp_path}/flask_app')
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "flask_app" / "manifest.json").exists()
