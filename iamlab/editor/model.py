"""The policy being edited: statements of effect, actions and resources.

Plain data with no widgets in it, so every rule of the editor is testable alone.
A resource is one of three kinds:

* ``ALL``: the ``"*"`` resource;
* a repository *by name*: written as its ARN in the policy, and as a reference to
  a ``data "aws_ecr_repository"`` in Terraform (so no ARN is pasted);
* a typed ARN, kept as written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .. import facts
from ..policy import catalogue
from ..sandbox import settings

ALL = "*"
REPO_PREFIX = "repository:"  # internal marker for "this repository, by name"


@dataclass
class StatementModel:
    effect: str = "Allow"
    actions: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=lambda: [ALL])  # "*", "repository:NAME" or an ARN
    sid: str = ""

    def copy(self) -> "StatementModel":
        return StatementModel(self.effect, list(self.actions), list(self.resources), self.sid)


@dataclass
class PolicyModel:
    name: str = facts.POLICY
    description: str = "Pull images from ECR, nothing else"
    statements: list[StatementModel] = field(default_factory=lambda: [StatementModel()])
    region: str = field(default_factory=settings.region)  # the sandbox's, until the editor is told otherwise
    account: str = settings.ACCOUNT_ID

    # -- resources ----------------------------------------------------------
    def repository_arn(self, name: str) -> str:
        return facts.repository_arn(self.region, self.account, name)

    def resolve(self, resource: str) -> str:
        return self.repository_arn(resource[len(REPO_PREFIX):]) if resource.startswith(REPO_PREFIX) else resource

    def repositories(self) -> list[str]:
        names = []
        for statement in self.statements:
            for resource in statement.resources:
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
            entry["Action"] = _one_or_many(statement.actions)
            entry["Resource"] = _one_or_many([self.resolve(r) for r in statement.resources])
            statements.append(entry)
        return {"Version": "2012-10-17", "Statement": statements}

    def json(self) -> str:
        return json.dumps(self.document(), indent=2)

    def _repr_markdown_(self) -> str:
        return f"The policy `{self.name}`, as AWS will store it:\n\n```json\n{self.json()}\n```"

    # -- one statement per resource-less action group (the GetAuthorizationToken lesson) --
    def resourceless_actions(self, index: int) -> list[str]:
        statement = self.statements[index]
        if statement.resources == [ALL]:
            return []
        return [a for a in statement.actions if "*" not in a and "?" not in a
                and catalogue.lookup(a) is not None and not catalogue.supports_resources(a)]

    def split_resourceless(self, index: int) -> bool:
        """Move actions that support no resource into their own ``Resource: "*"`` statement."""
        moving = self.resourceless_actions(index)
        if not moving:
            return False
        statement = self.statements[index]
        statement.actions = [a for a in statement.actions if a not in moving]
        target = next((s for s in self.statements if s.effect == statement.effect and s.resources == [ALL]), None)
        if target is None:
            target = StatementModel(statement.effect, [], [ALL], "Login" if "ecr:GetAuthorizationToken" in moving else "")
            self.statements.insert(index, target)
        target.actions += [a for a in moving if a not in target.actions]
        return True

    # -- import --------------------------------------------------------------
    @classmethod
    def from_document(cls, document: dict | str, *, region: str | None = None, account: str = settings.ACCOUNT_ID,
                      known_repositories: list[str] = (), name: str = facts.POLICY,
                      description: str = "Pull images from ECR, nothing else") -> "PolicyModel":
        data = json.loads(document) if isinstance(document, str) else document
        raw = data.get("Statement", [])
        raw = raw if isinstance(raw, list) else [raw]
        model = cls(name=name, description=description, statements=[], region=region or settings.region(), account=account)
        arn_of = {model.repository_arn(n): n for n in known_repositories}
        for entry in raw:
            actions = entry.get("Action", [])
            resources = entry.get("Resource", [ALL])
            actions = [actions] if isinstance(actions, str) else list(actions)
            resources = [resources] if isinstance(resources, str) else list(resources)
            resources = [f"{REPO_PREFIX}{arn_of[r]}" if r in arn_of else r for r in resources]
            model.statements.append(StatementModel(entry.get("Effect", "Allow"), actions, resources, entry.get("Sid", "")))
        return model


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


def _hcl_string(value: str) -> str:
    return json.dumps(value).replace("${", "$${")


def _hcl_resource(model: PolicyModel, resource: str) -> str:
    if resource.startswith(REPO_PREFIX):
        return f"data.aws_ecr_repository.{data_source_name(resource[len(REPO_PREFIX):])}.arn"
    return _hcl_string(resource)


def _hcl_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "[" + ", ".join(items) + "]"


def policy_expression(model: PolicyModel, indent: str = "  ") -> str:
    """The ``jsonencode({...})`` argument, as a learner would type it."""
    lines = ["jsonencode({", f'{indent}  Version = "2012-10-17"', f"{indent}  Statement = ["]
    for statement in model.statements:
        lines.append(f"{indent}    {{")
        if statement.sid:
            lines.append(f"{indent}      Sid      = {_hcl_string(statement.sid)}")
        lines.append(f"{indent}      Effect   = {_hcl_string(statement.effect)}")
        lines.append(f"{indent}      Action   = {_hcl_list([_hcl_string(a) for a in statement.actions])}")
        lines.append(f"{indent}      Resource = {_hcl_list([_hcl_resource(model, r) for r in statement.resources])}")
        lines.append(f"{indent}    }},")
    lines += [f"{indent}  ]", f"{indent}}})"]
    return "\n".join(lines)


def policy_expression_inline(model: PolicyModel) -> str:
    """The same expression on one line (commas, no newlines), for a ``.tf.json`` string."""
    statements = []
    for statement in model.statements:
        items = [f"Sid = {_hcl_string(statement.sid)}"] if statement.sid else []
        items += [f"Effect = {_hcl_string(statement.effect)}",
                  f"Action = [{', '.join(_hcl_string(a) for a in statement.actions)}]",
                  f"Resource = [{', '.join(_hcl_resource(model, r) for r in statement.resources)}]"]
        statements.append("{" + ", ".join(items) + "}")
    return 'jsonencode({Version = "2012-10-17", Statement = [' + ", ".join(statements) + "]})"


def terraform_block(model: PolicyModel, attach_to: str | None = "aws_iam_role.ec2_ecr_role") -> str:
    """The HCL a learner would write for this policy (and its attachment)."""
    parts = [f'data "aws_ecr_repository" "{data_source_name(name)}" {{\n  name = {_hcl_string(name)}\n}}\n'
             for name in _own_data_sources(model)]
    parts.append(
        f'resource "aws_iam_policy" "{model.name}" {{\n'
        f"  name        = {_hcl_string(model.name)}\n"
        f"  description = {_hcl_string(model.description)}\n\n"
        f"  policy = {policy_expression(model)}\n}}\n")
    if attach_to:
        parts.append(
            f'resource "aws_iam_role_policy_attachment" "{model.name}" {{\n'
            f"  role       = {attach_to}.name\n"
            f"  policy_arn = aws_iam_policy.{model.name}.arn\n}}\n")
    return "\n".join(parts)


def terraform_json(model: PolicyModel, attach_to: str | None = "aws_iam_role.ec2_ecr_role") -> dict:
    """The same configuration in Terraform's JSON syntax (``.tf.json``), which the editor writes."""
    config: dict = {"//": "Written by iamlab's policy editor. Edit the policy in the notebook, or delete this "
                          "file and write the block yourself (the editor shows it)."}
    if _own_data_sources(model):
        config["data"] = {"aws_ecr_repository": {data_source_name(n): {"name": n} for n in _own_data_sources(model)}}
    resources: dict = {"aws_iam_policy": {model.name: {
        "name": model.name, "description": model.description,
        "policy": "${" + policy_expression_inline(model) + "}",
    }}}
    if attach_to:
        resources["aws_iam_role_policy_attachment"] = {model.name: {
            "role": "${" + attach_to + ".name}", "policy_arn": "${aws_iam_policy." + model.name + ".arn}"}}
    config["resource"] = resources
    return config
