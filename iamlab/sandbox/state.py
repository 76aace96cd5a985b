"""The small file through which clients find the running sandbox again.

The server writes it once it listens; clients read it, then confirm with a health
request, because a file can outlive its process (a crash, a reboot, a killed kernel).
"""

from __future__ import annotations

import json
import os
from pathlib import Path


class StateFile:
    def __init__(self, home: Path):
        self.path = Path(home) / "state.json"

    def read(self) -> dict | None:
        try:
            return json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            return None

    def write(self, **fields) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(fields, indent=2))
        os.chmod(tmp, 0o600)
        tmp.replace(self.path)  # atomic: a reader never sees half a file

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)

    def remove_if_mine(self, pid: int) -> None:
        current = self.read()
        if current and current.get("pid") == pid:
            self.remove()
