"""Figure for issue 16's editor: how many of AWS's managed policies (moto's corpus) go through
the policy editor unchanged (import, model, custom_policy.tf, read back: the same document and
the same decisions of iamlab's engine), how many it refuses, and how long each takes.

    PYTHONPATH=$PWD python benchmarks/bench_editor_corpus.py [--limit N]

Writes benchmarks/results/editor_corpus.json. Any policy "not the same" is a bug: it is listed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=0, help="only the first N policies (0: all)")
    args = parser.parse_args()
    from tests.editor_corpus import NotTheSame, managed_policies, through_the_editor

    corpus = managed_policies()
    names = sorted(corpus)[: args.limit or None]
    outcomes, seconds, wrong = Counter(), [], {}
    started = time.perf_counter()
    for name in names:
        begin = time.perf_counter()
        try:
            outcomes[through_the_editor(corpus[name])] += 1
        except NotTheSame as error:
            outcomes["not the same"] += 1
            wrong[name] = str(error)
        seconds.append(time.perf_counter() - begin)
    total = time.perf_counter() - started
    slowest = sorted(zip(seconds, names), reverse=True)[:5]
    result = {
        "policies": len(names), "kept": outcomes["kept"], "refused": outcomes["refused"],
        "not_the_same": outcomes["not the same"], "wrong": wrong,
        "seconds_total": round(total, 1), "seconds_median": round(statistics.median(seconds), 4),
        "seconds_p95": round(sorted(seconds)[int(0.95 * (len(seconds) - 1))], 4),
        "slowest": [{"policy": name, "seconds": round(s, 3), "characters": len(json.dumps(corpus[name]))}
                    for s, name in slowest],
    }
    out = ROOT / "benchmarks" / "results" / "editor_corpus.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{result['policies']} AWS managed policies: {result['kept']} kept, {result['refused']} refused, "
          f"{result['not_the_same']} not the same; {result['seconds_total']} s in all, "
          f"median {result['seconds_median']} s, p95 {result['seconds_p95']} s per policy. Written to {out.relative_to(ROOT)}.")


if __name__ == "__main__":
    main()
