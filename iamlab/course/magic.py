"""``%%tf FILE.tf``: a notebook cell that is a Terraform file of the learner's.

    %%tf custom_policy.tf
    resource "aws_iam_policy" "ecr_custom_read_only" {
      ...
    }

The cell's text becomes ``FILE.tf`` in the working copy, after three checks, each
explained in the learner's terms:

1. the file is the learner's: never one of the course's files (``main.tf`` and the
   rest of ``tf/``, ``*_override.tf``), which a cell would silently overwrite;
2. no ``TODO`` hole is left (a scaffold not filled in writes nothing and says which
   lines still need work; in solutions mode the exercise's reference is written);
3. the HCL parses (python-hcl2, with the line), and declares no block another file
   already declares.

Then the references are checked as the plan would check them (``terraform.refcheck``:
every resource and data source named is declared, none is named whole where a string
goes, none is a reference in quotes), in milliseconds, with file and line; only when
they hold does ``terraform validate`` run through the course's Terraform driver (its
CLI config, the sandbox). A progress line (``progress.Ticker``) shows from the cell's first
moment to its answer, with the time so far. The cell shows the diff
against what was there. Nothing is applied: ``lab.apply()`` does that.

Which exercise a cell belongs to matters only in solutions mode (which reference to
write): ``%%tf custom_policy.tf --exercise 04-scope``, or the exercise's name anywhere
in the cell (a scaffold's comment ``# exercise 04-scope``); otherwise the first
exercise that writes the file.
"""

from __future__ import annotations

import html
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import paths
from ..facts import CUSTOM_POLICY
from ..terraform import config as tfconfig
from ..terraform import edits, policy_file, refcheck, workspace

FILE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\.tf")
TODO = re.compile(r"\bTODO\b")


