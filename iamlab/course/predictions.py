"""Predict, then see: a learner's predictions, written down before the answer is on screen.

    p = predict("05-predict", {"login": "allowed", "pull:reports_app": "denied"})
    ...                                  # later, once the instance has answered:
    p.compare(lab_answers)               # what you got right, what surprised you

Predictions are kept in ``$IAMLAB_HOME/predictions.json`` (one list, newest last), so
a matrix shown later in the session can put "you predicted" next to each answer
(``pending()`` gives the newest prediction not compared yet).

A prediction counts only if it is written before the answer is shown. A lesson's record declares
its ``PredictionGate``s: which ``predict`` name, and the reveal it is about (``lab.apply()`` or
``lab.access()``). ``goto`` to a lesson starts a round (``new_round``); in a round, the reveal with
no prediction recorded says "Write your prediction first" once (``before_reveal``), and if the
learner goes on anyway, a prediction written afterwards is recorded as LATE and shown as such.
``check`` grades the prediction recorded in the round (``for_check``), never a dict passed to it.
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
ROUND_FILE = "prediction_round.json"


def _file():
    return paths.course_home() / FILE_NAME


def normalise(value) -> str:
    """One spelling for an answer, shared by ``predict`` and the graders ("Allowed", "allow", "ALLOW": "allowed")."""
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


def _save(records, target=None) -> None:
    target = target or _file()
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(records, indent=2) + "\n")
    temporary.replace(target)


@dataclass
class PredictionResult:
    """A prediction next to what happened, answer by answer."""

    name: str
    rows: list[tuple[str, str, str]]  # (question, predicted, actual)
    late: bool = False  # written after the answer was shown: compared, but it was no prediction

    @property
    def right(self) -> int:
        return sum(1 for _, predicted, actual in self.rows if predicted == actual)

    @property
    def surprises(self) -> list[str]:
        return [key for key, predicted, actual in self.rows if predicted != actual]

    def __bool__(self) -> bool:
        return bool(self.rows) and not self.surprises

    def __str__(self) -> str:
        lines = [f"{self.name}: {self.right} of {len(self.rows)} predicted right" + (f" ({LATE_NOTE})" if self.late else "")]
        lines += [f"  {'✔' if p == a else '✘'} {k}: you predicted {p}, it was {a}" for k, p, a in self.rows]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        late = f' <span class="iamlab-late">LATE: {html.escape(LATE_NOTE)}</span>' if self.late else ""
        rows = "".join(
            f"<tr><td><code>{html.escape(k)}</code></td><td>{html.escape(p)}</td><td>{html.escape(a)}</td>"
            f"<td>{'✔' if p == a else '✘ surprise'}</td></tr>" for k, p, a in self.rows)
        return (f'<div class="iamlab-prediction-result"><b>{html.escape(self.name)}: {self.right} of {len(self.rows)} '
                f"predicted right</b>{late}<table><tr><th>question</th><th>you predicted</th><th>it was</th><th></th></tr>"
                f"{rows}</table></div>")


@dataclass
class Prediction:
    """What the learner expects, recorded before the answer is shown."""

    name: str
    answers: dict[str, str]
    made_at: float = field(default_factory=time.time)
    compared: bool = False
    late: bool = False  # recorded after its reveal had run in the same round

    def compare(self, actual: Mapping[str, str]) -> PredictionResult:
        """The prediction next to ``actual`` (e.g. ``lab.access()``'s answers); marks it compared."""
        rows = [(key, predicted, normalise(actual[key])) for key, predicted in self.answers.items() if key in actual]
        self.compared = True
        records = _load()
        for record in records:
            if record.get("name") == self.name and record.get("made_at") == self.made_at:
                record["compared"] = True
        _save(records)
        return PredictionResult(self.name, rows, self.late)

    def _head(self) -> str:
        return (f"Your prediction for {self.name} is recorded as LATE ({LATE_NOTE})." if self.late
                else f"Your prediction for {self.name} is recorded.")

    def __str__(self) -> str:
        return self._head() + "\n" + "\n".join(f"  {key}: {value}" for key, value in self.answers.items())

    def _repr_html_(self) -> str:
        items = "".join(f"<li><code>{html.escape(k)}</code>: {html.escape(v)}</li>" for k, v in self.answers.items())
        tail = "" if self.late else "<i>Now run the next cell and compare.</i>"
        return (f'<div class="iamlab-prediction" data-late="{str(self.late).lower()}"><b>{html.escape(self._head())}</b>'
                f"<ul>{items}</ul>{tail}</div>")


LATE_NOTE = "written after the answer was shown, so it does not count as a prediction"


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
    cleaned = {str(key): normalise(value) for key, value in dict(answers or {}).items()}
    unanswered = [key for key, value in cleaned.items() if value not in ANSWERS]
    if not cleaned or len(unanswered) == len(cleaned):
        return NothingPredicted(name, list(cleaned))
    state = _round()
    prediction = Prediction(name, cleaned, late=name in state.get("revealed", {}))
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


# -- rounds and gates: the prediction before the reveal ---------------------------------------
def _round_file():
    return paths.course_home() / ROUND_FILE


def _round() -> dict:
    try:
        state = json.loads(_round_file().read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def new_round(lesson: str) -> None:
    """``goto(lesson)``: predictions start afresh (earlier ones stay on record, but no longer count)."""
    _save({"lesson": str(lesson)[:2], "started": time.time(), "revealed": {}, "warned": []}, _round_file())


def _in_round(name: str, state: dict) -> list[Prediction]:
    started = state.get("started", 0.0)
    return [p for p in recorded(name) if p.made_at >= started]


def for_check(name: str) -> Prediction | None:
    """The prediction ``check`` grades: the newest recorded for ``name`` in this round (late or not)."""
    found = _in_round(name, _round())
    return found[-1] if found else None


@dataclass
class PredictionFirst:
    """What a reveal returns instead of running, once, when its prediction is not written yet."""

    name: str
    reveal: str  # "lab.apply()", "lab.access()"

    def __str__(self) -> str:
        return (f"Write your prediction first: fill in the prediction cell above and run predict({self.name!r}, ...). "
                f"Nothing was run. Run {self.reveal} again to go on without one: a prediction written afterwards "
                "is recorded as LATE.")

    def _repr_html_(self) -> str:
        return (f'<div class="iamlab-prediction-first" role="status"><b>Write your prediction first.</b> Fill in the '
                f"prediction cell above and run <code>predict({html.escape(repr(self.name))}, ...)</code>. Nothing was "
                f"run. Run <code>{html.escape(self.reveal)}</code> again to go on without one: a prediction written "
                "afterwards is recorded as LATE.</div>")


REVEALS = {"apply": "lab.apply()", "access": "lab.access()"}


def before_reveal(reveal: str, account) -> PredictionFirst | None:
    """Called by ``lab.apply()``/``lab.access()`` before they run: ``PredictionFirst`` (the call does
    nothing else) the first time a due gate of this round's lesson has no prediction; otherwise
    None, and the gate is marked revealed (a prediction written later is LATE)."""
    from .lessons import GATES

    state = _round()
    gates = [g for g in GATES.get(state.get("lesson", ""), ()) if g.reveal == reveal]
    waiting = [g for g in gates if g.name not in state.get("revealed", {}) and _due(g, account)]
    if not waiting:
        return None
    for gate in waiting:
        if not _in_round(gate.name, state) and gate.name not in state.get("warned", []):
            state.setdefault("warned", []).append(gate.name)
            _save(state, _round_file())
            return PredictionFirst(gate.name, REVEALS.get(reveal, reveal))
    for gate in waiting:
        state.setdefault("revealed", {})[gate.name] = time.time()
    _save(state, _round_file())
    return None


def _due(gate, account) -> bool:
    if gate.due is None:
        return True
    try:
        return bool(gate.due(account))
    except Exception:  # noqa: BLE001 - the account cannot say (no role yet, sandbox stopped): the reveal goes on
        return False
