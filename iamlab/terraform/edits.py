"""Edits to the learner's own files, made only when the learner (or a fast-forward they
asked for) requests them, each shown as a diff and backed up first.

The lesson's one hand edit is "comment out the managed policy's attachment"; these
helpers do exactly that kind of edit, and can tell whether it has been done.
"""

from __future__ import annotations

import difflib
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from .. import paths


@dataclass(frozen=True)
class Edit:
    file: Path
    diff: str
    backup: Path | None

    @property
    def changed(self) -> bool:
        return bool(self.diff)


def _block_pattern(address: str) -> re.Pattern:
    kind, _, rest = address.partition(".")
    kind, rest = ("data", rest) if kind == "data" else ("resource", address)
    rtype, _, name = rest.partition(".")
    return re.compile(rf'^{kind}\s+"{re.escape(rtype)}"\s+"{re.escape(name)}"\s*\{{.*?^\}}[ \t]*\n?', re.M | re.S)


def _commented_pattern(address: str) -> re.Pattern:
    kind, _, rest = address.partition(".")
    kind, rest = ("data", rest) if kind == "data" else ("resource", address)
    rtype, _, name = rest.partition(".")
    return re.compile(rf'^# ?{kind}\s+"{re.escape(rtype)}"\s+"{re.escape(name)}"\s*\{{[^\n]*\n(?:#[^\n]*\n)*?# ?\}}[ \t]*\n?', re.M)


def backup(file: Path) -> Path:
    """Copy a learner's file into backups/ before it is changed (never lose an edit)."""
    target = paths.backups_dir() / time.strftime("edit-%Y%m%d-%H%M%S") / file.name
    n = 1
    while target.exists():
        target = target.parent.with_name(f"{target.parent.name}.{n}") / file.name
        n += 1
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(file, target)
    return target


def _write(file: Path, old: str, new: str) -> Edit:
    if new == old:
        return Edit(file, "", None)
    saved = backup(file)
    file.write_text(new)
    diff = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"{file.name} (before)", f"{file.name} (after)"))
    return Edit(file, diff, saved)


def find_file(directory: Path, address: str, commented: bool = False) -> Path | None:
    pattern = _commented_pattern(address) if commented else _block_pattern(address)
    return next((f for f in sorted(Path(directory).glob("*.tf")) if pattern.search(f.read_text())), None)


def is_active(directory: Path, address: str) -> bool:
    return find_file(directory, address) is not None


def commented_out(text: str, address: str) -> str:
    """The text with the block turned into ``# ...`` lines (unchanged if it is not there)."""
    return _block_pattern(address).sub(
        lambda m: "".join(f"# {line}\n" for line in m.group(0).rstrip("\n").splitlines()), text, count=1)


def comment_out(directory: Path, address: str) -> Edit:
    """Comment out ``resource "T" "N" { ... }`` in whichever file holds it (as the lesson asks for by hand)."""
    file = find_file(directory, address)
    if file is None:
        return Edit(Path(directory), "", None)
    old = file.read_text()
    return _write(file, old, commented_out(old, address))


def uncommented(text: str, address: str) -> str:
    """``text`` with the commented-out block ``address`` active again (the hand edit undone)."""
    return _commented_pattern(address).sub(
        lambda m: "".join(re.sub(r"^# ?", "", line) + "\n" for line in m.group(0).rstrip("\n").splitlines()), text, count=1)


def unified_diff(old: str, new: str, name: str) -> str:
    """A unified diff between two versions of one file ("" when equal)."""
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"{name} (before)", f"{name} (after)"))