@dataclass
class TfCellResult:
    """What a ``%%tf`` cell did, rendering itself."""

    file: str
    written: bool
    message: str
    diff: str = ""
    notes: list[str] = field(default_factory=list)
    problem: str = ""  # the error's own text (hcl2's, or Terraform's Error: blocks)
    valid: bool | None = None  # terraform validate's verdict, None if it did not run
    todo_lines: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.written and self.valid is not False

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        lines = [("✅ " if self.ok else "⚠️ " if self.written else "✘ ") + self.message, *self.notes]
        if self.problem:
            lines += ["", self.problem]
        if self.diff:
            lines += ["", self.diff.rstrip()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        colour = "#e3f6e5" if self.ok else "#fff4d6" if self.written else "#fde4e4"
        notes = "".join(f"<p><i>{html.escape(n)}</i></p>" for n in self.notes)
        problem = f"<pre>{html.escape(self.problem)}</pre>" if self.problem else ""
        diff = (f"<details><summary>Changes to {html.escape(self.file)}</summary><pre>{html.escape(self.diff)}</pre></details>"
                if self.diff else "")
        return (f'<div class="iamlab-tfcell" data-written="{str(self.written).lower()}" data-ok="{str(self.ok).lower()}" '
                f'style="background:{colour};padding:6px 10px;border-radius:4px"><b>{html.escape(self.message)}</b>'
                f"{notes}{problem}{diff}</div>")


def course_file_names() -> set[str]:
    return {p.name for p in paths.course_tf_dir().glob("*.tf")}


def refuse_reason(file_name: str) -> str | None:
    """Why a cell may not write this file (None: it may)."""
    if not FILE_PATTERN.fullmatch(file_name):
        return (f"{file_name!r} is not a file name the course writes: use a plain name ending in .tf, "
                "such as custom_policy.tf (no folders).")
    if file_name in course_file_names():
        return (f"{file_name} is one of the course's files. A cell would replace all of it; edit it by hand in "
                "JupyterLab's editor instead (workspace/tf/), and write your own blocks in a file of your own.")
    if file_name.endswith("_override.tf"):
        return f"{file_name} is an override file: the course writes those (they point Terraform at the sandbox)."
    return None


def _syntax_problem(text: str) -> str | None:
    import hcl2

    try:
        hcl2.loads(text if text.endswith("\n") else text + "\n")
    except Exception as error:  # python-hcl2 raises several lark error classes
        line, column = getattr(error, "line", None), getattr(error, "column", None)
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        where = f"line {line}, column {column}: " if line else ""
        source = text.splitlines()[line - 1] if line and 0 < line <= len(text.splitlines()) else ""
        return f"{where}{first}" + (f"\n    {source}" if source else "")
    return None


def _declared(text: str, name: str) -> set[str]:
    import hcl2

    parsed = hcl2.loads(text if text.endswith("\n") else text + "\n")
    found = set()
    for kind in ("resource", "data"):
        for entry in parsed.get(kind, []):
            for rtype, named in entry.items():
                for block in named:
                    found.add(("data." if kind == "data" else "") + f"{rtype.strip(chr(34))}.{block.strip(chr(34))}")
    return found


def _clashes(directory: Path, file_name: str, declared: set[str]) -> list[str]:
    clashes = []
    for block in tfconfig.blocks(directory):
        if block.file.name != file_name and block.address in declared:
            clashes.append(f"{block.address} is already declared in {block.file.name}")
    return clashes


def _validate(directory: Path) -> tuple[bool, str, str]:
    """``terraform validate`` with the course's driver: (valid, explanation, Terraform's errors)."""
    from ..terraform import Driver, TerraformFailed

    driver = Driver(sink=lambda line: None, directory=directory)
    try:
        driver.validate()
    except TerraformFailed as failure:
        return False, failure.explanation, failure.error
    return True, "", ""


def write_cell(file_name: str, text: str, exercise: str | None = None, validate: bool = True,
               directory: Path | None = None, progress: Callable[[str], None] | None = None) -> TfCellResult:
    """Everything ``%%tf`` does, callable from tests and code. ``progress`` receives a line
    before each step that may take a while (the cell shows it, then clears it)."""
    from . import solutions_mode
    from .lessons import REFERENCES, exercise_writing

    reason = refuse_reason(file_name)
    if reason:
        return TfCellResult(file_name, False, f"Not written: {reason}")
    directory = Path(directory) if directory else workspace.ensure()
    notes = []
    holes = [n for n, line in enumerate(text.splitlines(), 1) if TODO.search(line)]
    if holes:
        named = exercise or next((name for name in REFERENCES if re.search(rf"\b{re.escape(name)}\b", text)), None)
        reference = exercise_writing(file_name, named) if solutions_mode.enabled() else None
        if reference is None:
            where = ", ".join(str(n) for n in holes)
            return TfCellResult(file_name, False,
                                f"Not written yet: {file_name} still has TODO on line{'s' if len(holes) > 1 else ''} {where}. "
                                "Replace each TODO with your answer and run the cell again.", todo_lines=holes)
        text = reference.reference.files[file_name]
        notes.append(f"Solutions mode: the reference for {reference.name} was written instead of the scaffold.")
    problem = _syntax_problem(text)
    if problem:
        return TfCellResult(file_name, False, f"Not written: {file_name} is not valid HCL yet (nothing was changed).",
                            problem=problem)
    clashes = _clashes(directory, file_name, _declared(text, file_name))
    if clashes:
        return TfCellResult(file_name, False, f"Not written: {'; '.join(clashes)}. One block, one file: write this cell "
                            "into that file's name instead, or delete the block there first.")
    target = directory / file_name
    old = target.read_text() if target.exists() else ""
    body = text if text.endswith("\n") else text + "\n"
    if old and old != body and not (file_name == policy_file.FILE_NAME and policy_file.written_by_editor(old)):
        notes.append(f"Your previous {file_name} is kept in {edits.backup(target)}.")
    elif old and old != body:
        notes.append(f"This replaces the policy editor's {file_name}: both ways write the same file.")
    legacy = directory / policy_file.LEGACY_FILE_NAME
    if legacy.exists() and CUSTOM_POLICY in _declared(body, file_name):
        notes.append(f"The policy editor's old {legacy.name} declared the same policy: it moved to {edits.backup(legacy)}.")
        legacy.unlink()
    target.write_text(body)
    diff = edits.unified_diff(old, body, file_name)
    message = f"Wrote {file_name}" if old != body else f"{file_name} is unchanged"
    problems = refcheck.check_directory(directory)
    notes += [str(p) for p in problems if not p.blocks and p.file == file_name]
    refused = [p for p in problems if p.blocks]
    if refused:
        first = refused[0]
        return TfCellResult(file_name, True, f"{message}, but the plan would refuse it ({first.where}): {first.message}",
                            diff, notes + [f"Next step: {first.next_step}"],
                            "\n\n".join(str(p) for p in refused), valid=False)
    if not validate:
        return TfCellResult(file_name, True, message + ".", diff, notes)
    if progress is not None:
        progress(f"{message}; references check out. Running terraform validate (about 2 s)…")
    valid, explanation, error = _validate(directory)
    if not valid:
        from ..terraform.explain import locations

        where = "; ".join(f"{file}, line {line}" for file, line in locations(error))
        return TfCellResult(file_name, True, message + ", but terraform validate does not accept the configuration yet"
                            + (f" ({where})" if where else "") + ": " + explanation.splitlines()[0], diff,
                            notes + explanation.splitlines()[1:], error, valid=False)
    return TfCellResult(file_name, True, message + "; terraform validate accepts it. Apply when ready: lab.apply()",
                        diff, notes, valid=True)


def tf(line: str, cell: str) -> TfCellResult:
    """The cell magic: ``%%tf FILE.tf [--exercise NAME] [--no-validate]``."""
    try:
        words = shlex.split(line)
    except ValueError:
        words = line.split()
    files = [w for w in words if not w.startswith("--")]
    exercise = None
    if "--exercise" in words:
        index = words.index("--exercise")
        exercise = words[index + 1] if index + 1 < len(words) else None
        files = [w for w in files if w != exercise]
    if len(files) != 1:
        return TfCellResult(line.strip() or "?", False,
                            "Name the file on the first line: %%tf custom_policy.tf (then your HCL below it).")
    from ..progress import Ticker

    with Ticker(f"Checking {files[0]}…") as tick:  # at once: the cell is never blank while it works
        return write_cell(files[0], cell, exercise=exercise, validate="--no-validate" not in words, progress=tick.say)


def course_test(line: str, cell: str) -> None:
    """``%%course_test``: the course's own hidden test cells. They run only in solutions mode (CI,
    instructors' demos), where every exercise holds the reference; for a learner they do nothing, so
    the learner's own work is judged by ``check()``, never by an assert or a hand edit made for them.
    Exceptions propagate, so a failing claim fails the unattended run."""
    from IPython import get_ipython

    from . import solutions_mode

    if solutions_mode.enabled():
        get_ipython().ex(cell)


def register(ipython=None) -> bool:
    """Register ``%%tf`` and ``%%course_test`` with IPython (a no-op outside IPython)."""
    if ipython is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        ipython = get_ipython()
    if ipython is None:
        return False
    ipython.register_magic_function(tf, magic_kind="cell", magic_name="tf")
    ipython.register_magic_function(course_test, magic_kind="cell", magic_name="course_test")
    return True
