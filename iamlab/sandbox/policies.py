"""Whose policies apply: a role's identity policies, collected in one place.

The enforcer (deciding a real call) and the simulator (answering "what if?") must
read the same policies, or they disagree. Both call ``role_policies``.
"""

from __future__ import annotations

from functools import lru_cache

from ..policy import Policy, PolicyError, parse
from . import moto_ext


def role_documents(role: moto_ext.RoleView) -> list[tuple[str, str, str]]:
    """(document, source id, source type) of every policy the role holds, inline first."""
    found = [(document, name, "role") for name, document in role.inline_policies.items()]
    found += [(document, arn, "aws-managed" if aws_managed else "user-managed")
              for arn, document, aws_managed in role.managed_policies]
    return found


def role_policies(role_name: str, strict: bool = False) -> list[Policy] | None:
    """The role's parsed identity policies, or None when there is no such role.

    ``strict`` raises ``PolicyError`` on a document that does not parse (the simulator
    reports it); otherwise such a document grants nothing (AWS would not have stored it)."""
    role = moto_ext.role(role_name)
    if role is None:
        return None
    policies = []
    for document, source_id, source_type in role_documents(role):
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
