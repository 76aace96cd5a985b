"""One statement of the policy: Effect, actions, resources, and the fixes it may need."""

from __future__ import annotations

import ipywidgets as w

from ..editor.model import PolicyModel
from .actions import ActionPicker
from .resources import ResourcePicker


class StatementEditor(w.VBox):
    """Edits ``model.statements[index]`` in place and calls ``on_change`` after every edit."""

    def __init__(self, model: PolicyModel, index: int, repositories: list[str], on_change, on_remove, on_split):
        self.model, self.index = model, index
        self._on_change = on_change
        statement = model.statements[index]
        self.title = w.HTML(f"<b>Statement {index + 1}</b>")
        self.effect = w.ToggleButtons(options=["Allow", "Deny"], value=statement.effect, description="Effect:")
        self.sid = w.Text(value=statement.sid, description="Sid:", placeholder="optional name, e.g. PullFlaskApp")
        self.actions = ActionPicker(selected=statement.actions, on_change=self._changed)
        self.resources = ResourcePicker(repositories, selected=statement.resources, on_change=self._changed)
        self.remove = w.Button(description="Remove statement", icon="trash", button_style="warning")
        self.split = w.Button(description='Move login into its own Resource "*" statement', icon="scissors",
                              button_style="info", layout=w.Layout(width="auto", display="none"))
        self.remove.on_click(lambda _: on_remove(self.index))
        self.split.on_click(lambda _: on_split(self.index))
        for widget in (self.effect, self.sid):
            widget.observe(self._changed, "value")
        super().__init__([self.title, w.HBox([self.effect, self.sid]), self.actions, self.resources,
                          w.HBox([self.split, self.remove])],
                         layout=w.Layout(border="1px solid #ccc", padding="6px", margin="4px 0"))
        self._update_split()

    def _changed(self, change=None) -> None:
        statement = self.model.statements[self.index]
        statement.effect, statement.sid = self.effect.value, self.sid.value.strip()
        statement.actions, statement.resources = self.actions.value, self.resources.value
        self._update_split()
        self._on_change()

    def _update_split(self) -> None:
        moving = self.model.resourceless_actions(self.index)
        self.split.layout.display = None if moving and self.effect.value == "Allow" else "none"
        if moving:
            self.split.description = f'Move {", ".join(a.split(":")[1] for a in moving)} into its own Resource "*" statement'
