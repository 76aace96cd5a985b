"""No silent waits (issue 16): per notebook, the exercises the learner writes, the longest silence while
a cell runs, and how soon a ``%%tf`` cell first answers.

    python benchmarks/bench_silent_waits.py            # every notebook, 00-08 then 90
    python benchmarks/bench_silent_waits.py 03 04      # some notebooks (earlier ones run first, unmeasured)

The notebooks run in order in a fresh course home, in solutions mode (IAMLAB_SOLUTIONS=1, as nbval
and run-all do), each in its own kernel. Every message a cell sends to the page (a stream, a display,
a display *update* such as a progress line ticking, a result, an error) is timed as it arrives. A
cell's silences are the gaps between its start, each output, and its end; the longest over the
cells the learner sees (not the hidden ``test-only`` ones) is the notebook's figure. Targets: no
silence over 1 s; a ``%%tf`` cell's first output within 2 s (the provider warm).

Writes benchmarks/results/silent_waits.json and prints a Markdown table.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
RESULTS = ROOT / "benchmarks" / "results" / "silent_waits.json"
OUTPUT_TYPES = {"stream", "display_data", "update_display_data", "execute_result", "error"}


@dataclass
class CellTiming:
    index: int
    first_line: str
    tags: list[str]
    started: float
    outputs: list[float] = field(default_factory=list)  # arrival times
    ended: float = 0.0
    error: str = ""  # the error's name, when the cell failed

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    @property
    def longest_silence(self) -> float:
        marks = [self.started, *self.outputs, self.ended]
        return max(b - a for a, b in zip(marks, marks[1:]))

    @property
    def first_output(self) -> float | None:
        return self.outputs[0] - self.started if self.outputs else None

    @property
    def visible(self) -> bool:
        return "test-only" not in self.tags


def run_notebook(name: str) -> list[CellTiming]:
    import nbformat
    from nbclient import NotebookClient

    class Timed(NotebookClient):
        current: CellTiming | None = None

        def process_message(self, msg, cell, cell_index):
            if self.current is not None and msg.get("msg_type") in OUTPUT_TYPES:
                self.current.outputs.append(time.monotonic())
                if msg["msg_type"] == "error":
                    self.current.error = f"{msg['content'].get('ename')}: {msg['content'].get('evalue', '')[:80]}"
            return super().process_message(msg, cell, cell_index)

    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = Timed(notebook, timeout=900, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(NOTEBOOKS)}})
    timings = []
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            timing = CellTiming(index, cell.source.strip().splitlines()[0][:60] if cell.source.strip() else "",
                                list(cell.metadata.get("tags", [])), time.monotonic())
            client.current = timing
            client.execute_cell(cell, index)
            timing.ended = time.monotonic()
            client.current = None
            timings.append(timing)
    return timings


def figures(name: str, timings: list[CellTiming], exercises: list[str]) -> dict:
    visible = [t for t in timings if t.visible]
    worst = max(visible, key=lambda t: t.longest_silence)
    tf_cells = [t for t in visible if t.first_line.startswith("%%tf")]
    return {
        "notebook": name,
        "exercises": exercises,
        "cells": len(visible),
        "longest_silence_s": round(worst.longest_silence, 2),
        "longest_silence_cell": f"[{worst.index}] {worst.first_line}",
        "silences_over_1s": sum(t.longest_silence > 1.0 for t in visible),
        "tf_first_output_s": [round(t.first_output, 2) for t in tf_cells if t.first_output is not None],
        "tf_cell_s": [round(t.seconds, 2) for t in tf_cells],
        "over_1s": [f"[{t.index}] {t.first_line} ({t.longest_silence:.1f} s)" for t in visible if t.longest_silence > 1.0],
        "errors": [f"[{t.index}] {t.error}" for t in timings if t.error],  # hidden test cells included
    }


def exercises_of(name: str) -> list[str]:
    notebook = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text())
    return sorted({tag.split(":", 1)[1] for cell in notebook["cells"] for tag in cell.get("metadata", {}).get("tags", [])
                   if tag.startswith("exercise:")})


def table(rows: list[dict]) -> str:
    lines = ["| notebook | exercises the learner writes | longest silence (s) | in the cell | cells silent > 1 s | "
             "`%%tf` first output (s) | `%%tf` cell (s) |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['notebook']} | {', '.join(r['exercises']) or '-'} | {r['longest_silence_s']:.2f} | "
                     f"`{r['longest_silence_cell']}` | {r['silences_over_1s']} | "
                     f"{', '.join(f'{s:.2f}' for s in r['tf_first_output_s']) or '-'} | "
                     f"{', '.join(f'{s:.1f}' for s in r['tf_cell_s']) or '-'} |")
    return "\n".join(lines)


def main(numbers: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    from iamlab import sandbox
    from iamlab.runall import COURSE

    os.environ["IAMLAB_HOME"] = tempfile.mkdtemp(prefix="iamlab-bench-silent-")
    os.environ["IAMLAB_SOLUTIONS"] = "1"
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    rows = []
    try:
        for name in COURSE:
            started = time.perf_counter()
            timings = run_notebook(name)
            if numbers and name.split("-", 1)[0] not in numbers:
                continue
            row = figures(name, timings, exercises_of(name))
            row["seconds"] = round(time.perf_counter() - started, 1)
            rows.append(row)
            print(f"{name}: longest silence {row['longest_silence_s']:.2f} s ({row['longest_silence_cell']}), "
                  f"%%tf first output {row['tf_first_output_s']}", flush=True)
    finally:
        sandbox.stop()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=1) + "\n")
    print()
    print(table(rows))
    for row in rows:
        for item in row["over_1s"]:
            print(f"- {row['notebook']}: {item}")
        for item in row["errors"]:
            print(f"- {row['notebook']}: ERROR {item}")


if __name__ == "__main__":
    main(sys.argv[1:])
