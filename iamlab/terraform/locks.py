"""One process at a time: an exclusive lock on a file, held for a ``with`` block.

Terraform's plugin cache and the warm provider's start are shared between a notebook,
a widget's thread and (in a classroom) other learners; each takes its turn here."""

from __future__ import annotations

import contextlib
import fcntl
from pathlib import Path


@contextlib.contextmanager
def exclusive(path: Path):
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
