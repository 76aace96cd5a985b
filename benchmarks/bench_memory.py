"""Figures for issue 11: the whole course's time and memory per part, warm provider off and on.

    python benchmarks/bench_memory.py [--settings off,on]

For each setting of IAMLAB_WARM_PROVIDER, in one invocation and one after the other:
a fresh course home, an idle JupyterLab server beside it (as a learner has), then the
whole course (``iamlab.runall``: notebooks 00-08, each in its own kernel). Every 0.5 s
the PSS of each part is sampled (benchmarks/pss.py: shared pages split, so parts add up).
Reported per setting: wall time, the sandbox at rest before the course, each part's peak,
the peak of all parts together, and the peak of "ours" (sandbox + kernel + JupyterLab
server, sampled together). Writes benchmarks/results/memory.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from pss import descendants, parts  # noqa: E402

OURS = ("sandbox", "kernel", "JupyterLab server")


class Sampler(threading.Thread):
    def __init__(self, interval: float = 0.5):
        super().__init__(daemon=True)
        self.interval, self.samples, self.stopping = interval, [], threading.Event()

    def run(self):
        me = os.getpid()
        while not self.stopping.wait(self.interval):
            sample = parts(descendants(me) | {me})
            sample["t"] = time.time()
            self.samples.append(sample)

    def summary(self) -> dict:
        names = sorted({k for s in self.samples for k in s if k != "t"})
        peak = {name: round(max(s.get(name, 0) for s in self.samples), 1) for name in names}
        total = max(sum(v for k, v in s.items() if k != "t") for s in self.samples)
        ours = max(sum(s.get(k, 0) for k in OURS) for s in self.samples)
        return {"peak_mib": peak, "peak_all_parts_mib": round(total, 1), "peak_ours_mib": round(ours, 1),
                "samples": len(self.samples)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_course(setting: str) -> dict:
    home = Path(tempfile.mkdtemp(prefix=f"iamlab-bench-memory-{setting}-"))
    os.environ["IAMLAB_HOME"] = str(home)
    os.environ["IAMLAB_WARM_PROVIDER"] = setting
    from iamlab import runall, sandbox
    from iamlab.terraform import warm_provider

    lab_server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={free_port()}", "--ServerApp.token=",
         "--ServerApp.password=", f"--ServerApp.root_dir={ROOT}", *(["--allow-root"] if os.geteuid() == 0 else [])],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    sampler = Sampler()
    try:
        info = sandbox.start()
        time.sleep(5)  # let the server and the sandbox settle
        if lab_server.poll() is not None:
            raise SystemExit(f"JupyterLab's server exited ({lab_server.returncode}): its memory would be missing")
        at_rest = parts({info.pid}).get("sandbox", 0)
        sampler.start()
        started = time.perf_counter()
        results = runall.run_all(fresh=True)
        wall = time.perf_counter() - started
        after = parts({info.pid}).get("sandbox", 0)
    finally:
        sampler.stopping.set()
        sampler.join()
        warm_provider.stop()
        sandbox.stop()
        lab_server.terminate()
        lab_server.wait(30)
        shutil.rmtree(home, ignore_errors=True)
    return {"warm_provider": setting, "wall_s": round(wall, 1), "notebooks_ok": all(r.ok for r in results),
            "failed": [r.name for r in results if not r.ok],
            "sandbox_at_rest_mib": round(at_rest, 1), "sandbox_after_course_mib": round(after, 1), **sampler.summary()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--settings", default="off,on")
    args = parser.parse_args()
    runs = []
    for setting in args.settings.split(","):
        runs.append(one_course(setting))
        print(json.dumps(runs[-1], indent=2), flush=True)
    report = {"machine": f"{os.cpu_count()} cores shared with other work (noisy); PSS sampled every 0.5 s", "runs": runs}
    if len(runs) == 2 and runs[0]["wall_s"]:
        report["course_ratio_second_over_first"] = round(runs[1]["wall_s"] / runs[0]["wall_s"], 3)
    (ROOT / "benchmarks" / "results" / "memory.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
