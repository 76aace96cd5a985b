"""The policy being edited: statements of effect, actions and resources.

Plain data with no widgets in it, so every rule of the editor is testable alone.
A resource is one of three kinds:

* ``ALL``: the ``"*"`` resource;
* a repository *by name*: written as its ARN in the policy, and as a reference to
  a ``data "aws_ecr_repository"`` in Terraform (so no ARN is pasted);
* a typed ARN, kept as written.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field

from .. import facts
from ..policy import catalogue
from ..sandbox import settings

ALL = "*"
REPO_PREFIX = "repository:"  # internal marker for "this repository, by name"


class NotKept(ValueError):
    """The editor cannot hold this policy as it is; the message names what it would lose (or
    why IAM refuses the policy). Nothing is imported: the learner's policy stays as it was."""


@dataclass
class StatementModel:
    """One statement. ``not_actions``/``not_resources`` are set (a list) when the statement uses
    NotAction/NotResource instead of Action/Resource; ``condition`` is the Condition block as written."""

    effect: str = "Allow"
    actions: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=lambda: [ALL])  # "*", "repository:NAME" or an ARN
    sid: str = ""
    not_actions: list[str] | None = None
    not_resources: list[str] | None = None
    condition: dict | None = None

    def copy(self) -> "StatementModel":
        return StatementModel(self.effect, list(self.actions), list(self.resources), self.sid,
                              None if self.not_actions is None else list(self.not_actions),
                              None if self.not_resources is None else list(self.not_resources),
                              copy.deepcopy(self.condition))

    @property
    def plain(self) -> bool:
        """Action and Resource only: what the picker widgets show and edit."""
        return self.not_actions is None and self.not_resources is None and not self.condition


