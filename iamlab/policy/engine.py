"""The access decision, following AWS's documented evaluation logic.

For a request (who, which action, on which resource, in which context):

1. collect every statement that applies: its action, resource (and, in a
   resource-based policy, principal) match, and its conditions hold;
2. any applicable **Deny** -> ``explicitDeny`` (it wins over every Allow);
3. else any applicable **Allow**, from an identity policy or the resource
   policy (within one account either suffices; a principal of another account
   needs both, the resource policy naming it or its account) -> ``allowed``;
4. else ``implicitDeny``: nothing allowed it.

A Deny with ``NotPrincipal`` spares only a principal all of whose ARNs it lists
(account, role or user, and a role session's own ARN).

The result carries the deciding statements and the context keys the request
lacked, as the IAM policy simulator reports them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import catalogue, conditions
from .context import Context
from .document import Policy, Statement
from .matching import action_matches, arn_matches, as_list
from .variables import MissingVariable, expand

ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY = "allowed", "explicitDeny", "implicitDeny"
_VARIABLE = re.compile(r"\$\{[^}]*\}")


@dataclass(frozen=True)
class Principal:
    """Who makes the request.

    ``arn`` is what AWS prints in errors (for a role session,
    ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``); ``identity_arn`` is the
    IAM identity behind it (the role's ARN), used for ``aws:PrincipalArn``;
    ``service`` is set for AWS service principals such as ``ec2.amazonaws.com``;
    ``unique_id`` is the role's (``AROA...``) or user's (``AIDA...``) unique ID, which
    ``aws:userid`` carries.
    """

    arn: str = ""
    identity_arn: str = ""
    account: str = ""
    service: str | None = None
    unique_id: str = ""

    @classmethod
    def role_session(cls, account: str, role_name: str, session: str, path: str = "/", unique_id: str = "") -> "Principal":
        return cls(
            arn=f"arn:aws:sts::{account}:assumed-role/{role_name}/{session}",
            identity_arn=f"arn:aws:iam::{account}:role{path}{role_name}",
            account=account,
            unique_id=unique_id,
        )

    @classmethod
    def aws_service(cls, service: str) -> "Principal":
        return cls(arn=service, identity_arn=service, service=service)

    @property
    def role_name(self) -> str | None:
        if ":assumed-role/" in self.arn:
            return self.arn.split(":assumed-role/", 1)[1].split("/")[0]
        return None


@dataclass(frozen=True)
class Request:
    principal: Principal
    action: str
    resource: str = "*"
    context: Context = field(default_factory=Context)


@dataclass(frozen=True)
class Decision:
    decision: str
    matched: tuple[Statement, ...]
    missing_context: tuple[str, ...]
    request: Request
    lacking: str = "identity"  # an implicit deny: which kind of policy did not allow (across accounts, either)

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOWED

    @property
    def decided_by_resource_policy(self) -> bool:
        return any(s.source_type == "resource" for s in self.matched)

    def denial_message(self) -> str:
        """The sentence AWS puts in an AccessDenied error."""
        request = self.request
        head = (f"User: {request.principal.arn} is not authorized to perform: {request.action} "
                f"on resource: {request.resource}")
        if self.decision == EXPLICIT_DENY:
            where = "a resource-based policy" if self.decided_by_resource_policy else "an identity-based policy"
            return f"{head} with an explicit deny in {where}"
        return f"{head} because no {self.lacking}-based policy allows the {request.action} action"


def base_context(request: Request) -> Context:
    """Keys every request carries, added under what the caller supplied."""
    principal = request.principal
    defaults: dict[str, object] = {}
    if principal.identity_arn and not principal.service:
        defaults["aws:PrincipalArn"] = principal.identity_arn
        defaults["aws:PrincipalAccount"] = principal.account
        defaults["aws:PrincipalType"] = "AssumedRole" if principal.role_name else "User"
        defaults["aws:PrincipalIsAWSService"] = "false"
        if principal.role_name:
            defaults["aws:userid"] = f"{principal.unique_id or 'AROAIAMLAB'}:{principal.arn.rsplit('/', 1)[-1]}"
        elif ":user/" in principal.identity_arn:
            defaults["aws:username"] = principal.identity_arn.rsplit("/", 1)[-1]
            if principal.unique_id:
                defaults["aws:userid"] = principal.unique_id
    if principal.service:
        defaults["aws:PrincipalServiceName"] = principal.service
        defaults["aws:PrincipalIsAWSService"] = "true"
    merged = Context(defaults)
    if isinstance(request.context, Context):
        merged.update(request.context)
    else:
        for key in request.context.keys():
            merged[key] = request.context.get(key)
    return merged


def _principal_values(element) -> dict[str, list[str]]:
    if element == "*":
        return {"AWS": ["*"]}
    if not isinstance(element, dict):
        return {}
    return {kind: [str(v) for v in as_list(values)] for kind, values in element.items()}


def names_principal(element, principal: Principal) -> tuple[bool, bool]:
    """(does the Principal element name this principal?, only through its account root?)"""
    for kind, values in _principal_values(element).items():
        for value in values:
            if kind == "Service" and principal.service and value.lower() == principal.service.lower():
                return True, False
            if kind != "AWS" or principal.service:
                continue
            if value == "*" or value in (principal.arn, principal.identity_arn):
                return True, False
            if value in (principal.account, f"arn:aws:iam::{principal.account}:root"):
                return True, True
    return False, False


def _action_applies(statement: Statement, action: str) -> bool:
    if statement.actions is not None:
        return any(action_matches(p, action) for p in statement.actions)
    return not any(action_matches(p, action) for p in statement.not_actions or ())


def _resource_applies(statement: Statement, resource: str, context: Context) -> tuple[bool, list[str]]:
    """Does the Resource (or NotResource) element cover the resource? Also the variables' keys it lacked."""
    patterns, negated = (statement.resources, False) if statement.resources is not None else (statement.not_resources, True)
    if patterns is None:  # resource policies may omit Resource: the resource itself
        return True, []
    hit, lacked, unresolved = False, [], False
    for pattern in patterns:
        try:
            if arn_matches(expand(pattern, context, statement.variables), resource):
                hit = True
                break
        except MissingVariable as missing:
            lacked.append(missing.key)  # no value, no default: this pattern matches nothing
            if arn_matches(_VARIABLE.sub("*", pattern), resource):
                unresolved = True  # it might have matched: whether it does cannot be told
    if negated and unresolved and not hit:
        # A NotResource that cannot be read does not cover "everything else": AWS treats a statement
        # whose variable it cannot resolve as not applying (IAM User Guide, "Policy variables").
        return False, lacked
    return (not hit if negated else hit), lacked


def _applies(statement: Statement, request: Request, context: Context) -> tuple[bool, list[str]]:
    """Does the statement apply to the request? Also the context keys it wanted but lacked."""
    if not _action_applies(statement, request.action):
        return False, []
    covered, lacked = _resource_applies(statement, request.resource, context)
    if not covered:
        return False, lacked
    holds, missing = conditions.evaluate(statement.condition, context, statement.variables)
    return holds, lacked + [k for k in missing if k not in lacked]


def evaluate(request: Request, identity_policies: list[Policy] = (), resource_policy: Policy | None = None) -> Decision:
    """Decide one request. Statement order never matters; a matching Deny always wins."""
    if not catalogue.supports_resources(request.action):
        request = Request(request.principal, request.action, "*", request.context)
    context = base_context(request)
    allows, denies, missing = [], [], []
    statements = [s for p in identity_policies for s in p.statements]
    for statement in statements:
        applies, lacked = _applies(statement, request, context)
        missing += [k for k in lacked if k not in missing]
        if applies:
            (denies if statement.is_deny else allows).append(statement)
    cross_account = _cross_account(request)
    resource_allows = []
    if resource_policy is not None:
        for statement in resource_policy.statements:
            if statement.not_principal is not None:
                named, root_only = not _spared(statement.not_principal, request.principal), False
            else:
                named, root_only = names_principal(statement.principal, request.principal)
            if not named:
                continue
            applies, lacked = _applies(statement, request, context)
            missing += [k for k in lacked if k not in missing]
            if not applies:
                continue
            if statement.is_deny:
                denies.append(statement)
            elif cross_account or not root_only:
                # Within one account, naming only the account delegates to its IAM policies: no grant
                # on its own. Across accounts it is the grant the other account's policies then need.
                resource_allows.append(statement)
    if denies:
        return Decision(EXPLICIT_DENY, tuple(denies), tuple(missing), request)
    if cross_account:
        # Another account's principal needs both: the resource policy grants its account (or it), and
        # its own identity policies allow the action (IAM User Guide, "Cross-account policy evaluation logic").
        if allows and resource_allows:
            return Decision(ALLOWED, tuple(allows + resource_allows), tuple(missing), request)
        return Decision(IMPLICIT_DENY, (), tuple(missing), request, lacking="identity" if not allows else "resource")
    if allows or resource_allows:
        return Decision(ALLOWED, tuple(allows + resource_allows), tuple(missing), request)
    return Decision(IMPLICIT_DENY, (), tuple(missing), request)


def _cross_account(request: Request) -> bool:
    """Is the resource in another account than the principal? (Its ARN names the account.)"""
    fields = request.resource.split(":", 5)
    account = fields[4] if len(fields) == 6 else ""
    principal = request.principal
    return bool(account and principal.account and not principal.service and account not in ("aws", "*")
                and "*" not in account and "?" not in account and account != principal.account)


def _spared(element, principal: Principal) -> bool:
    """Does a Deny's NotPrincipal spare this principal? Only when it lists every ARN AWS may judge it as:
    its account, its role or user, and for a role session the session's own ARN (IAM User Guide,
    "NotPrincipal": listing a role does not spare the role's sessions)."""
    values = {kind: set(found) for kind, found in _principal_values(element).items()}
    if principal.service:
        return principal.service.lower() in {v.lower() for v in values.get("Service", ())}
    named = values.get("AWS", set())
    wanted = [{principal.account, f"arn:aws:iam::{principal.account}:root"}, {principal.identity_arn}]
    if principal.arn != principal.identity_arn:
        wanted.append({principal.arn})
    return all(named & arns for arns in wanted)
