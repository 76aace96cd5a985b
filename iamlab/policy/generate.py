"""Least privilege from what a principal actually did (like IAM Access Analyzer's policy
generation from CloudTrail): the smallest policy that allows exactly the recorded calls."""

from __future__ import annotations

from collections import defaultdict

from . import catalogue


def from_activity(records: list[dict]) -> dict:
    """``records``: dicts with ``action`` and ``resource`` (the sandbox's activity log)."""
    resources_of: dict[str, set[str]] = defaultdict(set)
    for record in records:
        action = catalogue.lookup(record["action"])
        name = action.action if action else record["action"]
        resources_of[name].add("*" if action and not action.supports_resources else record["resource"])
    # Actions that need exactly the same resources share one statement.
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for action, resources in resources_of.items():
        key = ("*",) if "*" in resources else tuple(sorted(resources))
        groups[key].append(action)
    statements = []
    for resources, actions in sorted(groups.items(), key=lambda item: (item[0] != ("*",), item[0])):
        statements.append({
            "Sid": "AnyResource" if resources == ("*",) else f"Scoped{len(statements) + 1}",
            "Effect": "Allow",
            "Action": sorted(actions) if len(actions) > 1 else actions[0],
            "Resource": list(resources) if len(resources) > 1 else resources[0],
        })
    return {"Version": "2012-10-17", "Statement": statements}


def actions_by_resource(document: dict) -> dict[str, set[str]]:
    """{resource: {actions}} of a policy's Allow statements, to compare two policies."""
    found: dict[str, set[str]] = defaultdict(set)
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        for resource in [resources] if isinstance(resources, str) else resources:
            found[resource] |= {a.lower() for a in ([actions] if isinstance(actions, str) else actions)}
    return dict(found)
