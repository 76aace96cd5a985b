"""Test session setup shared by tests/ and the nbval run over notebooks/.

The whole run gets its own course home (sandbox + working copy) under
test-artifacts/, so the tests never touch the learner's own workspace, and
every sandbox the run started is stopped at the end.
"""

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent
ARTIFACTS = ROOT / "test-artifacts"


def pytest_configure(config):
    if not os.environ.get("IAMLAB_TEST_KEEP_HOME"):
        home = ARTIFACTS / "home"
        if home.exists():
            _stop_sandbox(home)
            shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True, exist_ok=True)
        os.environ["IAMLAB_HOME"] = str(home)


def pytest_unconfigure(config):
    home = os.environ.get("IAMLAB_HOME")
    if home and Path(home).is_relative_to(ARTIFACTS):
        _stop_sandbox(Path(home))


def _stop_sandbox(home: Path) -> None:
    previous = os.environ.get("IAMLAB_HOME")
    os.environ["IAMLAB_HOME"] = str(home)
    try:
        from iamlab import sandbox

        sandbox.stop()
    finally:
        if previous is not None:
            os.environ["IAMLAB_HOME"] = previous
