"""07 · Clean up: terraform destroy, and proof that nothing the course created is left."""

from __future__ import annotations

from ...cleanup import leftovers
from ..graders import role_start
from ..record import Exercise, Grade, Lesson, Record, Reference, Stage
from .l04_least_privilege import SCOPE


def _clean(account, answer) -> Grade:
    """Each leftover with the step that removes it: destroy for what Terraform's state records,
    the API calls for what it does not (destroy would never delete those, however often it runs)."""
    left = leftovers(account.client, account.directory)
    if not left:
        return Grade([(True, "nothing the course created is left")])
    outside = [item for item in left if not item.in_state]
    hint = ("Terraform deletes only what its state records; the items marked 'not in Terraform's state' were made "
            "outside it (or the state forgot them), so delete those with the calls shown." if outside else "")
    return Grade([(False, f"still there: {item}: {item.next_step()}") for item in left], hint)


RECORD = Record(
    Lesson("07", "clean-up", "Clean up", (
        "remove everything a configuration created with `terraform destroy`, and say in what order it goes;",
        "tell what `destroy` deletes from what it leaves alone;",
        "prove, by asking the account, that nothing is left (each `NoSuchEntity`, the tag search);",
        "explain how a default tag helps you find leftovers.",
    ), "07",
        summary="destroy everything and prove nothing is left"),
    Stage(False, SCOPE, keep_extra=True, premise=role_start),
    (Exercise("07-clean", _clean, reference=Reference("Terraform destroys what it created; the repositories were never its own.", destroy=True)),),
)
