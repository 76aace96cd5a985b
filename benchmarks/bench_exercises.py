"""Figures for issue 9: what the learner writes and sees in each notebook, and the three paths' run times.

    python benchmarks/bench_exercises.py                  # every path over every notebook
    python benchmarks/bench_exercises.py solutions 03 04  # one path, some notebooks

For each path (solutions, typed-nothing, mistakes; see tests/notebook_runs.py) the notebooks
run in order in a fresh course home of the path's own. Per notebook it reports:

* ``exercises``: cells tagged ``exercise:<name>`` (what the learner writes or types);
* ``visible`` / ``silent``: learner-visible code cells (not ``test-only``) that showed something,
  and those that showed nothing;
* ``longest_silent_s``: the longest-running visible cell that showed nothing at all;
* ``longest_cell_s``: the longest-running visible cell (its output may only arrive at the end:
  nbclient records outputs, not when each appeared);
* ``tracebacks``: visible cells that ended in an error.

Writes benchmarks/results/exercises.json (merged with earlier results of other paths).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from iamlab.course.manifest import SEQUENCE  # noqa: E402
from tests.notebook_runs import run  # noqa: E402

PATHS = {"solutions": None, "typed-nothing": None, "mistakes": ("03", "04", "06")}
RESULTS = ROOT / "benchmarks" / "results" / "exercises.json"


def figures(done) -> dict:
    visible = [c for c in done.cells if "test-only" not in c.tags]
    silent = [c for c in visible if not c.outputs]
    return {
        "exercises": sorted({t.split(":", 1)[1] for c in visible for t in c.tags if t.startswith("exercise:")}),
        "visible": len(visible) - len(silent),
        "silent": len(silent),
        "longest_silent_s": round(max((c.seconds for c in silent), default=0.0), 1),
        "longest_cell_s": round(max((c.seconds for c in visible), default=0.0), 1),
        "tracebacks": [c.index for c in visible if c.errors],
        "seconds": round(done.seconds, 1),
    }


def run_path(path: str, numbers: list[str] | None) -> dict:
    from iamlab import sandbox

    wanted = [l for l in SEQUENCE if (numbers is None or l.number in numbers) and (PATHS[path] is None or l.number in PATHS[path])]
    os.environ["IAMLAB_HOME"] = tempfile.mkdtemp(prefix=f"iamlab-bench-{path}-")
    started = time.perf_counter()
    report = {}
    try:
        for lesson in wanted:
            print(f"{path}: {lesson.name}", flush=True)
            report[lesson.number] = figures(run(lesson.name, path))
    finally:
        sandbox.stop()
    return {"wall_s": round(time.perf_counter() - started, 1), "notebooks": report}


def main(argv: list[str]) -> None:
    paths = [a for a in argv if a in PATHS] or list(PATHS)
    numbers = [a for a in argv if a not in PATHS] or None
    for path in paths:
        measured = run_path(path, numbers)
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}  # another path may have written meanwhile
        results[path] = measured
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
