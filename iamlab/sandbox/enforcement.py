"""Every request is decided on exactly what moto parsed, and refused when that is unclear.

moto alone checks each request against ``*`` only, and only when asked. The sandbox
hooks in where moto has parsed a request (``moto_ext.install_dispatch_hooks``, the
place of moto's own IAM checks), so the operation and parameters judged are the ones
moto is about to execute: there is no second parser to disagree with it.

For a role session (an instance's credentials, any assumed role) and for an IAM user
made in the sandbox (``aws iam create-access-key``) every service is enforced: the
resource is the real ARN where the action has a resource type, ``*`` where it has none
(as AWS does), and an action the catalogue does not know is denied. The learner (an IAM
user with AdministratorAccess, what Terraform uses) keeps full access, except what AWS
refuses administrators too: a role whose trust policy does not name them, another
account's registry.

Handing a role to an instance (RunInstances with an instance profile,
AssociateIamInstanceProfile, ReplaceIamInstanceProfileAssociation) is also decided as
``iam:PassRole`` on each of the profile's roles, with ``iam:PassedToService`` =
``ec2.amazonaws.com``; IAM's policy simulator needs ``iam:Simulate*Policy`` like any action.

The request context, key by key of AWS's "global condition context keys" page. Supplied
whenever AWS supplies them: aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType,
aws:PrincipalIsAWSService, aws:PrincipalServiceName (service principals), aws:PrincipalTag/*,
aws:userid (the role's AROA... or the user's AIDA... ID), aws:username (users),
aws:SourceIp, aws:SecureTransport, aws:CurrentTime, aws:EpochTime, aws:RequestedRegion,
aws:UserAgent, aws:ViaAWSService (false), aws:ResourceAccount; for temporary credentials
aws:TokenIssueTime and aws:MultiFactorAuthPresent (false); for an instance's role
credentials aws:Ec2InstanceSourceVPC and aws:Ec2InstanceSourcePrivateIPv4; from the
request's tags aws:RequestTag/* and aws:TagKeys (ECR ``tags``, IAM/STS ``Tags.member.N``,
EC2 ``TagSpecification``/``Tag``); aws:ResourceTag/* (and ecr:ResourceTag/*) of ECR
repositories. Absent because AWS would not supply them here (nothing in the sandbox makes
the situation): aws:CalledVia, aws:CalledViaFirst, aws:CalledViaLast and aws:SourceArn,
aws:SourceAccount, aws:SourceOrgID, aws:SourceOrgPaths (no service calls another on anyone's
behalf), aws:MultiFactorAuthAge (no MFA), aws:SourceVpc, aws:SourceVpce, aws:VpcSourceIp
(no VPC endpoints), aws:FederatedProvider (no federation), aws:Referer (no browser),
aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:ResourceOrgID, aws:ResourceOrgPaths
(no organization).

What is not modelled, so a lesson must not rely on it: permissions boundaries, session
policies, SCPs and RCPs (the course explains them, the sandbox has no organization),
resource policies other than ECR repository policies and role trust policies (an S3 bucket
policy is stored by moto but never consulted); aws:SourceIdentity and session tags set by
AssumeRole (sts:SourceIdentity, sts:TagSession: not kept with the session), so
aws:PrincipalTag/* of a session are the role's tags only; aws:ResourceTag/* of resources
other than ECR repositories (IAM roles and users, EC2 instances, S3); service-specific
condition keys other than iam:PassedToService and ecr:ResourceTag/* (e.g.
iam:AssociatedResourceArn, ec2:InstanceProfile, ecr:... keys); cross-account access other
than through a policy's decision (the sandbox has one account: another account's registry
is refused, and another account's principals cannot sign requests).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache

from werkzeug.exceptions import HTTPException

from .. import facts
from ..policy import Context, Decision, Policy, PolicyError, Principal, Request, catalogue, evaluate
from ..policy.engine import names_principal
from . import errors, moto_ext, settings
from .policies import identity_policies, parsed_once

# Actions AWS never denies (they need no permission).
ALWAYS_ALLOWED = {"sts:getcalleridentity"}
# moto's service names -> IAM's service prefixes, where they differ.
IAM_PREFIX = {"awslambda": "lambda", "monitoring": "cloudwatch", "email": "ses"}
# S3 operations -> the IAM action AWS checks for them, where the names differ.
S3_ACTIONS = {"ListObjects": "ListBucket", "ListObjectsV2": "ListBucket", "HeadBucket": "ListBucket",
              "HeadObject": "GetObject", "ListBuckets": "ListAllMyBuckets", "DeleteObjects": "DeleteObject"}


@dataclass
class AwsCall:
    """One AWS API request, as the authorizer sees it (parameters as moto parsed them)."""

    service: str
    operation: str
    region: str
    access_key: str | None
    params: dict
    protocol: str  # "json", "query", "ec2", "rest-json", "rest-xml", "registry"
    source_ip: str = "127.0.0.1"
    keys: dict = field(default_factory=dict)  # context keys of the credentials and the request (tags)

    @property
    def action(self) -> str:
        return f"{self.service}:{self.operation}"


@dataclass
class Caller:
    """Who signed the request being served on this thread (set by the server, read by the hook)."""

    access_key: str
    principal: Principal
    admin: bool
    region: str
    protocol: str
    source_ip: str = "127.0.0.1"
    keys: dict = field(default_factory=dict)  # context keys the credentials carry (identity.signer_keys)
    decided: bool = False
    refusal: HTTPException | None = None  # what to answer instead of moto
    action: str = ""


_local = threading.local()


def current() -> Caller | None:
    return getattr(_local, "caller", None)


@contextmanager
def serving(caller: Caller):
    _local.caller = caller
    try:
        yield caller
    finally:
        _local.caller = None


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


class Answered(HTTPException):
    """The sandbox answers this request itself (IAM's simulator): moto does not run it."""

    def __init__(self, response):
        super().__init__(response=response)


class Enforcer:
    def __init__(self, region: str):
        self.region = region
        self.enabled = True
        self.activity: deque[Record] = deque(maxlen=5000)
        self.simulate = None  # set by the server: (AwsCall) -> Response

    # -- the hook: moto has parsed the request -------------------------------
    def on_parsed(self, response) -> None:
        caller = current()
        if caller is None or caller.decided:
            return
        service = moto_ext.service_of(response)
        if service == "s3":
            return  # decided where S3 knows its bucket and key (on_s3)
        operation = moto_ext.operation_of(response)
        caller.decided = True
        if not operation:
            raise self._refuse(caller, errors.InvalidAction(
                f"Could not find operation for {response.method} {response.path} in the {service} API.", service,
                caller.protocol))
        if not _known_operation(service, operation):
            if not caller.admin:  # unrecognised is never allowed
                raise self._refuse(caller, errors.AccessDenied.for_protocol(
                    f"User: {caller.principal.arn} is not authorized to perform: {IAM_PREFIX.get(service, service)}:"
                    f"{operation} on resource: * because the sandbox does not know this action", service, caller.protocol))
            raise self._refuse(caller, errors.InvalidAction(
                f"The action {operation} is not valid for the {service} API.", service, caller.protocol))
        call = self._call(response, service, operation, caller)
        caller.action = call.action
        if service == "ecr":
            self._same_account_registry(response, call, caller)
        if call.action.lower() == "sts:assumerole":
            self._trusted(call, caller)
        if not (caller.admin or not self.enabled or call.action.lower() in ALWAYS_ALLOWED):
            self._authorize(call, caller, self.resources(call, response))
            if service == "ec2" and operation in PASSES_ROLE:
                self._pass_role(call, caller)
        if service == "iam" and operation in _simulator_operations():
            raise self._answer(caller, self.simulate(call))  # after its permission, as any IAM action

    def on_s3(self, response, bucket: str | None, key: str | None) -> None:
        caller = current()
        if caller is None:
            return
        caller.decided = True
        operation = moto_ext.operation_of(response) or f"{response.method}Object"
        call = AwsCall("s3", S3_ACTIONS.get(operation, operation), caller.region, caller.access_key, {}, "rest-xml",
                       caller.source_ip)
        caller.action = call.action
        if caller.admin or not self.enabled:
            return
        arn = f"arn:aws:s3:::{bucket}/{key}" if bucket and key else f"arn:aws:s3:::{bucket}" if bucket else "*"
        self._authorize(call, caller, [arn])

    def _call(self, response, service: str, operation: str, caller: Caller) -> AwsCall:
        params = {k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in response.querystring.items()} \
            if service in ("iam", "sts", "ec2") else {}
        keys = caller.keys
        tags = _request_tags(response, service, params)
        if tags:
            keys = {**keys, **{f"aws:RequestTag/{k}": v for k, v in tags.items()}, "aws:TagKeys": list(tags)}
        return AwsCall(IAM_PREFIX.get(service, service), operation, caller.region, caller.access_key,
                       params, caller.protocol, caller.source_ip, keys)

    def _pass_role(self, call: AwsCall, caller: Caller) -> None:
        """Handing a role to an instance is ``iam:PassRole`` on that role, with ``iam:PassedToService``
        (IAM User Guide, "Granting a user permissions to pass a role to an AWS service")."""
        name, arn = call.params.get("IamInstanceProfile.Name"), call.params.get("IamInstanceProfile.Arn")
        if not (name or arn):
            return
        roles = moto_ext.instance_profile_role_arns(name=str(name) if name else None, arn=str(arn) if arn else None)
        for role_arn in roles or []:  # no such profile: EC2 refuses the call itself
            passing = AwsCall("iam", "PassRole", call.region, call.access_key, {}, call.protocol, call.source_ip,
                              {**call.keys, "iam:PassedToService": "ec2.amazonaws.com"})
            decision = self.decide(caller.principal, "iam:PassRole", role_arn, passing)
            if not decision.allowed:
                raise self._refuse(caller, errors.AccessDenied.for_protocol(decision.denial_message(), "ec2", call.protocol))

    def _refuse(self, caller: Caller, error: errors.AwsError) -> errors.AwsError:
        caller.refusal = error
        return error

    def _answer(self, caller: Caller, response) -> Answered:
        answered = Answered(response)
        caller.refusal = answered
        return answered

    def _authorize(self, call: AwsCall, caller: Caller, resources: list[str]) -> None:
        if catalogue.lookup(call.action) is None:
            decision_message = (f"User: {caller.principal.arn} is not authorized to perform: {call.action} "
                                f"on resource: * because the sandbox does not know this action")
            self.activity.append(Record(time.time(), caller.principal.arn, call.action, "*", "implicitDeny"))
            raise self._refuse(caller, errors.AccessDenied.for_protocol(decision_message, call.service, call.protocol))
        for resource in resources:
            decision = self.decide(caller.principal, call.action, resource, call)
            if not decision.allowed:
                raise self._refuse(caller, errors.AccessDenied.for_protocol(decision.denial_message(), call.service,
                                                                            call.protocol))

    def _same_account_registry(self, response, call: AwsCall, caller: Caller) -> None:
        registry = response._get_param("registryId")
        if registry and registry != settings.ACCOUNT_ID:
            names = _names(response._get_param("repositoryNames")) or _names(response._get_param("repositoryName")) or ["*"]
            resource = facts.repository_arn(call.region, registry, names[0])
            raise self._refuse(caller, errors.AccessDenied.for_protocol(
                f"User: {caller.principal.arn} is not authorized to perform: {call.action} on resource: {resource} "
                f"because no resource-based policy allows the {call.action} action "
                f"(this sandbox is account {settings.ACCOUNT_ID} only)", call.service, call.protocol))

    def _trusted(self, call: AwsCall, caller: Caller) -> None:
        """sts:AssumeRole needs the role's trust policy to name the caller, administrator or not."""
        role_arn = str(call.params.get("RoleArn", ""))
        role = moto_ext.role(role_arn.rsplit("/", 1)[-1]) if ":role/" in role_arn else None
        trust = parsed_once(role.trust_policy, f"{role.name} trust policy", "resource") if role else None
        if role is not None and trust is not None:
            identity = [_administrator()] if caller.admin else self.identity_policies(caller.principal)
            decision = evaluate(Request(caller.principal, "sts:AssumeRole", role.arn,
                                        self.context(call, caller.principal, role.arn)), identity, trust)
            named = any(not st.is_deny and names_principal(st.principal, caller.principal)[0] for st in trust.statements)
            if named and decision.allowed:
                return
        raise self._refuse(caller, errors.AccessDenied.for_protocol(
            f"User: {caller.principal.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn} "
            "because the role's trust policy does not allow it", "sts", call.protocol))

    # -- what is asked -------------------------------------------------------
    def resources(self, call: AwsCall, response=None) -> list[str]:
        account, region = settings.ACCOUNT_ID, call.region
        if not catalogue.supports_resources(call.action):
            return ["*"]
        get = response._get_param if response is not None else call.params.get
        if call.service == "ecr":
            members = _input_members("ecr", call.operation)
            names = _names(get("repositoryNames")) if "repositoryNames" in members else \
                _names(get("repositoryName")) if "repositoryName" in members else []
            if names:
                return [facts.repository_arn(region, account, name) for name in names]
            return [facts.repository_arn(region, account, "*")]
        p = call.params
        if call.service == "iam":
            for key, kind in (("RoleName", "role"), ("UserName", "user"), ("InstanceProfileName", "instance-profile")):
                if p.get(key):
                    return [f"arn:aws:iam::{account}:{kind}/{p[key]}"]
            for key in ("PolicyArn", "PolicySourceArn"):
                if p.get(key):
                    return [p[key]]
        if call.service == "sts" and p.get("RoleArn"):
            return [p["RoleArn"]]
        if call.service == "ec2":
            ids = [v for k, v in sorted(p.items()) if k.startswith("InstanceId.")]
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
            "aws:ViaAWSService": "false",  # no service calls another on anyone's behalf here
            "aws:ResourceAccount": _account_of(resource),
            **call.keys,
        }
        if principal.role_name:
            tags = moto_ext.role_tags(principal.role_name)  # the tags only, not the role's policies
        elif ":user/" in principal.identity_arn:
            tags = moto_ext.user_tags(principal.identity_arn.rsplit("/", 1)[-1])  # likewise, the tags only
        else:
            tags = {}
        for key, value in tags.items():
            values[f"aws:PrincipalTag/{key}"] = value
        if call.service == "ecr" and facts.repository_of(resource) and not resource.endswith("/*"):
            repository = moto_ext.repository(call.region, facts.repository_of(resource))
            for key, value in (repository.tags if repository else {}).items():
                values[f"aws:ResourceTag/{key}"] = value
                values[f"ecr:ResourceTag/{key}"] = value
        return Context(values)

    # -- whose policies --------------------------------------------------------
    def identity_policies(self, principal: Principal) -> list[Policy]:
        """The role's (for a role session) or the user's policies; nobody else holds any."""
        return (identity_policies(principal.identity_arn) or []) if principal.identity_arn else []

    def resource_policy(self, call: AwsCall, resource: str) -> Policy | None:
        if call.service != "ecr" or not facts.repository_of(resource) or resource.endswith("/*"):
            return None
        repository = moto_ext.repository(call.region, facts.repository_of(resource))
        if repository is None or not repository.policy:
            return None
        return parsed_once(repository.policy, "RepositoryPolicy", "resource")

    # -- the decision --------------------------------------------------------------
    def decide(self, principal: Principal, action: str, resource: str, call: AwsCall) -> Decision:
        request = Request(principal, action, resource, self.context(call, principal, resource))
        try:
            decision = evaluate(request, self.identity_policies(principal), self.resource_policy(call, resource))
        except (PolicyError, ValueError, KeyError, TypeError):
            decision = evaluate(request, [], None)  # a policy the engine cannot read grants nothing
        self.activity.append(Record(time.time(), principal.arn, decision.request.action, decision.request.resource,
                                    decision.decision, [s.sid or s.source_id for s in decision.matched]))
        return decision


