"""`python -m iamlab run-all`: every notebook in order, on a fresh sandbox, with a summary.

For instructors before a class (does everything work on this machine?) and for the
course's own benchmark. Each notebook runs top to bottom in its own kernel, in solutions
mode (every exercise gets its reference, and the hidden test cells check every claim);
a failing notebook is reported and the run goes on. The course in order, then the side
notebooks (90, the playground).

It is the learner's own sandbox and working copy it uses: the sandbox account is reset
(role, policies, instance: gone) and each notebook's ``goto`` and reference solutions
rewrite the working copy. So it says so first, copies the working copy (with its Terraform
state) to ``backups/run-all-<time>/``, and goes on only after a "yes" (or ``--yes``);
without a terminal to ask and without ``--yes`` it refuses (exit 2) and changes nothing.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import paths, sandbox
from .terraform import workspace
from .course.manifest import LESSONS, SEQUENCE

COURSE = [lesson.name for lesson in SEQUENCE] + [lesson.name for lesson in LESSONS if not lesson.in_sequence]
REFUSED = 2  # the exit code when nobody could confirm


@dataclass
class NotebookRun:
    name: str
    ok: bool
    seconds: float
    error: str = ""


def notebooks(directory: Path | None = None) -> list[Path]:
    if directory is None:  # a checkout's notebooks, or, installed, the learner's copy (copy-course)
        copied = None if paths.is_checkout() else paths.course_home() / "notebooks"
        directory = copied if copied and copied.is_dir() else paths.course_files_dir() / "notebooks"
    return [directory / f"{name}.ipynb" for name in COURSE if (directory / f"{name}.ipynb").exists()]


def run_notebook(path: Path, timeout: int = 900) -> NotebookRun:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    try:
        client.execute(env=dict(os.environ, IAMLAB_SOLUTIONS="1"))  # the kernel's environment only
        return NotebookRun(path.stem, True, time.perf_counter() - started)
    except CellExecutionError as error:
        lines = [line for line in str(error).splitlines() if line.strip()]
        return NotebookRun(path.stem, False, time.perf_counter() - started, lines[-1] if lines else "cell failed")


def run_all(fresh: bool = True, progress=None) -> list[NotebookRun]:
    """Run the course in order; ``fresh`` resets the sandbox account first. Asks nothing and backs
    nothing up: for benchmarks in a course home of their own (``main``, the command, asks first)."""
    if fresh:
        sandbox.reset()
    results = []
    for path in notebooks():
        if progress:
            progress(path.stem)
        results.append(run_notebook(path))
    return results


def warning() -> str:
    """What run-all will do to the learner's things, said before anything happens."""
    return (f"run-all uses YOUR course home ({paths.course_home()}):\n"
            "  - it resets your sandbox account: the role, the policies, the instance and anything else you made there go;\n"
            f"  - each notebook's goto and reference solutions rewrite your working copy ({paths.working_copy_dir()});\n"
            f"  - your working copy and its Terraform state are copied first to {paths.backups_dir()}/run-all-<time>/.\n"
            "It takes several minutes (every notebook runs in solutions mode).")


def backup_working_copy() -> Path | None:
    """Copy the working copy (files and Terraform state, not the provider links in .terraform/) to
    ``backups/run-all-<time>/``. None: there is no working copy yet."""
    return workspace.back_up("run-all", (".terraform",))


def consent(yes: bool, ask: Callable[[str], str] = input, interactive: bool | None = None,
            err=None) -> int | None:
    """None: go on. Otherwise the exit code (REFUSED: nobody to ask; 1: the answer was not yes)."""
    err = err or sys.stderr
    if yes:
        return None
    interactive = sys.stdin.isatty() if interactive is None else interactive
    if not interactive:
        print("Not run: run-all resets your sandbox and rewrites your working copy, and there is no terminal to "
              "confirm it. Nothing was changed.\nNext step: run it in a terminal, or add --yes if that is what "
              "you want (python -m iamlab run-all --yes).", file=err)
        return REFUSED
    try:
        answer = ask("Type yes to go on: ")
    except EOFError:
        answer = ""
    if answer.strip().lower() != "yes":
        print("Not run: the answer was not yes. Nothing was changed.", file=err)
        return 1
    return None


def main(yes: bool = False, ask: Callable[[str], str] = input, interactive: bool | None = None) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    console = Console()
    print(warning())
    refused = consent(yes, ask, interactive)
    if refused is not None:
        return refused
    backup = backup_working_copy()
    print(f"Your working copy is saved in {backup}: copy its files back into {paths.working_copy_dir()} to "
          "return to where you were (then lab.apply())." if backup else "You had no working copy yet: nothing to save.")
    paths_to_run = notebooks()
    results: list[NotebookRun] = []
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("resetting the sandbox", total=len(paths_to_run))
        sandbox.reset()
        for path in paths_to_run:
            bar.update(task, description=f"running {path.stem}")
            results.append(run_notebook(path))
            bar.advance(task)
    table = Table(title="Course run on a fresh sandbox")
    for column in ("notebook", "result", "seconds", "error"):
        table.add_column(column)
    for run in results:
        table.add_row(run.name, "[green]pass[/green]" if run.ok else "[red]FAIL[/red]", f"{run.seconds:.1f}", run.error[:80])
    table.add_row("total", f"{sum(r.ok for r in results)}/{len(results)} passed", f"{sum(r.seconds for r in results):.1f}", "")
    console.print(table)
    return 0 if all(r.ok for r in results) else 1
