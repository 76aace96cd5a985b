"""05 · Verify from the instance: predict, then act as the instance and read each decision."""

from __future__ import annotations

from ..graders import scoped_start
from .. import predictions
from ..record import Exercise, Grade, Lesson, PredictionGate, Record, Stage
from .l04_least_privilege import SCOPE

PREDICT_ANSWER = {"describe": "denied", "list:flask_app": "denied", "list:reports_app": "denied", "login": "allowed",
                  "pull:flask_app": "allowed", "pull:reports_app": "denied", "push:flask_app": "denied"}


def _predict(account, answer) -> Grade:
    """Grades the prediction recorded with ``predict`` in this round, never the dict passed in: a copy of
    ``lab.access()``'s answers made after it ran is LATE and does not pass."""
    typed = {k: predictions.normalise(v) for k, v in dict(answer or {}).items()}
    made = predictions.for_check(PREDICTION.name)
    if made is None:
        if not any(v in predictions.ANSWERS for v in typed.values()):
            return Grade([(False, f"no prediction yet: write allowed or denied for each of the {len(PREDICT_ANSWER)} "
                                  "questions, then run the predict cell")])
        return Grade([(False, "no prediction is recorded for this lesson: the check grades what predict() recorded "
                              "before lab.access() showed the answers. Run the predict cell, then lab.access().")])
    if made.late:
        return Grade([(False, f"your prediction was recorded after lab.access() had shown the answers (LATE), so it is "
                              f"not a prediction. lab.goto(\"05\") starts a new round: predict, then look.")])
    given = {k: v for k, v in made.answers.items() if v in predictions.ANSWERS}
    items = [(given.get(key) == value, f"{key}: you predicted {given.get(key, 'nothing')}"
              + ("" if given.get(key) == value else ", which is not what the instance gets"))
             for key, value in PREDICT_ANSWER.items()]
    if typed and typed != made.answers:
        items.insert(0, (True, "graded: the prediction you recorded with predict(), not the dictionary passed to check"))
    return Grade(items)


PREDICTION = PredictionGate("05-predict", "access", exercise="05-predict")


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
    (Exercise("05-predict", _predict, answer=PREDICT_ANSWER),),
    (PREDICTION,),
)
