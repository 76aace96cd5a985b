"""The account's version: it moves whenever something may have changed the account.

The course reads it to know, without running Terraform, that nothing changed since an
apply (``terraform/settled.py``): then another apply would find nothing to do.

What moves it: an AWS API call that the IAM catalogue does not list as Read or List (unless
the sandbox refused it or moto answered with a client error, which change nothing), any
write to the registry, moto's management API, and a reset (a new generation). Reads never
move it. When unsure it moves: a version that moves too often costs an apply; one that stood
still while the account changed would hide drift from Terraform.

Not told apart: a change made by someone else *while* an apply runs is counted with the
apply's own changes.
"""

from __future__ import annotations

import secrets
import threading

from ..policy import catalogue

READ_ONLY_LEVELS = ("Read", "List")


def read_only(action: str) -> bool:
    """Does the catalogue list ``service:Action`` as Read or List? Unknown actions: no."""
    info = catalogue.lookup(action) if action else None
    return info is not None and info.access_level in READ_ONLY_LEVELS


class AccountVersion:
    def __init__(self):
        self._lock = threading.Lock()
        self.generation, self.count = secrets.token_hex(6), 0

    def changed(self) -> None:
        with self._lock:
            self.count += 1

    def after_call(self, action: str, status: int, refused: bool) -> None:
        """An AWS API call has been answered."""
        if refused or 400 <= status < 500 or read_only(action):
            return
        self.changed()

    def renew(self) -> None:
        """A new account (a reset): nothing recorded against the old one holds."""
        with self._lock:
            self.generation, self.count = secrets.token_hex(6), 0

    def __str__(self) -> str:
        with self._lock:
            return f"{self.generation}-{self.count}"
