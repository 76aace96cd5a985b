"""One process at a time: an exclusive lock on a file, held for a ``with`` block.

Terraform's plugin cache and the warm provider's start are shared between a notebook,
a widget's thread and the learner's terminal; each takes its turn here. A turn that has
to wait says so (through ``say``), and a wait has a bound: a lock held for longer belongs
to a command that is stuck, and the learner hears which file and what to do, not silence."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from pathlib import Path
from typing import Callable

DEFAULT_WAIT_SECONDS = 300.0
POLL_SECONDS = 0.2


class LockError(RuntimeError):
    """A lock could not be taken: held too long by another process, or not ours to open."""


def _quiet(_line: str) -> None:
    """The default ``say``: nobody to tell."""


def _holders(path: Path) -> str:
    """The processes holding ``path`` open, as far as /proc lets us see (our own processes)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) == str(path):
                    found.append(entry.name)
                    break
        except OSError:
            continue
    return ", ".join(f"pid {pid}" for pid in found if int(pid) != os.getpid())


def _open(path: Path, what: str):
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise LockError(
            f"The course cannot open the lock for {what}, {path}: {error.strerror or error}. "
            f"The file belongs to another user (or its folder is not writable); a lock is only ever "
            f"shared by your own processes.\nNext step: check who owns {path.parent} (`ls -ld {path.parent}`); "
            "if it is a folder shared with other users, give yourself one of your own (see IAMLAB_HOME, "
            "IAMLAB_PLUGIN_CACHE in the README).") from None


@contextlib.contextmanager
def exclusive(path: Path, what: str = "this step", wait: float = DEFAULT_WAIT_SECONDS,
              say: Callable[[str], None] = _quiet):
    """Hold ``path``'s lock for the block. If another process holds it, ``say`` a line once,
    wait up to ``wait`` seconds, then raise ``LockError`` with what to do."""
    path = Path(path)
    fd = _open(path, what)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            holders = _holders(path)
            say(f"Waiting for {what}: another command of yours holds it ({holders or 'another process'}; "
                f"lock {path}). Waiting up to {wait:.0f} s.\n")
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as again:
                    if again.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                if time.monotonic() >= deadline:
                    raise LockError(
                        f"Gave up waiting for {what} after {wait:.0f} s: another command still holds "
                        f"{path} ({_holders(path) or 'a process of yours'}). It may be stuck.\n"
                        "Next step: let it finish, or stop it (interrupt its notebook's kernel, or end "
                        "that process), then run your command again.") from None
                time.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
