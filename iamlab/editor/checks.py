"""Checks before anything is written, in the spirit of IAM Access Analyzer's policy validation.

Errors block writing (the policy would be rejected or would not do what it says);
warnings explain (it works, but probably not as meant). Each finding says what is
wrong, why, and what to do next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import facts
from ..policy import catalogue
from ..policy.grammar import MalformedPolicyDocument, check_condition
from ..policy.matching import action_matches
from ..policy.validator import DOORS, size
from ..policy.validator import validate as iam_validate
from .model import ALL, REPO_PREFIX, PolicyModel

ERROR, WARNING = "error", "warning"
_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*?]+$", re.I)
_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]*):(?P<region>[a-z0-9-*?]*):(?P<account>[0-9*?]*):(?P<resource>.+)$")


@dataclass(frozen=True)
class Finding:
    level: str
    statement: int | None  # index, or None for the whole policy
    code: str
    message: str

    @property
    def blocks(self) -> bool:
        return self.level == ERROR

    def __str__(self) -> str:
        where = f"Statement {self.statement + 1}: " if self.statement is not None else ""
        return f"{'Error' if self.blocks else 'Warning'}: {where}{self.message}"


def check_action(action: str) -> tuple[str, str] | None:
    """(code, message) if the action is malformed or unknown."""
    if action == "*":
        return None
    if not _ACTION.match(action):
        return "MALFORMED_ACTION", (f"'{action}' is not an action: actions look like service:Name, "
                                    "e.g. ecr:BatchGetImage (wildcards * and ? allowed).")
    service, _, name = action.partition(":")
    try:
        known = catalogue.actions(service.lower())
    except Exception:
        known = None
    if not known:
        return "UNKNOWN_SERVICE", f"'{service}' is not an AWS service prefix (did you mean 'ecr'?)."
    if "*" in name or "?" in name:
        if not any(action_matches(action, info.action) for info in known.values()):
            return "NO_MATCH", f"'{action}' matches no {service} action."
        return None
    if name.lower() not in known:
        hint = catalogue.suggestions(action)
        did_you_mean = f" Did you mean {' or '.join(hint)}?" if hint else ""
        return "UNKNOWN_ACTION", f"'{action}' is not an action of {service}.{did_you_mean}"
    return None


def check_arn(arn: str, model: PolicyModel) -> list[tuple[str, str, str]]:
    """(level, code, message) for a typed resource."""
    if arn == ALL:
        return []
    match = _ARN.match(arn)
    if not match:
        return [(ERROR, "MALFORMED_ARN", f"'{arn}' is not a valid ARN: it should read "
                                         f"{facts.repository_arn(model.region, model.account, 'NAME')}.")]
    if match["service"] != "ecr":
        return [(WARNING, "WRONG_SERVICE", f"'{arn}' is a {match['service'] or '(empty)'} ARN, but these actions are ECR's: "
                                           "it will match no repository.")]
    found = []
    if match["account"] not in ("*", model.account) and "?" not in match["account"] and "*" not in match["account"]:
        found.append((WARNING, "OTHER_ACCOUNT", f"'{arn}' names account {match['account']}, not yours ({model.account})."))
    if match["region"] not in ("*", model.region) and "*" not in match["region"] and "?" not in match["region"]:
        found.append((WARNING, "OTHER_REGION", f"'{arn}' names region {match['region']}, but your repositories are in {model.region}."))
    if not match["resource"].startswith("repository/") and match["resource"] != "*":
        found.append((WARNING, "NOT_A_REPOSITORY", f"'{arn}' does not name a repository ({facts.repository_arn(model.region, model.account, 'NAME')})."))
    return found


def check(model: PolicyModel) -> list[Finding]:
    findings: list[Finding] = []
    if not model.statements:
        findings.append(Finding(ERROR, None, "EMPTY_POLICY", "The policy has no statement: add one."))
    quota = DOORS["managed"].quota
    if model.statements and size(model.document()) > quota:
        findings.append(Finding(ERROR, None, "TOO_LARGE", (
            f"The policy has {size(model.document())} characters without spaces; IAM stores a managed policy of "
            f"at most {quota}, so the apply would fail. Use wildcards such as ecr:Describe*, or split it in two policies.")))
    if not re.fullmatch(r"[\w+=,.@-]{1,128}", model.name or ""):
        findings.append(Finding(ERROR, None, "BAD_NAME", "A policy name uses letters, digits and +=,.@_- only (1-128)."))
    for i, statement in enumerate(model.statements):
        if statement.effect not in ("Allow", "Deny"):
            findings.append(Finding(ERROR, i, "BAD_EFFECT", "Effect must be Allow or Deny."))
        if statement.not_actions is None and not statement.actions:
            findings.append(Finding(ERROR, i, "NO_ACTIONS", "This statement grants nothing: choose at least one action."))
        if statement.not_actions is not None and not statement.not_actions:
            findings.append(Finding(ERROR, i, "NO_ACTIONS", "NotAction needs at least one action to leave out."))
        if statement.not_resources is None and not statement.resources:
            findings.append(Finding(ERROR, i, "NO_RESOURCES", "This statement applies to nothing: choose at least one resource."))
        if statement.not_resources is not None and not statement.not_resources:
            findings.append(Finding(ERROR, i, "NO_RESOURCES", "NotResource needs at least one resource to leave out."))
        for action in statement.actions + (statement.not_actions or []):
            problem = check_action(action)
            if problem:
                findings.append(Finding(ERROR, i, problem[0], problem[1]))
        for resource in statement.resources + (statement.not_resources or []):
            if not resource.startswith(REPO_PREFIX):
                findings += [Finding(level, i, code, message) for level, code, message in check_arn(resource, model)]
        try:
            check_condition(statement.condition)
        except MalformedPolicyDocument as error:
            findings.append(Finding(ERROR, i, "BAD_CONDITION", str(error)))
        if statement.effect == "Allow" and statement.not_actions is not None:
            findings.append(Finding(WARNING, i, "ALLOW_NOT_ACTION", (
                "Allow with NotAction allows every action of every service except those listed, on the resources "
                "named: far more than it reads like. List the actions to allow instead.")))
        if statement.effect == "Allow" and statement.not_resources is not None:
            findings.append(Finding(WARNING, i, "ALLOW_NOT_RESOURCE", (
                "Allow with NotResource allows the actions on every resource except those listed, including "
                "repositories created later.")))
        findings += _redundancy(i, statement.actions)
        moving = model.resourceless_actions(i)
        if moving and statement.effect == "Allow":
            findings.append(Finding(WARNING, i, "NEEDS_STAR", (
                f"{', '.join(moving)} support{'s' if len(moving) == 1 else ''} no resource-level permission: "
                "scoped to these resources it is never allowed (for GetAuthorizationToken, login fails). "
                "Move it into its own statement with Resource \"*\".")))
        writes = [a for a in statement.actions if _is_write(a)]
        if statement.effect == "Allow" and statement.resources == [ALL] and writes:
            findings.append(Finding(WARNING, i, "WRITE_ON_STAR", (
                f"{', '.join(writes)} can change or delete images, and Resource \"*\" lets it do so in every repository. "
                "Scope write actions to the repositories that need them.")))
    if not blocking(findings):  # what IAM itself would refuse that no check above names (a Sid twice, ...)
        try:
            iam_validate(model.document(), "simulator")
        except MalformedPolicyDocument as error:
            findings.append(Finding(ERROR, None, "IAM_REFUSES", f"IAM would refuse this policy: {error}"))
    return findings


def _is_write(action: str) -> bool:
    if action == "*" or action.endswith(":*"):
        return True
    info = catalogue.lookup(action)
    if info is None and ("*" in action or "?" in action):
        service = action.split(":")[0].lower()
        try:
            return any(i.access_level in ("Write", "Permissions management") and action_matches(action, i.action)
                       for i in catalogue.actions(service).values())
        except Exception:
            return False
    return bool(info and info.access_level in ("Write", "Permissions management"))


def _redundancy(index: int, actions: list[str]) -> list[Finding]:
    found, seen = [], set()
    for action in actions:
        if action.lower() in seen:
            found.append(Finding(WARNING, index, "DUPLICATE_ACTION", f"{action} is listed twice."))
        seen.add(action.lower())
    wildcards = [a for a in actions if "*" in a or "?" in a]
    for action in actions:
        if action in wildcards or check_action(action):
            continue
        covering = next((w for w in wildcards if action_matches(w, action)), None)
        if covering:
            found.append(Finding(WARNING, index, "REDUNDANT_ACTION", f"{action} is already covered by {covering}."))
    return found


def blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.blocks]
