"""The sandbox refuses what AWS refuses, round two (issue 17): each gap found is a test here.

PassRole, the request context, the region signed, the simulator's own permission, unique
IDs, the one validator, protocol details and IMDSv2. The sandbox runs in this process
(tests/test_sandbox_security.py's ``Sandbox``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from iamlab.sandbox import instance

from .test_sandbox_security import ACCOUNT, ECR_ONLY, FLASK, REGION, TRUST_EC2, Sandbox, send

ADMIN_PROFILE_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    sandbox = Sandbox(tmp_path_factory.mktemp("round-two"))
    yield sandbox
    sandbox.stop()


def new_user(box, name: str, *statements) -> dict:
    box.iam.create_user(UserName=name)
    if statements:
        box.iam.put_user_policy(UserName=name, PolicyName="granted", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": list(statements)}))
    key = box.iam.create_access_key(UserName=name)["AccessKey"]
    return {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


def as_user(box, keys: dict, service: str, region: str = REGION, **config):
    return boto3.Session(aws_access_key_id=keys["key"], aws_secret_access_key=keys["secret"],
                         region_name=region).client(service, endpoint_url=box.endpoint,
                                                    config=Config(retries={"max_attempts": 1}, **config))


def as_instance(box, creds: dict, service: str):
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["Token"], region_name=REGION).client(
        service, endpoint_url=box.endpoint, config=Config(retries={"max_attempts": 1}))


def error_of(call) -> dict:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]


def image(box) -> str:
    return box.ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]


def admin_profile(box, name: str) -> str:
    box.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    box.iam.put_role_policy(RoleName=name, PolicyName="all", PolicyDocument=json.dumps(ADMIN_PROFILE_POLICY))
    box.iam.create_instance_profile(InstanceProfileName=f"{name}-profile")
    box.iam.add_role_to_instance_profile(InstanceProfileName=f"{name}-profile", RoleName=name)
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


# -- iam:PassRole --------------------------------------------------------------------------------
def test_run_instances_with_a_profile_needs_pass_role_on_exactly_that_role(box):
    role_arn = admin_profile(box, "powerful")
    keys = new_user(box, "launcher", {"Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:DescribeImages"], "Resource": "*"})
    ec2 = as_user(box, keys, "ec2")
    launch = lambda: ec2.run_instances(ImageId=image(box), MinCount=1, MaxCount=1, InstanceType="t2.micro",  # noqa: E731
                                       IamInstanceProfile={"Name": "powerful-profile"})
    refused = error_of(launch)
    assert refused["Code"] == "UnauthorizedOperation"
    assert f"User: arn:aws:iam::{ACCOUNT}:user/launcher is not authorized to perform: iam:PassRole on resource: {role_arn}" \
        in refused["Message"]
    assert not [r for r in box.ec2.describe_instances()["Reservations"]
                for i in r["Instances"] if i.get("IamInstanceProfile", {}).get("Arn", "").endswith("/powerful-profile")]
    box.iam.put_user_policy(UserName="launcher", PolicyName="pass-other", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole",
                                                "Resource": f"arn:aws:iam::{ACCOUNT}:role/someone-else"}]}))
    assert error_of(launch)["Code"] == "UnauthorizedOperation"
    box.iam.put_user_policy(UserName="launcher", PolicyName="pass-lambda", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": role_arn,
                                                "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}}]}))
    assert error_of(launch)["Code"] == "UnauthorizedOperation"
    box.iam.put_user_policy(UserName="launcher", PolicyName="pass-ec2", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": role_arn,
                                                "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}]}))
    assert launch()["Instances"][0]["IamInstanceProfile"]["Arn"].endswith("/powerful-profile")


def test_associating_or_replacing_a_profile_needs_pass_role(box):
    role_arn = admin_profile(box, "mighty")
    admin_profile(box, "mightier")
    instance_id = box.ec2.run_instances(ImageId=image(box), MinCount=1, MaxCount=1, InstanceType="t2.micro")["Instances"][0]["InstanceId"]
    keys = new_user(box, "attacher", {"Effect": "Allow", "Action": ["ec2:AssociateIamInstanceProfile",
                                                                    "ec2:ReplaceIamInstanceProfileAssociation"], "Resource": "*"})
    ec2 = as_user(box, keys, "ec2")
    refused = error_of(lambda: ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": "mighty-profile"},
                                                                  InstanceId=instance_id))
    assert refused["Code"] == "UnauthorizedOperation" and f"iam:PassRole on resource: {role_arn}" in refused["Message"]
    box.iam.put_user_policy(UserName="attacher", PolicyName="pass", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": role_arn}]}))
    association = ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": "mighty-profile"},
                                                     InstanceId=instance_id)["IamInstanceProfileAssociation"]["AssociationId"]
    replaced = error_of(lambda: ec2.replace_iam_instance_profile_association(
        IamInstanceProfile={"Arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/mightier-profile"}, AssociationId=association))
    assert replaced["Code"] == "UnauthorizedOperation" and "role/mightier" in replaced["Message"]


def test_the_learner_still_launches_with_a_profile(box):
    admin_profile(box, "learners")
    launched = box.ec2.run_instances(ImageId=image(box), MinCount=1, MaxCount=1, InstanceType="t2.micro",
                                     IamInstanceProfile={"Name": "learners-profile"})
    assert launched["Instances"][0]["IamInstanceProfile"]["Arn"].endswith("/learners-profile")


# -- the request context ---------------------------------------------------------------------------
def test_token_issue_time_revokes_older_sessions_and_is_present(box):
    creds = instance.credentials(box.instance_with_role("revoked", policy=ECR_ONLY), box.info)
    ecr = as_instance(box, creds, "ecr")
    assert ecr.describe_repositories(repositoryNames=["flask_app"])["repositories"]
    null_deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                                                         "Condition": {"Null": {"aws:TokenIssueTime": "true"}}}]}
    box.iam.put_role_policy(RoleName="revoked", PolicyName="null", PolicyDocument=json.dumps(null_deny))
    assert ecr.describe_repositories(repositoryNames=["flask_app"])["repositories"]  # the key is there
    later = (datetime.now(timezone.utc) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    revoke = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                                                      "Condition": {"DateLessThan": {"aws:TokenIssueTime": later}}}]}
    box.iam.put_role_policy(RoleName="revoked", PolicyName="AWSRevokeOlderSessions", PolicyDocument=json.dumps(revoke))
    assert "explicit deny" in error_of(lambda: ecr.describe_repositories(repositoryNames=["flask_app"]))["Message"]


def test_request_tags_reach_the_policy(box):
    keys = new_user(box, "tagger", {"Effect": "Allow", "Action": ["ecr:CreateRepository", "ecr:TagResource"], "Resource": "*",
                                    "Condition": {"StringEquals": {"aws:RequestTag/team": "blue"},
                                                  "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}})
    ecr = as_user(box, keys, "ecr")
    assert ecr.create_repository(repositoryName="blue-app", tags=[{"Key": "team", "Value": "blue"}])["repository"]
    assert error_of(lambda: ecr.create_repository(repositoryName="red-app", tags=[{"Key": "team", "Value": "red"}]))["Code"] \
        == "AccessDeniedException"
    assert error_of(lambda: ecr.create_repository(repositoryName="untagged"))["Code"] == "AccessDeniedException"
    assert error_of(lambda: ecr.create_repository(repositoryName="extra", tags=[
        {"Key": "team", "Value": "blue"}, {"Key": "cost", "Value": "x"}]))["Code"] == "AccessDeniedException"


@pytest.mark.parametrize("key, value", [
    ("aws:PrincipalIsAWSService", "false"), ("aws:ViaAWSService", "false"), ("aws:MultiFactorAuthPresent", "false"),
    ("aws:ResourceAccount", ACCOUNT), ("aws:PrincipalType", "AssumedRole")])
def test_keys_aws_always_supplies_are_supplied(box, key, value):
    role = f"ctx-{key.split(':')[1].lower()}"
    creds = instance.credentials(box.instance_with_role(role, policy={"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecr:DescribeRepositories", "Resource": "*",
         "Condition": {"StringEquals": {key: value}}}]}), box.info)
    assert as_instance(box, creds, "ecr").describe_repositories()["repositories"]


def test_userid_carries_the_roles_unique_id_and_the_instances_network(box):
    instance_id = box.instance_with_role("ided", policy=None)
    role_id = box.iam.get_role(RoleName="ided")["Role"]["RoleId"]
    described = box.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    box.iam.put_role_policy(RoleName="ided", PolicyName="granted", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:DescribeRepositories", "Resource": "*",
                                                "Condition": {"StringEquals": {
                                                    "aws:userid": f"{role_id}:{instance_id}",
                                                    "aws:Ec2InstanceSourceVPC": described["VpcId"],
                                                    "aws:Ec2InstanceSourcePrivateIPv4": described["PrivateIpAddress"]}}}]}))
    assert role_id.startswith("AROA")
    creds = instance.credentials(instance_id, box.info)
    assert as_instance(box, creds, "ecr").describe_repositories()["repositories"]


# -- the region signed ----------------------------------------------------------------------------
def test_the_region_served_is_the_region_signed(box):
    box.ecr.create_repository(repositoryName="only-in-west")  # the learner's region: us-east-1
    west = boto3.Session(aws_access_key_id=box.key_id, aws_secret_access_key=box.secret, region_name="us-west-2").client(
        "ecr", endpoint_url=box.endpoint)
    west.create_repository(repositoryName="west-only")
    # signed for us-east-1, with a User-Agent naming us-west-2: served from us-east-1
    status, _, body = send(box, {"key": box.key_id, "secret": box.secret}, "ecr", body=b"{}", headers={
        "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories",
        "Content-Type": "application/x-amz-json-1.1", "User-Agent": "aws-cli/2 region/us-west-2"})
    names = [r["repositoryName"] for r in json.loads(body)["repositories"]]
    assert status == 200 and "west-only" not in names and "flask_app" in names
    # a Host naming another region's endpoint: refused, as that endpoint refuses the scope
    status, _, body = send(box, {"key": box.key_id, "secret": box.secret}, "ecr", body=b"{}", headers={
        "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories",
        "Content-Type": "application/x-amz-json-1.1", "Host": "api.ecr.us-west-2.amazonaws.com"})
    assert status == 403 and "Credential should be scoped to a valid region" in body and "west-only" not in body


# -- the simulator is an IAM action --------------------------------------------------------------
def test_the_simulator_needs_its_permission(box):
    creds = instance.credentials(box.instance_with_role("nosim", policy=ECR_ONLY), box.info)
    iam = as_instance(box, creds, "iam")
    assert error_of(lambda: iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:role/nosim", ActionNames=["ecr:BatchGetImage"]))["Code"] == "AccessDenied"
    assert error_of(lambda: iam.simulate_custom_policy(
        PolicyInputList=[json.dumps(ECR_ONLY)], ActionNames=["ecr:BatchGetImage"]))["Code"] == "AccessDenied"
    box.iam.put_role_policy(RoleName="nosim", PolicyName="sim", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:SimulateCustomPolicy",
                                                                              "iam:SimulatePrincipalPolicy"], "Resource": "*"}]}))
    assert iam.simulate_custom_policy(PolicyInputList=[json.dumps(ECR_ONLY)],
                                      ActionNames=["ecr:BatchGetImage"])["EvaluationResults"]


def test_simulate_custom_policy_refuses_an_assumed_role_caller(box):
    error = error_of(lambda: box.iam.simulate_custom_policy(
        PolicyInputList=[json.dumps(ECR_ONLY)], ActionNames=["ecr:BatchGetImage"], ResourceArns=[FLASK],
        CallerArn=f"arn:aws:sts::{ACCOUNT}:assumed-role/least/i-0123",
        ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}]})))
    assert error["Code"] == "InvalidInput"


# -- unique IDs --------------------------------------------------------------------------------------
def test_a_recreated_user_is_not_the_one_a_trust_policy_named(box):
    keys = new_user(box, "dora", {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/dora"
    assert box.iam.get_user(UserName="dora")["User"]["UserId"].startswith("AIDA")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"}]}
    role_arn = box.iam.create_role(RoleName="doras", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    assert as_user(box, keys, "sts").assume_role(RoleArn=role_arn, RoleSessionName="sess")["Credentials"]
    old_id = box.iam.get_user(UserName="dora")["User"]["UserId"]
    box.iam.delete_access_key(UserName="dora", AccessKeyId=keys["key"])
    box.iam.delete_user_policy(UserName="dora", PolicyName="granted")
    box.iam.delete_user(UserName="dora")
    document = box.iam.get_role(RoleName="doras")["Role"]["AssumeRolePolicyDocument"]
    assert document["Statement"][0]["Principal"]["AWS"] == old_id  # as IAM shows a deleted principal
    again = new_user(box, "dora", {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
    assert error_of(lambda: as_user(box, again, "sts").assume_role(RoleArn=role_arn, RoleSessionName="sess"))["Code"] == "AccessDenied"


def test_a_repository_policy_names_the_role_that_existed_when_it_was_saved(box):
    box.ecr.create_repository(repositoryName="bound")
    creds = instance.credentials(box.instance_with_role("binder", policy=None), box.info)
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/binder"
    box.ecr.set_repository_policy(repositoryName="bound", policyText=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Pull", "Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": "ecr:DescribeImages"}]}))
    assert as_instance(box, creds, "ecr").describe_images(repositoryName="bound")
    role_id = box.iam.get_role(RoleName="binder")["Role"]["RoleId"]
    box.iam.remove_role_from_instance_profile(InstanceProfileName="binder-profile", RoleName="binder")
    box.iam.delete_role(RoleName="binder")
    text = box.ecr.get_repository_policy(repositoryName="bound")["policyText"]
    assert json.loads(text)["Statement"][0]["Principal"]["AWS"] == role_id


# -- one validator, whatever the door -------------------------------------------------------------------
BAD = [
    ("duplicate sid", [{"Sid": "A", "Effect": "Allow", "Action": "ecr:ListImages", "Resource": "*"},
                       {"Sid": "A", "Effect": "Allow", "Action": "ecr:DescribeImages", "Resource": "*"}],
     "Statement IDs (SID) in a single policy must be unique."),
    ("no prefix", [{"Effect": "Allow", "Action": "ListImages", "Resource": "*"}], "must be prefaced by a vendor"),
    ("two colons", [{"Effect": "Allow", "Action": "ecr:List:Images", "Resource": "*"}], "can contain only one colon"),
    ("wildcard vendor", [{"Effect": "Allow", "Action": "ecr*", "Resource": "*"}], "must be prefaced by a vendor"),
    ("not an arn", [{"Effect": "Allow", "Action": "ecr:ListImages", "Resource": "flask_app"}], "must be in ARN format"),
    ("sid characters", [{"Sid": "pull flask", "Effect": "Allow", "Action": "ecr:ListImages", "Resource": "*"}],
     "Statement IDs (SID) must be alpha-numeric"),
]


@pytest.mark.parametrize("case, statements, words", BAD, ids=[c[0] for c in BAD])
def test_every_door_refuses_the_same_policy_with_the_same_words(box, case, statements, words):
    document = json.dumps({"Version": "2012-10-17", "Statement": statements})
    doors = {
        "CreatePolicy": lambda: box.iam.create_policy(PolicyName="bad", PolicyDocument=document),
        "PutRolePolicy": lambda: box.iam.put_role_policy(RoleName="door", PolicyName="bad", PolicyDocument=document),
        "SimulateCustomPolicy": lambda: box.iam.simulate_custom_policy(PolicyInputList=[document], ActionNames=["ecr:ListImages"]),
    }
    if "door" not in [r["RoleName"] for r in box.iam.list_roles()["Roles"]]:
        box.iam.create_role(RoleName="door", AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    for door, call in doors.items():
        error = error_of(call)
        assert (door, error["Code"]) == (door, "MalformedPolicyDocument") and words in error["Message"], door


def padded(count: int, limit_chars: int) -> dict:
    actions = [f"ecr:Describe{'X' * 40}{i}" for i in range(count)]
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}


def test_policy_sizes_have_aws_quotas_without_counting_white_space(box):
    big = json.dumps(padded(160, 6144))
    assert 6144 < len(big.replace(" ", "")) < 10240
    error = error_of(lambda: box.iam.create_policy(PolicyName="big", PolicyDocument=big))
    assert error["Code"] == "LimitExceeded" and error["Message"] == "Cannot exceed quota for PolicySize: 6144"
    roomy = json.dumps(padded(100, 6144), indent=40)  # white space beyond the quota does not count
    assert len(roomy) > 6144 and box.iam.create_policy(PolicyName="roomy", PolicyDocument=roomy)
    box.iam.create_role(RoleName="sized", AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    box.iam.put_role_policy(RoleName="sized", PolicyName="one", PolicyDocument=big)  # 10,240 for all of a role's inline policies
    error = error_of(lambda: box.iam.put_role_policy(RoleName="sized", PolicyName="two", PolicyDocument=big))
    assert error["Code"] == "LimitExceeded" and error["Message"] == "Maximum policy size of 10240 bytes exceeded for role sized"
    trust = {"Version": "2012-10-17", "Statement": [
        {"Sid": f"S{i}", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        for i in range(40)]}
    error = error_of(lambda: box.iam.update_assume_role_policy(RoleName="sized", PolicyDocument=json.dumps(trust)))
    assert error["Code"] == "LimitExceeded" and error["Message"] == "Cannot exceed quota for ACLSizePerRole: 2048"


@pytest.mark.parametrize("principal, extra", [
    ({"AWS": "flask-puller"}, {}),
    ({"AWS": f"arn:aws:iam::{ACCOUNT}:role/no-such-role"}, {}),
    ({"AWS": f"arn:aws:iam::{ACCOUNT}:instance-profile/least-profile"}, {}),
    ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, {"Resource": FLASK}),
], ids=["bare name", "missing role", "instance profile", "resource element"])
def test_a_repository_policy_ecr_refuses_is_refused_in_ecrs_words(box, principal, extra):
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal,
                                                        "Action": "ecr:BatchGetImage", **extra}]}
    error = error_of(lambda: box.ecr.set_repository_policy(repositoryName="flask_app", policyText=json.dumps(document)))
    assert error["Code"] == "InvalidParameterException"
    assert error["Message"].startswith("Invalid parameter at 'PolicyText' failed to satisfy constraint: "
                                       "'Invalid repository policy provided'")


def test_a_trust_policy_naming_a_missing_role_is_refused(box):
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/ghost"},
                                                     "Action": "sts:AssumeRole"}]}
    error = error_of(lambda: box.iam.create_role(RoleName="haunted", AssumeRolePolicyDocument=json.dumps(trust)))
    assert error["Code"] == "MalformedPolicyDocument"
    assert error["Message"] == f'Invalid principal in policy: "AWS":"arn:aws:iam::{ACCOUNT}:role/ghost"'


# -- protocol ------------------------------------------------------------------------------------------
def test_signed_headers_without_host_are_refused(box):
    def drop_host(header: str) -> str:
        head, _, rest = header.partition("SignedHeaders=")
        names, _, tail = rest.partition(",")
        assert "host" in names.split(";")
        return f"{head}SignedHeaders={';'.join(n for n in names.split(';') if n != 'host')},{tail}"

    status, _, body = send(box, {"key": box.key_id, "secret": box.secret}, "sts", body=b"Action=GetCallerIdentity&Version=2011-06-15",
                           headers={"Content-Type": "application/x-www-form-urlencoded"}, authorization=drop_host)
    assert status == 400 and "IncompleteSignature" in body and "'Host' or ':authority' must be a 'SignedHeader'" in body


def test_a_json_member_of_the_wrong_type_is_a_400(box):
    body = json.dumps({"repositoryName": "flask_app", "imageIds": "latest"}).encode()
    status, _, text = send(box, {"key": box.key_id, "secret": box.secret}, "ecr", body=body, headers={
        "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.BatchGetImage", "Content-Type": "application/x-amz-json-1.1"})
    assert status == 400 and json.loads(text)["__type"] == "SerializationException" and "imageIds" in text


# -- IMDSv2 -------------------------------------------------------------------------------------------------
def metadata(box, instance_id: str, path: str, method: str = "GET", headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(f"{box.endpoint}/iamlab/instances/{instance_id}/{path}", method=method,
                                     headers={"X-Iamlab-Key": box.secret, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_imdsv2_refuses_forwarded_token_requests_odd_ttls_and_other_roles(box):
    instance_id = box.instance_with_role("imds", policy=None)
    ttl = {"X-aws-ec2-metadata-token-ttl-seconds": "60"}
    assert metadata(box, instance_id, "latest/api/token", "PUT", {**ttl, "X-Forwarded-For": "203.0.113.9"})[0] == 403
    for odd in ("6_0", "+60", "60.0", "0", "21601"):
        assert metadata(box, instance_id, "latest/api/token", "PUT", {"X-aws-ec2-metadata-token-ttl-seconds": odd})[0] == 400, odd
    status, token = metadata(box, instance_id, "latest/api/token", "PUT", ttl)
    assert status == 200
    with_token = {"X-aws-ec2-metadata-token": token}
    assert metadata(box, instance_id, "latest/meta-data/iam/security-credentials/admin", headers=with_token)[0] == 404
    status, document = metadata(box, instance_id, "latest/meta-data/iam/security-credentials/imds", headers=with_token)
    assert status == 200 and json.loads(document)["Code"] == "Success"


def test_a_registry_pull_carries_the_credentials_token_issue_time(box):
    """A docker/skopeo pull is judged with the context of the credentials that logged in: the
    "revoke older sessions" Deny reaches registry pulls too, and a Null check does not misfire."""
    creds = instance.credentials(box.instance_with_role("registry-revoked", policy=ECR_ONLY), box.info)
    token = as_instance(box, creds, "ecr").get_authorization_token()["authorizationData"][0]["authorizationToken"]
    request = urllib.request.Request(f"{box.endpoint}/v2/flask_app/manifests/latest",
                                     headers={"Authorization": f"Basic {token}",
                                              "Accept": "application/vnd.docker.distribution.manifest.v2+json"})

    def status() -> int:
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return reply.status
        except urllib.error.HTTPError as error:
            return error.code

    null_deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                                                         "Condition": {"Null": {"aws:TokenIssueTime": "true"}}}]}
    box.iam.put_role_policy(RoleName="registry-revoked", PolicyName="null", PolicyDocument=json.dumps(null_deny))
    assert status() == 200
    later = (datetime.now(timezone.utc) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    box.iam.put_role_policy(RoleName="registry-revoked", PolicyName="revoke", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                                                "Condition": {"DateLessThan": {"aws:TokenIssueTime": later}}}]}))
    assert status() == 403
