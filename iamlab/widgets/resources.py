"""Pick the resources a statement applies to: all, chosen repositories, or typed ARNs."""

from __future__ import annotations

import ipywidgets as w

from ..editor.model import ALL, REPO_PREFIX

MODES = [("All resources (*)", "all"), ("Chosen repositories", "repositories"), ("Typed ARNs", "arns")]


class ResourcePicker(w.VBox):
    def __init__(self, repositories: list[str], selected: list[str] = (ALL,), on_change=None):
        self._on_change = on_change
        self._quiet = False
        self.mode = w.ToggleButtons(options=MODES, value="all", description="Resource:", style={"button_width": "170px"})
        self.repositories = w.SelectMultiple(options=list(repositories), rows=min(6, max(2, len(repositories))),
                                             description="repositories:")
        self.arns = w.Textarea(placeholder="one ARN per line, e.g. arn:aws:ecr:us-east-1:123456789012:repository/flask_app",
                               layout=w.Layout(width="95%", height="70px"), description="ARNs:")
        for widget in (self.mode, self.repositories, self.arns):
            widget.observe(self._changed, "value")
        super().__init__([self.mode, self.repositories, self.arns])
        self.value = list(selected)

    @property
    def value(self) -> list[str]:
        if self.mode.value == "all":
            return [ALL]
        if self.mode.value == "repositories":
            return [f"{REPO_PREFIX}{name}" for name in self.repositories.value]
        return [line.strip() for line in self.arns.value.splitlines() if line.strip()]

    @value.setter
    def value(self, resources: list[str]) -> None:
        self._quiet = True
        try:
            names = [r[len(REPO_PREFIX):] for r in resources if r.startswith(REPO_PREFIX)]
            if resources == [ALL]:
                self.mode.value = "all"
            elif names and len(names) == len(resources):
                self.repositories.options = sorted(set(self.repositories.options) | set(names))
                self.repositories.value = tuple(names)
                self.mode.value = "repositories"
            else:
                self.arns.value = "\n".join(r for r in resources)
                self.mode.value = "arns"
            self._show()
        finally:
            self._quiet = False

    def _show(self) -> None:
        self.repositories.layout.display = None if self.mode.value == "repositories" else "none"
        self.arns.layout.display = None if self.mode.value == "arns" else "none"

    def _changed(self, change=None) -> None:
        self._show()
        if not self._quiet and self._on_change:
            self._on_change()
