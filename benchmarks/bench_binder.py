"""Figures for Binder: which image build steps dominate launch time.

    python benchmarks/bench_binder.py

A Binder launch of an already-built image is fast; the build is what learners wait for
after each new commit. This measures the build steps that can run here: installing
binder/requirements.txt into a fresh virtual environment (download sizes from pip's
cache-free install), the size of Terraform and of the AWS provider postBuild mirrors,
and unpacking them. Writes benchmarks/results/binder.json.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def size_mib(path: Path) -> float:
    if path.is_file():
        return round(path.stat().st_size / 2**20, 1)
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="iamlab-bench-binder-"))
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True)
    venv_s = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run([str(work / "venv" / "bin" / "pip"), "install", "--quiet", "--no-cache-dir", "-r",
                    str(ROOT / "binder" / "requirements.txt")], check=True)
    pip_s = time.perf_counter() - started
    from iamlab.terraform.cliconfig import find_provider_source

    source = find_provider_source()
    provider = next(source.path.rglob("terraform-provider-aws_*")) if source.path else None
    terraform = Path(shutil.which("terraform"))
    started = time.perf_counter()
    if provider:
        shutil.copy(provider, work / "provider-copy")  # what unpacking the mirror writes
    copy_s = time.perf_counter() - started
    report = {
        "venv_create_s": round(venv_s, 1),
        "pip_install_binder_requirements_s": round(pip_s, 1),
        "python_environment_mib": size_mib(work / "venv"),
        "terraform_binary_mib": size_mib(terraform),
        "aws_provider_binary_mib": size_mib(provider) if provider else None,
        "write_provider_once_s": round(copy_s, 1),
    }
    shutil.rmtree(work)
    (ROOT / "benchmarks" / "results" / "binder.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
