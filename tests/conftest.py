"""Fixtures for the course's tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from . import waits

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def course_home(tmp_path, monkeypatch):
    """A course home of the test's own: its own sandbox and working copy."""
    home = tmp_path / "home"
    monkeypatch.setenv("IAMLAB_HOME", str(home))
    monkeypatch.delenv("IAMLAB_SANDBOX_PORT", raising=False)
    yield home
    from iamlab import sandbox

    sandbox.stop()


@contextlib.contextmanager
def own_course_home(tmp_path_factory, name: str):
    """For a module's fixtures: a course home (and so a sandbox) of the module's own,
    stopped and forgotten afterwards."""
    from iamlab import sandbox

    previous = os.environ.get("IAMLAB_HOME")
    os.environ["IAMLAB_HOME"] = str(tmp_path_factory.mktemp(name))
    try:
        yield
    finally:
        sandbox.stop()
        os.environ["IAMLAB_HOME"] = previous


@pytest.fixture(scope="session")
def shared_sandbox():
    """The test run's sandbox (in the session's course home, see the root conftest)."""
    from iamlab import sandbox

    return sandbox.start()


def run_cli(*args: str, env: dict | None = None, check: bool = False) -> subprocess.CompletedProcess:
    """`python -m iamlab ...` as a learner would type it."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "iamlab", *args], capture_output=True, text=True,
                          env=full_env, cwd=ROOT, timeout=waits.bound(waits.COMMAND), check=check)


@pytest.fixture
def fake_mirror(tmp_path):
    """A filesystem mirror layout with an (empty) AWS provider for this platform."""
    from iamlab.terraform.cliconfig import AWS_PROVIDER, platform_dir

    mirror = tmp_path / "mirror"
    (mirror / AWS_PROVIDER / "5.99.0" / platform_dir()).mkdir(parents=True)
    return mirror


def have(program: str) -> bool:
    return shutil.which(program) is not None
