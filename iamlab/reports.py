"""Results that render themselves: what a notebook call returns, and Jupyter shows.

Each call of the facade returns one of these instead of printing: HTML (or Markdown) in
Jupyter, plain text for ``print()`` and the terminal. Nothing here prints, so a cell
shows its result once, and ends without ``;``.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .terraform.plan import Change, summary

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_FINISHED = re.compile(r"^(?P<address>\S+): (?P<verb>Creation|Modifications|Destruction) complete", re.M)
VERBS = {"Creation": "created", "Modifications": "changed", "Destruction": "destroyed"}
DIFF_LABELS = ("before the apply", "after")


class Rendered:
    """Plain text for ``print()`` and IPython's text view; subclasses add HTML or Markdown."""

    def __str__(self) -> str:  # pragma: no cover - every subclass says what it is
        raise NotImplementedError

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))


def _log(text: str, title: str = "Terraform's output") -> str:
    """Terraform's raw log, collapsed: there when wanted, out of the way otherwise."""
    text = _ANSI.sub("", text).strip()
    if not text:
        return ""
    return (f'<details class="iamlab-log"><summary>{html.escape(title)}</summary>'
            f'<pre style="max-height:300px;overflow:auto">{html.escape(text)}</pre></details>')


def _diff_html(diff: str) -> str:
    colour = lambda line: "#2e7d32" if line.startswith("+") else "#c62828" if line.startswith("-") else "inherit"  # noqa: E731
    lines = "".join(f'<div style="color:{colour(line)}">{html.escape(line)}</div>' for line in diff.splitlines())
    return f'<pre class="iamlab-diff">{lines}</pre>'


# -- the policy documents Terraform manages, read from its state ---------------------
POLICY_ATTRIBUTES = {"aws_iam_policy": "policy", "aws_iam_role_policy": "policy",
                     "aws_ecr_repository_policy": "policy", "aws_iam_role": "assume_role_policy"}


def state_policies(directory: Path) -> dict[str, str]:
    """address -> policy JSON text, for every policy document in the local state."""
    try:
        state = json.loads((Path(directory) / "terraform.tfstate").read_text())
    except (FileNotFoundError, ValueError):
        return {}
    found = {}
    for resource in state.get("resources", []):
        attribute = POLICY_ATTRIBUTES.get(resource.get("type"))
        if resource.get("mode") != "managed" or attribute is None:
            continue
        for instance in resource.get("instances", []):
            key = instance.get("index_key")
            address = f"{resource['type']}.{resource['name']}" + (f"[{json.dumps(key)}]" if key is not None else "")
            text = (instance.get("attributes") or {}).get(attribute)
            if isinstance(text, str):
                found[address] = text
    return found


def policy_changes(before: dict[str, str], after: dict[str, str]) -> list[Change]:
    """The policy documents an apply changed, as plan ``Change``s (one diff, one place)."""
    changes = []
    for address in sorted(set(before) | set(after)):
        old, new = before.get(address), after.get(address)
        if old == new or (old and new and json.loads(old) == json.loads(new)):
            continue
        action = "add" if old is None else "destroy" if new is None else "change"
        changes.append(Change(address, action, {"policy": old} if old else None, {"policy": new} if new else None))
    return changes


# -- Terraform commands ---------------------------------------------------------------
@dataclass(repr=False)
class PlanReport(Rendered, Sequence):
    """``terraform plan`` in plain words: each change, the policy documents' diffs, the raw log collapsed."""

    changes: list[Change]
    result: object = None  # the driver's Result (None when only the changes are known)

    def __getitem__(self, index):
        return self.changes[index]

    def __len__(self) -> int:
        return len(self.changes)

    @property
    def headline(self) -> str:
        return summary(self.changes)

    def items_html(self) -> str:
        return "".join(f"<li>{html.escape(c.sentence())}" + (_diff_html(c.policy_diff()) if c.policy_diff() else "") + "</li>"
                       for c in self.changes)

    def _repr_html_(self) -> str:
        words = self.items_html()
        log = _log(self.result.stdout + self.result.stderr) if self.result is not None else ""
        return (f'<div class="iamlab-plan"><p><b>Plan, in plain words:</b> {html.escape(self.headline)}</p>'
                f"{f'<ul>{words}</ul>' if words else ''}{log}</div>")

    def __str__(self) -> str:
        lines = [f"Plan: {self.headline}"] + [f"  - {c.sentence()}" for c in self.changes]
        for change in self.changes:
            if change.policy_diff():
                lines += [f"\nThe policy document of {change.address}:", change.policy_diff()]
        return "\n".join(lines)