@dataclass
class PolicyModel:
    name: str = facts.POLICY
    description: str = "Pull images from ECR, nothing else"
    statements: list[StatementModel] = field(default_factory=lambda: [StatementModel()])
    region: str = field(default_factory=settings.region)  # the sandbox's, until the editor is told otherwise
    account: str = settings.ACCOUNT_ID
    version: str = "2012-10-17"  # "2008-10-17" reads no policy variables: kept as imported
    policy_id: str = ""  # the document's optional Id

    # -- resources ----------------------------------------------------------
    def repository_arn(self, name: str) -> str:
        return facts.repository_arn(self.region, self.account, name)

    def resolve(self, resource: str) -> str:
        return self.repository_arn(resource[len(REPO_PREFIX):]) if resource.startswith(REPO_PREFIX) else resource

    def repositories(self) -> list[str]:
        names = []
        for statement in self.statements:
            for resource in statement.resources + (statement.not_resources or []):
                name = resource[len(REPO_PREFIX):] if resource.startswith(REPO_PREFIX) else None
                if name and name not in names:
                    names.append(name)
        return names

    # -- the policy document (what AWS stores) --------------------------------
    def document(self) -> dict:
        statements = []
        for statement in self.statements:
            entry: dict = {}
            if statement.sid:
                entry["Sid"] = statement.sid
            entry["Effect"] = statement.effect
            if statement.not_actions is not None:
                entry["NotAction"] = _one_or_many(statement.not_actions)
            else:
                entry["Action"] = _one_or_many(statement.actions)
            if statement.not_resources is not None:
                entry["NotResource"] = _one_or_many([self.resolve(r) for r in statement.not_resources])
            else:
                entry["Resource"] = _one_or_many([self.resolve(r) for r in statement.resources])
            if statement.condition is not None:
                entry["Condition"] = copy.deepcopy(statement.condition)
            statements.append(entry)
        document = {"Version": self.version}
        if self.policy_id:
            document["Id"] = self.policy_id
        document["Statement"] = statements
        return document

    def json(self) -> str:
        return json.dumps(self.document(), indent=2)

    def _repr_markdown_(self) -> str:
        return f"The policy `{self.name}`, as AWS will store it:\n\n```json\n{self.json()}\n```"

    # -- one statement per resource-less action group (the GetAuthorizationToken lesson) --
    def resourceless_actions(self, index: int) -> list[str]:
        statement = self.statements[index]
        if statement.not_actions is not None or statement.not_resources is not None or statement.resources == [ALL]:
            return []
        return [a for a in statement.actions if "*" not in a and "?" not in a
                and catalogue.lookup(a) is not None and not catalogue.supports_resources(a)]

    def split_resourceless(self, index: int) -> bool:
        """Move actions that support no resource into a ``Resource: "*"`` statement (same Effect
        and Condition): an existing one, else a new one with a Sid no other statement has. A
        statement left with no action is removed; one holding only such actions just turns to "*"."""
        moving = self.resourceless_actions(index)
        if not moving:
            return False
        statement = self.statements[index]
        target = next((s for s in self.statements if s is not statement and s.effect == statement.effect
                       and s.resources == [ALL] and s.not_actions is None and s.not_resources is None
                       and s.condition == statement.condition), None)
        rest = [a for a in statement.actions if a not in moving]
        if target is None and not rest:
            statement.resources = [ALL]
            return True
        if target is None:
            sid = self._unused_sid("Login" if "ecr:GetAuthorizationToken" in moving else "NoResource")
            target = StatementModel(statement.effect, [], [ALL], sid, condition=copy.deepcopy(statement.condition))
            self.statements.insert(index, target)
        target.actions += [a for a in moving if a not in target.actions]
        statement.actions = rest
        if not rest:
            self.statements.remove(statement)
        return True

    def _unused_sid(self, base: str) -> str:
        taken = {s.sid for s in self.statements}
        if base not in taken:
            return base
        return next(f"{base}{n}" for n in range(2, len(taken) + 3) if f"{base}{n}" not in taken)

    # -- import --------------------------------------------------------------
    @classmethod
    def from_document(cls, document: dict | str, *, region: str | None = None, account: str = settings.ACCOUNT_ID,
                      known_repositories: list[str] = (), name: str = facts.POLICY,
                      description: str = "Pull images from ECR, nothing else") -> "PolicyModel":
        """The editor's model of an identity policy, keeping every element; ``NotKept`` (naming
        what is wrong) for a document IAM would refuse or the editor could not write back as it is."""
        from ..policy.document import validate
        from ..policy.grammar import MalformedPolicyDocument

        try:
            data = json.loads(document) if isinstance(document, str) else copy.deepcopy(document)
        except ValueError as error:
            raise NotKept(f"That is not JSON: {error}.") from None
        if not isinstance(data, dict):
            raise NotKept('A policy is a JSON object with a "Statement" element.')
        try:
            validate(data)
        except MalformedPolicyDocument as error:
            raise NotKept(f"IAM would refuse this policy, so the editor does not take it: {error}") from None
        if not isinstance(data.get("Id", ""), str):
            raise NotKept("The policy's Id must be a string.")
        directive = next((text for text in _strings_in(data) if "%{" in text or re.search(r"\$\{[^}]*$", text)), None)
        if directive is not None:
            raise NotKept(f"{directive!r} holds %{{ or an unclosed ${{, which Terraform reads as the start of a "
                          "template; the editor cannot write it into custom_policy.tf unchanged.")
        raw = data["Statement"]
        raw = raw if isinstance(raw, list) else [raw]
        model = cls(name=name, description=description, statements=[], region=region or settings.region(), account=account,
                    version=data.get("Version", "2008-10-17"), policy_id=data.get("Id", ""))
        arn_of = {model.repository_arn(n): n for n in known_repositories}
        by_name = lambda values: [f"{REPO_PREFIX}{arn_of[r]}" if r in arn_of else r for r in values]  # noqa: E731
        for entry in raw:
            sid = entry.get("Sid", "")
            if not isinstance(sid, str):
                raise NotKept(f"A Sid must be a string, not {sid!r}.")
            model.statements.append(StatementModel(
                entry["Effect"],
                _as_list(entry.get("Action", [])),
                by_name(_as_list(entry.get("Resource", []))),
                sid,
                _as_list(entry["NotAction"]) if "NotAction" in entry else None,
                by_name(_as_list(entry["NotResource"])) if "NotResource" in entry else None,
                copy.deepcopy(entry["Condition"]) if "Condition" in entry else None,
            ))
        return model


def _strings_in(value):
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in(item)


def _as_list(value) -> list:
    return [value] if isinstance(value, str) else list(value)


def _one_or_many(values: list[str]):
    return values[0] if len(values) == 1 else list(values)


LIST_ELEMENTS = ("Action", "NotAction", "Resource", "NotResource")


def normalise(document: dict) -> dict:
    """One spelling for documents that mean the same: ``"*"`` and ``["*"]``, one statement
    or a list of one. AWS stores what Terraform sent (lists) while the editor writes a
    single value bare, so compare (and diff) documents only after this."""
    statements = document.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    normal = []
    for statement in statements:
        entry = dict(statement)
        for key in LIST_ELEMENTS:
            if key in entry:
                entry[key] = [entry[key]] if isinstance(entry[key], str) else list(entry[key])
        normal.append(entry)
    return {**document, "Statement": normal}


