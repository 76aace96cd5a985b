"""Read-only views: the access matrix and the diagram, refreshed on demand."""

from __future__ import annotations

import ipywidgets as w

from ..diagram import Diagram
from ..matrix import AccessMatrix
from ..picture import from_account


class MatrixView(w.VBox):
    """What can the instance do? Real calls as the instance, statements from the simulator.

    ``ask``: asks the session's matrix again and returns a snapshot (``lab.instance.ask``, which
    ``lab.access()`` shares, so "before" is always the last time anyone asked)."""

    def __init__(self, ask):
        self.ask = ask
        self.matrix: AccessMatrix | None = None
        self.table = w.HTML("<i>Apply once to see what the instance can do.</i>")
        self.note = w.HTML("")
        super().__init__([w.HTML("<h4>What can the instance do?</h4>"), self.table, self.note])

    def refresh(self) -> AccessMatrix:
        """Ask again (the session's matrix, shared with ``lab.access()``)."""
        self.matrix = self.ask()
        self.table.value = self.matrix.to_html()
        moved = [q.key for q in self.matrix.changed()]
        self.note.value = (f"<p>Changed since the last time you asked: {', '.join(moved)}.</p>" if moved else "")
        return self.matrix

    def answers(self) -> dict[str, str]:
        """The answers shown now: ``{"pull:flask_app": "allowed", ...}`` (empty before the first ask)."""
        return self.matrix.answers() if self.matrix is not None else {}


class DiagramView(w.VBox):
    """instance -> profile -> role -> policies -> repositories, drawn from the account
    (an ``Account``: its clients and Terraform's outputs)."""

    def __init__(self, account):
        self.account = account
        self.image = w.HTML("")
        super().__init__([w.HTML("<h4>The picture</h4>"), self.image])

    def refresh(self) -> str:
        svg = Diagram(from_account(self.account)).svg()
        self.image.value = f'<div class="iamlab-diagram" role="img" aria-label="diagram of the instance, its role and policies">{svg[svg.find("<svg"):]}</div>'
        return svg
