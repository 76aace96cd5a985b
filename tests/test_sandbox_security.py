"""The sandbox cannot be talked out of its decisions (issue 10): each bypass an attacker
holding the instance's credentials found is a test here.

The sandbox runs in this test's process (a real HTTP server on loopback, the same
``SandboxApp``), so a test can also age credentials or corrupt a trust policy in moto.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from iamlab.sandbox import instance, moto_ext, settings
from iamlab.sandbox.images import BlobStore
from iamlab.sandbox.manager import SandboxInfo, session
from iamlab.sandbox.server import SandboxApp, make_sandbox_server

from . import waits

ACCOUNT = settings.ACCOUNT_ID
REGION = "us-east-1"
FLASK = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/flask_app"
TRUST_EC2 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
TRUST_LAMBDA = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
ECR_ONLY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
    {"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeRepositories", "ecr:DescribeImages"],
     "Resource": FLASK},
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
]}


class Sandbox:
    """A SandboxApp on a free loopback port, in this process."""

    def __init__(self, tmp_path):
        self.key_id, self.secret = settings.new_learner_keys()
        self.app = SandboxApp(REGION, BlobStore(tmp_path / "blobs"), self.key_id, self.secret)
        self.app.reset()
        self.server = make_sandbox_server(self.app)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.info = SandboxInfo(os.getpid(), self.server.server_address[1], REGION, self.key_id, self.secret)
        self.endpoint = self.info.endpoint
        admin = session(self.info)
        self.iam, self.ec2, self.ecr = admin.client("iam"), admin.client("ec2"), admin.client("ecr")

    def instance_with_role(self, role: str, policy: dict | None = ECR_ONLY, trust=TRUST_EC2, **run) -> str:
        self.iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
        self.iam.create_instance_profile(InstanceProfileName=f"{role}-profile")
        self.iam.add_role_to_instance_profile(InstanceProfileName=f"{role}-profile", RoleName=role)
        if policy:
            self.iam.put_role_policy(RoleName=role, PolicyName="granted", PolicyDocument=json.dumps(policy))
        image = self.ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        return self.ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t2.micro",
                                      IamInstanceProfile={"Name": f"{role}-profile"}, **run)["Instances"][0]["InstanceId"]

    def stop(self):
        self.server.shutdown()


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    sandbox = Sandbox(tmp_path_factory.mktemp("security"))
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="module")
def creds(box) -> dict:
    """The instance's credentials: a least-privilege, ECR-only role."""
    return instance.credentials(box.instance_with_role("least"), box.info)


@pytest.fixture(scope="module")
def as_instance(box, creds):
    import boto3

    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["Token"], region_name=REGION)


def client(as_instance, box, service):
    return as_instance.client(service, endpoint_url=box.endpoint)


def send(box, creds: dict | None, service: str, method: str = "POST", path: str = "/", body: bytes = b"",
         headers: dict | None = None, query: str = "", secret: str | None = None, when: datetime | None = None,
         authorization=None):
    """A hand-made request, signed with botocore's SigV4 (as the instance's SDK would)."""
    url = f"{box.endpoint}{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    if creds is not None:
        key = creds.get("AccessKeyId") or creds["key"]
        credentials = Credentials(key, secret or creds.get("SecretAccessKey") or creds["secret"], creds.get("Token"))
        signer = SigV4Auth(credentials, service, REGION)
        if when is not None:
            import botocore.auth

            real = botocore.auth.get_current_datetime
            botocore.auth.get_current_datetime = lambda: when.replace(tzinfo=None)
            try:
                signer.add_auth(request)
            finally:
                botocore.auth.get_current_datetime = real
        else:
            signer.add_auth(request)
    prepared = request.prepare()
    wire_headers = dict(prepared.headers)
    if authorization:
        wire_headers["Authorization"] = authorization(wire_headers["Authorization"])
    try:
        with urllib.request.urlopen(urllib.request.Request(prepared.url, data=body or None, method=method,
                                                           headers=wire_headers), timeout=waits.bound(waits.REQUEST)) as reply:
            return reply.status, reply.headers, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()




def learner(box) -> dict:
    return {"key": box.key_id, "secret": box.secret}


def denied(status: int, body: str) -> bool:
    return status in (400, 403) and ("AccessDenied" in body or "UnauthorizedOperation" in body)


