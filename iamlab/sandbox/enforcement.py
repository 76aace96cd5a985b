"""Requests signed with a role's temporary credentials are decided by the course's engine.

moto alone checks each request against ``*`` only. Here every request from a role
session (an instance's credentials, or any assumed role) is authorized with the
real resource: the repository's ARN for repository actions, ``*`` for actions that
have no resource type. A denial goes back in the shape the service uses on AWS, so
boto3 and the AWS CLI print exactly what they print on a real instance. The
learner's own keys (what Terraform uses) keep full access.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, timezone
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

from ..policy import Context, Decision, Policy, PolicyError, Principal, Request, catalogue, evaluate, parse
from . import moto_ext, settings

_CREDENTIAL = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")

# Actions AWS never denies (they need no permission).
ALWAYS_ALLOWED = {"sts:getcalleridentity"}


@dataclass
class AwsCall:
    """One AWS API request, as the authorizer sees it."""

    service: str
    operation: str
    region: str
    access_key: str | None
    params: dict
    protocol: str  # "json" or "query"
    source_ip: str = "127.0.0.1"

    @property
    def action(self) -> str:
        return f"{self.service}:{self.operation}"


def request_access_key(environ: dict) -> str | None:
    """The access key id a request is signed with (header or presigned query), if any."""
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", "")) or \
        _CREDENTIAL.search(environ.get("QUERY_STRING", "").replace("%2F", "/"))
    return match.group(1) if match else None


def parse_call(environ: dict, body: bytes) -> AwsCall | None:
    """Service, operation and parameters of a signed request, or None if it is not one."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = _CREDENTIAL.search(auth) or _CREDENTIAL.search(environ.get("QUERY_STRING", "").replace("%2F", "/"))
    if not match:
        return None
    access_key, region, service = match.groups()
    source_ip = environ.get("REMOTE_ADDR", "127.0.0.1")
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        return AwsCall(service, target.rsplit(".", 1)[-1], region, access_key, params, "json", source_ip)
    form = parse_qs(environ.get("QUERY_STRING", ""))
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        form.update(parse_qs(body.decode("utf-8", "replace")))
    params = {k: v[0] if len(v) == 1 else v for k, v in form.items()}
    operation = params.get("Action")
    if not operation:
        return None  # a REST-style service: not authorized by the engine
    return AwsCall(service, operation, region, access_key, params, "query", source_ip)


def _members(params: dict, prefix: str) -> list[str]:
    """Query-protocol lists: ``InstanceId.1``, ``ActionNames.member.2``..."""
    found = sorted(((k, v) for k, v in params.items() if re.fullmatch(rf"{re.escape(prefix)}(\.member)?\.\d+", k)),
                   key=lambda kv: int(kv[0].rsplit(".", 1)[1]))
    return [v for _, v in found]


@dataclass
class Record:
    """One decided request, kept for "what did the instance actually do?"."""

    time: float
    principal: str
    action: str
    resource: str
    decision: str
    statements: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return self.__dict__.copy()


