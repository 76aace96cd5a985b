"""Pick actions the way the IAM console's visual editor offers them: by access level."""

from __future__ import annotations

import ipywidgets as w

from ..policy import catalogue


class ActionPicker(w.VBox):
    """Checkboxes per access level (List, Read, Write, ...), each with its description on hover,
    a whole group selectable at once, and free text for wildcards such as ``ecr:BatchGet*``."""

    def __init__(self, service: str = "ecr", selected: list[str] = (), on_change=None):
        self.service = service
        self._on_change = on_change
        self._quiet = False
        known = sorted(catalogue.actions(service).values(), key=lambda a: a.name)
        self.boxes: dict[str, w.Checkbox] = {}
        self.groups: dict[str, w.Checkbox] = {}
        sections, titles = [], []
        for level in catalogue.ACCESS_LEVELS:
            members = [a for a in known if a.access_level == level]
            if not members:
                continue
            group = w.Checkbox(description=f"all {level} actions", indent=False)
            group.observe(lambda change, lvl=level: self._select_group(lvl, change["new"]), "value")
            self.groups[level] = group
            boxes = []
            for info in members:
                box = w.Checkbox(description=info.name, indent=False, tooltip=info.description,
                                 layout=w.Layout(width="260px"))
                box.observe(self._changed, "value")
                self.boxes[info.action] = box
                boxes.append(box)
            sections.append(w.VBox([group, w.Box(boxes, layout=w.Layout(flex_flow="row wrap"))]))
            titles.append(f"{level} ({len(members)})")
        self.accordion = w.Accordion(children=sections, titles=tuple(titles))
        self.free_text = w.Text(placeholder="more actions, comma-separated: ecr:BatchGet*, ecr:Describe*",
                                description="typed:", layout=w.Layout(width="95%"))
        self.free_text.observe(self._changed, "value")
        super().__init__([self.accordion, self.free_text])
        self.value = list(selected)

    @property
    def value(self) -> list[str]:
        picked = [action for action, box in self.boxes.items() if box.value]
        typed = [t.strip() for t in self.free_text.value.split(",") if t.strip()]
        return picked + [t for t in typed if t not in picked]

    @value.setter
    def value(self, actions: list[str]) -> None:
        self._quiet = True
        try:
            canonical = {a.lower(): a for a in self.boxes}
            typed = []
            for box in self.boxes.values():
                box.value = False
            for action in actions:
                if action.lower() in canonical:
                    self.boxes[canonical[action.lower()]].value = True
                else:
                    typed.append(action)
            self.free_text.value = ", ".join(typed)
        finally:
            self._quiet = False

    def _select_group(self, level: str, selected: bool) -> None:
        self._quiet = True
        try:
            for action, box in self.boxes.items():
                if catalogue.lookup(action).access_level == level:
                    box.value = selected
        finally:
            self._quiet = False
        self._changed()

    def _changed(self, change=None) -> None:
        if not self._quiet and self._on_change:
            self._on_change()
