"""What a plan will do, in plain words (from ``terraform show -json`` of a saved plan)."""

from __future__ import annotations

import json
from dataclasses import dataclass

WORDS = {("create",): "add", ("update",): "change", ("delete",): "destroy",
         ("delete", "create"): "replace", ("create", "delete"): "replace"}


@dataclass(frozen=True)
class Change:
    address: str
    action: str  # add | change | replace | destroy
    before: dict | None
    after: dict | None

    def policy_documents(self) -> tuple[dict | None, dict | None]:
        """Before/after policy JSON for IAM policies (None where unknown or absent)."""
        def doc(state):
            text = (state or {}).get("policy")
            try:
                return json.loads(text) if isinstance(text, str) else None
            except ValueError:
                return None
        return doc(self.before), doc(self.after)

    def policy_diff(self, old: str = "now", new: str = "after apply") -> str:
        """A unified diff of the policy document, for IAM policies whose document changes
        (labelled ``old`` and ``new``: a plan's "now"/"after apply", an apply's "before"/"after")."""
        import difflib

        before, after = self.policy_documents()
        if before is None and after is None or before == after:
            return ""
        old_lines = json.dumps(before, indent=2, sort_keys=True).splitlines() if before else []
        new_lines = json.dumps(after, indent=2, sort_keys=True).splitlines() if after else ["(known after apply)"]
        return "\n".join(difflib.unified_diff(old_lines, new_lines, old, new, lineterm=""))

    def sentence(self) -> str:
        verb = {"add": "will be created", "change": "will be changed in place", "replace": "will be replaced (destroyed, then created)",
                "destroy": "will be destroyed"}[self.action]
        return f"{self.address} {verb}"


def changes(plan_json: dict) -> list[Change]:
    found = []
    for change in plan_json.get("resource_changes", []):
        if change.get("mode") == "data":
            continue
        actions = tuple(change["change"]["actions"])
        if actions in (("no-op",), ("read",)):
            continue
        found.append(Change(change["address"], WORDS.get(actions, "/".join(actions)),
                            change["change"].get("before"), change["change"].get("after")))
    return found


def summary(found: list[Change]) -> str:
    if not found:
        return "No changes: the account already matches your configuration."
    counts = {word: sum(1 for c in found if c.action == word) for word in ("add", "change", "replace", "destroy")}
    return ", ".join(f"{n} to {word}" for word, n in counts.items() if n) + "."