@dataclass(repr=False)
class ApplyReport(Rendered):
    """After ``terraform apply`` (or destroy, or init): a short summary, what each policy document
    became, and Terraform's raw log collapsed."""

    result: object  # the driver's Result
    policy_changes: list[Change] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, int]:
        return self.result.summary

    @property
    def changed(self) -> bool:
        return self.result.changed

    @property
    def seconds(self) -> float:
        return self.result.seconds

    @property
    def stdout(self) -> str:
        return self.result.stdout

    def finished(self) -> list[tuple[str, str]]:
        """(address, created|changed|destroyed) for each resource Terraform finished."""
        return [(m["address"], VERBS[m["verb"]]) for m in _FINISHED.finditer(_ANSI.sub("", self.result.stdout))]

    @property
    def headline(self) -> str:
        if self.result.command == "init":
            return f"Initialised in {self.seconds:.0f} s: the AWS provider is ready in your working copy."
        verb = "Destroyed" if self.result.command == "destroy" else "Applied"
        if not self.changed:
            return f"{verb} in {self.seconds:.0f} s: no changes, the account already matched your configuration."
        counts = self.summary
        return (f"{verb} in {self.seconds:.0f} s: {counts.get('add', 0)} added, {counts.get('change', 0)} changed, "
                f"{counts.get('destroy', 0)} destroyed.")

    def _repr_html_(self) -> str:
        done = "".join(f"<li><code>{html.escape(a)}</code> {v}</li>" for a, v in self.finished())
        diffs = "".join(f"<p>The policy document of <code>{html.escape(c.address)}</code>:</p>{_diff_html(c.policy_diff(*DIFF_LABELS))}"
                        for c in self.policy_changes if c.policy_diff())
        return (f'<div class="iamlab-apply"><p><b>✅ {html.escape(self.headline)}</b></p>'
                f"{f'<ul>{done}</ul>' if done else ''}{diffs}{_log(self.result.stdout + self.result.stderr)}</div>")

    def __str__(self) -> str:
        lines = [self.headline] + [f"  - {a} {v}" for a, v in self.finished()]
        for change in self.policy_changes:
            if change.policy_diff():
                lines += [f"The policy document of {change.address}:", change.policy_diff(*DIFF_LABELS)]
        return "\n".join(lines)


# -- your files -------------------------------------------------------------------------
@dataclass(repr=False)
class Snippet(Rendered):
    """A piece of text with a heading, shown as a code block (HCL, JSON, a diff)."""

    heading: str
    text: str
    language: str = ""

    def _repr_markdown_(self) -> str:
        heading = f"{self.heading}\n\n" if self.heading else ""
        return f"{heading}```{self.language}\n{self.text.rstrip()}\n```"

    def __str__(self) -> str:
        return (f"{self.heading}\n\n" if self.heading else "") + self.text.rstrip()


@dataclass(repr=False)
class Note(Rendered):
    """One sentence of Markdown."""

    text: str

    def _repr_markdown_(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text.replace("`", "")


class Source(Snippet):
    """A block of the learner's working copy (``lab.show``); ``.source`` is its text."""

    @property
    def source(self) -> str:
        return self.text


class JsonDocument(Snippet, Mapping):
    """A JSON document with a title; reads like the dict it is."""

    def __init__(self, document, title: str = "", shown=None):
        self.document = json.loads(document) if isinstance(document, str) else document
        super().__init__(f"**{title}**" if title else "", json.dumps(self.document if shown is None else shown, indent=2), "json")

    def __getitem__(self, key):
        return self.document[key]

    def __iter__(self):
        return iter(self.document)

    def __len__(self) -> int:
        return len(self.document)


# -- tables -------------------------------------------------------------------------------
class Table(Rendered, list):
    """Rows (dicts) that render as a table; still a list, so ``[row] = lab.simulate(...)`` works."""

    def __init__(self, rows: list[dict], columns: list[tuple[str, str]], code: tuple[str, ...] = (), caption: str = ""):
        super().__init__(rows)
        self.columns, self.code, self.caption = columns, code, caption

    def _repr_html_(self) -> str:
        def cell(key, value):
            text = html.escape(str(value))
            return f"<td><code>{text}</code></td>" if key in self.code else f"<td>{text}</td>"

        head = "".join(f"<th>{html.escape(title)}</th>" for _, title in self.columns)
        body = "".join("<tr>" + "".join(cell(k, row.get(k, "")) for k, _ in self.columns) + "</tr>" for row in self)
        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        return f'<table class="iamlab-table">{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    def __str__(self) -> str:
        widths = {k: max([len(t)] + [len(str(r.get(k, ""))) for r in self]) for k, t in self.columns}
        line = lambda values: "  ".join(str(v).ljust(widths[k]) for (k, _), v in zip(self.columns, values)).rstrip()  # noqa: E731
        return "\n".join([line([t for _, t in self.columns])] + [line([r.get(k, "") for k, _ in self.columns]) for r in self])

    def __eq__(self, other) -> bool:
        return list(self) == list(other) if isinstance(other, list) else NotImplemented

    __hash__ = None


# -- the instance -------------------------------------------------------------------------
class InstanceRun(Rendered, subprocess.CompletedProcess):
    """A shell command run as the instance: its output, its exit code, shown like a terminal."""

    def _repr_html_(self) -> str:
        colour = "#2e7d32" if self.returncode == 0 else "#c62828"
        return (f'<pre class="iamlab-instance">[instance]$ {html.escape(str(self.args))}\n{html.escape(self.output_text())}'
                f'<span style="color:{colour}">(exit code {self.returncode})</span></pre>')

    def output_text(self) -> str:
        return "".join(part.rstrip() + "\n" for part in (self.stdout, self.stderr) if part and part.strip())

    def __str__(self) -> str:
        return f"[instance]$ {self.args}\n{self.output_text()}(exit code {self.returncode})"
