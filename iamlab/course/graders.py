"""What the lessons' graders share: the account read once per check, the comparison by effect
with its one counterexample, and the sentences for a policy not applied yet.

A grader takes an ``Account`` (clients, id, region, working copy), never the facade.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import facts
from ..account import policy_document
from ..policy import parse
from ..terraform import config as tfconfig
from . import grading, mistakes, policies
from .mistakes import Mistake
from .record import Grade


@dataclass
class Snapshot:
    world: grading.World
    role: grading.RolePolicies

    @property
    def attached(self) -> set[str]:
        return set(self.role.attached)

    def custom_arn(self) -> str:
        return facts.policy_arn(self.world.account)


def snapshot(account) -> Snapshot:
    world = grading.world_from_account(account.client("iam"), account.client("ecr"), account.id, account.region)
    return Snapshot(world, grading.read_role(account.client("iam"), account.client("ecr"), world))


def reference_document(model, world: grading.World) -> dict:
    model.region, model.account = world.region, world.account
    return model.document()


DENY_DOCUMENT = {"Version": "2012-10-17", "Statement": [{"Sid": "NeverPush", "Effect": "Deny", "Action": list(facts.PUSH), "Resource": "*"}]}


def repository_policy_document(world: grading.World) -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "InstanceMayPull", "Effect": "Allow", "Principal": {"AWS": facts.role_arn(world.account, world.role)},
        "Action": list(facts.PULL)}]}


def by_effect(learner: grading.Effect, reference: grading.Effect, exact_denies=(), whose="your policy",
              focus=(facts.PULL_REPOSITORY,)) -> tuple[list[tuple[bool, str]], str]:
    """Items and the one counterexample, comparing two effects."""
    found = grading.differences(learner, reference, exact_denies)
    missing = [d for d in found if not d.too_much]
    extra = [d for d in found if d.too_much]
    asked = len(reference.decisions)
    items = [
        (not missing, f"the instance may do everything the exercise needs ({asked} requests compared)" if not missing
         else f"{len(missing)} request(s) the exercise needs {'are' if len(missing) > 1 else 'is'} not allowed as asked"),
        (not extra, "and nothing more" if not extra else f"{len(extra)} request(s) beyond the exercise are still allowed"),
    ]
    example = grading.counterexample(found, focus)
    return items, (example.sentence(whose) + "." if example else "")


def _file_state(account, address: str) -> str | None:
    """Where the working copy declares ``address`` (file name), or None."""
    try:
        block = tfconfig.find(account.directory, address)
    except tfconfig.ParseError as error:
        return f"!{error}"
    return block.file.name if block else None


def not_applied_item(account, address: str, what: str) -> tuple[bool, str]:
    where = _file_state(account, address)
    if where and where.startswith("!"):
        return False, f"{what} is not in the account, and your files do not parse: {where[1:]}"
    if where:
        return False, f"{what} is declared in {where} but not in the account yet: run lab.apply()"
    return False, f"{what} is not written yet: fill in the %%tf cell (custom_policy.tf) and run it, or use the policy editor"


def custom_policy(account) -> tuple[Snapshot, str, dict | None]:
    """The account now, the custom policy's ARN, and its document (None: not in the account yet)."""
    snap = snapshot(account)
    arn = snap.custom_arn()
    return snap, arn, policy_document(account.client("iam"), arn)


def custom_policy_not_applied(account) -> Grade:
    return Grade([not_applied_item(account, facts.CUSTOM_POLICY, f"the policy {facts.POLICY}")], mistakes=file_mistakes(account))


def file_mistakes(account) -> list[Mistake]:
    found = mistakes.pasted_arn(account.directory)
    return [found] if found else []


def role_effect(snap: Snapshot) -> grading.Effect:
    return grading.effect(snap.world, snap.role.identity(), snap.role.resource())


def least_privilege_effect(snap: Snapshot, deny: bool = False, repository_policy: bool = False) -> grading.Effect:
    identity = [("reference", reference_document(policies.least_privilege_policy(), snap.world))]
    if deny:
        identity.append(("reference deny", DENY_DOCUMENT))
    resource = {facts.OTHER_REPOSITORY: parse(repository_policy_document(snap.world), "reference repository policy", "resource")} \
        if repository_policy else {}
    return grading.effect(snap.world, grading.policies(identity), resource)


def role_missing(snap: Snapshot) -> Grade | None:
    if not snap.role.exists:
        return Grade([(False, f"there is no role {facts.ROLE} in the account: go back to the lesson's start (lab.goto)")])
    return None


def all_mistakes(account, snap: Snapshot) -> list[Mistake]:
    mine = [p for p in snap.role.identity() if p.source_type != "aws-managed"]
    found = [mistakes.login_scoped(mine), mistakes.managed_attached(snap.attached),
             mistakes.star_on_pull(mine, snap.world, facts.PULL_REPOSITORY), mistakes.pasted_arn(account.directory)]
    return [m for m in found if m]
