"""Run a course notebook unattended, as one kind of learner, and keep every cell's outputs.

Three learners (issue 9):

* ``solutions``: solutions mode fills every exercise with the reference; the hidden
  ``test-only`` cells run and assert every claim (this is also what nbval runs);
* ``typed-nothing``: runs every cell the learner sees, exercises left as shipped;
* ``mistakes``: exercise cells replaced by a classic mistake (``MISTAKES``), and lesson 04's
  hand edit left undone.

The learner never sees ``test-only`` cells, so the last two runs drop them.
Used by tests/test_learner_paths.py and benchmarks/bench_exercises.py.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import waits

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

PASTED_POLICY_ARN = "arn:aws:iam::123456789012:policy/ecr_custom_read_only"
FLASK_ARN = "arn:aws:ecr:us-east-1:123456789012:repository/flask_app"

# The classic mistakes, as a learner would type them: exercise tag -> (TODO line -> replacement).
MISTAKES: dict[str, dict[str, str]] = {
    # 03: the attachment names the policy by a pasted ARN instead of a reference.
    "exercise:03-custom-policy": {
        "        Action   = TODO": '        Action   = ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", '
                                   '"ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer"]',
        "  policy_arn = TODO": f'  policy_arn = "{PASTED_POLICY_ARN}"',
    },
    # 04 step 1: the repository's ARN pasted instead of the data source's reference.
    "exercise:04-reference": {"        Resource = TODO": f'        Resource = "{FLASK_ARN}"'},
    # 04 step 2: the classic wrong prediction (the login is scoped to the repository, so surely it works there).
    "exercise:04-predict": {'"login": "?"': '"login": "allowed"', '"pull:flask_app": "?"': '"pull:flask_app": "allowed"',
                            '"pull:reports_app": "?"': '"pull:reports_app": "denied"'},
    # 04 step 3: the login "split" but still scoped to the repository.
    "exercise:04-scope": {
        "        Action   = TODO": '        Action   = "ecr:GetAuthorizationToken"',
        "        Resource = TODO": "        Resource = data.aws_ecr_repository.pull.arn",
    },
    # 06: a Deny that covers only the final step of a push (PutImage); the uploads stay allowed.
    "exercise:06-deny": {
        "      Effect   = TODO": '      Effect   = "Deny"',
        "      Action   = TODO": '      Action   = ["ecr:PutImage"]',
    },
    # 06: the repository policy names every principal instead of the instance's role.
    "exercise:06-repository-policy": {
        "      Principal = TODO": '      Principal = "*"',
    },
}

# What each mistake's check must say (an exercise's check cell, by the check's name).
MISTAKE_NAMED: dict[str, str] = {
    "03-custom-policy": "hand-typed-arn",
    "04-reference": "hand-typed-arn",
    "04-detach": "AmazonEC2ContainerRegistryReadOnly is still attached",
    "04-scope": "login-scoped",
    "06-deny": "not explicitly denied",
    "06-repository-policy": "Principal",
}


@dataclass
class CellRun:
    index: int
    source: str
    tags: list[str]
    outputs: list[dict]
    seconds: float

    @property
    def errors(self) -> list[dict]:
        return [o for o in self.outputs if o.get("output_type") == "error"]

    def text(self) -> str:
        """Everything the cell showed, as text (HTML included, tags and all)."""
        parts = []
        for output in self.outputs:
            if output.get("output_type") == "stream":
                parts.append(output.get("text", ""))
            elif output.get("output_type") == "error":
                parts.append("\n".join(output.get("traceback", [])))
            else:
                data = output.get("data", {})
                parts.append(data.get("text/html", "") + "\n" + data.get("text/plain", ""))
        return "\n".join(parts)

    @property
    def visible(self) -> bool:
        return bool(self.outputs)


@dataclass
class NotebookRun:
    name: str
    learner: str
    cells: list[CellRun] = field(default_factory=list)
    seconds: float = 0.0

    def checks(self) -> dict[str, CellRun]:
        """Cells that call check("NAME"), by NAME (the last one wins)."""
        import re

        found = {}
        for cell in self.cells:
            for name in re.findall(r'^check\("([^"]+)"', cell.source, flags=re.M):
                found[name] = cell
        return found


def prepared(path: Path, learner: str) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    if learner == "solutions":
        return notebook
    cells = []
    for cell in notebook.cells:
        tags = cell.metadata.get("tags", [])
        if "test-only" in tags:
            continue
        if learner == "mistakes":
            for tag in tags:
                for old, new in MISTAKES.get(tag, {}).items():
                    cell.source = cell.source.replace(old, new)
        cells.append(cell)
    notebook.cells = cells
    return notebook


@contextmanager
def environment(**values: str | None):
    previous = {key: os.environ.get(key) for key in values}
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run(name: str, learner: str, timeout: float | None = None) -> NotebookRun:
    """Run notebooks/NAME.ipynb as ``learner`` in the current $IAMLAB_HOME; never raises on a cell's error.
    A cell may take ``timeout`` seconds (tests/waits.py's CELL bound by default), the kernel its start bound."""
    from nbclient import NotebookClient

    path = NOTEBOOKS / f"{name}.ipynb"
    notebook = prepared(path, learner)
    record = NotebookRun(name, learner)
    pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    with environment(IAMLAB_SOLUTIONS="1" if learner == "solutions" else None, PYTHONPATH=pythonpath):
        client = NotebookClient(notebook, timeout=timeout or waits.bound(waits.CELL), kernel_name="python3", allow_errors=True,
                                startup_timeout=waits.bound(waits.KERNEL_START),
                                resources={"metadata": {"path": str(NOTEBOOKS)}})
        started = time.perf_counter()
        with client.setup_kernel():
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type != "code":
                    continue
                cell_started = time.perf_counter()
                client.execute_cell(cell, index)
                record.cells.append(CellRun(index, cell.source, list(cell.metadata.get("tags", [])),
                                            [dict(o) for o in cell.get("outputs", [])], time.perf_counter() - cell_started))
        record.seconds = time.perf_counter() - started
    return record
