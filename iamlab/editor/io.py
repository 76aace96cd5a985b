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

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..terraform import config as tfconfig
from ..terraform import policy_file
from . import checks
from .model import NotKept, PolicyModel, terraform_block


class PolicyNotWritten(ValueError):
    """The policy has errors (or clashes with the learner's files): nothing was written.

    Raised in a notebook cell it shows its message, not a Python traceback."""

    def __init__(self, message: str, findings=()):
        super().__init__(message)
        self.findings = list(findings)

    def _render_traceback_(self) -> list[str]:
        return str(self).splitlines()


class FileNotReadable(PolicyNotWritten):
    """custom_policy.tf is the learner's and the editor cannot read it: replacing it needs an explicit choice."""


class FileChanged(PolicyNotWritten):
    """custom_policy.tf changed on disk after the editor opened it (a ``%%tf`` cell, a hand edit,
    ``goto``): writing now would overwrite a version the learner has not seen in the editor."""


class PolicyNotReadable(ValueError):
    """The learner's custom_policy.tf exists but cannot be read as a policy: returning the
    starting policy instead would pass the lesson's seed off as theirs. ``opened`` says why."""

    def __init__(self, opened: "Opened"):
        self.opened = opened
        super().__init__(f"{opened} Fix the file (or open iamlab.policy_editor() to see it and choose "
                         "Replace mine), then ask again.")

    def _render_traceback_(self) -> list[str]:
        return str(self).splitlines()

    def _repr_markdown_(self) -> str:
        return f"**Your policy could not be read.** {self}"


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
    policy_file.forget_editor_state(directory)
    text = policy_file.read(directory)
    if text is None:
        return Opened(default, "none")
    source = "editor" if policy_file.written_by_editor(text) else "file"
    try:
        model = read_hcl(text, default, _other_files(directory))
        if source == "file":
            _written_back_whole(text, model.name)
    except NotKept as error:
        return Opened(None, "unreadable", text, str(error))
    return Opened(model, source, text)


def load(directory: Path, default: PolicyModel) -> PolicyModel:
    """The policy as the learner left it (``open_policy``); ``default`` when there is no
    custom_policy.tf. Raises ``PolicyNotReadable`` when there is one the editor cannot read:
    the starting policy is not theirs."""
    opened = open_policy(directory, default)
    if opened.model is None:
        raise PolicyNotReadable(opened)
    return opened.model


ATTACHED_TO = "aws_iam_role.ec2_ecr_role"


def _written_back_whole(text: str, name: str) -> None:
    """``NotKept`` naming the first thing in a learner's custom_policy.tf that the editor's
    rewrite would drop or change: a block other than the policy, its attachment to the
    course's role, and the data sources it reads; or an argument of the policy besides
    name, description and policy (or a name other than its label)."""
    import hcl2

    tree = hcl2.loads(text if text.endswith("\n") else text + "\n")
    for kind, entries in tree.items():
        if kind not in ("resource", "data"):
            raise NotKept(f"it also holds a {kind} block, which the editor would not write back.")
        for entry in entries:
            for block_type, named in entry.items():
                block_type = block_type.strip('"')
                for label, body in named.items():
                    label = label.strip('"')
                    address = f"{'data.' if kind == 'data' else ''}{block_type}.{label}"
                    arguments = {k: v for k, v in body.items() if not k.startswith("__")}
                    if kind == "data" and block_type in ("aws_ecr_repository", "aws_iam_policy_document"):
                        continue
                    if block_type == "aws_iam_policy" and label == name:
                        extra = sorted(set(arguments) - {"name", "description", "policy"})
                        if extra:
                            raise NotKept(f"aws_iam_policy.{name} sets {extra[0]}, which the editor does not keep.")
                        if "name" not in arguments:
                            raise NotKept(f"aws_iam_policy.{name} has no name argument (Terraform makes one up); the "
                                          f"editor writes name = \"{name}\", which would replace the policy.")
                        if arguments["name"] not in (name, f'"{name}"'):
                            raise NotKept(f"aws_iam_policy.{name} is named {arguments['name']}; the editor writes "
                                          f"name = \"{name}\", which would replace the policy.")
                        continue
                    if block_type == "aws_iam_role_policy_attachment" and arguments == {
                            "role": "${" + ATTACHED_TO + ".name}", "policy_arn": "${aws_iam_policy." + name + ".arn}"}:
                        continue
                    raise NotKept(f"it also declares {address}, which the editor would not write back as it is.")


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
        description = hcl_values.expression(body["description"]) if "description" in body else ""  # "": none
    except hcl_values.NotAValue as error:
        raise NotKept(f"its policy is written in a way the editor cannot read as a value ({error}).") from None
    if not isinstance(data, dict):
        raise NotKept("its policy is not an object with a Statement.")
    if not isinstance(description, str):
        raise NotKept(f"the description of aws_iam_policy.{default.name} is not a plain string; the editor would not keep it.")
    return PolicyModel.from_document(data, region=default.region, account=default.account, known_repositories=known,
                                     name=default.name, description=description)


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


