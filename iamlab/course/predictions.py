"""Predict, then see: a learner's predictions, written down before the answer is on screen.

    p = predict("05-predict", {"login": "allowed", "pull:reports_app": "denied"})
    ...                                  # later, once the instance has answered:
    p.compare(lab_answers)               # what you got right, what surprised you

Predictions are kept in ``$IAMLAB_HOME/predictions.json`` (one list, newest last), so
a matrix shown later in the session can put "you predicted" next to each answer
(``pending()`` gives the newest prediction not compared yet).
"""

from __future__ import annotations

import html
import json
import time
from dataclasses import asdict, dataclass, field
from typing import Mapping

from .. import paths

ANSWERS = ("allowed", "denied")
FILE_NAME = "predictions.json"


def _file():
    return paths.course_home() / FILE_NAME


def _normalise(value) -> str:
    text = str(value or "").strip().lower()
    if text in ("allow", "allowed", "yes", "y", "true", "ok", "works"):
        return "allowed"
    if text in ("deny", "denied", "no", "n", "false", "fails", "refused", "explicitdeny", "implicitdeny"):
        return "denied"
    return text or "?"


def _load() -> list[dict]:
    try:
        records = json.loads(_file().read_text())
    except (FileNotFoundError, ValueError):
        return []
    return records if isinstance(records, list) else []


def _save(records: list[dict]) -> None:
    target = _file()
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(records, indent=2) + "\n")
    temporary.replace(target)


@dataclass
class PredictionResult:
    """A prediction next to what happened, answer by answer."""

    name: str
    rows: list[tuple[str, str, str]]  # (question, predicted, actual)

    @property
    def right(self) -> int:
        return sum(1 for _, predicted, actual in self.rows if predicted == actual)

    @property
    def surprises(self) -> list[str]:
        return [key for key, predicted, actual in self.rows if predicted != actual]

    def __bool__(self) -> bool:
        return bool(self.rows) and not self.surprises

    def __str__(self) -> str:
        lines = [f"{self.name}: {self.right} of {len(self.rows)} predicted right"]
        lines += [f"  {'✔' if p == a else '✘'} {k}: you predicted {p}, it was {a}" for k, p, a in self.rows]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td><code>{html.escape(k)}</code></td><td>{html.escape(p)}</td><td>{html.escape(a)}</td>"
            f"<td>{'✔' if p == a else '✘ surprise'}</td></tr>" for k, p, a in self.rows)
        return (f'<div class="iamlab-prediction-result"><b>{html.escape(self.name)}: {self.right} of {len(self.rows)} '
                f"predicted right</b><table><tr><th>question</th><th>you predicted</th><th>it was</th><th></th></tr>"
                f"{rows}</table></div>")


@dataclass
class Prediction:
    """What the learner expects, recorded before the answer is shown."""

    name: str
    answers: dict[str, str]
    made_at: float = field(default_factory=time.time)
    compared: bool = False

    def compare(self, actual: Mapping[str, str]) -> PredictionResult:
        """The prediction next to ``actual`` (e.g. ``lab.access()``'s answers); marks it compared."""
        rows = [(key, predicted, _normalise(actual[key])) for key, predicted in self.answers.items() if key in actual]
        self.compared = True
        records = _load()
        for record in records:
            if record.get("name") == self.name and record.get("made_at") == self.made_at:
                record["compared"] = True
        _save(records)
        return PredictionResult(self.name, rows)

    def __str__(self) -> str:
        return f"Your prediction for {self.name} is recorded:\n" + "\n".join(
            f"  {key}: {value}" for key, value in self.answers.items())

    def _repr_html_(self) -> str:
        items = "".join(f"<li><code>{html.escape(k)}</code>: {html.escape(v)}</li>" for k, v in self.answers.items())
        return (f'<div class="iamlab-prediction"><b>Your prediction for {html.escape(self.name)} is recorded.</b>'
                f"<ul>{items}</ul><i>Now run the next cell and compare.</i></div>")


@dataclass
class NothingPredicted:
    """A prediction cell run before its blanks were filled: nothing is recorded, and it says so
    (a learner who has not predicted yet gets a next step, not a traceback)."""

    name: str
    questions: list[str]

    recorded = False

    def compare(self, actual: Mapping[str, str]) -> PredictionResult:
        return PredictionResult(self.name, [])

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return (f"Nothing recorded for {self.name} yet: write 'allowed' or 'denied' for each question "
                f"({', '.join(self.questions) or 'login, pull:flask_app, ...'}) and run the cell again.")

    def _repr_html_(self) -> str:
        return f'<div class="iamlab-prediction" data-recorded="false"><b>Not recorded yet.</b> {html.escape(str(self))}</div>'


def predict(name: str, answers: Mapping[str, str]) -> Prediction | NothingPredicted:
    """Record a prediction (``{"login": "allowed", "pull:flask_app": "denied"}``) and return it.
    With no answer filled in, nothing is recorded and the result says what to write."""
    cleaned = {str(key): _normalise(value) for key, value in dict(answers or {}).items()}
    unanswered = [key for key, value in cleaned.items() if value not in ANSWERS]
    if not cleaned or len(unanswered) == len(cleaned):
        return NothingPredicted(name, list(cleaned))
    prediction = Prediction(name, cleaned)
    records = _load()
    records.append(asdict(prediction))
    _save(records)
    return prediction


def recorded(name: str | None = None) -> list[Prediction]:
    """Every recorded prediction (of one exercise), oldest first."""
    return [Prediction(**r) for r in _load() if name is None or r.get("name") == name]


def pending() -> Prediction | None:
    """The newest prediction not compared yet, or None."""
    waiting = [p for p in recorded() if not p.compared]
    return waiting[-1] if waiting else None
