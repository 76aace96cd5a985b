"""07 · Clean up: terraform destroy, and proof that nothing the course created is left."""

from __future__ import annotations

from ...cleanup import leftovers
from ..graders import role_start
from ..record import Exercise, Grade, Lesson, Record, Reference, Stage
from .l04_least_privilege import SCOPE


def _clean(account, answer) -> Grade:
    left = leftovers(account.client)
    return Grade([(not left, "nothing the course created is left" if not left else f"still there: {', '.join(left)}")])


RECORD = Record(
    Lesson("07", "clean-up", "Clean up", (
        "remove everything a configuration created with `terraform destroy`, and say in what order it goes;",
        "tell what `destroy` deletes from what it leaves alone;",
        "prove, by asking the account, that nothing is left (each `NoSuchEntity`, the tag search);",
        "explain how a default tag helps you find leftovers.",
    ), "07",
        summary="destroy everything and prove nothing is left"),
    Stage(False, SCOPE, keep_extra=True, premise=role_start),
    (Exercise("07-clean", _clean, hint="Run lab.terraform.destroy() (or python -m iamlab destroy), then check again.",
              reference=Reference("Terraform destroys what it created; the repositories were never its own.", destroy=True)),),
)
