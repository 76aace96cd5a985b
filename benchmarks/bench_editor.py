"""Figure for the widgets issue: from clicking Apply to the matrix updated.

    python benchmarks/bench_editor.py [--rounds 4]

In a fresh course home at the playground's start, the editor alternates the policy
between "flask_app only" and "every repository", clicks Apply (headless), and waits
for the runner. The runner times Terraform itself, the work before it (checks and
writing the policy file) and after it (the access matrix and the diagram).
Writes benchmarks/results/editor.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    os.environ["IAMLAB_HOME"] = tempfile.mkdtemp(prefix="iamlab-bench-editor-")
    import iamlab
    from iamlab import sandbox

    lab = iamlab.start()
    try:
        lab.goto("playground")
        editor = iamlab.policy_editor()
        editor.refresh_views()
        rounds = []
        for i in range(args.rounds):
            statement = editor.statement_editors[-1]
            if i % 2 == 0:
                statement.resources.value = ["repository:flask_app"]
                statement._changed()
                if statement.split.layout.display is None:
                    statement.split.click()
            else:
                statement.resources.value = ["*"]
                statement._changed()
            editor.runner.apply_button.click()
            editor.runner.wait()
            assert editor.runner.last_error is None, editor.runner.last_error
            rounds.append(dict(editor.runner.timings))
    finally:
        sandbox.stop()
    median = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    rest = median["total"] - median["terraform"]
    report = {"rounds": rounds, "median_s": {k: round(v, 3) for k, v in median.items()},
              "rest_s": round(rest, 3), "rest_share": round(rest / median["total"], 3)}
    (ROOT / "benchmarks" / "results" / "editor.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