# -- one parse: the operation and parameters judged are the ones moto runs ----------------
@pytest.mark.parametrize("content_type", ["Application/X-WWW-Form-Urlencoded", "text/plain", None])
def test_iam_writes_are_judged_whatever_the_content_type(box, creds, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    status, _, text = send(box, creds, "iam", body=b"Action=AttachRolePolicy&Version=2010-05-08&RoleName=least"
                           b"&PolicyArn=arn:aws:iam::aws:policy/AdministratorAccess", headers=headers)
    assert denied(status, text), text
    status, _, text = send(box, creds, "iam", body=b"Action=CreateUser&Version=2010-05-08&UserName=intruder", headers=headers)
    assert denied(status, text), text
    attached = box.iam.list_attached_role_policies(RoleName="least")["AttachedPolicies"]
    assert attached == [] and "intruder" not in [u["UserName"] for u in box.iam.list_users()["Users"]]


def test_a_query_action_beside_a_json_target_is_refused(box, creds):
    status, _, text = send(box, creds, "ecr", body=b"{}", query="Action=DeleteRepository&repositoryName=flask_app",
                           headers={"X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories",
                                    "Content-Type": "application/x-amz-json-1.1"})
    assert status == 400 and "SerializationException" in text
    assert "flask_app" in moto_ext.repository_names(REGION)


def test_a_decoy_repository_name_neither_grants_nor_hides_what_ran(box, creds):
    box.app.enforcer.activity.clear()
    body = json.dumps({"repositoryName": "reports_app", "repositoryNames": ["flask_app"],
                       "imageIds": [{"imageTag": "latest"}]}).encode()
    status, _, text = send(box, creds, "ecr", body=body,
                           headers={"X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.BatchGetImage",
                                    "Content-Type": "application/x-amz-json-1.1"})
    assert status == 400 and "AccessDeniedException" in text and "repository/reports_app" in text
    assert [(r.action, r.resource) for r in box.app.enforcer.activity] == \
        [("ecr:BatchGetImage", f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/reports_app")]


def test_every_service_is_enforced_for_a_role_session(box, as_instance):
    s3 = client(as_instance, box, "s3")
    for call in (lambda: s3.create_bucket(Bucket="loot"), lambda: s3.put_object(Bucket="loot", Key="k", Body=b"x"),
                 lambda: s3.list_buckets(), lambda: client(as_instance, box, "lambda").list_functions(),
                 lambda: client(as_instance, box, "sqs").list_queues()):
        with pytest.raises(ClientError) as caught:
            call()
        assert caught.value.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException"), caught.value
    assert "loot" not in [b["Name"] for b in session(box.info).client("s3", endpoint_url=box.endpoint).list_buckets()["Buckets"]]


def test_an_operation_moto_cannot_name_is_denied_not_run(box, creds):
    status, _, text = send(box, creds, "ecr", body=b"{}", headers={
        "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.MakeMeAdmin", "Content-Type": "application/x-amz-json-1.1"})
    assert denied(status, text) and "<html" not in text.lower()


def test_the_instance_still_does_what_it_is_granted(box, as_instance):
    ecr = client(as_instance, box, "ecr")
    assert ecr.batch_get_image(repositoryName="flask_app", imageIds=[{"imageTag": "latest"}])["images"]
    assert ecr.get_authorization_token()["authorizationData"]


# -- moto's management API ------------------------------------------------------------------
@pytest.mark.parametrize("route", ["/moto-api/reset", "/moto-api/seed?a=42", "/moto-api/reset-auth"])
def test_moto_api_is_for_the_owner_only(box, creds, route):
    path, _, query = route.partition("?")
    status, _, _ = send(box, creds, "iam", path=path, query=query, body=b"0")
    assert status == 403
    status, _, _ = send(box, None, "iam", path=path, query=query, body=b"0")
    assert status == 403
    assert "flask_app" in moto_ext.repository_names(REGION)


# -- signatures ---------------------------------------------------------------------------
def test_a_wrong_secret_is_refused(box, creds):
    status, _, text = send(box, creds, "sts", body=b"Action=GetCallerIdentity&Version=2011-06-15",
                           headers={"Content-Type": "application/x-www-form-urlencoded"}, secret="wrong" * 8)
    assert status == 403 and "SignatureDoesNotMatch" in text


def test_a_signature_from_2000_is_refused(box, creds):
    status, _, text = send(box, creds, "sts", body=b"Action=GetCallerIdentity&Version=2011-06-15",
                           headers={"Content-Type": "application/x-www-form-urlencoded"},
                           when=datetime(2000, 1, 1, tzinfo=timezone.utc))
    assert status == 403 and "Signature expired" in text


def test_the_learners_wrong_secret_is_refused_too(box):
    status, _, text = send(box, {"key": box.key_id, "secret": "not-the-secret"}, "iam",
                           body=b"Action=CreateUser&Version=2010-05-08&UserName=forged",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403 and "SignatureDoesNotMatch" in text
    assert "forged" not in [u["UserName"] for u in box.iam.list_users()["Users"]]


def test_a_second_key_id_in_the_authorization_header_is_refused(box, creds):
    status, _, text = send(box, creds, "ecr", body=b"{}", headers={
        "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken",
        "Content-Type": "application/x-amz-json-1.1"},
        authorization=lambda header: header + f", Credential={box.key_id}/20260101/us-east-1/ecr/aws4_request")
    assert status == 400 and "IncompleteSignature" in text and "authorizationData" not in text


def test_unknown_keys_are_refused_with_a_hint(box):
    status, _, text = send(box, {"key": "AKIAOLDSANDBOXKEY000", "secret": "x"}, "sts",
                           body=b"Action=GetCallerIdentity&Version=2011-06-15",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403 and "InvalidClientTokenId" in text and "sandbox env" in text


def test_expired_credentials_are_refused_on_every_protocol(box):
    creds = instance.credentials(box.instance_with_role("ageing"), box.info)
    token = json.loads(send(box, creds, "ecr", body=b"{}", headers={
        "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken",
        "Content-Type": "application/x-amz-json-1.1"})[2])["authorizationData"][0]
    expiry = datetime.strptime(creds["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert token["expiresAt"] <= expiry.timestamp() + 1, "a registry token must not outlive its credentials"
    from moto.sts.models import sts_backends

    assumed = sts_backends[ACCOUNT]["aws"].get_assumed_role_from_access_key(creds["AccessKeyId"])
    assumed.expiration = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(minutes=1)
    for service, kwargs, code in [
        ("s3", dict(method="GET", path="/"), "ExpiredToken"),
        ("ecr", dict(body=b"{}", headers={"X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories",
                                          "Content-Type": "application/x-amz-json-1.1"}), "ExpiredTokenException"),
        ("sts", dict(body=b"Action=GetCallerIdentity&Version=2011-06-15",
                     headers={"Content-Type": "application/x-www-form-urlencoded"}), "ExpiredToken"),
    ]:
        status, _, text = send(box, creds, service, **kwargs)
        assert status in (400, 403) and code in text, (service, text)


# -- presigned URLs: the signature in the query string ----------------------------------------
def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=waits.bound(waits.REQUEST)) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def presigner(box, key: str, secret: str, service: str, token: str | None = None, signed_at: datetime | None = None):
    """boto3's ``generate_presigned_url`` for ``service`` (SigV4), optionally dated ``signed_at``."""
    import boto3
    import botocore.auth
    from botocore.config import Config

    client = boto3.Session(aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
                           region_name=REGION).client(service, endpoint_url=box.endpoint,
                                                      config=Config(signature_version="s3v4" if service == "s3" else "v4"))

    def presign(method: str, params: dict | None = None, expires: int = 60, http_method: str | None = None) -> str:
        real = botocore.auth.get_current_datetime
        if signed_at is not None:
            botocore.auth.get_current_datetime = lambda: signed_at.astimezone(timezone.utc).replace(tzinfo=None)
        try:
            return client.generate_presigned_url(method, Params=params or {}, ExpiresIn=expires, HttpMethod=http_method)
        finally:
            botocore.auth.get_current_datetime = real
    return presign


@pytest.fixture(scope="module")
def presigned_object(box) -> dict:
    s3 = session(box.info).client("s3")
    s3.create_bucket(Bucket="presigned-reports")
    s3.put_object(Bucket="presigned-reports", Key="q3.txt", Body=b"quarter three")
    return {"Bucket": "presigned-reports", "Key": "q3.txt"}


def test_a_presigned_s3_url_works(box, presigned_object):
    url = presigner(box, box.key_id, box.secret, "s3")("get_object", presigned_object)
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url
    assert fetch(url) == (200, "quarter three")


def test_a_presigned_s3_url_with_a_wrong_secret_is_refused(box, presigned_object):
    status, text = fetch(presigner(box, box.key_id, "not-the-secret", "s3")("get_object", presigned_object))
    assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in text and "quarter" not in text


@pytest.mark.parametrize("tamper", [
    lambda url: url.replace("/q3.txt?", "/q4.txt?"),  # another object
    lambda url: url.replace("X-Amz-Expires=60", "X-Amz-Expires=600"),  # a longer life
    lambda url: url.replace("X-Amz-Date=", "response-content-type=text%2Fhtml&X-Amz-Date="),  # an added parameter
], ids=["key", "expires", "added-parameter"])
def test_a_tampered_presigned_s3_url_is_refused(box, presigned_object, tamper):
    status, text = fetch(tamper(presigner(box, box.key_id, box.secret, "s3")("get_object", presigned_object)))
    assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in text


def test_an_expired_presigned_s3_url_is_refused(box, presigned_object):
    two_minutes_ago = datetime.now(timezone.utc) - timedelta(minutes=2)
    status, text = fetch(presigner(box, box.key_id, box.secret, "s3", signed_at=two_minutes_ago)("get_object", presigned_object))
    assert status == 403 and "<Code>AccessDenied</Code><Message>Request has expired</Message>" in text


def test_a_presigned_s3_url_with_a_forged_signature_is_refused(box, presigned_object):
    import re

    url = presigner(box, box.key_id, box.secret, "s3")("get_object", presigned_object)
    status, text = fetch(re.sub("X-Amz-Signature=[0-9a-f]{64}", "X-Amz-Signature=" + "0" * 64, url))
    assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in text


@pytest.mark.parametrize("change, code", [
    (lambda url: url.replace("X-Amz-Expires=60&", ""), "AuthorizationQueryParametersError"),
    (lambda url: url.replace("X-Amz-Expires=60", "X-Amz-Expires=604801"), "AuthorizationQueryParametersError"),
], ids=["no-expires", "longer-than-a-week"])
def test_a_presigned_s3_url_must_say_how_long_it_lives(box, presigned_object, change, code):
    status, text = fetch(change(presigner(box, box.key_id, box.secret, "s3")("get_object", presigned_object)))
    assert status == 400 and f"<Code>{code}</Code>" in text


def test_a_signature_version_2_url_is_refused_with_a_hint(box, presigned_object):
    import boto3
    from botocore.config import Config

    s3 = boto3.Session(aws_access_key_id=box.key_id, aws_secret_access_key=box.secret, region_name=REGION).client(
        "s3", endpoint_url=box.endpoint, config=Config(signature_version="s3"))  # what boto3 1.x presigns with by default
    url = s3.generate_presigned_url("get_object", Params=presigned_object)
    assert "AWSAccessKeyId=" in url
    status, text = fetch(url)
    assert status == 400 and "<Code>InvalidRequest</Code>" in text and "AWS4-HMAC-SHA256" in text


def test_a_presigned_url_is_judged_by_the_signers_policies(box, creds, presigned_object):
    status, text = fetch(presigner(box, creds["AccessKeyId"], creds["SecretAccessKey"], "s3", creds["Token"])(
        "get_object", presigned_object))
    assert status == 403 and "<Code>AccessDenied</Code>" in text and "s3:GetObject" in text


def test_a_presigned_sts_url_is_served_by_sts(box, creds):
    url = presigner(box, box.key_id, box.secret, "sts")("get_caller_identity", http_method="GET")
    status, text = fetch(url)
    assert status == 200 and f":user/{settings.LEARNER_USER}</Arn>" in text
    url = presigner(box, creds["AccessKeyId"], creds["SecretAccessKey"], "sts", creds["Token"])(
        "get_caller_identity", http_method="GET")
    status, text = fetch(url)
    assert status == 200 and ":assumed-role/least/" in text


def test_a_presigned_iam_url_is_decided_as_iam(box, creds):
    """moto would serve ``GET /?Action=CreateUser`` with no Authorization header as S3: the
    signed scope decides the service, and the role's policies decide the call."""
    url = presigner(box, creds["AccessKeyId"], creds["SecretAccessKey"], "iam", creds["Token"])(
        "create_user", {"UserName": "presigned-intruder"}, http_method="GET")
    status, text = fetch(url)
    assert status == 403 and "<Code>AccessDenied</Code>" in text and "iam:CreateUser" in text
    assert "presigned-intruder" not in [u["UserName"] for u in box.iam.list_users()["Users"]]
    status, text = fetch(presigner(box, box.key_id, box.secret, "iam")("list_users", http_method="GET"))
    assert status == 200 and "<ListUsersResponse" in text


@pytest.mark.parametrize("case", ["wrong-secret", "tampered", "expired", "forged", "signed-as-post"])
def test_a_bad_presigned_sts_url_is_refused(box, case):
    import re

    secret = "not-the-secret" if case == "wrong-secret" else box.secret
    signed_at = datetime.now(timezone.utc) - timedelta(minutes=2) if case == "expired" else None
    url = presigner(box, box.key_id, secret, "sts", signed_at=signed_at)(
        "get_caller_identity", http_method=None if case == "signed-as-post" else "GET")
    if case == "tampered":
        url = url.replace("Version=2011-06-15", "Version=2011-06-15&DurationSeconds=1")
    if case == "forged":
        url = re.sub("X-Amz-Signature=[0-9a-f]{64}", "X-Amz-Signature=" + "f" * 64, url)
    status, text = fetch(url)
    assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in text and "GetCallerIdentityResult" not in text
    if case == "expired":
        assert "Signature expired" in text


# -- keys of IAM users made in the sandbox (aws iam create-access-key) -------------------------
READ_ONLY = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"


def new_user(box, name: str) -> dict:
    box.iam.create_user(UserName=name)
    key = box.iam.create_access_key(UserName=name)["AccessKey"]
    return {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


def as_user(box, keys: dict, service: str, secret: str | None = None):
    import boto3
    from botocore.config import Config

    return boto3.Session(aws_access_key_id=keys["key"], aws_secret_access_key=secret or keys["secret"],
                         region_name=REGION).client(service, endpoint_url=box.endpoint,
                                                    config=Config(retries={"max_attempts": 1}))


def error_of(call) -> dict:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]


def test_a_users_own_key_is_decided_by_the_users_policies(box):
    alice = new_user(box, "alice")
    ecr = as_user(box, alice, "ecr")
    assert as_user(box, alice, "sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
    error = error_of(ecr.describe_repositories)
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"] == (f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: "
                                f"ecr:DescribeRepositories on resource: arn:aws:ecr:{REGION}:{ACCOUNT}:repository/* "
                                "because no identity-based policy allows the ecr:DescribeRepositories action")
    box.iam.attach_user_policy(UserName="alice", PolicyArn=READ_ONLY)
    assert "flask_app" in [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]
    assert error_of(lambda: ecr.create_repository(repositoryName="alices"))["Code"] == "AccessDeniedException"
    assert error_of(lambda: as_user(box, alice, "iam").create_user(UserName="alices-friend"))["Code"] == "AccessDenied"


def test_a_users_group_policies_apply_to_its_keys(box):
    bob = new_user(box, "bob")
    ecr = as_user(box, bob, "ecr")
    assert error_of(ecr.describe_repositories)["Code"] == "AccessDeniedException"
    box.iam.create_group(GroupName="readers")
    box.iam.put_group_policy(GroupName="readers", PolicyName="describe", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:DescribeRepositories", "Resource": "*"}]}))
    box.iam.add_user_to_group(GroupName="readers", UserName="bob")
    assert ecr.describe_repositories()["repositories"]
    box.iam.put_user_policy(UserName="bob", PolicyName="no", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "ecr:*", "Resource": "*"}]}))
    assert "explicit deny" in error_of(ecr.describe_repositories)["Message"]


def test_the_simulator_reads_a_users_policies_as_enforcement_does(box):
    carol = new_user(box, "carol")
    box.iam.attach_user_policy(UserName="carol", PolicyArn=READ_ONLY)
    results = box.iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/carol", ActionNames=["ecr:DescribeRepositories", "ecr:DeleteRepository"],
        ResourceArns=[FLASK])["EvaluationResults"]
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in results}
    assert decisions == {"ecr:DescribeRepositories": "allowed", "ecr:DeleteRepository": "implicitDeny"}
    ecr = as_user(box, carol, "ecr")
    assert ecr.describe_repositories(repositoryNames=["flask_app"])["repositories"]
    assert error_of(lambda: ecr.delete_repository(repositoryName="flask_app"))["Code"] == "AccessDeniedException"


def test_a_users_key_with_a_wrong_secret_is_refused(box):
    dave = new_user(box, "dave")
    box.iam.attach_user_policy(UserName="dave", PolicyArn=READ_ONLY)
    error = error_of(as_user(box, dave, "ecr", secret="not-the-secret" * 3).describe_repositories)
    assert error["Code"] == "InvalidSignatureException"  # SignatureDoesNotMatch, in ECR's JSON protocol
    assert error_of(as_user(box, dave, "sts", secret="x" * 40).get_caller_identity)["Code"] == "SignatureDoesNotMatch"


def test_an_inactive_key_is_refused(box):
    erin = new_user(box, "erin")
    box.iam.attach_user_policy(UserName="erin", PolicyArn=READ_ONLY)
    box.iam.update_access_key(UserName="erin", AccessKeyId=erin["key"], Status="Inactive")
    assert error_of(as_user(box, erin, "sts").get_caller_identity)["Code"] == "InvalidClientTokenId"
    assert error_of(as_user(box, erin, "ecr").describe_repositories)["Code"] == "UnrecognizedClientException"
    box.iam.update_access_key(UserName="erin", AccessKeyId=erin["key"], Status="Active")
    assert as_user(box, erin, "ecr").describe_repositories()["repositories"]


def test_a_deleted_users_key_is_refused(box):
    frank = new_user(box, "frank")
    assert as_user(box, frank, "sts").get_caller_identity()["Arn"].endswith(":user/frank")
    box.iam.delete_user(UserName="frank")  # moto, unlike IAM, lets the keys outlive their user
    assert error_of(as_user(box, frank, "sts").get_caller_identity)["Code"] == "InvalidClientTokenId"
    grace = new_user(box, "grace")
    box.iam.delete_access_key(UserName="grace", AccessKeyId=grace["key"])
    assert error_of(as_user(box, grace, "sts").get_caller_identity)["Code"] == "InvalidClientTokenId"


def test_a_users_registry_token_is_judged_by_the_users_policies(box):
    """The registry must not take a user's token for the learner's (who has full access)."""
    heidi = new_user(box, "heidi")
    box.iam.put_user_policy(UserName="heidi", PolicyName="token-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}]}))
    token = as_user(box, heidi, "ecr").get_authorization_token()["authorizationData"][0]["authorizationToken"]
    request = urllib.request.Request(f"{box.endpoint}/v2/flask_app/manifests/latest",
                                     headers={"Authorization": f"Basic {token}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=waits.bound(waits.REQUEST))
    assert refused.value.code == 403 and "user/heidi is not authorized to perform: ecr:BatchGetImage" in \
        refused.value.read().decode()


# -- trust policies ------------------------------------------------------------------------
def test_assume_role_honours_the_trust_policy(box, as_instance):
    box.iam.create_role(RoleName="lambda-only", AssumeRolePolicyDocument=json.dumps(TRUST_LAMBDA))
    arn = f"arn:aws:iam::{ACCOUNT}:role/lambda-only"
    for sts in (session(box.info).client("sts"), client(as_instance, box, "sts")):
        with pytest.raises(ClientError) as caught:
            sts.assume_role(RoleArn=arn, RoleSessionName="sneak")
        assert caught.value.response["Error"]["Code"] == "AccessDenied"
    trusting = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]}
    box.iam.create_role(RoleName="account-trusted", AssumeRolePolicyDocument=json.dumps(trusting))
    assumed = session(box.info).client("sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/account-trusted", RoleSessionName="ok")
    assert assumed["AssumedRoleUser"]["Arn"].endswith("assumed-role/account-trusted/ok")


def test_a_trust_policy_that_is_not_json_gives_no_credentials_and_no_crash(box):
    instance_id = box.instance_with_role("garbled")
    moto_ext.iam().get_role("garbled").assume_role_policy_document = "{not json"
    with pytest.raises(instance.InstanceCredentialsError) as caught:
        instance.credentials(instance_id, box.info)
    assert caught.value.code == "AssumeRoleUnauthorizedAccess" and "not a valid policy" in str(caught.value)


# -- bad input is an AWS error, never an HTML 500 -------------------------------------------
def test_garbage_json_to_ecr_is_a_serialization_error(box, creds):
    for who in (creds, learner(box)):
        status, headers, text = send(box, who, "ecr", body=b"{{{not json", headers={
            "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories",
            "Content-Type": "application/x-amz-json-1.1"})
        assert status == 400 and json.loads(text)["__type"] == "SerializationException"


def test_an_unknown_operation_is_an_aws_error_for_the_learner_too(box):
    status, _, text = send(box, learner(box), "ecr", body=b"{}", headers={
        "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.MakeMeAdmin", "Content-Type": "application/x-amz-json-1.1"})
    assert status in (400, 500) and "<html" not in text.lower() and json.loads(text)["__type"]
    status, _, text = send(box, learner(box), "iam", body=b"Action=NoSuchThing&Version=2010-05-08",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert "<html" not in text.lower() and "<Code>" in text


# -- body size -------------------------------------------------------------------------------
def _raw(box, head: str, body: bytes = b"") -> str:
    with socket.create_connection(("127.0.0.1", box.info.port), timeout=waits.bound(waits.REQUEST)) as connection:
        connection.sendall(head.encode() + body)
        return connection.recv(4096).decode(errors="replace")


def test_a_huge_body_is_refused_before_it_is_read(box):
    unsigned = _raw(box, f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {256 * 1024 * 1024}\r\n"
                         "Content-Type: application/x-www-form-urlencoded\r\n\r\n", b"Action=CreateUser")
    assert unsigned.startswith("HTTP/1.1 403") and "MissingAuthenticationToken" in unsigned
    request = AWSRequest(method="POST", url=f"{box.endpoint}/", data=b"",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    SigV4Auth(Credentials(box.key_id, box.secret), "iam", REGION).add_auth(request)
    lines = "".join(f"{k}: {v}\r\n" for k, v in request.headers.items())
    signed = _raw(box, f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{box.info.port}\r\n{lines}"
                       f"Content-Length: {256 * 1024 * 1024}\r\n\r\n", b"Action=CreateUser")
    assert signed.startswith("HTTP/1.1 413") and "RequestEntityTooLarge" in signed


# -- fidelity: namespaced repositories, other accounts, the learner ---------------------------
def test_a_namespaced_repository_has_its_own_policy_and_tags(box):
    box.ecr.create_repository(repositoryName="app", tags=[{"Key": "team", "Value": "blue"}])
    box.ecr.create_repository(repositoryName="team/app", tags=[{"Key": "team", "Value": "red"}])
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/namespaced"
    grant = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": role_arn},
                                                      "Action": "ecr:DescribeImages"}]}
    tagged = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:ListImages", "Resource": "*",
                                                       "Condition": {"StringEquals": {"aws:ResourceTag/team": "red"}}}]}
    creds = instance.credentials(box.instance_with_role("namespaced", policy=tagged), box.info)
    box.ecr.set_repository_policy(repositoryName="team/app", policyText=json.dumps(grant))  # the role exists now
    import boto3

    ecr = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["Token"], region_name=REGION).client("ecr", endpoint_url=box.endpoint)
    ecr.describe_images(repositoryName="team/app")
    ecr.list_images(repositoryName="team/app")
    for call in (lambda: ecr.describe_images(repositoryName="app"), lambda: ecr.list_images(repositoryName="app")):
        with pytest.raises(ClientError) as caught:
            call()
        assert caught.value.response["Error"]["Code"] == "AccessDeniedException"


