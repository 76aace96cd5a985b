"""The editor's output: the learner's custom policy as a file Terraform reads.

The policy editor never rewrites the learner's ``.tf`` files. It writes one file of
its own, ``iamlab_policy.tf.json`` (Terraform's JSON syntax), next to them. Delete
it, and the configuration is exactly the learner's again.
"""

from __future__ import annotations

import json
from pathlib import Path

FILE_NAME = "iamlab_policy.tf.json"


def path(directory: Path) -> Path:
    return Path(directory) / FILE_NAME


def write(directory: Path, config: dict) -> Path:
    target = path(directory)
    text = json.dumps(config, indent=2) + "\n"
    if not target.exists() or target.read_text() != text:
        target.write_text(text)
    return target


def read(directory: Path) -> dict | None:
    try:
        return json.loads(path(directory).read_text())
    except (FileNotFoundError, ValueError):
        return None


def remove(directory: Path) -> None:
    path(directory).unlink(missing_ok=True)


STATE_NAME = ".iamlab_policy_editor.json"


def save_editor_state(directory: Path, state: dict) -> None:
    """What the editor shows (repositories by name, not ARN), to reopen it as it was."""
    (Path(directory) / STATE_NAME).write_text(json.dumps(state, indent=2) + "\n")


def load_editor_state(directory: Path) -> dict | None:
    try:
        return json.loads((Path(directory) / STATE_NAME).read_text())
    except (FileNotFoundError, ValueError):
        return None
