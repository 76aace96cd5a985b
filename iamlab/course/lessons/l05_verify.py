"""05 · Verify from the instance: predict, then act as the instance and read each decision."""

from __future__ import annotations

from ..graders import scoped_start
from ..record import Exercise, Grade, Lesson, Record, Stage
from .l04_least_privilege import SCOPE

PREDICT_ANSWER = {"describe": "denied", "list:flask_app": "denied", "list:reports_app": "denied", "login": "allowed",
                  "pull:flask_app": "allowed", "pull:reports_app": "denied", "push:flask_app": "denied"}


def _predict(account, answer) -> Grade:
    given = {k: v for k, v in dict(answer or {}).items() if v not in (None, "", "?")}
    if not given:
        return Grade([(False, f"no prediction yet: write allowed or denied for each of the {len(PREDICT_ANSWER)} questions")])
    return Grade([(given.get(key) == value, f"{key}: you said {given.get(key, 'nothing')}"
                   + ("" if given.get(key) == value else ", which is not what the instance gets"))
                  for key, value in PREDICT_ANSWER.items()])


RECORD = Record(
    Lesson("05", "verify-from-the-instance", "Verify from the instance", (
        "say where a program on an instance gets its credentials (IMDSv2), and whose session they belong to;",
        "act as the instance: run commands with its role's credentials;",
        "take an `AccessDeniedException` apart: who, what, on which resource, and why;",
        "name the three permission checks of an image pull (login, manifest, layers), and what each guards;",
        "predict the instance's access, then check it with real calls and with IAM's policy simulator.",
    ), "05",
        summary="see the denials and the successful pull, as the instance"),
    Stage(False, SCOPE, premise=scoped_start),
    (Exercise("05-predict", _predict, answer=PREDICT_ANSWER,
              hint="Only the two statements of your policy allow anything: a login, and a pull of one repository."),),
)
