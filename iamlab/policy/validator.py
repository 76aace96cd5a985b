"""One validator for every policy the sandbox takes, whatever the door it comes through.

IAM checks a policy the same way whether it arrives as a managed policy, an inline
policy, a role's trust policy or a simulator input; ECR checks a repository policy with
the same grammar and refuses it in its own words. Each door differs only in its kind
(identity or resource policy), its size quota and the words of its refusal, so the
checks live here once and the doors are a table (``DOORS``):

* the grammar (``grammar.py``: elements, Effect, Action/NotAction, conditions);
* Sids: unique within a policy; in an identity policy ASCII letters and digits only;
* actions: ``service:action``, one colon, a service prefix without wildcards
  (``ecr*`` is refused) -- the IAM User Guide, "IAM JSON policy elements: Action";
* resources: an ARN or ``*``; a trust policy and an ECR repository policy have none
  (the resource is the role or the repository);
* size: IAM's quotas (managed 6,144 characters, inline per role 10,240 in all, per user
  2,048, per group 5,120, trust 2,048), white space not counted (IAM User Guide,
  "IAM and AWS STS quotas");
* principals of a resource policy must exist when it is saved: ``principal_exists`` is
  asked about each ARN (the sandbox knows its account; the engine does not).

The wording is AWS's (the messages moto also reproduces in ``moto/iam/policy_validation.py``).
Every AWS managed policy passes (tests/test_policy_validator.py runs moto's whole corpus).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Callable

from . import grammar
from .document import Policy, parse
from .grammar import MalformedPolicyDocument
from .matching import as_list

_SID = re.compile(r"[0-9A-Za-z]*")
_VENDOR = re.compile(r"[A-Za-z0-9\-.]+")
_ACCOUNT = re.compile(r"\d{12}")
_IAM_PRINCIPAL = re.compile(r"arn:aws[a-z-]*:(iam|sts)::(\d{12}):(root|user/.+|role/.+|assumed-role/[^/]+/.+|federated-user/.+)")


class LimitExceeded(ValueError):
    """IAM's LimitExceeded: the policy is larger than its quota."""

    code = "LimitExceeded"


class InvalidRepositoryPolicy(ValueError):
    """ECR's InvalidParameterException for a repository policy, in ECR's words."""

    code = "InvalidParameterException"

    def __init__(self, detail: str):
        super().__init__("Invalid parameter at 'PolicyText' failed to satisfy constraint: "
                         f"'Invalid repository policy provided' ({detail})")
        self.detail = detail


@dataclass(frozen=True)
class Door:
    """How one way in checks a policy: its kind, quota (None: no quota) and words."""

    kind: str  # grammar.IDENTITY or grammar.RESOURCE
    quota: int | None = None
    quota_message: str = ""
    source_type: str = "IAM Policy"
    resource_element: bool = True  # may a statement name a Resource?
    ecr: bool = False  # refusals are ECR's InvalidParameterException


DOORS = {
    "managed": Door(grammar.IDENTITY, 6144, "Cannot exceed quota for PolicySize: 6144"),
    "role-inline": Door(grammar.IDENTITY, 10240, "Maximum policy size of 10240 bytes exceeded for role {owner}"),
    "user-inline": Door(grammar.IDENTITY, 2048, "Maximum policy size of 2048 bytes exceeded for user {owner}"),
    "group-inline": Door(grammar.IDENTITY, 5120, "Maximum policy size of 5120 bytes exceeded for group {owner}"),
    "trust": Door(grammar.RESOURCE, 2048, "Cannot exceed quota for ACLSizePerRole: 2048", "resource", resource_element=False),
    "repository": Door(grammar.RESOURCE, 10240, "", "resource", resource_element=False, ecr=True),
    "simulator": Door(grammar.IDENTITY),
    "simulator-resource": Door(grammar.RESOURCE, source_type="resource"),
    "aws-managed": Door(grammar.IDENTITY, source_type="aws-managed"),
}


def size(document) -> int:
    """The size IAM counts: the document's characters without white space outside strings."""
    data = json.loads(document) if isinstance(document, str) else document
    return len(json.dumps(data, separators=(",", ":"), ensure_ascii=False))


