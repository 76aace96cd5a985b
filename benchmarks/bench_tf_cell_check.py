"""How long the %%tf cell's static reference check takes (the part that answers before Terraform starts).

    python benchmarks/bench_tf_cell_check.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from iamlab.course.checks import EXERCISES
from iamlab.terraform import refcheck

ROOT = Path(__file__).resolve().parents[1]


def main(rounds: int = 20) -> None:
    files = {p.name: p.read_text() for p in (ROOT / "tf").glob("*.tf")}
    files["custom_policy.tf"] = EXERCISES["04-scope"].reference.files["custom_policy.tf"]
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        refcheck.check_files({"custom_policy.tf": files["custom_policy.tf"]},
                             {k: v for k, v in files.items() if k != "custom_policy.tf"})
        seconds.append(time.perf_counter() - started)
    print(f"refcheck on the course's files + custom_policy.tf: median {statistics.median(seconds) * 1000:.0f} ms, "
          f"max {max(seconds) * 1000:.0f} ms over {rounds} rounds")


if __name__ == "__main__":
    main()
