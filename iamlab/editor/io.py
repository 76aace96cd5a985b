"""Writing the edited policy into the working copy, and reading it back.

Shared by the editor widget and by notebook code, so both go through the same checks.
The editor writes ``custom_policy.tf`` as HCL, the very file a ``%%tf custom_policy.tf``
cell writes: whichever way the learner used last, the working copy declares the custom
policy once. Reading back, the editor starts from that file when the learner wrote it
in a cell (so switching ways loses nothing), else from its own saved state.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..terraform import config as tfconfig
from ..terraform import policy_file
from . import checks
from .model import REPO_PREFIX, PolicyModel, StatementModel, terraform_block


class PolicyNotWritten(ValueError):
    """The policy has errors (or clashes with the learner's files): nothing was written."""

    def __init__(self, message: str, findings=()):
        super().__init__(message)
        self.findings = list(findings)


@dataclass
class Saved:
    path: Path
    backups: list[Path] = field(default_factory=list)

    def __str__(self) -> str:
        kept = f" (what was there before is kept in {', '.join(map(str, self.backups))})" if self.backups else ""
        return f"Written to {self.path.name}{kept}."


def load(directory: Path, default: PolicyModel) -> PolicyModel:
    """The policy as the learner left it: their own custom_policy.tf, else the editor's state, else ``default``."""
    text = policy_file.read(directory)
    if text is not None and not policy_file.written_by_editor(text):
        model = from_hcl(text, default)
        if model is not None:
            return model
    state = policy_file.load_editor_state(directory)
    if not state:
        return default
    return PolicyModel(name=state.get("name", default.name), description=state.get("description", default.description),
                       statements=[StatementModel(**s) for s in state["statements"]],
                       region=default.region, account=default.account)


_STRING = re.compile(r'"(?:\\.|[^"\\])*"')


def from_hcl(text: str, default: PolicyModel) -> PolicyModel | None:
    """The editor's model of a hand-written ``aws_iam_policy`` with a ``jsonencode({...})`` policy
    (None when it is written some other way, e.g. with a data "aws_iam_policy_document")."""
    import hcl2

    from ..terraform.policy_file import course_data_sources

    try:
        parsed = hcl2.loads(text if text.endswith("\n") else text + "\n")
        body = next(b for entry in parsed.get("resource", []) for kind, named in entry.items() if kind.strip('"') == "aws_iam_policy"
                    for name, b in named.items() if name.strip('"') == default.name)
        expression = str(body["policy"])
        match = re.fullmatch(r"\$\{jsonencode\((.*)\)\}", expression, re.S)
        if not match:
            return None
        by_source = {source: repo for repo, source in course_data_sources().items()}
        pieces = []
        for index, chunk in enumerate(re.split(r'("(?:\\.|[^"\\])*")', match.group(1))):
            if index % 2:
                pieces.append(chunk)
                continue
            chunk = re.sub(r"data\.aws_ecr_repository\.(\w+)\.arn",
                           lambda m: json.dumps(REPO_PREFIX + by_source.get(m.group(1), m.group(1).removeprefix("policy_"))), chunk)
            chunk = re.sub(r"([A-Za-z_][A-Za-z0-9_]*)\s*=", r'"\1":', chunk)
            chunk = re.sub(r",\s*([}\]])", r"\1", chunk)
            pieces.append(chunk)
        document = json.loads("".join(pieces))
    except Exception:  # noqa: BLE001 - anything we cannot read is simply not imported
        return None
    model = PolicyModel.from_document(document, region=default.region, account=default.account, name=default.name,
                                      description=str(body.get("description", default.description)).strip('"'))
    return model


def write(directory: Path, model: PolicyModel) -> Saved:
    """Check the policy, then write ``custom_policy.tf``. Raises ``PolicyNotWritten``."""
    errors = checks.blocking(checks.check(model))
    if errors:
        raise PolicyNotWritten("Not written: fix the errors first.\n" + "\n".join(str(e) for e in errors), errors)
    for address in (f"aws_iam_policy.{model.name}", f"aws_iam_role_policy_attachment.{model.name}"):
        declared = tfconfig.find(directory, address)
        if declared is not None and declared.file.name != policy_file.FILE_NAME:
            raise PolicyNotWritten(
                f"Your {declared.file.name} already declares {address}. Two declarations of one resource "
                f"cannot both exist: either delete yours and let the editor write {policy_file.FILE_NAME}, or give the "
                "editor's policy another name.")
    path, backups = policy_file.write(directory, terraform_block(model))
    policy_file.save_editor_state(directory, {"name": model.name, "description": model.description,
                                              "statements": [s.__dict__ for s in model.statements]})
    return Saved(path, backups)
