"""Writing the edited policy into the working copy, and reading it back.

Shared by the editor widget and by notebook code, so both go through the same checks.
The editor writes ``custom_policy.tf`` as HCL, the very file a ``%%tf custom_policy.tf``
cell writes: whichever way the learner used last, the working copy declares the custom
policy once. Reading back, the editor always starts from that file as it is now (its own
or the learner's, with ``jsonencode`` or ``data "aws_iam_policy_document"``), never from
an older saved state; a file it cannot read is reported as such and not overwritten
unless the learner chooses to replace it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..terraform import config as tfconfig
from ..terraform import policy_file
from . import checks
from .model import NotKept, PolicyModel, terraform_block


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


@dataclass
class Opened:
    """What the editor opens, and where it comes from, so nothing stale passes for current.

    ``source``: ``"file"`` (the learner's own custom_policy.tf), ``"editor"`` (the file the
    editor wrote), ``"none"`` (no custom_policy.tf: ``model`` is the starting policy), or
    ``"unreadable"`` (a custom_policy.tf the editor cannot hold: ``model`` is None, ``reason``
    says why, and saving over it needs ``write(..., replace=True)``)."""

    model: PolicyModel | None
    source: str
    text: str | None = None
    reason: str = ""

    @property
    def readable(self) -> bool:
        return self.model is not None

    def __str__(self) -> str:
        if self.source == "unreadable":
            return (f"Your {policy_file.FILE_NAME} is yours and the editor cannot show it as it is: {self.reason} "
                    "The editor does not overwrite it unless you choose to replace it (your file is then kept in backups/).")
        if self.source == "none":
            return f"There is no {policy_file.FILE_NAME} in your working copy yet: the editor starts from the lesson's policy."
        whose = "your own" if self.source == "file" else "the editor's"
        return f"The editor shows {whose} {policy_file.FILE_NAME}, as it is now."

    def _repr_markdown_(self) -> str:
        return ("**Not shown:** " if self.source == "unreadable" else "") + str(self)


def open_policy(directory: Path, default: PolicyModel) -> Opened:
    """The policy as the working copy holds it now: custom_policy.tf, read each time (never an
    older saved state); ``default`` only when there is no such file."""
    text = policy_file.read(directory)
    if text is None:
        return Opened(default, "none")
    source = "editor" if policy_file.written_by_editor(text) else "file"
    try:
        model = read_hcl(text, default, _other_files(directory))
    except NotKept as error:
        return Opened(None, "unreadable", text, str(error))
    return Opened(model, source, text)


def load(directory: Path, default: PolicyModel) -> PolicyModel:
    """The policy as the learner left it (``open_policy``), or ``default`` when there is no file or
    it cannot be read (``write`` then refuses to replace that file unless asked to)."""
    opened = open_policy(directory, default)
    return opened.model if opened.model is not None else default


def _other_files(directory: Path) -> list[str]:
    from .. import paths

    texts = [p.read_text() for p in sorted(Path(directory).glob("*.tf")) if p.name != policy_file.FILE_NAME]
    if not texts:
        texts = [p.read_text() for p in sorted(paths.course_tf_dir().glob("*.tf"))]
    return texts


_POLICY_DOCUMENT = re.compile(r"\$\{data\.aws_iam_policy_document\.([\w-]+)\.json\}")


def read_hcl(text: str, default: PolicyModel, context: list[str] | None = None) -> PolicyModel:
    """The editor's model of an ``aws_iam_policy`` (labelled ``default.name``) written with
    ``jsonencode({...})`` or a ``data "aws_iam_policy_document"``. Raises ``NotKept`` naming what
    the editor cannot hold as it is (a function call, a reference only Terraform can fill, ...)."""
    import hcl2

    from ..terraform import hcl_values
    from ..terraform.policy_file import course_data_sources, declared_repositories

    try:
        tree = hcl2.loads(text if text.endswith("\n") else text + "\n")
    except Exception as error:  # noqa: BLE001 - python-hcl2 raises lark errors of several kinds
        raise NotKept(f"it is not valid HCL ({str(error).splitlines()[0] if str(error) else type(error).__name__}).") from None
    body = next((b for entry in tree.get("resource", []) for kind, named in entry.items() if kind.strip('"') == "aws_iam_policy"
                 for name, b in named.items() if name.strip('"') == default.name), None)
    if body is None:
        raise NotKept(f'it declares no resource "aws_iam_policy" "{default.name}".')
    if "policy" not in body:
        raise NotKept(f"aws_iam_policy.{default.name} has no policy argument.")
    repositories = {**{label: repo for repo, label in course_data_sources().items()},
                    **declared_repositories([*(context or []), text])}
    known: list[str] = []

    def lookup(ref):
        parts = ref.parts
        if parts[:2] == ["data", "aws_ecr_repository"] and len(parts) == 4 and parts[3] == "arn" and parts[2] in repositories:
            known.append(repositories[parts[2]])
            return default.repository_arn(repositories[parts[2]])
        raise NotKept(f"the policy refers to {ref.text}, a value only Terraform knows; the editor shows repositories "
                      "it reads through data \"aws_ecr_repository\" blocks.")

    raw = body["policy"]
    document_source = _POLICY_DOCUMENT.fullmatch(raw) if isinstance(raw, str) else None
    try:
        if document_source:
            data = _policy_document(tree, document_source.group(1))
        else:
            data = hcl_values.expression(raw)
        data = hcl_values.resolve(data, lookup)
        description = hcl_values.expression(body.get("description", json.dumps(default.description)))
    except hcl_values.NotAValue as error:
        raise NotKept(f"its policy is written in a way the editor cannot read as a value ({error}).") from None
    if not isinstance(data, dict):
        raise NotKept("its policy is not an object with a Statement.")
    return PolicyModel.from_document(data, region=default.region, account=default.account, known_repositories=known,
                                     name=default.name,
                                     description=description if isinstance(description, str) else default.description)


_DOCUMENT_KEYS = {"statement", "version", "policy_id"}
_STATEMENT_KEYS = {"sid": "Sid", "effect": "Effect", "actions": "Action", "not_actions": "NotAction",
                   "resources": "Resource", "not_resources": "NotResource"}


def _policy_document(tree: dict, label: str) -> dict:
    """A ``data "aws_iam_policy_document"`` block as the JSON document Terraform renders from it."""
    from ..terraform import hcl_values

    body = next((b for entry in tree.get("data", []) for kind, named in entry.items()
                 if kind.strip('"') == "aws_iam_policy_document" for name, b in named.items() if name.strip('"') == label), None)
    if body is None:
        raise NotKept(f'the policy comes from data.aws_iam_policy_document.{label}, which is not in this file.')
    unknown = sorted(k for k in body if not k.startswith("__") and k not in _DOCUMENT_KEYS)
    if unknown:
        raise NotKept(f"its aws_iam_policy_document uses {unknown[0]}, which the editor does not keep.")
    document = {"Version": hcl_values.expression(body.get("version", '"2012-10-17"'))}
    if "policy_id" in body:
        document["Id"] = hcl_values.expression(body["policy_id"])
    statements = []
    for block in body.get("statement", []):
        unknown = sorted(k for k in block if not k.startswith("__") and k not in _STATEMENT_KEYS and k != "condition")
        if unknown:
            raise NotKept(f"a statement of its aws_iam_policy_document uses {unknown[0]} "
                          "(an identity policy names no principal), which the editor does not keep.")
        statement = {"Effect": "Allow"}
        for key, element in _STATEMENT_KEYS.items():
            if key in block:
                value = hcl_values.expression(block[key])
                statement[element] = value
        conditions: dict = {}
        for condition in block.get("condition", []):
            test, variable = hcl_values.expression(condition["test"]), hcl_values.expression(condition["variable"])
            values = hcl_values.expression(condition["values"])
            if variable in conditions.setdefault(test, {}):
                raise NotKept(f"two condition blocks test {variable} with {test}; the editor does not merge them.")
            conditions[test][variable] = values
        if conditions:
            statement["Condition"] = conditions
        statements.append(statement)
    document["Statement"] = statements
    return document


def from_hcl(text: str, default: PolicyModel) -> PolicyModel | None:
    """``read_hcl``, or None when the editor cannot hold the file as it is."""
    try:
        return read_hcl(text, default)
    except NotKept:
        return None


class FileNotReadable(PolicyNotWritten):
    """custom_policy.tf is the learner's and the editor cannot read it: replacing it needs an explicit choice."""


def write(directory: Path, model: PolicyModel, replace: bool = False) -> Saved:
    """Check the policy, then write ``custom_policy.tf``. Raises ``PolicyNotWritten``; raises
    ``FileNotReadable`` instead of replacing a custom_policy.tf of the learner's that the editor
    cannot read, unless ``replace=True`` (their file then goes to ``backups/``)."""
    opened = open_policy(directory, model)
    if opened.source == "unreadable" and not replace:
        raise FileNotReadable(f"Not written: {opened} To replace it with the editor's policy, save with replace=True.")
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
