"""What the lessons' graders share: the account read once per check, the comparison by effect
with its one counterexample, the sentences for a policy not applied yet, and the slips
(``slips``) found in the working copy and the account.

A grader takes an ``Account`` (clients, id, region, working copy), never the facade.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import facts
from .. import paths
from ..account import policy_document
from ..policy import parse
from ..terraform import config as tfconfig
from . import grading, policies, slips
from .record import Grade
from .slips import Expected, Slip

# A pull works with or without it (facts.PULL_ACCEPTED): either decision passes.
OPTIONAL = tuple(a for a in facts.PULL_ACCEPTED if a not in facts.PULL_NEEDS)


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
              focus=(facts.PULL_REPOSITORY,), optional=OPTIONAL) -> tuple[list[tuple[bool, str]], str]:
    """Items and the one counterexample, comparing two effects (``optional`` actions: either way is right)."""
    skip = {a.lower() for a in optional}
    found = [d for d in grading.differences(learner, reference, exact_denies) if d.action.lower() not in skip]
    missing = [d for d in found if not d.too_much]
    extra = [d for d in found if d.too_much]
    asked = len(reference.decisions)
    items = [
        (not missing, f"the instance may do everything the exercise needs ({asked} requests compared)" if not missing
         else f"{len(missing)} request(s) the exercise needs {'are' if len(missing) > 1 else 'is'} not allowed as asked"),
        (not extra, "and nothing more" if not extra else f"{len(extra)} request(s) beyond the exercise are still allowed"),
    ]
    example = grading.counterexample(found, focus)
    return items, (example.sentence(whose) if example else "")


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
        return False, f"{what} is not in the account yet"
    return False, f"{what} is not written yet: fill in the %%tf cell (custom_policy.tf) and run it, or use the policy editor"


def custom_policy(account) -> tuple[Snapshot, str, dict | None]:
    """The account now, the custom policy's ARN, and its document (None: not in the account yet)."""
    snap = snapshot(account)
    arn = snap.custom_arn()
    return snap, arn, policy_document(account.client("iam"), arn)


def custom_policy_not_applied(account, wanted: Expected | None = None) -> Grade:
    """The custom policy is not in the account: not written, not applied, or written in the wrong folder."""
    found = file_slips(account, wanted or Expected(account.id, account.region))
    where = _file_state(account, facts.CUSTOM_POLICY)
    if where and not where.startswith("!"):
        found.append(slips.not_applied(where, declared_only=True))
    found.extend(course_copy_slips(account, files=(POLICY_FILE,), declared=(facts.CUSTOM_POLICY,)))
    return Grade([not_applied_item(account, facts.CUSTOM_POLICY, f"the policy {facts.POLICY}")], slips=found)


# -- slips: what the learner wrote, and where --------------------------------------------
POLICY_FILE = "custom_policy.tf"


def expected(account, snap: Snapshot | None = None, **changes) -> Expected:
    """What the exercise is about, in this account (its repositories, when known)."""
    if snap is not None:
        changes.setdefault("repositories", snap.world.repositories)
    return Expected(account.id, account.region, **changes)


def file_slips(account, wanted: Expected, file: str = POLICY_FILE, address: str = facts.CUSTOM_POLICY,
               kind: str = "identity", argument: str = "policy") -> list[Slip]:
    """The references of every file of the working copy (a typed ARN, a quoted reference, ...), and the
    policy document ``address`` holds in ``file``, read as ``kind``."""
    directory = account.directory
    found = slips.working_copy_slips(directory, wanted, file=file, address=address, kind=kind, argument=argument)
    from ..terraform import refcheck

    files = [p.name for p in sorted(directory.glob("*.tf")) if not p.name.endswith("_override.tf")]
    found += [Slip(p.id, f"{p.message} Next step: {p.next_step}", p.where, p.blocks)
              for p in refcheck.check_directory(directory, files)]
    return slips.ordered(found)


def course_copy_slips(account, files=(), commented=(), declared=()) -> list[Slip]:
    found = slips.course_copy_slip(account.directory, paths.course_tf_dir(), files, commented, declared)
    return [found] if found else []


def drift_slips(account, wanted: Expected, snap: Snapshot, documents: dict, file: str = POLICY_FILE,
                address: str = facts.CUSTOM_POLICY) -> list[Slip]:
    """``not-applied`` when the policy ``file`` declares differs in effect from the one the account holds."""
    path = account.directory / file
    if not path.exists():
        return []
    context = {p.name: p.read_text() for p in sorted(account.directory.glob("*.tf")) if p.name != file}
    written = slips.hcl_document(path.read_text(), address, wanted, context=context)
    applied = documents.get(address)
    if written is None or applied is None or _has_unresolved(written):
        return []
    try:
        mine = grading.effect(snap.world, grading.policies([("file", written)]))
        theirs = grading.effect(snap.world, grading.policies([("account", applied)]))
    except Exception:  # noqa: BLE001 - a document the engine cannot read: the other slips name why
        return []
    return [] if mine.decisions == theirs.decisions else [slips.not_applied(file)]


