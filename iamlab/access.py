"""What ``lab.access()`` returns: the lesson's answers now, beside the last time you asked,
and beside your prediction if one is waiting.

The report reads like the dict of answers it holds (``report["pull:flask_app"] ==
"denied"``), and renders the matrix: before and now, what changed, what decided each
answer (the step a pull stopped at, then the statements), where the policy simulator
disagrees with the real call, and the instance's own words when its login was refused.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from .matrix import AccessMatrix, Question
from .reports import Rendered


class AccessReport(Rendered, Mapping):
    def __init__(self, matrix: AccessMatrix, prediction=None):
        self.matrix = matrix  # a snapshot: later asks do not change this report
        self.answers = matrix.answers()  # by the learner's names for the questions: "pull:flask_app"
        self.prediction = prediction
        self.comparison = prediction.compare(self.answers) if prediction is not None else None  # marks it compared

    # -- the answers, as a mapping ----------------------------------------------------
    def __getitem__(self, key: str) -> str:
        return self.answers[key]

    def __iter__(self):
        return iter(self.answers)

    def __len__(self) -> int:
        return len(self.answers)

    # -- what the learner looks at ------------------------------------------------------
    @property
    def predicted(self) -> dict[str, str] | None:
        return dict(getattr(self.prediction, "answers", {}) or {}) if self.prediction is not None else None

    @property
    def changed(self) -> list[str]:
        return [q.key for q in self.matrix.changed()]

    @property
    def disagreements(self) -> list[str]:
        return [q.key for q in self.matrix.disagreements()]

    @property
    def login_error(self) -> str | None:
        """AWS's message when the instance's login (GetAuthorizationToken) was refused."""
        cell = self.matrix.after.get(Question("login"))
        return cell.detail if cell is not None and not cell.allowed else None

    def _notes(self) -> list[str]:
        notes = []
        if self.matrix.before is None:
            notes.append("First look this session: the next `lab.access()` shows what changed since this one.")
        elif self.changed:
            notes.append("Changed since you last asked: " + ", ".join(self.changed) + ".")
        else:
            notes.append("Nothing changed since you last asked.")
        return notes

    def _repr_html_(self) -> str:
        parts = [self.matrix.to_html(self.predicted)]
        if self.login_error:
            parts.append(f'<p class="iamlab-login-error">The instance\'s login was refused, so no pull got further. AWS answered:</p>'
                         f"<blockquote><code>{html.escape(self.login_error)}</code></blockquote>")
        parts += [f"<p><i>{html.escape(note).replace('`lab.access()`', '<code>lab.access()</code>')}</i></p>" for note in self._notes()]
        if self.comparison is not None:
            rendered = getattr(self.comparison, "_repr_html_", None)
            parts.append(rendered() if rendered else f"<p>{html.escape(str(self.comparison))}</p>")
        return '<div class="iamlab-access">' + "".join(parts) + "</div>"

    def __str__(self) -> str:
        lines = [str(self.matrix)]
        predicted = self.predicted
        if predicted:
            lines += [f"you predicted {guess} for {key}: {'right' if self.answers.get(key) == guess else 'it is ' + str(self.answers.get(key))}"
                      for key, guess in predicted.items()]
        if self.login_error:
            lines.append(f"The instance's login was refused: {self.login_error}")
        return "\n".join(lines + self._notes())
