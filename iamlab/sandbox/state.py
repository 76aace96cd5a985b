"""The small file through which clients find the running sandbox again.

The server writes it once it listens; clients read it, then confirm with a health
request, because a file can outlive its process (a crash, a reboot, a killed kernel).
"""

from __future__ import annotations

import json
import os
from pathlib import Path


class StateFileUnusable(RuntimeError):
    """Something that is not a file sits where the state file belongs; the message says what to do.
    The sandbox never deletes it (it may hold the learner's work)."""

    def __init__(self, path: Path):
        kind = "a directory" if path.is_dir() else "not a regular file"
        super().__init__(f"{path} is {kind}, so the sandbox cannot record or find itself there.\n"
                         f"Next step: move it out of the way (`mv {path} {path}.saved`), then run "
                         "`python -m iamlab sandbox start` again.")


class StateFile:
    def __init__(self, home: Path):
        self.path = Path(home) / "state.json"

    def check(self) -> None:
        """Raise ``StateFileUnusable`` when the path holds anything but a regular file (or nothing)."""
        if self.path.is_symlink() or (self.path.exists() and not self.path.is_file()):
            raise StateFileUnusable(self.path)

    def read(self) -> dict | None:
        self.check()
        try:
            return json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            return None

    def write(self, **fields) -> None:
        self.check()
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(fields, indent=2))
        os.chmod(tmp, 0o600)
        tmp.replace(self.path)  # atomic: a reader never sees half a file

    def remove(self) -> None:
        self.check()
        self.path.unlink(missing_ok=True)

    def remove_if_mine(self, pid: int) -> None:
        current = self.read()
        if current and current.get("pid") == pid:
            self.remove()
