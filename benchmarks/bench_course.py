"""Figure for the course issue: the whole course, in order, on a fresh sandbox.

    python benchmarks/bench_course.py

Runs `iamlab.runall` (notebooks 00-08 top to bottom, each in its own kernel) in a fresh
course home, and logs every Terraform command's duration through $IAMLAB_TIMINGS_FILE
to tell how much of the wall time is Terraform. Writes benchmarks/results/course.json.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="iamlab-bench-course-"))
    timings = home / "terraform-timings.jsonl"
    os.environ["IAMLAB_HOME"] = str(home)
    os.environ["IAMLAB_TIMINGS_FILE"] = str(timings)
    from iamlab import runall, sandbox

    started = time.perf_counter()
    sandbox.start()
    results = runall.run_all(fresh=True)
    wall = time.perf_counter() - started
    sandbox.stop()
    commands = [json.loads(line) for line in timings.read_text().splitlines()] if timings.exists() else []
    terraform = sum(c["seconds"] for c in commands)
    report = {
        "wall_s": round(wall, 1),
        "terraform_s": round(terraform, 1),
        "terraform_share": round(terraform / wall, 3),
        "terraform_commands": {name: sum(1 for c in commands if c["command"] == name) for name in sorted({c["command"] for c in commands})},
        "notebooks": [{"name": r.name, "ok": r.ok, "seconds": round(r.seconds, 1), "error": r.error} for r in results],
    }
    (ROOT / "benchmarks" / "results" / "course.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
