"""Users and roles are identities, not names: each has a unique ID, and policies hold to it.

AWS gives every role an ID starting ``AROA`` and every user one starting ``AIDA``. A trust
policy or a resource policy naming a role or user by ARN is bound to that ID when it is
saved: delete the principal and re-create it under the same name, and the policy no longer
names it; read the policy back and the ARN has become the old ID (IAM User Guide, "IAM
identifiers": unique identifiers; "IAM JSON policy elements: Principal"). The sandbox does
the same: a principal may only be named while it exists (the validator asks ``exists``),
and when a role or user is deleted every trust policy and repository policy naming it is
rewritten to name its ID instead, which matches no one.

moto gives roles AROA IDs but users random lower-case ones; ``install`` gives users AIDA IDs.
"""

from __future__ import annotations

import json

from . import moto_ext
from moto.ecr.models import ecr_backends  # noqa: E402
from moto.iam.models import IAMBackend  # noqa: E402
from moto.iam.utils import generate_access_key_id_from_account_id  # noqa: E402


def exists(arn: str) -> bool:
    """Does the IAM principal this ARN names exist in the sandbox's account now?"""
    fields = arn.split(":", 5)
    if len(fields) != 6 or fields[4] != moto_ext.ACCOUNT_ID:
        return False  # the sandbox has one account: another account's users and roles do not exist
    resource = fields[5]
    backend = moto_ext.iam()
    if fields[2] == "sts":
        if resource.startswith("assumed-role/"):
            name = resource.split("/")[1]
            return any(role.name == name for role in list(backend.roles.values()))
        return resource.startswith("federated-user/")
    if resource == "root":
        return True
    if resource.startswith("role/"):
        return any(role.arn == arn for role in list(backend.roles.values()))
    if resource.startswith("user/"):
        return any(user.arn == arn for user in list(backend.users.values()))
    return False


def unique_id(arn: str) -> str:
    """The unique ID of the role or user an IAM ARN names now, or "" when there is none."""
    backend = moto_ext.iam()
    if ":role/" in arn:
        return next((role.id for role in list(backend.roles.values()) if role.arn == arn), "")
    if ":user/" in arn:
        return next((user.id for user in list(backend.users.values()) if user.arn == arn), "")
    return ""


def _unbound(text: str, arn: str, principal_id: str) -> str | None:
    """``text`` with every Principal/NotPrincipal naming ``arn`` naming ``principal_id`` instead
    (None when it does not name it)."""
    try:
        document = json.loads(text)
    except (ValueError, TypeError):
        return None
    changed = False
    statements = document.get("Statement") if isinstance(document, dict) else None
    for statement in statements if isinstance(statements, list) else [statements]:
        for element in ("Principal", "NotPrincipal"):
            principal = statement.get(element) if isinstance(statement, dict) else None
            if not isinstance(principal, dict) or "AWS" not in principal:
                continue
            values = principal["AWS"]
            if values == arn:
                principal["AWS"], changed = principal_id, True
            elif isinstance(values, list) and arn in values:
                principal["AWS"], changed = [principal_id if v == arn else v for v in values], True
    return json.dumps(document) if changed else None


def forget(arn: str, principal_id: str) -> None:
    """A principal is gone: policies that named it name its ID from now on (as IAM shows them)."""
    for role in list(moto_ext.iam().roles.values()):
        rewritten = _unbound(moto_ext._document_text(role.assume_role_policy_document), arn, principal_id)
        if rewritten is not None:
            role.assume_role_policy_document = rewritten
    for backend in list(ecr_backends[moto_ext.ACCOUNT_ID].values()):
        for repository in list(backend.repositories.values()):
            rewritten = _unbound(repository.policy, arn, principal_id) if repository.policy else None
            if rewritten is not None:
                repository.policy = rewritten


def _user_created(method):
    def create_user(self, *args, **kwargs):
        user = method(self, *args, **kwargs)
        user.id = generate_access_key_id_from_account_id(self.account_id, "AIDA", 21)
        return user

    create_user.iamlab_ids = True
    return create_user


def _forgetting(method, find):
    def delete(self, name, *args, **kwargs):
        found = find(self, name)
        result = method(self, name, *args, **kwargs)
        if found is not None:
            forget(found.arn, found.id)
        return result

    delete.iamlab_ids = True
    return delete


def install() -> None:
    if getattr(IAMBackend.create_user, "iamlab_ids", False):
        return
    IAMBackend.create_user = _user_created(IAMBackend.create_user)
    IAMBackend.delete_role = _forgetting(IAMBackend.delete_role, lambda backend, name: _quietly(backend.get_role, name))
    IAMBackend.delete_user = _forgetting(IAMBackend.delete_user, lambda backend, name: backend.users.get(name))


def _quietly(get, name):
    try:
        return get(name)
    except Exception:
        return None
