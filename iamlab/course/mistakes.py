"""The classic mistakes of lessons 03-06, each recognised and named.

A grade by effect says *that* something differs ("your policy does not let the
instance run ecr:GetAuthorizationToken yet"); these say *which well-known mistake*
it is, with the reason, so the learner learns the rule and not just the fix:

* ``login-scoped``: ``ecr:GetAuthorizationToken`` in a statement scoped to a repository;
* ``managed-attached``: AmazonEC2ContainerRegistryReadOnly still attached;
* ``star-on-pull``: the pull actions left on ``Resource: "*"``;
* ``pasted-arn``: an ARN typed into a ``.tf`` file instead of a reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..policy import ALLOWED, Request, evaluate
from ..policy.document import Policy
from ..policy.matching import action_matches
from ..facts import LOGIN, MANAGED_POLICY_ARN, PULL_CHECKS, PULL_REPOSITORY, REPOSITORY_ARN_PATTERN, repository_of
from .grading import World

PASTED = re.compile(rf"{REPOSITORY_ARN_PATTERN}|arn:aws:iam::\d{{12}}:(?:policy|role)/[A-Za-z0-9+=,.@_/-]+")


@dataclass(frozen=True)
class Mistake:
    name: str
    message: str

    def __str__(self) -> str:
        return self.message


def login_scoped(policies: Iterable[Policy]) -> Mistake | None:
    for policy in policies:
        for statement in policy.statements:
            if statement.is_deny or statement.actions is None or statement.resources is None:
                continue
            if any(action_matches(a, LOGIN) for a in statement.actions) and "*" not in statement.resources:
                return Mistake("login-scoped",
                               f"The login, {LOGIN}, is in a statement scoped to {', '.join(statement.resources)} "
                               f"(in {policy.source_id}). GetAuthorizationToken acts on no repository, so only a statement "
                               'with Resource "*" can allow it; without a login, no pull works.')
    return None


def managed_attached(attached: Iterable[str]) -> Mistake | None:
    if MANAGED_POLICY_ARN in set(attached):
        return Mistake("managed-attached",
                       "AmazonEC2ContainerRegistryReadOnly is still attached to the role. Policies add up: while it is "
                       "attached, it allows everything your policy leaves out. Comment out its attachment in main.tf, then apply.")
    return None


def star_on_pull(policies: Iterable[Policy], world: World, intended: str = PULL_REPOSITORY) -> Mistake | None:
    """A pull action allowed on another repository through a ``Resource: "*"`` statement of the learner's."""
    policies = [p for p in policies if p.source_type != "aws-managed"]
    for repository in world.repositories:
        if repository == intended:
            continue
        for action in PULL_CHECKS:
            decision = evaluate(Request(world.principal(), action, world.arn(repository), world.context(repository)), policies)
            star = [s for s in decision.matched if s.resources and "*" in s.resources]
            if decision.decision == ALLOWED and star:
                return Mistake("star-on-pull",
                               f'{action} is still allowed on Resource "*" (in {star[0].source_id}), so the instance may pull '
                               f"{repository} too. Point the pull actions' Resource at the one repository.")
    return None


def pasted_arns(directory: Path, ignore: Iterable[str] = ()) -> list[tuple[str, int, str]]:
    """(file, line, ARN) for every ARN typed into the learner's ``.tf`` files (override files excepted)."""
    found = []
    for file in sorted(Path(directory).glob("*.tf")):
        if file.name.endswith("_override.tf") or file.name in set(ignore):
            continue
        for number, line in enumerate(file.read_text().splitlines(), 1):
            if line.lstrip().startswith(("#", "//")):
                continue
            found += [(file.name, number, match.group(0)) for match in PASTED.finditer(line)]
    return found


def pasted_arn(directory: Path) -> Mistake | None:
    found = pasted_arns(directory)
    if not found:
        return None
    file, line, arn = found[0]
    what = ("the data source that reads the repository" if repository_of(arn)
            else "the resource that creates it (one of its attributes holds the ARN)")
    return Mistake("pasted-arn",
                   f"{file}, line {line}: the ARN {arn} is typed in. Refer to it instead, through {what}: no account "
                   "id or region typed by hand, and a wrong name fails at plan time instead of silently matching nothing.")
