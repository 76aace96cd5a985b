"""Policies are checked on upload by the same grammar the engine reads them with.

IAM refuses to store a policy that breaks the policy grammar (MalformedPolicyDocument,
HTTP 400), and ECR refuses such a repository policy (InvalidParameterException). moto
checks most of that already, but not everything the engine relies on (a trust
policy given to CreateRole is not checked at all). A policy stored that the engine
cannot read would be silently ignored when deciding, a Deny included; so every upload
first passes ``iamlab.policy.validate``, and only then moto's own checks.

    CreatePolicy, CreatePolicyVersion, PutRolePolicy, PutUserPolicy, PutGroupPolicy  -> identity grammar
    CreateRole, UpdateAssumeRolePolicy, SetRepositoryPolicy                          -> resource grammar
"""

from __future__ import annotations

import functools

from . import moto_ext  # noqa: F401  (first: it pins moto's version and settings)
from moto.ecr.exceptions import InvalidParameterException  # noqa: E402
from moto.ecr.models import ECRBackend  # noqa: E402
from moto.iam.exceptions import MalformedPolicyDocument as MotoMalformedPolicyDocument  # noqa: E402
from moto.iam.models import IAMBackend  # noqa: E402

from ..policy import MalformedPolicyDocument, validate  # noqa: E402

# backend method -> (name of the document argument, its position after self, grammar)
_IAM = {
    "create_policy": ("policy_document", 2, "identity"),
    "create_policy_version": ("policy_document", 1, "identity"),
    "put_role_policy": ("policy_json", 2, "identity"),
    "put_user_policy": ("policy_json", 2, "identity"),
    "put_group_policy": ("policy_json", 2, "identity"),
    "create_role": ("assume_role_policy_document", 1, "resource"),
    "update_assume_role_policy": ("policy_document", 1, "resource"),
}


def _document(args: tuple, kwargs: dict, name: str, position: int):
    if name in kwargs:
        return kwargs[name]
    return args[position] if len(args) > position else None


def _checked_iam(method, name: str, position: int, kind: str):
    @functools.wraps(method)
    def checked(self, *args, **kwargs):
        document = _document(args, kwargs, name, position)
        if document is not None:
            try:
                validate(document, kind)
            except MalformedPolicyDocument as error:
                raise MotoMalformedPolicyDocument(str(error)) from None
        return method(self, *args, **kwargs)

    checked.iamlab_checked = True
    return checked


def _checked_repository_policy(method):
    @functools.wraps(method)
    def checked(self, registry_id, repository_name, policy_text, *args, **kwargs):
        try:
            validate(policy_text, "resource")
        except MalformedPolicyDocument as error:
            raise InvalidParameterException("Invalid parameter at 'PolicyText' failed to satisfy constraint: "
                                            f"'Invalid repository policy provided': {error}") from None
        return method(self, registry_id, repository_name, policy_text, *args, **kwargs)

    checked.iamlab_checked = True
    return checked


def install() -> None:
    """Put the engine's grammar in front of moto's policy uploads (once)."""
    for method_name, (argument, position, kind) in _IAM.items():
        method = getattr(IAMBackend, method_name)
        if not getattr(method, "iamlab_checked", False):
            setattr(IAMBackend, method_name, _checked_iam(method, argument, position, kind))
    if not getattr(ECRBackend.set_repository_policy, "iamlab_checked", False):
        ECRBackend.set_repository_policy = _checked_repository_policy(ECRBackend.set_repository_policy)
