"""04 · Least privilege: scope the pull to one repository, detach the managed policy, split the login."""

from __future__ import annotations

from ... import facts
from ...terraform import edits
from .. import grading, mistakes
from ..graders import (all_mistakes, by_effect, custom_policy, custom_policy_not_applied, file_mistakes,
                       custom_policy_start, least_privilege_effect, reference_document, role_effect, role_missing, snapshot)
from ..policies import least_privilege_policy, referenced_policy
from ..record import Exercise, Grade, Lesson, Record, Reference, Stage
from .l03_custom_policy import CUSTOM_POLICY


def _reference(account, answer) -> Grade:
    snap, arn, document = custom_policy(account)
    if document is None:
        return custom_policy_not_applied(account)
    actions = [a for a, _ in snap.world.questions() if a != facts.LOGIN]  # the login is step 2's lesson
    mine = grading.effect(snap.world, grading.policies([(facts.POLICY, document)]), actions=actions)
    wanted = grading.effect(snap.world, grading.policies([("reference", reference_document(referenced_policy(), snap.world))]),
                            actions=actions)
    items, hint = by_effect(mine, wanted, whose=facts.POLICY)
    star = mistakes.star_on_pull(grading.policies([(facts.POLICY, document)]), snap.world, facts.PULL_REPOSITORY)
    return Grade(items, hint, file_mistakes(account) + ([star] if star else []))


def _detach(account, answer) -> Grade:
    snap = snapshot(account)
    in_files = edits.is_active(account.directory, facts.MANAGED_ATTACHMENT)
    in_account = facts.MANAGED_POLICY_ARN in snap.attached
    return Grade([
        (not in_files, f"{facts.MANAGED_ATTACHMENT} is commented out in your files" if not in_files
         else f"{facts.MANAGED_ATTACHMENT} is still active in main.tf"),
        (not in_account, "the managed policy is no longer attached to the role" if not in_account
         else "AmazonEC2ContainerRegistryReadOnly is still attached in the account"
              + (": your files are right, now run lab.apply()" if not in_files else "")),
    ])


SCOPE_HINT = ('Keep the pull actions on the repository, move ecr:GetAuthorizationToken into its own statement with '
              'Resource "*", and make sure the managed policy is no longer attached. Then lab.apply().')


def _scope(account, answer) -> Grade:
    snap = snapshot(account)
    missing = role_missing(snap)
    if missing:
        return missing
    items, hint = by_effect(role_effect(snap), least_privilege_effect(snap), whose="your policy")
    attached = snap.custom_arn() in snap.attached
    items.insert(0, (attached, f"{facts.POLICY} is attached" if attached else f"{facts.POLICY} is not attached to the role"))
    return Grade(items, hint, all_mistakes(account, snap))


REFERENCE = Exercise("04-reference", _reference, hint="Point Resource at the repository through the data source main.tf declares "
                                                      "(data.aws_ecr_repository.pull.arn), then lab.apply().",
                     reference=Reference("`Resource` names the repository through the data source main.tf already declares.",
                                         referenced_policy))
DETACH = Exercise("04-detach", _detach, hint="Open workspace/tf/main.tf in JupyterLab, put # before each line of "
                                             'resource "aws_iam_role_policy_attachment" "ecr_read_only" { ... }, save, then lab.apply().',
                  reference=Reference("While AmazonEC2ContainerRegistryReadOnly is attached, it allows everything your policy leaves out.",
                                      comment_out=(facts.MANAGED_ATTACHMENT,)))
SCOPE = Exercise("04-scope", _scope, SCOPE_HINT, reference=Reference(
    'The login acts on no repository, so it gets its own statement with `Resource = "*"`.', least_privilege_policy,
    comment_out=(facts.MANAGED_ATTACHMENT,)))

RECORD = Record(
    Lesson("04", "least-privilege", "Least privilege: one repository", (
        "state the principle of least privilege and apply it to the instance's role;",
        "scope a statement to one repository, referring to its ARN through a data source;",
        "detach the managed policy by hand, and read what `terraform plan` says about it;",
        "predict the instance's access before you apply, and compare with what happened;",
        "explain why the registry login broke once the policy named one repository, and fix it with a statement of its own.",
    ), "04",
        summary="scope it to one repository, and find out why login breaks"),
    Stage(True, CUSTOM_POLICY, policy_is_exercise=True, hand_edit_is_exercise=True, premise=custom_policy_start),
    (REFERENCE, DETACH, SCOPE),
)
