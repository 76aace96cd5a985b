"""Test session setup shared by tests/ and the nbval run over notebooks/.

The whole run gets its own course home (sandbox + working copy) under
test-artifacts/, so the tests never touch the learner's own workspace, and
every sandbox the run started is stopped at the end. The nbval run's bounds (a kernel's
start, a cell, the wait for a cell's output) come from tests/waits.py like every other wait.
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
    _nbval_bounds(config)


def _nbval_bounds(config):
    """nbval's own defaults are a 60 s kernel start and 5 s for each output message: a busy
    machine misses both. Options given on the command line win."""
    from tests import waits

    given = " ".join(str(arg) for arg in config.invocation_params.args)
    for option, seconds in (("nbval_cell_timeout", waits.CELL), ("nbval_kernel_startup_timeout", waits.KERNEL_START)):
        if hasattr(config.option, option) and "--" + option.replace("_", "-") not in given:
            setattr(config.option, option, waits.bound(seconds))


def pytest_collection_modifyitems(config, items):
    from tests import waits

    for item in items:
        if type(item).__module__.startswith("nbval") and hasattr(item, "output_timeout"):
            item.output_timeout = waits.bound(waits.IOPUB_MESSAGE)


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
