"""03 · A custom policy: the learner writes ecr_custom_read_only and attaches it by reference."""

from __future__ import annotations

from ... import facts
from ...terraform import policy_file
from .. import grading
from ..graders import by_effect, custom_policy, custom_policy_not_applied, file_mistakes, managed_start, reference_document
from ..policies import seed_policy
from ..record import Exercise, Grade, Lesson, Record, Reference, Stage

CUSTOM_HINT = ('Write aws_iam_policy.ecr_custom_read_only with the four actions (login, BatchGetImage, '
               'BatchCheckLayerAvailability, GetDownloadUrlForLayer) on Resource "*", attach it with '
               "aws_iam_role_policy_attachment using the policy's .arn, then lab.apply(). (AWS's own "
               "AmazonEC2ContainerRegistryPullOnly is close to this; writing it yourself is the exercise.)")


def _custom(account, answer) -> Grade:
    snap, arn, document = custom_policy(account)
    if document is None:
        return custom_policy_not_applied(account)
    mine = grading.effect(snap.world, grading.policies([(arn, document)]))
    wanted = grading.effect(snap.world, grading.policies([("reference", reference_document(seed_policy(), snap.world))]))
    items, hint = by_effect(mine, wanted, whose=facts.POLICY)
    attached = arn in snap.attached
    items = [(True, f"{facts.POLICY} exists in the account"), *items,
             (attached, f"it is attached to {facts.ROLE}" if attached else
              f"it is not attached to {facts.ROLE}: add {facts.CUSTOM_ATTACHMENT}")]
    return Grade(items, hint, file_mistakes(account))


CUSTOM_POLICY = Exercise("03-custom-policy", _custom, CUSTOM_HINT, reference=Reference(
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
        summary="write your own policy with just the four pull actions"),
    Stage(True, None, own_files=(policy_file.FILE_NAME,), premise=managed_start),
    (CUSTOM_POLICY,),
)
