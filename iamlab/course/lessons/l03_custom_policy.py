"""03 · A custom policy: the learner writes ecr_custom_read_only and attaches it by reference."""

from __future__ import annotations

from ... import facts
from ...terraform import policy_file
from .. import grading, slips
from ..graders import (by_effect, course_copy_slips, custom_policy, custom_policy_not_applied, drift_slips, expected,
                       file_slips, managed_start, reference_document)
from ..policies import seed_policy
from ..record import Exercise, Grade, Lesson, Record, Reference, Stage


def _custom(account, answer) -> Grade:
    snap, arn, document = custom_policy(account)
    wanted = expected(account, snap)
    if document is None:
        return custom_policy_not_applied(account, wanted)
    mine = grading.effect(snap.world, grading.policies([(arn, document)]))
    reference = grading.effect(snap.world, grading.policies([("reference", reference_document(seed_policy(), snap.world))]))
    items, hint = by_effect(mine, reference, whose=facts.POLICY)
    attached = arn in snap.attached
    items = [(True, f"{facts.POLICY} exists in the account"), *items,
             (attached, f"it is attached to {facts.ROLE}" if attached else
              f"it is not attached to {facts.ROLE}: add {facts.CUSTOM_ATTACHMENT}")]
    found = (course_copy_slips(account, files=("custom_policy.tf",)) + drift_slips(account, wanted, snap, {facts.CUSTOM_POLICY: document})
             + file_slips(account, wanted) + slips.policy_slips(document, wanted))
    return Grade(items, hint, found)


CUSTOM_POLICY = Exercise("03-custom-policy", _custom, reference=Reference(
    "The four actions on every resource, and the attachment by reference to the policy's `.arn`.", seed_policy))

RECORD = Record(
    Lesson("03", "a-custom-policy", "A custom policy", (
        "write a customer managed policy in Terraform (`aws_iam_policy` with `jsonencode`), and know "
        "`data \"aws_iam_policy_document\"` as the other way;",
        "attach it to the role by a reference to the policy resource, not a pasted ARN, and say how a reference orders creation;",
        "explain *implicit deny*, and test a policy on its own with IAM's policy simulator;",
        "explain why adding a narrow policy next to a broad one takes nothing away;",
        "compare your policy with AWS's own narrow one, `AmazonEC2ContainerRegistryPullOnly`.",
    ), "03",
        summary="write your own policy with only what a pull needs, and attach it"),
    Stage(True, None, own_files=(policy_file.FILE_NAME,), premise=managed_start),
    (CUSTOM_POLICY,),
)
