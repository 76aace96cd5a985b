"""How many learners one host holds when every learner applies once a minute (issue 18).

    python benchmarks/bench_classroom_applies.py --learners 5,10,20 --minutes 3

For each class size, each learner gets their own course home and sandbox (as on a JupyterHub,
warm provider off: its default there), goes to lesson 04's start, and then, once a minute, at
their own moment of the minute (the class spread evenly over it), edits a policy and runs
`terraform apply`, as a learner pressing Apply does. The script times every apply, and every
second reads the proportional memory (PSS) of each learner's processes: the sandbox, the
learner's Python process (standing in for the notebook kernel), and Terraform with its AWS
provider while a command runs. Writes benchmarks/results/classroom_applies.json.

A learner is "idle" at a sample when no Terraform process of theirs runs, "applying" otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_classroom import tree  # noqa: E402  (one way to walk a process tree)

LEARNER = r'''
import json, sys, time
import iamlab

start_at, minutes = float(sys.argv[1]), int(sys.argv[2])
lab = iamlab.start()
lab.goto("04", apply=True)
print("BENCH", json.dumps({"ready": True}), flush=True)
line = sys.stdin.readline()            # the class starts together
origin = time.time() + start_at
for minute in range(minutes):
    wait = origin + 60 * minute - time.time()
    if wait > 0:
        time.sleep(wait)
    lab.terraform.write("bench_edit.tf", """
resource "aws_iam_policy" "bench_edit" {
  name   = "bench-edit"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Sid = "Edit%d", Effect = "Allow", Action = "ecr:DescribeImages", Resource = "*" }]
  })
}
""" % minute)
    began = time.perf_counter()
    report = lab.apply()
    seconds = time.perf_counter() - began
    print("BENCH", json.dumps({"minute": minute, "seconds": round(seconds, 2), "ok": bool(report.changed)}), flush=True)
'''


def pss(pid: int) -> tuple[str, int] | None:
    """(kind, PSS bytes) of one process, or None when it has gone."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    kib = next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0)
    program = Path(cmdline.split(" ", 1)[0]).name
    kind = ("sandbox" if "iamlab.sandbox" in cmdline else "terraform" if program.startswith("terraform")
            else "learner")
    return kind, kib * 1024


def run_class(learners: int, minutes: int, base: Path) -> dict:
    cache = base / "shared-plugin-cache"
    homes = [base / f"n{learners}-learner{i}" for i in range(learners)]
    env = {i: dict(os.environ, IAMLAB_HOME=str(home), IAMLAB_PLUGIN_CACHE=str(cache), IAMLAB_WARM_PROVIDER="off",
                   PYTHONPATH=str(ROOT))
           for i, home in enumerate(homes)}
    spread = 60 / learners
    processes = {}

    def launch(i):
        process = subprocess.Popen([sys.executable, "-c", LEARNER, str(i * spread), str(minutes)], cwd=ROOT, env=env[i],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        ready = next((line for line in process.stdout if line.startswith("BENCH ")), "")
        if not ready:
            raise SystemExit(f"learner {i} did not reach lesson 04's start")
        return i, process

    setup_began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:  # setting up is not what is measured
        processes = dict(pool.map(launch, range(learners)))
    setup = time.perf_counter() - setup_began
    sandboxes = {i: json.loads((home / ".sandbox" / "state.json").read_text())["pid"] for i, home in enumerate(homes)}

    samples = defaultdict(list)   # "idle"/"applying" -> per-learner PSS totals
    parts = defaultdict(int)      # kind -> peak PSS of one process
    whole = []                    # every learner's processes summed, per tick
    done = threading.Event()

    def watch():
        while not done.is_set():
            total = 0
            for i in processes:
                sizes = defaultdict(int)
                for pid in tree(processes[i].pid) + tree(sandboxes[i]):
                    found = pss(pid)
                    if found:
                        kind, size = found
                        sizes[kind] += size
                        parts[kind] = max(parts[kind], size)
                learner_total = sum(sizes.values())
                samples["applying" if sizes["terraform"] else "idle"].append(learner_total)
                total += learner_total
            whole.append(total)
            time.sleep(1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    for process in processes.values():
        process.stdin.write("go\n")
        process.stdin.flush()
    applies, failed = [], 0
    for process in processes.values():
        for line in process.stdout:
            if not line.startswith("BENCH "):
                continue
            row = json.loads(line[len("BENCH "):])
            applies.append(row["seconds"])
            failed += not row["ok"]
        process.wait()
    done.set()
    watcher.join()
    for i in processes:
        subprocess.run([sys.executable, "-m", "iamlab", "sandbox", "stop"], env=env[i], capture_output=True)
    mib = lambda b: round(b / 2**20, 1)  # noqa: E731
    ordered = sorted(applies)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)] if ordered else None
    return {
        "learners": learners, "applies": len(applies), "failed": failed, "setup_s": round(setup, 1),
        "apply_s": {"median": statistics.median(applies) if applies else None, "p95": p95, "max": max(applies, default=None)},
        "pss_per_learner_mib": {state: {"median": mib(statistics.median(values)), "max": mib(max(values))}
                                for state, values in samples.items() if values},
        "peak_pss_of_one_process_mib": {kind: mib(size) for kind, size in parts.items()},
        "peak_pss_all_learners_mib": mib(max(whole, default=0)),
        "load_average_after": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", default="5,10,20", help="class sizes, comma separated")
    parser.add_argument("--minutes", type=int, default=3, help="applies per learner (one a minute)")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="iamlab-bench-applies-"))
    results = []
    for size in (int(n) for n in args.learners.split(",")):
        result = run_class(size, args.minutes, base)
        print(json.dumps(result), flush=True)
        results.append(result)
    report = {"cores": os.cpu_count(), "load_average_before": os.getloadavg()[0], "minutes": args.minutes,
              "classes": results}
    (ROOT / "benchmarks" / "results" / "classroom_applies.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
