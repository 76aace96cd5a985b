"""One statement of the policy: Effect, actions, resources, and the fixes it may need."""

from __future__ import annotations

import html
import json

import ipywidgets as w

from ..editor.model import PolicyModel, StatementModel
from .actions import ActionPicker
from .resources import ResourcePicker


class StatementEditor(w.VBox):
    """Edits one ``StatementModel`` in place and calls ``on_change`` after every edit.

    It holds the statement itself, not its position: when the editor is rebuilt
    (a statement added, removed or split), a late event from a replaced widget
    cannot write into whichever statement now sits at that position.
    """

    def __init__(self, model: PolicyModel, statement: StatementModel, repositories: list[str], on_change, on_remove, on_split):
        self.model, self.statement = model, statement
        self._on_change = on_change
        self.detached = False
        index = self.index
        self.title = w.HTML(f"<b>Statement {index + 1}</b>")
        self.effect = w.ToggleButtons(options=["Allow", "Deny"], value=statement.effect, description="Effect:")
        self.sid = w.Text(value=statement.sid, description="Sid:", placeholder="optional name, e.g. PullFlaskApp")
        self.actions = ActionPicker(selected=statement.actions, on_change=self._changed)
        self.resources = ResourcePicker(repositories, selected=statement.resources, on_change=self._changed)
        self.remove = w.Button(description="Remove statement", icon="trash", button_style="warning")
        self.split = w.Button(description='Move login into its own Resource "*" statement', icon="scissors",
                              button_style="info", layout=w.Layout(width="auto", display="none"))
        self.remove.on_click(lambda _: self.detached or on_remove(self.statement))
        self.split.on_click(lambda _: self.detached or on_split(self.statement))
        for widget in (self.effect, self.sid):
            widget.observe(self._changed, "value")
        self.kept = w.HTML(self._kept_html())
        if not statement.plain:  # NotAction, NotResource or a Condition: shown as kept, never half-edited
            for widget in (self.effect, self.sid, self.actions, self.resources):
                widget.layout.display = "none"
        super().__init__([self.title, w.HBox([self.effect, self.sid]), self.actions, self.resources, self.kept,
                          w.HBox([self.split, self.remove])],
                         layout=w.Layout(border="1px solid #ccc", padding="6px", margin="4px 0"))
        self._update_split()

    def _kept_html(self) -> str:
        """A statement the pickers cannot show whole (NotAction, NotResource, Condition), kept exactly."""
        if self.statement.plain:
            return ""
        entry = {k: v for k, v in self.model.document()["Statement"][self.index].items()}
        return ("<p><i>This statement uses elements the pickers do not edit (NotAction, NotResource or Condition). "
                "The editor keeps it exactly as below; change it in custom_policy.tf, or remove it here.</i></p>"
                f"<pre>{html.escape(json.dumps(entry, indent=2))}</pre>")

    @property
    def index(self) -> int:
        return next(i for i, s in enumerate(self.model.statements) if s is self.statement)

    def detach(self) -> None:
        """This editor was replaced: ignore anything its widgets still send."""
        self.detached = True

    def _changed(self, change=None) -> None:
        if self.detached or not self.statement.plain:
            return
        statement = self.statement
        statement.effect, statement.sid = self.effect.value, self.sid.value.strip()
        statement.actions, statement.resources = self.actions.value, self.resources.value
        self._update_split()
        self._on_change()

    def _update_split(self) -> None:
        moving = self.model.resourceless_actions(self.index)
        self.split.layout.display = None if moving and self.effect.value == "Allow" else "none"
        if moving:
            self.split.description = f'Move {", ".join(a.split(":")[1] for a in moving)} into its own Resource "*" statement'