class Enforcer:
    def __init__(self, region: str):
        self.region = region
        self.enabled = True
        self.activity: deque[Record] = deque(maxlen=5000)

    # -- what is asked -------------------------------------------------------
    def resources(self, call: AwsCall) -> list[str]:
        account, region = settings.ACCOUNT_ID, call.region
        if not catalogue.supports_resources(call.action):
            return ["*"]
        p = call.params
        if call.service == "ecr":
            names = p.get("repositoryNames") or ([p["repositoryName"]] if p.get("repositoryName") else [])
            if names:
                return [f"arn:aws:ecr:{region}:{account}:repository/{name}" for name in names]
            return [f"arn:aws:ecr:{region}:{account}:repository/*"]
        if call.service == "iam":
            for key, kind in (("RoleName", "role"), ("UserName", "user"), ("InstanceProfileName", "instance-profile")):
                if p.get(key):
                    return [f"arn:aws:iam::{account}:{kind}/{p[key]}"]
            for key in ("PolicyArn", "PolicySourceArn"):
                if p.get(key):
                    return [p[key]]
        if call.service == "ec2":
            ids = _members(p, "InstanceId")
            if ids:
                return [f"arn:aws:ec2:{region}:{account}:instance/{i}" for i in ids]
        return ["*"]

    def context(self, call: AwsCall, principal: Principal, resource: str) -> Context:
        now = datetime.now(timezone.utc)
        values: dict[str, object] = {
            "aws:SourceIp": call.source_ip,
            "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:EpochTime": str(int(now.timestamp())),
            "aws:RequestedRegion": call.region,
            "aws:SecureTransport": "true",  # every AWS API endpoint is HTTPS; the sandbox stands in for one
        }
        role = moto_ext.role(principal.role_name) if principal.role_name else None
        for key, value in (role.tags if role else {}).items():
            values[f"aws:PrincipalTag/{key}"] = value
        if call.service == "ecr" and ":repository/" in resource and not resource.endswith("/*"):
            repository = moto_ext.repository(call.region, resource.rsplit("/", 1)[-1])
            for key, value in (repository.tags if repository else {}).items():
                values[f"aws:ResourceTag/{key}"] = value
                values[f"ecr:ResourceTag/{key}"] = value
        return Context(values)

    # -- whose policies --------------------------------------------------------
    def identity_policies(self, principal: Principal) -> list[Policy]:
        role = moto_ext.role(principal.role_name) if principal.role_name else None
        if role is None:
            return []
        found = []
        for name, document in role.inline_policies.items():
            found.append((document, name, "role"))
        for arn, document, aws_managed in role.managed_policies:
            found.append((document, arn, "aws-managed" if aws_managed else "user-managed"))
        policies = [_parsed(document, source_id, source_type) for document, source_id, source_type in found]
        return [p for p in policies if p is not None]

    def resource_policy(self, call: AwsCall, resource: str) -> Policy | None:
        if call.service != "ecr" or ":repository/" not in resource or resource.endswith("/*"):
            return None
        repository = moto_ext.repository(call.region, resource.rsplit("/", 1)[-1])
        if repository is None or not repository.policy:
            return None
        return _parsed(repository.policy, "RepositoryPolicy", "resource")

    # -- the decision --------------------------------------------------------------
    def decide(self, principal: Principal, action: str, resource: str, call: AwsCall) -> Decision:
        request = Request(principal, action, resource, self.context(call, principal, resource))
        decision = evaluate(request, self.identity_policies(principal), self.resource_policy(call, resource))
        self.activity.append(Record(time.time(), principal.arn, decision.request.action, decision.request.resource,
                                    decision.decision, [s.sid or s.source_id for s in decision.matched]))
        return decision

    def authorize(self, call: AwsCall, principal: Principal) -> Decision | None:
        """The first denial among the request's resources, or None when it may proceed."""
        if not self.enabled or call.action.lower() in ALWAYS_ALLOWED:
            return None
        for resource in self.resources(call):
            decision = self.decide(principal, call.action, resource, call)
            if not decision.allowed:
                return decision
        return None


@lru_cache(maxsize=512)
def _parsed(document: str, source_id: str, source_type: str) -> Policy | None:
    """Policies change rarely and are read on every request: parse each text once."""
    try:
        return parse(document, source_id, source_type)
    except PolicyError:
        return None  # AWS would not have stored it; it grants nothing


def _request_id() -> str:
    return str(uuid.uuid4())


def denial_response(call: AwsCall, decision: Decision) -> Response:
    """AccessDenied in the service's own protocol and words."""
    message = decision.denial_message()
    if call.protocol == "json":
        body = json.dumps({"__type": "AccessDeniedException", "message": message})
        return Response(body, status=400, content_type="application/x-amz-json-1.1",
                        headers={"x-amzn-RequestId": _request_id(), "x-amzn-ErrorType": "AccessDeniedException"})
    if call.service == "ec2":
        text = f"You are not authorized to perform this operation. {message}"
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>UnauthorizedOperation</Code>"
                f"<Message>{escape(text)}</Message></Error></Errors><RequestID>{_request_id()}</RequestID></Response>")
        return Response(body, status=403, content_type="text/xml")
    return _query_error(call, "AccessDenied", message)


def invalid_token_response(environ: dict) -> Response:
    message = "The security token included in the request is invalid."
    if environ.get("HTTP_X_AMZ_TARGET"):
        return Response(json.dumps({"__type": "UnrecognizedClientException", "message": message}), status=400,
                        content_type="application/x-amz-json-1.1", headers={"x-amzn-ErrorType": "UnrecognizedClientException"})
    body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>{message}</Message>"
            f"</Error><RequestId>{_request_id()}</RequestId></ErrorResponse>")
    return Response(body, status=403, content_type="text/xml")


def expired_response(call: AwsCall) -> Response:
    message = "The security token included in the request is expired"
    if call.protocol == "json":
        return Response(json.dumps({"__type": "ExpiredTokenException", "message": message}), status=400,
                        content_type="application/x-amz-json-1.1", headers={"x-amzn-ErrorType": "ExpiredTokenException"})
    return _query_error(call, "ExpiredToken", message)


def _query_error(call: AwsCall, code: str, message: str) -> Response:
    namespace = {"iam": "https://iam.amazonaws.com/doc/2010-05-08/", "sts": "https://sts.amazonaws.com/doc/2011-06-15/"}
    body = (f"<ErrorResponse xmlns=\"{namespace.get(call.service, '')}\"><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{escape(message)}</Message></Error><RequestId>{_request_id()}</RequestId></ErrorResponse>")
    return Response(body, status=403, content_type="text/xml")