def round_trip(document, default: PolicyModel, known_repositories=(), context: list[str] | None = None) -> PolicyModel:
    """What the editor makes of ``document``: imported, written as custom_policy.tf's HCL, and read
    back from that text. Raises ``NotKept`` (naming what) where the editor refuses it."""
    model = PolicyModel.from_document(document, region=default.region, account=default.account,
                                      known_repositories=known_repositories, name=default.name,
                                      description=default.description)
    return read_hcl(terraform_block(model), default, context)


def from_hcl(text: str, default: PolicyModel) -> PolicyModel | None:
    """``read_hcl``, or None when the editor cannot hold the file as it is."""
    try:
        return read_hcl(text, default)
    except NotKept:
        return None


UNSEEN = object()  # write() was not told what the editor opened: no check that the file is unchanged


def write(directory: Path, model: PolicyModel, replace: bool = False, *, opened_text=UNSEEN) -> Saved:
    """Check the policy, then write ``custom_policy.tf``. Raises ``PolicyNotWritten``; raises
    ``FileNotReadable`` instead of replacing a custom_policy.tf of the learner's that the editor
    cannot read, and ``FileChanged`` when the file is no longer ``opened_text`` (what the editor
    opened; None: no file), unless ``replace=True`` (their file then goes to ``backups/``)."""
    opened = open_policy(directory, model)
    if not replace and opened_text is not UNSEEN and opened.text != opened_text:
        raise FileChanged(f"Not written: your {policy_file.FILE_NAME} changed after the editor opened it "
                          "(a %%tf cell, a hand edit or goto?), and saving would overwrite a version you have not "
                          "seen here. Reopen it to edit what is there now, or replace it (yours is kept in backups/).")
    if opened.source == "unreadable" and not replace:
        raise FileNotReadable(f"Not written: {opened} To replace it with the editor's policy, save with replace=True.")
    errors = checks.blocking(checks.check(model))
    if errors:
        raise PolicyNotWritten("Not written: fix the errors first.\n" + "\n".join(str(e) for e in errors), errors)
    for address in (f"aws_iam_policy.{model.name}", f"aws_iam_role_policy_attachment.{model.name}"):
        try:  # custom_policy.tf is what this write replaces: only the learner's other files can clash
            declared = tfconfig.find(directory, address, skip=(policy_file.FILE_NAME,))
        except tfconfig.ParseError as error:
            raise PolicyNotWritten(f"Not written: {error}. Terraform cannot read your working copy either; "
                                   "fix that file first, then save again.") from None
        if declared is not None:
            raise PolicyNotWritten(
                f"Your {declared.file.name} already declares {address}. Two declarations of one resource "
                f"cannot both exist: either delete yours and let the editor write {policy_file.FILE_NAME}, or give the "
                "editor's policy another name.")
    path, backups = policy_file.write(directory, terraform_block(model), keep_old=replace or opened.source != "editor")
    return Saved(path, backups)
