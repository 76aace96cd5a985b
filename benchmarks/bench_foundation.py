"""Figures for the Foundation issue: how long the learner waits, and what the driver costs.

    python benchmarks/bench_foundation.py [--rounds 3]

Measures, in a fresh course home: sandbox cold start, `init`, first `apply`,
no-change `apply`, the full nbval run of notebooks 00-01, and the driver's overhead
over the bare `terraform` command (same config, same CLI config, same command),
as a ratio of medians. Writes benchmarks/results/foundation.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    tf = subprocess.run(["terraform", "version"], capture_output=True, text=True).stdout.splitlines()[0]
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "terraform": tf}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="iamlab-bench-"))
    os.environ["IAMLAB_HOME"] = str(home)

    from iamlab import sandbox
    from iamlab.terraform import Driver

    figures: dict[str, float] = {}
    try:
        figures["sandbox_cold_start_s"], _ = timed(sandbox.start)
        quiet = Driver(sink=lambda line: None)
        figures["init_s"], _ = timed(quiet.init)
        figures["first_apply_s"], _ = timed(quiet.apply)
        figures["noop_apply_s"], _ = timed(quiet.apply)

        # Driver vs bare terraform: the very same command line, environment and directory.
        env = quiet.environment()
        bare_cmd = ["terraform", "apply", "-auto-approve", "-input=false", "-no-color"]
        driver_runs, bare_runs = [], []
        for _ in range(args.rounds):
            bare_runs.append(timed(lambda: subprocess.run(bare_cmd, cwd=quiet.directory, env=env, capture_output=True, check=True))[0])
            driver_runs.append(timed(quiet.apply)[0])
        figures["bare_noop_apply_median_s"] = statistics.median(bare_runs)
        figures["driver_noop_apply_median_s"] = statistics.median(driver_runs)
        figures["driver_overhead_ratio"] = figures["driver_noop_apply_median_s"] / figures["bare_noop_apply_median_s"]
    finally:
        sandbox.stop()

    # The full run of notebooks 00-01 under nbval, as the test suite runs them, fresh home.
    nb_home = Path(tempfile.mkdtemp(prefix="iamlab-bench-nb-"))
    figures["notebooks_00_01_s"], result = timed(lambda: subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax", "--nbval-current-env",
         "notebooks/00-start-here.ipynb", "notebooks/01-roles-and-instance-profiles.ipynb"],
        cwd=ROOT, env=dict(os.environ, IAMLAB_HOME=str(nb_home), IAMLAB_TEST_KEEP_HOME="1"), capture_output=True, text=True))
    figures["notebooks_passed"] = result.returncode == 0
    os.environ["IAMLAB_HOME"] = str(nb_home)
    sandbox.stop()

    report = {"machine": machine(), "rounds": args.rounds, "figures": {k: round(v, 3) if isinstance(v, float) else v
                                                                      for k, v in figures.items()}}
    out = ROOT / "benchmarks" / "results" / "foundation.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
