"""Figure for issue 11: the Terraform loop with and without the warm provider, in one run.

    python benchmarks/bench_loop.py [--rounds 4]

In a fresh course home at the playground's start, with the sandbox timing every request
from its own side (benchmarks/timed_sandbox.py), each round measures, once with
IAMLAB_WARM_PROVIDER=off and once with =on (the order alternates round by round, so
load on a shared machine hits both alike):

* click Apply in the policy editor (the policy alternates) until the matrix is updated;
* a no-change ``apply``; a ``plan -refresh=false``; a ``validate``;

The warm provider is started once before the rounds (its start is not in the figures;
it is measured apart, as ``warm provider start``).

and, for each command, how many requests reached the sandbox and how long the sandbox
spent answering them. Writes benchmarks/results/loop.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start_timed_sandbox(home: Path, log: Path) -> subprocess.Popen:
    from iamlab import paths, sandbox

    process = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "timed_sandbox.py"),
                                "--home", str(paths.sandbox_dir()), "--log", str(log)],
                               stdout=open(home / "sandbox.out", "w"), stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if sandbox.status():
            return process
        time.sleep(0.1)
    raise SystemExit("the timed sandbox did not start: " + (home / "sandbox.out").read_text())


def sandbox_requests(log: Path, since: float, until: float) -> dict:
    records = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    window = [r for r in records if since <= r["t"] <= until]
    by_op: dict[str, list[float]] = {}
    for r in window:
        by_op.setdefault(f"{r['service']}:{r['op']}", []).append(r["s"])
    return {"requests": len(window), "sandbox_s": round(sum(r["s"] for r in window), 3),
            "by_operation": {k: {"n": len(v), "s": round(sum(v), 3)} for k, v in sorted(by_op.items())}}


def timed(label: str, log: Path, call) -> dict:
    wall_start, started = time.time(), time.perf_counter()
    call()
    seconds = time.perf_counter() - started
    return {"what": label, "seconds": round(seconds, 3), **sandbox_requests(log, wall_start, time.time())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="iamlab-bench-loop-"))
    os.environ["IAMLAB_HOME"] = str(home)
    log = home / "requests.jsonl"
    import iamlab
    from iamlab import sandbox
    from iamlab.terraform import warm_provider

    keeper = start_timed_sandbox(home, log)
    samples: list[dict] = []
    try:
        lab = iamlab.start()
        lab.goto("playground")
        editor = iamlab.policy_editor()
        editor.refresh_views()
        driver = lab.terraform.driver
        quiet = type(driver)(sink=lambda line: None, directory=driver.directory)
        clicks = 0
        os.environ["IAMLAB_WARM_PROVIDER"] = "on"
        first = timed("warm provider start (first plan)", log, quiet.plan)
        first.update(warm="on", round=-1, fallback=warm_provider.last_fallback)
        samples.append(first)
        # start the warm provider once, outside the figures (it then idles through "off" rounds)
        for round_number in range(args.rounds):
            order = ("off", "on") if round_number % 2 == 0 else ("on", "off")
            for setting in order:
                os.environ["IAMLAB_WARM_PROVIDER"] = setting

                def click():
                    nonlocal clicks
                    statement = editor.statement_editors[-1]
                    statement.resources.value = ["repository:flask_app"] if clicks % 2 == 0 else ["*"]
                    statement._changed()
                    clicks += 1
                    editor.runner.apply_button.click()
                    editor.runner.wait()
                    assert editor.runner.last_error is None, editor.runner.last_error

                for label, call in (
                    ("click Apply to matrix", click),
                    ("no-change apply", quiet.apply),
                    ("plan -refresh=false", lambda: quiet._run("plan", lambda tf: tf.plan(refresh=False), ok_codes=(0, 2))),
                    ("validate", lambda: quiet.validate()),
                ):
                    sample = timed(label, log, call)
                    sample.update(warm=setting, round=round_number, fallback=warm_provider.last_fallback)
                    samples.append(sample)
                    print(json.dumps({k: sample[k] for k in ("round", "warm", "what", "seconds", "requests", "sandbox_s")}), flush=True)
    finally:
        warm_provider.stop()
        sandbox.stop()
        try:
            keeper.wait(10)
        except subprocess.TimeoutExpired:  # the timed sandbox outlived its stop: end it, keep the figures
            keeper.kill()
            keeper.wait(10)
    report = {"rounds": args.rounds, "machine": f"{os.cpu_count()} cores (state the load with the figures)", "summary": {}, "samples": samples}
    for what in dict.fromkeys(s["what"] for s in samples if s["round"] >= 0):
        row = {}
        for setting in ("off", "on"):
            mine = [s for s in samples if s["what"] == what and s["warm"] == setting]
            row[setting] = {"median_s": round(statistics.median(s["seconds"] for s in mine), 2),
                            "median_requests": statistics.median(s["requests"] for s in mine),
                            "median_sandbox_s": round(statistics.median(s["sandbox_s"] for s in mine), 3)}
        row["ratio_on_over_off"] = round(row["on"]["median_s"] / row["off"]["median_s"], 3)
        report["summary"][what] = row
    out = ROOT / "benchmarks" / "results" / "loop.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report["summary"], indent=2))


if __name__ == "__main__":
    main()
