"""04 · Least privilege: scope the pull to one repository, detach the managed policy, split the login."""

from __future__ import annotations

from ... import facts
from ...terraform import edits
from .. import grading, slips
from ..graders import (all_slips, by_effect, course_copy_slips, custom_policy, custom_policy_not_applied,
                       custom_policy_start, drift_slips, expected, file_slips, least_privilege_effect,
                       reference_document, role_effect, role_missing, snapshot)
from ..policies import least_privilege_policy, referenced_policy
from ..record import Exercise, Grade, Lesson, PredictionGate, Record, Reference, Stage
from .l03_custom_policy import CUSTOM_POLICY


def _reference(account, answer) -> Grade:
    snap, arn, document = custom_policy(account)
    wanted = expected(account, snap, scoped=True)
    if document is None:
        return custom_policy_not_applied(account, wanted)
    actions = [a for a, _ in snap.world.questions() if a != facts.LOGIN]  # the login is step 2's lesson
    mine = grading.effect(snap.world, grading.policies([(facts.POLICY, document)]), actions=actions)
    reference = grading.effect(snap.world, grading.policies([("reference", reference_document(referenced_policy(), snap.world))]),
                               actions=actions)
    items, hint = by_effect(mine, reference, whose=facts.POLICY)
    found = (course_copy_slips(account, files=("custom_policy.tf",)) + drift_slips(account, wanted, snap, {facts.CUSTOM_POLICY: document})
             + file_slips(account, wanted) + slips.policy_slips(document, wanted))
    return Grade(items, hint, [s for s in found if s.id not in STEP_TWO])


STEP_TWO = ("login-scoped",)  # step 1 scopes the login with the pull; step 2 is where the learner finds out why it fails


def _detach(account, answer) -> Grade:
    snap = snapshot(account)
    in_files = edits.is_active(account.directory, facts.MANAGED_ATTACHMENT)
    in_account = facts.MANAGED_POLICY_ARN in snap.attached
    found = course_copy_slips(account, commented=(facts.MANAGED_ATTACHMENT,))
    if in_files and in_account and not found:
        found.append(slips.not_saved(account.directory, facts.MANAGED_ATTACHMENT))
    if in_account and not in_files:
        found.append(slips.not_applied("main.tf"))
    return Grade([
        (not in_files, f"{facts.MANAGED_ATTACHMENT} is commented out in your files" if not in_files
         else f"{facts.MANAGED_ATTACHMENT} is still active in your working copy's main.tf"),
        (not in_account, "the managed policy is no longer attached to the role" if not in_account
         else f"{facts.MANAGED_POLICY} is still attached in the account"
              + (": your files are right, now run lab.apply()" if not in_files else "")),
    ], slips=[s for s in found if s])


def _scope(account, answer) -> Grade:
    snap = snapshot(account)
    missing = role_missing(snap)
    if missing:
        return missing
    items, hint = by_effect(role_effect(snap), least_privilege_effect(snap), whose="your policy")
    attached = snap.custom_arn() in snap.attached
    items.insert(0, (attached, f"{facts.POLICY} is attached" if attached else f"{facts.POLICY} is not attached to the role"))
    return Grade(items, hint, all_slips(account, snap, expected(account, snap, scoped=True)))


REFERENCE = Exercise("04-reference", _reference,
                     reference=Reference("`Resource` names the repository through the data source main.tf already declares.",
                                         referenced_policy))
DETACH = Exercise("04-detach", _detach, reference=Reference("While AmazonEC2ContainerRegistryReadOnly is attached, it allows everything your policy leaves out.",
                                      comment_out=(facts.MANAGED_ATTACHMENT,)))
SCOPE = Exercise("04-scope", _scope, reference=Reference(
    'The login acts on no repository, so it gets its own statement with `Resource = "*"`.', least_privilege_policy,
    comment_out=(facts.MANAGED_ATTACHMENT,)))

def _detaching(account) -> bool:
    """The apply that takes the managed policy off (commented out in the files, still attached): step 2's reveal."""
    if edits.is_active(account.directory, facts.MANAGED_ATTACHMENT):
        return False
    attached = account.client("iam").list_attached_role_policies(RoleName=facts.ROLE)["AttachedPolicies"]
    return any(a["PolicyArn"] == facts.MANAGED_POLICY_ARN for a in attached)


# Step 2 asks what the instance can do once only the learner's policy is left, before the apply that shows it.
STEP_TWO_PREDICTION = PredictionGate("04-step2", "apply", due=_detaching)

RECORD = Record(
    Lesson("04", "least-privilege", "Least privilege: one repository", (
        "state the principle of least privilege and apply it to the instance's role;",
        "scope a statement to one repository, referring to its ARN through a data source;",
        "detach the managed policy by hand, and read what `terraform plan` says about it;",
        "predict the instance's access before you apply, and compare with what happened;",
        "read the resource types an action can be scoped to (the Service Authorization Reference), and give each statement a `Resource` its actions can match.",
    ), "04",
        summary="scope it to one repository, predict the result, and read what each action can be scoped to"),
    Stage(True, CUSTOM_POLICY, policy_is_exercise=True, hand_edit_is_exercise=True, premise=custom_policy_start),
    (REFERENCE, DETACH, SCOPE),
    (STEP_TWO_PREDICTION,),
)