PASSES_ROLE = ("RunInstances", "AssociateIamInstanceProfile", "ReplaceIamInstanceProfileAssociation")


def _account_of(resource: str) -> str:
    """The account owning a resource (``aws:ResourceAccount``): the ARN's, else the sandbox's one account."""
    fields = resource.split(":", 5)
    return fields[4] if len(fields) == 6 and fields[4] and fields[4] != "aws" else settings.ACCOUNT_ID


def _request_tags(response, service: str, params: dict) -> dict[str, str]:
    """The tags a request asks to set (``aws:RequestTag/*``, ``aws:TagKeys``), as each protocol sends them:
    ECR's ``tags`` list, IAM's and STS's ``Tags.member.N``, EC2's ``TagSpecification.N.Tag.M`` and ``Tag.N``."""
    if service == "ecr":
        found = response._get_param("tags")
        if not isinstance(found, list):
            return {}
        return {str(t.get("Key")): str(t.get("Value", "")) for t in found if isinstance(t, dict) and "Key" in t}
    tags = {}
    for key, value in params.items():
        if key.endswith(".Key") and (key.startswith("Tags.member.") or key.startswith("TagSpecification.")
                                     or key.startswith("Tag.")):
            tags[str(value)] = str(params.get(key[:-4] + ".Value", ""))
    return tags


def _names(value) -> list[str]:
    if value is None or value == "":
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


@lru_cache(maxsize=None)
def _input_members(service: str, operation: str) -> frozenset[str]:
    """The parameters an operation takes (botocore's model): the ones moto reads for it."""
    try:
        shape = moto_ext.service_model(service).operation_model(operation).input_shape
    except Exception:
        return frozenset()
    return frozenset(shape.members) if shape is not None else frozenset()


@lru_cache(maxsize=None)
def _known_operation(service: str, operation: str) -> bool:
    """Is this an operation of the service's API (botocore's model)? Unknown services: unknown."""
    try:
        return operation in moto_ext.service_model(service).operation_names
    except Exception:
        return False


def _administrator() -> Policy:
    return parsed_once('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}',
                       "arn:aws:iam::aws:policy/AdministratorAccess", "aws-managed")


def _simulator_operations() -> tuple[str, ...]:
    from .simulator import OPERATIONS

    return OPERATIONS
