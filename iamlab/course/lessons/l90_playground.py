"""90 · The policy playground: the editor's widgets on the seed policy. A side notebook."""

from ..record import Lesson, Record, Stage
from .l03_custom_policy import CUSTOM_POLICY

RECORD = Record(
    Lesson("90", "policy-playground", "The policy playground", (
        "change the instance's custom policy with widgets and apply it with Terraform;",
        "read the access matrix before and after an apply, and say what changed.",
    ), "playground", in_sequence=False,
        summary="the policy editor on its own, to try anything"),
    Stage(False, CUSTOM_POLICY, premise=CUSTOM_POLICY.grade),  # starts from the seed policy, as its notebook says (yours is backed up)
)
