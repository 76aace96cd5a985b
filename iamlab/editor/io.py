"""Writing the edited policy into the working copy, and reading the editor's state back.

Shared by the editor widget and by notebook code, so both go through the same checks.
"""

from __future__ import annotations

from pathlib import Path

from ..terraform import config as tfconfig
from ..terraform import policy_file
from . import checks
from .model import PolicyModel, StatementModel, terraform_json


class PolicyNotWritten(ValueError):
    """The policy has errors (or clashes with the learner's files): nothing was written."""

    def __init__(self, message: str, findings=()):
        super().__init__(message)
        self.findings = list(findings)


def load(directory: Path, default: PolicyModel) -> PolicyModel:
    state = policy_file.load_editor_state(directory)
    if not state:
        return default
    return PolicyModel(name=state.get("name", default.name), description=state.get("description", default.description),
                       statements=[StatementModel(**s) for s in state["statements"]],
                       region=default.region, account=default.account)


def write(directory: Path, model: PolicyModel) -> Path:
    """Check the policy, then write ``iamlab_policy.tf.json``. Raises ``PolicyNotWritten``."""
    errors = checks.blocking(checks.check(model))
    if errors:
        raise PolicyNotWritten("Not written: fix the errors first.\n" + "\n".join(str(e) for e in errors), errors)
    declared = tfconfig.find(directory, f"aws_iam_policy.{model.name}")
    if declared is not None and declared.file.name != policy_file.FILE_NAME:
        raise PolicyNotWritten(
            f"Your {declared.file.name} already declares aws_iam_policy.{model.name}. Two declarations of one resource "
            "cannot both exist: either delete yours and let the editor write it, or give the editor's policy another name.")
    path = policy_file.write(directory, terraform_json(model))
    policy_file.save_editor_state(directory, {"name": model.name, "description": model.description,
                                              "statements": [s.__dict__ for s in model.statements]})
    return path
