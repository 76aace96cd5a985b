"""Figures for issue 18: the course as Binder runs it, imitated, with its peak memory.

    sudo python benchmarks/bench_binder_memory.py

Docker is not reachable here, so a build is imitated rather than run: a non-root user
(``iamlab-jovyan``) with the repository (``git archive HEAD``) in their home, the warm provider
off and ``JUPYTERHUB_USER`` set (as on Binder); as that user, benchmarks/bench_memory.py runs the
whole course (run-all, each notebook in its own kernel, beside an idle JupyterLab server) and
samples the PSS of every part. Writes benchmarks/results/binder_memory.json.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.unix_users import make_learner, run_python  # noqa: E402


def main() -> None:
    user = make_learner("iamlab-jovyan")
    repo = user.home / "repo"
    shutil.rmtree(repo, ignore_errors=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "--prefix=repo/", "HEAD"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-xf", "-", "-C", str(user.home)], input=archive, check=True)
    subprocess.run(["chown", "-R", f"{user.uid}:{user.gid}", str(user.home)], check=True)
    env = user.env(PYTHONPATH=str(repo), IAMLAB_WARM_PROVIDER="off", JUPYTERHUB_USER="jovyan")
    done = run_python(user, [str(repo / "benchmarks" / "bench_memory.py"), "--settings", "off"], env=env, cwd=repo,
                      timeout=3600)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    report = json.loads((repo / "benchmarks" / "results" / "memory.json").read_text())
    report = {"imitation": "non-root user, repository in the home, warm provider off, JUPYTERHUB_USER set",
              "machine": report.get("machine"), **report["runs"][0]}
    (ROOT / "benchmarks" / "results" / "binder_memory.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
