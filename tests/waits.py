"""How long the tests wait, in one place: every wait is for a condition, bounded by the work it
waits on (a kernel start, a notebook's run), never a fixed short sleep a busy machine misses.

The bounds are generous on purpose: a passing test never waits for them, it goes on the moment
its condition holds; only a failing one spends the whole bound. On a slow or crowded machine,
multiply them all with ``IAMLAB_TEST_PATIENCE`` (e.g. ``IAMLAB_TEST_PATIENCE=3``).
``scripts/test-under-load.sh`` runs the suite with every core busy to check they suffice.
"""

from __future__ import annotations

import os
import time
from typing import Callable, TypeVar

T = TypeVar("T")

PATIENCE_SETTING = "IAMLAB_TEST_PATIENCE"


def patience() -> float:
    """The factor every bound is multiplied by (1 unless ``IAMLAB_TEST_PATIENCE`` says more)."""
    value = os.environ.get(PATIENCE_SETTING, "1")
    try:
        factor = float(value)
    except ValueError:
        raise ValueError(f"{PATIENCE_SETTING}={value!r}: give a number, e.g. 2 to wait twice as long") from None
    if factor <= 0:
        raise ValueError(f"{PATIENCE_SETTING}={value!r}: give a number above 0")
    return factor


def bound(seconds: float) -> float:
    """A bound in seconds, scaled by the patience setting."""
    return seconds * patience()


# The work waited on, in seconds before scaling. A quiet machine needs a tenth of each or less.
PROCESS_EXIT = 60        # a killed or stopped process is gone, a stand-in notices a death
REQUEST = 60             # one HTTP request to a server on loopback (the sandbox, JupyterLab)
SERVER_START = 240       # JupyterLab answers /api/status (it imports its extensions first)
SANDBOX_START = 180      # a sandbox is started and answers (moto imports first)
KERNEL_START = 240       # a kernel is started and idle (ipykernel imports the course's package)
PAGE = 120               # a page or panel of JupyterLab is rendered in the browser
CELL_STARTS = 120        # a cell shows it was queued or run after Run All Cells
WIDGET_ANSWER = 120      # the kernel has answered a widget event (a click, a selection)
COMMAND = 600            # a command-line program (skopeo, aws, python -m iamlab ...) finishes
CELL = 900               # one notebook cell finishes (it may run terraform apply)
NOTEBOOK_RUN = 900       # a notebook's whole Run All in the browser (sandbox start, apply, checks)
IOPUB_MESSAGE = 60       # nbval: the kernel's next output message after a cell's reply (nbval has 5)


class WaitTimedOut(AssertionError):
    """A condition did not hold within its bound: says what was awaited and what was seen last."""


def wait_until(condition: Callable[[], T], what: str, seconds: float, *, interval: float = 0.1,
               seen: Callable[[], object] | None = None) -> T:
    """Call ``condition`` until it returns something true, and return that; after ``bound(seconds)``
    raise WaitTimedOut naming ``what`` and, if given, what ``seen()`` shows then."""
    limit = bound(seconds)
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            shown = ""
            if seen is not None:
                try:
                    shown = f"; last seen: {seen()!r}"
                except Exception as error:  # noqa: BLE001 - the report must not hide the timeout
                    shown = f"; could not tell what was there ({error!r})"
            raise WaitTimedOut(f"waited {limit:.0f} s for {what}{shown} "
                               f"(bounds scale with {PATIENCE_SETTING}, now {patience():g})")
        time.sleep(interval)


if __name__ == "__main__":  # for shell scripts: `python3 -m tests.waits CELL` prints the scaled bound
    import sys

    print(f"{bound(globals()[sys.argv[1]]):.0f}")