# -- Terraform -----------------------------------------------------------------
def data_source_name(repository: str) -> str:
    """The data source a policy refers to: the course's own (``flask_app`` -> ``pull``, as
    declared in main.tf), else ``policy_<name>``, declared next to the policy."""
    from ..terraform.policy_file import course_data_sources

    return course_data_sources().get(repository) or "policy_" + re.sub(r"[^A-Za-z0-9_]", "_", repository)


def _own_data_sources(model: "PolicyModel") -> list[str]:
    from ..terraform.policy_file import course_data_sources

    return [name for name in model.repositories() if name not in course_data_sources()]


_HCL_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _hcl_string(value: str) -> str:
    """A quoted HCL string holding exactly ``value``: escapes HCL knows, and ``${``/``%{``
    doubled so Terraform reads no template in it (a policy variable stays a policy variable)."""
    body = "".join(_HCL_ESCAPES.get(ch) or (f"\\u{ord(ch):04x}" if ord(ch) < 0x20 or ord(ch) == 0x7f else ch)
                   for ch in value)
    return '"' + body.replace("${", "$${").replace("%{", "%%{") + '"'


def _hcl_value(value) -> str:
    """A JSON value (a Condition block) in HCL's object syntax."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_hcl_string(str(k))} = {_hcl_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_hcl_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return _hcl_string(str(value))


def _hcl_resource(model: PolicyModel, resource: str) -> str:
    if resource.startswith(REPO_PREFIX):
        return f"data.aws_ecr_repository.{data_source_name(resource[len(REPO_PREFIX):])}.arn"
    return _hcl_string(resource)


def _hcl_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "[" + ", ".join(items) + "]"


def _statement_items(model: PolicyModel, statement: StatementModel) -> list[tuple[str, str]]:
    items = [("Sid", _hcl_string(statement.sid))] if statement.sid else []
    items.append(("Effect", _hcl_string(statement.effect)))
    if statement.not_actions is not None:
        items.append(("NotAction", _hcl_list([_hcl_string(a) for a in statement.not_actions])))
    else:
        items.append(("Action", _hcl_list([_hcl_string(a) for a in statement.actions])))
    if statement.not_resources is not None:
        items.append(("NotResource", _hcl_list([_hcl_resource(model, r) for r in statement.not_resources])))
    else:
        items.append(("Resource", _hcl_list([_hcl_resource(model, r) for r in statement.resources])))
    if statement.condition is not None:
        items.append(("Condition", _hcl_value(statement.condition)))
    return items


def _head(model: PolicyModel) -> list[tuple[str, str]]:
    head = [("Version", _hcl_string(model.version))]
    if model.policy_id:
        head.append(("Id", _hcl_string(model.policy_id)))
    return head


def policy_expression(model: PolicyModel, indent: str = "  ") -> str:
    """The ``jsonencode({...})`` argument, as a learner would type it."""
    lines = ["jsonencode({"] + [f"{indent}  {key} = {value}" for key, value in _head(model)] + [f"{indent}  Statement = ["]
    for statement in model.statements:
        items = _statement_items(model, statement)
        width = max(len(key) for key, _ in items)
        lines.append(f"{indent}    {{")
        lines += [f"{indent}      {key.ljust(width)} = {value}" for key, value in items]
        lines.append(f"{indent}    }},")
    lines += [f"{indent}  ]", f"{indent}}})"]
    return "\n".join(lines)


def terraform_block(model: PolicyModel, attach_to: str | None = "aws_iam_role.ec2_ecr_role") -> str:
    """The HCL a learner would write for this policy (and its attachment)."""
    parts = [f'data "aws_ecr_repository" "{data_source_name(name)}" {{\n  name = {_hcl_string(name)}\n}}\n'
             for name in _own_data_sources(model)]
    parts.append(
        f'resource "aws_iam_policy" "{model.name}" {{\n'
        f"  name        = {_hcl_string(model.name)}\n"
        + (f"  description = {_hcl_string(model.description)}\n" if model.description else "")  # none: none written
        + f"\n  policy = {policy_expression(model)}\n}}\n")
    if attach_to:
        parts.append(
            f'resource "aws_iam_role_policy_attachment" "{model.name}" {{\n'
            f"  role       = {attach_to}.name\n"
            f"  policy_arn = aws_iam_policy.{model.name}.arn\n}}\n")
    return "\n".join(parts)
