"""Every policy the sandbox stores passes the one validator first, whatever the door.

IAM refuses to store a policy that breaks the policy grammar (MalformedPolicyDocument,
HTTP 400) or its quota (LimitExceeded), and ECR refuses such a repository policy
(InvalidParameterException). moto checks some of that, differently per call (a trust
policy given to CreateRole is not checked at all). A policy stored that the engine
cannot read would be silently ignored when deciding, a Deny included; so every upload
first passes ``iamlab.policy.validator`` at its door, and only then moto's own checks:

    CreatePolicy, CreatePolicyVersion                   -> managed      (6,144)
    PutRolePolicy / PutUserPolicy / PutGroupPolicy      -> *-inline     (10,240 / 2,048 / 5,120 per entity)
    CreateRole, UpdateAssumeRolePolicy                  -> trust        (2,048; principals must exist)
    SetRepositoryPolicy                                 -> repository   (ECR's words; principals must exist)

The simulator's inputs pass the same validator (``simulator.py``).
"""

from __future__ import annotations

import functools

from . import moto_ext  # noqa: F401  (first: it pins moto's version and settings)
from moto.ecr.exceptions import InvalidParameterException  # noqa: E402
from moto.ecr.models import ECRBackend  # noqa: E402
from moto.iam.exceptions import LimitExceededException  # noqa: E402
from moto.iam.exceptions import MalformedPolicyDocument as MotoMalformedPolicyDocument  # noqa: E402
from moto.iam.models import IAMBackend  # noqa: E402

from ..policy import MalformedPolicyDocument  # noqa: E402
from ..policy.validator import InvalidRepositoryPolicy, LimitExceeded, size, validate  # noqa: E402
from . import principal_ids  # noqa: E402

# backend method -> (name of the document argument, its position after self, door, owner kind)
_IAM = {
    "create_policy": ("policy_document", 2, "managed", None),
    "create_policy_version": ("policy_document", 1, "managed", None),
    "put_role_policy": ("policy_json", 2, "role-inline", "role"),
    "put_user_policy": ("policy_json", 2, "user-inline", "user"),
    "put_group_policy": ("policy_json", 2, "group-inline", "group"),
    "create_role": ("assume_role_policy_document", 1, "trust", None),
    "update_assume_role_policy": ("policy_document", 1, "trust", None),
}


def _document(args: tuple, kwargs: dict, name: str, position: int):
    if name in kwargs:
        return kwargs[name]
    return args[position] if len(args) > position else None


def _other_inline_size(backend: IAMBackend, kind: str, owner: str, policy_name: str) -> int:
    """What the owner's other inline policies already take of its quota (IAM counts them together)."""
    try:
        entity = {"role": backend.get_role, "user": backend.get_user, "group": backend.get_group}[kind](owner)
    except Exception:
        return 0  # moto answers NoSuchEntity itself
    total = 0
    for name, text in entity.policies.items():
        if name != policy_name:
            try:
                total += size(text)
            except ValueError:
                total += len(text)
    return total


def _checked_iam(method, name: str, position: int, door: str, kind: str | None):
    @functools.wraps(method)
    def checked(self, *args, **kwargs):
        document = _document(args, kwargs, name, position)
        if document is not None:
            owner = str(args[0]) if args else ""
            used = _other_inline_size(self, kind, owner, str(args[1]) if len(args) > 1 else "") if kind else 0
            try:
                validate(document, door, owner=owner, used=used, principal_exists=principal_ids.exists)
            except MalformedPolicyDocument as error:
                raise MotoMalformedPolicyDocument(str(error)) from None
            except LimitExceeded as error:
                raise LimitExceededException(str(error)) from None
        return method(self, *args, **kwargs)

    checked.iamlab_checked = True
    return checked


def _checked_repository_policy(method):
    @functools.wraps(method)
    def checked(self, registry_id, repository_name, policy_text, *args, **kwargs):
        try:
            validate(policy_text, "repository", principal_exists=principal_ids.exists)
        except InvalidRepositoryPolicy as error:
            raise InvalidParameterException(str(error)) from None
        return method(self, registry_id, repository_name, policy_text, *args, **kwargs)

    checked.iamlab_checked = True
    return checked


def install() -> None:
    """Put the one validator in front of moto's policy uploads (once)."""
    for method_name, (argument, position, door, kind) in _IAM.items():
        method = getattr(IAMBackend, method_name)
        if not getattr(method, "iamlab_checked", False):
            setattr(IAMBackend, method_name, _checked_iam(method, argument, position, door, kind))
    if not getattr(ECRBackend.set_repository_policy, "iamlab_checked", False):
        ECRBackend.set_repository_policy = _checked_repository_policy(ECRBackend.set_repository_policy)
    principal_ids.install()