def _has_unresolved(value) -> bool:
    if isinstance(value, dict):
        return "__ref__" in value or any(_has_unresolved(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unresolved(v) for v in value)
    return isinstance(value, str) and "${" in value


def account_slips(wanted: Expected, snap: Snapshot) -> list[Slip]:
    """What the account holds: the role's own identity policies read as written, the managed policy."""
    found = []
    for arn, document in snap.role.attached.items():
        if ":aws:policy/" not in arn:
            found += slips.policy_slips(document, wanted)
    for document in snap.role.inline.values():
        found += slips.policy_slips(document, wanted)
    managed = slips.managed_attached(snap.attached)
    return found + ([managed] if managed else [])


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


def all_slips(account, snap: Snapshot, wanted: Expected) -> list[Slip]:
    """Everything lesson 04's last step can show: the files, the account, a file not applied."""
    documents = {facts.CUSTOM_POLICY: snap.role.attached.get(snap.custom_arn())}
    return slips.ordered(course_copy_slips(account, files=(POLICY_FILE,), commented=(facts.MANAGED_ATTACHMENT,))
                         + drift_slips(account, wanted, snap, documents) + file_slips(account, wanted)
                         + account_slips(wanted, snap))


# -- a lesson's premise: what its start assumes of the account (``Stage.premise``, judged by ``goto``) --
def _can_pull(effect: grading.Effect, repository: str) -> list[str]:
    """The checks of a pull of ``repository`` the effect refuses (empty: the pull works)."""
    return [a for a in facts.PULL_NEEDS if not effect.allows(a, repository)]


def _pull_items(effect: grading.Effect, pulls: bool, other_pulls: bool) -> list[tuple[bool, str]]:
    refused = _can_pull(effect, facts.PULL_REPOSITORY)
    other_refused = _can_pull(effect, facts.OTHER_REPOSITORY)
    items = [(not refused, f"the instance can pull {facts.PULL_REPOSITORY}" if not refused
              else f"the instance cannot pull {facts.PULL_REPOSITORY} ({', '.join(refused)} refused)")]
    if pulls and other_pulls:
        items.append((not other_refused, f"the instance can pull {facts.OTHER_REPOSITORY}" if not other_refused
                      else f"the instance cannot pull {facts.OTHER_REPOSITORY} ({', '.join(other_refused)} refused)"))
    elif pulls:
        allowed = [a for a in facts.PULL_CHECKS if effect.allows(a, facts.OTHER_REPOSITORY)]
        items.append((bool(other_refused), f"the instance cannot pull {facts.OTHER_REPOSITORY}" if other_refused
                      else f"the instance can still pull {facts.OTHER_REPOSITORY} ({', '.join(allowed)} allowed on it)"))
    return items


def managed_start(account) -> Grade:
    """Lessons 02 and 03 start with the managed policy attached: the instance pulls both repositories."""
    snap = snapshot(account)
    missing = role_missing(snap)
    if missing:
        return missing
    attached = facts.MANAGED_POLICY_ARN in snap.attached
    return Grade([(attached, "AmazonEC2ContainerRegistryReadOnly is attached to the role" if attached
                   else "AmazonEC2ContainerRegistryReadOnly is not attached to the role"),
                  *_pull_items(role_effect(snap), True, True)])


def custom_policy_start(account) -> Grade:
    """Lesson 04 edits the custom policy: its start needs the policy in the account, attached."""
    snap = snapshot(account)
    missing = role_missing(snap)
    if missing:
        return missing
    attached = snap.custom_arn() in snap.attached
    return Grade([(attached, f"{facts.POLICY} is attached to the role" if attached
                   else f"{facts.POLICY} is not in the account or not attached to the role")])


def scoped_start(account, repository_policies: bool = True) -> Grade:
    """Lessons 05 and 06 start from 04's end: the instance logs in and pulls flask_app, nothing more.
    ``repository_policies``: count the repositories' own policies (06 writes one as its exercise)."""
    snap = snapshot(account)
    missing = role_missing(snap)
    if missing:
        return missing
    mine = role_effect(snap) if repository_policies else grading.effect(snap.world, snap.role.identity())
    items = _pull_items(mine, True, False)
    found = [d for d in grading.differences(mine, least_privilege_effect(snap)) if d.too_much]
    beyond = [d for d in found if not (d.repository == facts.OTHER_REPOSITORY and d.action in facts.PULL)]
    example = grading.counterexample(beyond, (facts.PULL_REPOSITORY,))
    items.append((not beyond, "nothing beyond its job is allowed" if not beyond
                  else f"{len(beyond)} request(s) beyond its job are allowed, e.g. {example.sentence('its policies')}"))
    return Grade(items)


def scoped_identity_start(account) -> Grade:
    """06's start: 04's end as the role's own policies say (06's repository policy is its exercise)."""
    return scoped_start(account, repository_policies=False)


def role_start(account) -> Grade:
    """07's start: there is something to clean up (the role is the course's first resource)."""
    return role_missing(snapshot(account)) or Grade([(True, f"the role {facts.ROLE} is in the account")])
