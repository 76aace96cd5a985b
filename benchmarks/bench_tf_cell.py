"""How long a %%tf cell takes to answer: the static reference check, and the whole cell with
terraform validate through the warm provider (a fresh course home, the sandbox started first).

    python benchmarks/bench_tf_cell.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


def main(rounds: int) -> None:
    os.environ["IAMLAB_HOME"] = tempfile.mkdtemp(prefix="iamlab-bench-")
    from iamlab import sandbox
    from iamlab.course import magic
    from iamlab.course.checks import EXERCISES
    from iamlab.terraform import refcheck, workspace

    directory = workspace.ensure()
    sandbox.start()
    text = EXERCISES["04-scope"].reference.files["custom_policy.tf"]
    broken = text.replace("data.aws_ecr_repository.pull.arn", '"data.aws_ecr_repository.pull.arn"')
    try:
        magic.write_cell("custom_policy.tf", text)  # first: terraform init, the warm provider starts
        timings = {"static check": [], "refused cell (quoted reference)": [], "whole cell, validate (warm)": []}
        for _ in range(rounds):
            started = time.perf_counter()
            refcheck.check_directory(Path(directory))
            timings["static check"].append(time.perf_counter() - started)
            started = time.perf_counter()
            assert magic.write_cell("custom_policy.tf", broken).valid is False
            timings["refused cell (quoted reference)"].append(time.perf_counter() - started)
            started = time.perf_counter()
            assert magic.write_cell("custom_policy.tf", text).valid is True
            timings["whole cell, validate (warm)"].append(time.perf_counter() - started)
        for name, values in timings.items():
            print(f"{name}: median {statistics.median(values):.2f} s, max {max(values):.2f} s over {rounds} rounds")
    finally:
        sandbox.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    main(parser.parse_args().rounds)
