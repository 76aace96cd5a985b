"""Each learner's course records its check results for the instructor, and nothing more.

On a hub, the instructor's service (service.py) reads a *spool* folder, ``$IAMLAB_CLASS_SPOOL``,
made once by the admin (``python -m iamlab.classroom.service make-spool``):

    owner root, group = the service's group, mode 3753 (setgid, sticky, rwxr-x-wx)

A learner (in "others") may create a file there but not list the folder; the file is 0640 and,
by the setgid bit, belongs to the service's group, so the service reads it and no other learner
can. The sticky bit stops anyone from removing or renaming a file that is not theirs. The service
attributes a file to its *owner's* Unix account, never to its name, so a file planted under
another learner's name only ever speaks for whoever planted it.

What is recorded: the exercise, its lesson, passed or not, how many items failed, and the
names of the classic mistakes recognised. Never the learner's answer or their files.
Without ``$IAMLAB_CLASS_SPOOL`` (a learner alone, Binder) nothing is written anywhere.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

SPOOL_SETTING = "IAMLAB_CLASS_SPOOL"
MAX_RECORD = 4096  # bytes per line: the service reads no more


def spool() -> Path | None:
    configured = os.environ.get(SPOOL_SETTING)
    return Path(configured) if configured else None


def entry(result) -> dict:
    """A check result (course/checks.py CheckResult) as the instructor may see it."""
    name = result.name
    return {
        "time": round(time.time(), 6),  # to the microsecond: the order of two checks made in one second is kept
        "lesson": name.split("-", 1)[0] if name[:2].isdigit() else "",
        "exercise": name,
        "passed": bool(result.passed),
        "failed_items": sum(1 for ok, _text in result.items if not ok),
        "mistakes": sorted({slip.id for slip in result.slips}),
    }


def _open_own(folder: Path) -> int:
    """This user's file in the spool, opened for appending: ``<uid>.jsonl`` if it is ours,
    else (someone planted that name) a fresh file of our own with a random name."""
    path = folder / f"{os.getuid()}.jsonl"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o640)
        if os.fstat(fd).st_uid == os.getuid():
            os.fchmod(fd, 0o640)
            return fd
        os.close(fd)
    except OSError:
        pass
    fd, _name = tempfile.mkstemp(prefix=f"{os.getuid()}-", suffix=".jsonl", dir=folder)
    os.fchmod(fd, 0o640)
    return fd


def check_result(result) -> bool:
    """Record one check result in the class spool; True if written. Never raises: the
    learner's check must not fail because the instructor's view cannot be reached."""
    folder = spool()
    if folder is None:
        return False
    line = (json.dumps(entry(result), sort_keys=True) + "\n").encode()[:MAX_RECORD]
    try:
        fd = _open_own(folder)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError:
        return False
    return True
