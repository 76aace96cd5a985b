"""Pick actions the way the IAM console's visual editor offers them: by access level."""

from __future__ import annotations

import ipywidgets as w
import traitlets

from ..policy import catalogue


class ActionPicker(w.VBox):
    """Checkboxes per access level (List, Read, Write, ...), each with its description on hover,
    a whole group selectable at once, and free text for wildcards such as ``ecr:BatchGet*``.

    ``value`` is a trait: the boxes and the text write it, setting it ticks the boxes, and
    ``on_change`` observes it. Changes made together (a whole group, a new value) are held
    and announced once, by traitlets, with no flag to silence the boxes meanwhile."""

    value = traitlets.List(traitlets.Unicode())

    def __init__(self, service: str = "ecr", selected: list[str] = (), on_change=None):
        self.service = service
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
                box.observe(self._read, "value")
                self.boxes[info.action] = box
                boxes.append(box)
            sections.append(w.VBox([group, w.Box(boxes, layout=w.Layout(flex_flow="row wrap"))]))
            titles.append(f"{level} ({len(members)})")
        self.accordion = w.Accordion(children=sections, titles=tuple(titles))
        self.free_text = w.Text(placeholder="more actions, comma-separated: ecr:BatchGet*, ecr:Describe*",
                                description="typed:", layout=w.Layout(width="95%"))
        self.free_text.observe(self._read, "value")
        super().__init__([self.accordion, self.free_text])
        self.observe(self._write, "value")
        self.value = list(selected)
        if on_change is not None:
            self.observe(lambda change: on_change(), "value")

    def _picked(self) -> list[str]:
        picked = [action for action, box in self.boxes.items() if box.value]
        typed = [t.strip() for t in self.free_text.value.split(",") if t.strip()]
        return picked + [t for t in typed if t not in picked]

    def _read(self, change=None) -> None:
        self.value = self._picked()

    def _write(self, change) -> None:
        """A value set from outside: tick the boxes, type the rest (canonical names for known actions)."""
        if change["new"] == self._picked():
            return
        with self.hold_trait_notifications():
            canonical = {a.lower(): a for a in self.boxes}
            wanted = {canonical[a.lower()] for a in change["new"] if a.lower() in canonical}
            for action, box in self.boxes.items():
                box.value = action in wanted
            self.free_text.value = ", ".join(a for a in change["new"] if a.lower() not in canonical)

    def _select_group(self, level: str, selected: bool) -> None:
        with self.hold_trait_notifications():  # one change for the whole group
            for action, box in self.boxes.items():
                if catalogue.lookup(action).access_level == level:
                    box.value = selected