def test_another_accounts_registry_is_not_served_from_this_one(box, as_instance):
    for ecr in (box.ecr, client(as_instance, box, "ecr")):
        with pytest.raises(ClientError) as caught:
            ecr.describe_images(registryId="999999999999", repositoryName="flask_app")
        assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
        assert "arn:aws:ecr:us-east-1:999999999999:repository/flask_app" in str(caught.value)


def test_the_learner_is_an_iam_user_with_the_sandbox_keys(box):
    identity = session(box.info).client("sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{settings.LEARNER_USER}"
    keys = box.iam.list_access_keys(UserName=settings.LEARNER_USER)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [box.key_id]


# -- IMDSv2 ------------------------------------------------------------------------------------
def test_imdsv2_required_gives_credentials_only_with_a_session_token(box):
    instance_id = box.instance_with_role("v2only", MetadataOptions={"HttpTokens": "required"})
    base = f"{box.endpoint}/iamlab/instances/{instance_id}"
    owner = {"X-Iamlab-Key": box.secret}
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(urllib.request.Request(f"{base}/latest/meta-data/iam/security-credentials/v2only", headers=owner))
    assert caught.value.code == 401
    token = urllib.request.urlopen(urllib.request.Request(
        f"{base}/latest/api/token", method="PUT", headers={**owner, "X-aws-ec2-metadata-token-ttl-seconds": "60"})).read().decode()
    with_token = {**owner, "X-aws-ec2-metadata-token": token}
    role = urllib.request.urlopen(urllib.request.Request(f"{base}/latest/meta-data/iam/security-credentials/", headers=with_token)).read()
    document = json.loads(urllib.request.urlopen(urllib.request.Request(
        f"{base}/latest/meta-data/iam/security-credentials/{role.decode()}", headers=with_token)).read())
    assert role == b"v2only" and document["Code"] == "Success"
    assert instance.credentials(instance_id, box.info)["Code"] == "Success"  # the course's client uses IMDSv2


# -- secrets at rest -----------------------------------------------------------------------------
def test_the_override_file_holding_the_admin_key_is_private(tmp_path):
    from iamlab.terraform import override

    folder = tmp_path / "tf"
    folder.mkdir(mode=0o755)
    path = override.write(folder, "http://127.0.0.1:5000", REGION, "AKIAEXAMPLE", "s3cret")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_the_course_home_is_private(tmp_path, monkeypatch):
    from iamlab import paths

    monkeypatch.setenv("IAMLAB_HOME", str(tmp_path / "home"))
    assert stat.S_IMODE(paths.course_home().stat().st_mode) == 0o700
    assert stat.S_IMODE(paths.sandbox_dir().stat().st_mode) == 0o700


def test_a_refused_request_with_an_unread_body_closes_its_connection(box):
    answer = _raw(box, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 25\r\n\r\n", b"GET /iamlab/health HTTP/1.1")
    assert answer.startswith("HTTP/1.1 403") and "Connection: close" in answer


def test_the_first_request_after_a_reset_builds_no_other_partition(box):
    """moto found a request's account by looking its key up in the IAM backend of every
    partition: after each reset the first request built five unused IAM backends (each
    loading every AWS managed policy, ~1.5 s and ~25 MiB), under moto's global lock."""
    from moto.iam.models import iam_backends

    box.app.reset()
    box.iam.list_roles()
    session(box.info).client("sts").get_caller_identity()
    assert list(iam_backends[ACCOUNT].keys()) == ["aws"]


def test_an_account_header_does_not_move_a_request_to_another_account(box):
    from moto.iam.models import iam_backends

    status, _, _ = send(box, learner(box), "iam", body=b"Action=CreateUser&Version=2010-05-08&UserName=elsewhere",
                        headers={"Content-Type": "application/x-www-form-urlencoded", "x-moto-account-id": "999999999999"})
    assert status == 200
    assert box.iam.get_user(UserName="elsewhere")["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/elsewhere"
    assert "999999999999" not in iam_backends


def test_requests_during_a_reset_get_whole_answers_from_one_account(box):
    """A reset takes the account alone: requests around it see the old or the new account,
    never half of one, and each gets an HTTP answer (no dropped connection, no 500)."""
    from concurrent.futures import ThreadPoolExecutor

    from botocore.config import Config

    iam = session(box.info).client("iam", config=Config(retries={"max_attempts": 1}))

    def create(n: int) -> str:
        try:
            iam.create_role(RoleName=f"during-reset-{n}", AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
            return "created"
        except ClientError as error:
            return error.response["Error"]["Code"]

    with ThreadPoolExecutor(8) as pool:
        answers = [pool.submit(create, n) for n in range(40)]
        box.app.reset()
        results = [a.result() for a in answers]
    assert set(results) <= {"created", "EntityAlreadyExists"}, results
    assert session(box.info).client("sts").get_caller_identity()["Arn"].endswith(f":user/{settings.LEARNER_USER}")
    assert "flask_app" in moto_ext.repository_names(REGION)
