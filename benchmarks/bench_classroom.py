"""Figures for the classroom issue: memory and CPU per learner, several learners at once.

    python benchmarks/bench_classroom.py [--learners 3]

Each learner gets their own course home and sandbox, and runs notebooks 01-05 in order (each
in its own kernel, as in class) at the same time as the others. Every 0.5 s the script reads
/proc for each learner's process tree: the sandbox, the notebook kernel, and Terraform with
its AWS provider (alive only while a command runs). Writes benchmarks/results/classroom.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
RUNNER = """
import sys
from pathlib import Path
from iamlab import runall
for name in sys.argv[1:]:
    run = runall.run_notebook(Path("notebooks") / f"{name}.ipynb")
    print(name, run.ok, round(run.seconds, 1), run.error, flush=True)
"""


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children(current)
    return found


def sample(pid: int) -> tuple[str, int, float] | None:
    """(kind, rss bytes, cpu seconds) of one process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICK
    rss = int(fields[21]) * PAGE
    kind = ("sandbox" if "iamlab.sandbox.server" in cmdline else "kernel" if "ipykernel" in cmdline
            else "terraform" if "terraform" in cmdline else "runner")
    return kind, rss, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=3)
    parser.add_argument("--notebooks", default="01-roles-and-instance-profiles,02-the-managed-policy,03-a-custom-policy,"
                                               "04-least-privilege,05-verify-from-the-instance")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="iamlab-bench-classroom-"))
    cache = base / "shared-plugin-cache"
    learners = {}
    for i in range(args.learners):
        home = base / f"learner{i}"
        env = dict(os.environ, IAMLAB_HOME=str(home), IAMLAB_PLUGIN_CACHE=str(cache))
        subprocess.run([sys.executable, "-m", "iamlab", "sandbox", "start"], env=env, check=True, capture_output=True)
        sandbox_pid = json.loads((home / ".sandbox" / "state.json").read_text())["pid"]
        learners[i] = {"env": env, "sandbox": sandbox_pid}
    peak = defaultdict(lambda: defaultdict(int))      # learner -> kind -> peak rss
    peak_total = defaultdict(int)                     # learner -> peak of the sum
    cpu = defaultdict(dict)                           # learner -> pid -> (kind, last cpu)
    started = time.perf_counter()
    for i, learner in learners.items():
        learner["process"] = subprocess.Popen([sys.executable, "-c", RUNNER, *args.notebooks.split(",")], cwd=ROOT,
                                              env=learner["env"], stdout=subprocess.PIPE, text=True)
    done = threading.Event()

    def watch():
        while not done.is_set():
            for i, learner in learners.items():
                total = 0
                for pid in tree(learner["process"].pid) + tree(learner["sandbox"]):
                    found = sample(pid)
                    if not found:
                        continue
                    kind, rss, seconds = found
                    peak[i][kind] = max(peak[i][kind], rss)
                    cpu[i][pid] = (kind, seconds)
                    total += rss
                peak_total[i] = max(peak_total[i], total)
            time.sleep(0.5)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    outputs = {i: learner["process"].communicate()[0] for i, learner in learners.items()}
    wall = time.perf_counter() - started
    done.set()
    watcher.join()
    for learner in learners.values():
        subprocess.run([sys.executable, "-m", "iamlab", "sandbox", "stop"], env=learner["env"], capture_output=True)
    mib = lambda b: round(b / 2**20)  # noqa: E731
    per_learner = []
    for i in learners:
        by_kind = defaultdict(float)
        for kind, seconds in cpu[i].values():
            by_kind[kind] += seconds
        per_learner.append({
            "peak_rss_mib": {kind: mib(value) for kind, value in peak[i].items()},
            "peak_total_rss_mib": mib(peak_total[i]),
            "cpu_seconds": {kind: round(value, 1) for kind, value in by_kind.items()},
            "notebooks": outputs[i].strip().splitlines(),
        })
    report = {"learners": args.learners, "cores": os.cpu_count(), "wall_s": round(wall, 1), "per_learner": per_learner}
    (ROOT / "benchmarks" / "results" / "classroom.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
