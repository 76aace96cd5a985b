"""Look-ups that explain a decision without making it: IAM's policy simulator for a role, and the
Service Authorization Reference for an action. Each returns a ``Table`` that renders itself."""

from __future__ import annotations

from .reports import Table


def simulate(iam, role_arn: str, actions: list[str], resources: list[str] = ("*",)) -> Table:
    """IAM's policy simulator for the role: one row per action and resource."""
    from .matrix import describe_statements

    results = iam.simulate_principal_policy(
        PolicySourceArn=role_arn, ActionNames=list(actions), ResourceArns=list(resources))["EvaluationResults"]
    rows = [{"action": r["EvalActionName"], "resource": r["EvalResourceName"], "decision": r["EvalDecision"],
             "decided by": describe_statements(r)} for r in results]
    return Table(rows, [("decision", "EvalDecision"), ("action", "action"), ("resource", "resource"),
                        ("decided by", "matched statements")], code=("action", "resource"))


def describe_actions(actions: list[str]) -> Table:
    """Each action's access level and what it allows, from the Service Authorization Reference."""
    from .policy import catalogue

    rows = []
    for action in actions:
        info = catalogue.lookup(action)
        rows.append({"action": action, "access level": info.access_level if info else "?",
                     "resource types": ", ".join(info.resource_types) if info and info.resource_types else "none (needs \"*\")",
                     "allows": info.description if info else "unknown action"})
    return Table(rows, [("access level", "access level"), ("action", "action"), ("resource types", "resource types"),
                        ("allows", "allows")], code=("action",))
