"""An apply that would change nothing, known without running Terraform.

After a successful apply in the sandbox, the driver notes what Terraform worked from: every
file of the working copy that Terraform reads, the state it wrote, and the account's version
(``sandbox/changes.py``: it moves whenever something may have changed the account). While
all three are as noted, another apply would refresh, compare and find nothing to do, so
``goto`` can say so instead of spending an apply on it.

Only ``goto`` uses this; an apply the learner asks for always runs. Real AWS has no such
version, so there nothing is ever taken as settled.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

NOTE = Path(".terraform") / "iamlab-settled.json"
_READ_BY_TERRAFORM = ("*.tf", "*.tf.json", "*.tfvars", "*.tfvars.json", ".terraform.lock.hcl", "terraform.tfstate")


def fingerprint(directory: Path, env: dict[str, str]) -> str:
    """What Terraform would work from: its files (the state among them) and its TF_VAR_ variables."""
    digest = hashlib.sha256()
    files = sorted({p for pattern in _READ_BY_TERRAFORM for p in directory.glob(pattern) if p.is_file()})
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for name in sorted(k for k in env if k.startswith("TF_VAR_")):
        digest.update(f"{name}={env[name]}\0".encode())
    return digest.hexdigest()


def record(directory: Path, env: dict[str, str], account_version: str | None) -> None:
    """After a successful apply: note what it left (nothing, when the account's version is unknown)."""
    if not account_version:
        forget(directory)
        return
    note = directory / NOTE
    note.parent.mkdir(exist_ok=True)
    note.write_text(json.dumps({"fingerprint": fingerprint(directory, env), "account_version": account_version}))


def forget(directory: Path) -> None:
    """Before anything that may change the state or the account through Terraform."""
    (directory / NOTE).unlink(missing_ok=True)


def holds(directory: Path, env: dict[str, str], account_version: str | None) -> bool:
    """Are the files, the state and the account exactly as the last successful apply left them?"""
    if not account_version:
        return False
    try:
        noted = json.loads((directory / NOTE).read_text())
    except (OSError, ValueError):
        return False
    return (isinstance(noted, dict) and noted.get("account_version") == account_version
            and noted.get("fingerprint") == fingerprint(directory, env))
