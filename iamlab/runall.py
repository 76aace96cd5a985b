"""`python -m iamlab run-all`: every notebook in order, on a fresh sandbox, with a summary.

For instructors before a class (does everything work on this machine?) and for the
course's own benchmark. Each notebook runs top to bottom in its own kernel, in solutions
mode (every exercise gets its reference, and the hidden test cells check every claim);
a failing notebook is reported and the run goes on.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from . import paths, sandbox
from .course.manifest import SEQUENCE

COURSE = [lesson.name for lesson in SEQUENCE]


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
    """Run the course in order; ``fresh`` resets the sandbox account first."""
    if fresh:
        sandbox.reset()
    results = []
    for path in notebooks():
        if progress:
            progress(path.stem)
        results.append(run_notebook(path))
    return results


def main() -> int:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    console = Console()
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