def validate(document, door: str = "managed", *, owner: str = "", used: int = 0,
             principal_exists: Callable[[str], bool] | None = None) -> Policy:
    """Check ``document`` as ``door`` does; return it parsed. Raises ``MalformedPolicyDocument``,
    ``LimitExceeded`` or (the ECR door) ``InvalidRepositoryPolicy``.

    ``used``: the size already taken by the owner's other inline policies (IAM's quota is per
    role, user or group); ``principal_exists(arn)``: does this IAM principal exist now?"""
    spec = DOORS[door]
    try:
        return _validate(document, spec, owner, used, principal_exists)
    except MalformedPolicyDocument as error:
        if spec.ecr:
            raise InvalidRepositoryPolicy(str(error)) from None
        raise


def _validate(document, spec: Door, owner: str, used: int, principal_exists) -> Policy:
    policy = parse(document, "upload", spec.source_type)
    data = json.loads(policy.text)
    statements = as_list(data["Statement"])
    _check_sids(statements, spec)
    for raw in statements:
        for element in ("Action", "NotAction"):
            for action in as_list(raw.get(element, [])):
                _check_action(action)
        if not spec.resource_element and ("Resource" in raw or "NotResource" in raw):
            raise MalformedPolicyDocument("Has prohibited field Resource.")
        for element in ("Resource", "NotResource"):
            for resource in as_list(raw.get(element, [])):
                _check_resource(resource)
        if spec.kind == grammar.RESOURCE:
            for element in ("Principal", "NotPrincipal"):
                if element in raw:
                    _check_principal(raw[element], principal_exists)
    if spec.quota is not None and used + size(data) > spec.quota:
        message = spec.quota_message.format(owner=owner)
        if spec.ecr:
            raise InvalidRepositoryPolicy(f"the policy is larger than {spec.quota} characters")
        raise LimitExceeded(message)
    return policy


def _check_sids(statements: list, spec: Door) -> None:
    seen = set()
    for raw in statements:
        sid = raw.get("Sid")
        if sid is None:
            continue
        if not isinstance(sid, str):
            raise MalformedPolicyDocument("Syntax errors in policy: Sid must be a string.")
        if spec.kind == grammar.IDENTITY and not _SID.fullmatch(sid):
            raise MalformedPolicyDocument("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies "
                                          "the regular expression [0-9A-Za-z]*")
        if sid and sid in seen:
            raise MalformedPolicyDocument("Statement IDs (SID) in a single policy must be unique.")
        seen.add(sid)


def _check_action(action: str) -> None:
    parts = action.split(":")
    if len(parts) == 1 and parts[0] != "*":
        raise MalformedPolicyDocument("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
    if len(parts) > 2:
        raise MalformedPolicyDocument("Actions/Condition can contain only one colon.")
    if parts[0] != "*" and not _VENDOR.fullmatch(parts[0]):
        raise MalformedPolicyDocument(f"Vendor {parts[0]} is not valid")


def _check_resource(resource: str) -> None:
    if resource == "*":
        return
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        raise MalformedPolicyDocument(f'Resource {resource} must be in ARN format or "*".')
    if parts[1] != "*" and not parts[1].startswith("aws"):
        raise MalformedPolicyDocument(f'Partition "{parts[1]}" is not valid for resource "{resource}".')
    if not parts[2] or not _VENDOR.fullmatch(parts[2].replace("*", "x")) or "*" in parts[2] or "?" in parts[2]:
        raise MalformedPolicyDocument("Resource vendor must be fully qualified and cannot contain regexes.")


def _check_principal(element, principal_exists) -> None:
    if element == "*":
        return
    if not isinstance(element, dict) or not element:
        raise MalformedPolicyDocument(f"Invalid principal in policy: {json.dumps(element)}")
    for kind, values in element.items():
        if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise MalformedPolicyDocument(f"Invalid principal in policy: {json.dumps({kind: values})}")
        for value in as_list(values):
            if not isinstance(value, str) or not value:
                raise MalformedPolicyDocument(f"Invalid principal in policy: {json.dumps({kind: value})}")
            if kind != "AWS" or value == "*" or _ACCOUNT.fullmatch(value):
                continue
            match = _IAM_PRINCIPAL.fullmatch(value)
            if match is None or (match[3] != "root" and principal_exists is not None and not principal_exists(value)):
                raise MalformedPolicyDocument(f'Invalid principal in policy: "AWS":"{value}"')
