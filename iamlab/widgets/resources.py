"""Pick the resources a statement applies to: all, chosen repositories, or typed ARNs."""

from __future__ import annotations

import ipywidgets as w
import traitlets

from ..editor.model import ALL, REPO_PREFIX
from ..facts import PULL_REPOSITORY, repository_arn
from ..sandbox import settings

MODES = [("All resources (*)", "all"), ("Chosen repositories", "repositories"), ("Typed ARNs", "arns")]


class ResourcePicker(w.VBox):
    """``value`` is a trait (as in ``ActionPicker``): the mode, the list and the text write
    it; setting it chooses them; which input shows follows the mode through ``dlink``."""

    value = traitlets.List(traitlets.Unicode())

    def __init__(self, repositories: list[str], selected: list[str] = (ALL,), on_change=None):
        self.mode = w.ToggleButtons(options=MODES, value="all", description="Resource:", style={"button_width": "170px"})
        self.repositories = w.SelectMultiple(options=list(repositories), rows=min(6, max(2, len(repositories))),
                                             description="repositories:")
        example = repository_arn(settings.region(), settings.ACCOUNT_ID, PULL_REPOSITORY)
        self.arns = w.Textarea(placeholder=f"one ARN per line, e.g. {example}",
                               layout=w.Layout(width="95%", height="70px"), description="ARNs:")
        w.dlink((self.mode, "value"), (self.repositories.layout, "display"), lambda m: None if m == "repositories" else "none")
        w.dlink((self.mode, "value"), (self.arns.layout, "display"), lambda m: None if m == "arns" else "none")
        for widget in (self.mode, self.repositories, self.arns):
            widget.observe(self._read, "value")
        super().__init__([self.mode, self.repositories, self.arns])
        self.observe(self._write, "value")
        self.value = list(selected)
        if on_change is not None:
            self.observe(lambda change: on_change(), "value")

    def _chosen(self) -> list[str]:
        if self.mode.value == "all":
            return [ALL]
        if self.mode.value == "repositories":
            return [f"{REPO_PREFIX}{name}" for name in self.repositories.value]
        return [line.strip() for line in self.arns.value.splitlines() if line.strip()]

    def _read(self, change=None) -> None:
        self.value = self._chosen()

    def _write(self, change) -> None:
        resources = change["new"]
        if resources == self._chosen():
            return
        with self.hold_trait_notifications():
            names = [r[len(REPO_PREFIX):] for r in resources if r.startswith(REPO_PREFIX)]
            if resources == [ALL]:
                self.mode.value = "all"
            elif names and len(names) == len(resources):
                self.repositories.options = sorted(set(self.repositories.options) | set(names))
                self.repositories.value = tuple(names)
                self.mode.value = "repositories"
            else:
                self.arns.value = "\n".join(resources)
                self.mode.value = "arns"
