"""Read-only views: the access matrix and the diagram, refreshed on demand."""

from __future__ import annotations

import ipywidgets as w

from ..diagram import Diagram
from ..matrix import AccessMatrix
from ..picture import from_account


class MatrixView(w.VBox):
    """What can the instance do? Real calls as the instance, statements from the simulator."""

    def __init__(self, lab):
        self.lab = lab
        self.matrix: AccessMatrix | None = None
        self.table = w.HTML("<i>Apply once to see what the instance can do.</i>")
        self.note = w.HTML("")
        super().__init__([w.HTML("<h4>What can the instance do?</h4>"), self.table, self.note])

    def refresh(self) -> AccessMatrix:
        """Ask again (the session's matrix, shared with ``lab.access()``)."""
        self.matrix = self.lab.refresh_access()
        self.table.value = self.matrix.to_html()
        moved = self.matrix.changed()
        self.note.value = (f"<p>Changed since the last time you asked: {', '.join(moved)}.</p>" if moved else "")
        return self.matrix


class DiagramView(w.VBox):
    """instance -> profile -> role -> policies -> repositories, drawn from the account."""

    def __init__(self, lab):
        self.lab = lab
        self.image = w.HTML("")
        super().__init__([w.HTML("<h4>The picture</h4>"), self.image])

    def refresh(self) -> str:
        svg = Diagram(from_account(self.lab, self.lab.outputs())).svg()
        self.image.value = f'<div class="iamlab-diagram" role="img" aria-label="diagram of the instance, its role and policies">{svg[svg.find("<svg"):]}</div>'
        return svg
