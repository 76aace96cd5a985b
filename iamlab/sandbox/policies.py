"""Whose policies apply: a role's or a user's identity policies, collected in one place.

The enforcer (deciding a real call) and the simulator (answering "what if?") must
read the same policies, or they disagree. Both call ``identity_policies`` with the
IAM identity's ARN (a role session's role, or a user). A user's policies are its
inline ones, those attached to it, and those of its groups, as on AWS.
"""

from __future__ import annotations

from functools import lru_cache

from ..policy import Policy, PolicyError, parse
from . import moto_ext


def _documents(entity, inline_type: str) -> list[tuple[str, str, str]]:
    found = [(document, name, inline_type) for name, document in entity.inline_policies.items()]
    found += [(document, arn, "aws-managed" if aws_managed else "user-managed")
              for arn, document, aws_managed in entity.managed_policies]
    return found


def role_documents(role: moto_ext.RoleView) -> list[tuple[str, str, str]]:
    """(document, source id, source type) of every policy the role holds, inline first."""
    return _documents(role, "role")


def user_documents(user: moto_ext.UserView) -> list[tuple[str, str, str]]:
    """(document, source id, source type) of the user's policies, then its groups'."""
    found = _documents(user, "user")
    for group in user.groups:
        found += [entry for entry in _documents(group, "group") if entry not in found]  # a policy counts once
    return found


def documents_of(identity_arn: str) -> list[tuple[str, str, str]] | None:
    """The policy documents of the role or user an IAM ARN names, or None when there is none."""
    fields = identity_arn.split(":", 5)
    if len(fields) != 6 or fields[4] != moto_ext.ACCOUNT_ID:
        return None
    name = fields[5].rsplit("/", 1)[-1]
    if fields[5].startswith("role/"):
        role = moto_ext.role(name)
        return role_documents(role) if role is not None else None
    if fields[5].startswith("user/"):
        user = moto_ext.user(name)
        return user_documents(user) if user is not None else None
    return None


def identity_policies(identity_arn: str, strict: bool = False) -> list[Policy] | None:
    """The parsed identity policies of a role or user (by ARN), or None when there is no such identity.

    ``strict`` raises ``PolicyError`` on a document that does not parse (the simulator
    reports it); otherwise such a document grants nothing (AWS would not have stored it)."""
    found = documents_of(identity_arn)
    if found is None:
        return None
    policies = []
    for document, source_id, source_type in found:
        if strict:
            policies.append(parse(document, source_id, source_type))
        else:
            parsed = parsed_once(document, source_id, source_type)
            if parsed is not None:
                policies.append(parsed)
    return policies


@lru_cache(maxsize=512)
def parsed_once(document: str, source_id: str, source_type: str) -> Policy | None:
    """Policies change rarely and are read on every request: parse each text once."""
    try:
        return parse(document, source_id, source_type)
    except (PolicyError, ValueError, TypeError):
        return None
