"""06 · Beyond the basics: an explicit Deny, a repository policy, a condition, a generated policy."""

from __future__ import annotations

from ... import facts
from ...policy import EXPLICIT_DENY
from .. import slips
from ..graders import (account_slips, by_effect, course_copy_slips, expected, file_slips, least_privilege_effect,
                       role_effect, role_missing, scoped_identity_start, snapshot)
from ..record import Exercise, Grade, Lesson, Record, Reference, Stage
from .l04_least_privilege import SCOPE

DENY_PUSH = """resource "aws_iam_role_policy" "deny_push" {
  name = "deny-push"
  role = aws_iam_role.ec2_ecr_role.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "NeverPush"
      Effect   = "Deny"
      Action   = ["ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"]
      Resource = "*"
    }]
  })
}
"""

REPOSITORY_POLICY = """resource "aws_ecr_repository_policy" "reports_app" {
  repository = data.aws_ecr_repository.other.name

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "InstanceMayPull"
      Effect    = "Allow"
      Principal = { AWS = aws_iam_role.ec2_ecr_role.arn }
      Action    = ["ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer"]
    }]
  })
}
"""


def _deny(account, answer) -> Grade:
    snap = snapshot(account)
    missing = role_missing(snap)
    if missing:
        return missing
    mine = role_effect(snap)
    pushes = [(a, r) for a, r in snap.world.questions(facts.PUSH)]
    denied = [pair for pair in pushes if mine.decisions[pair] == EXPLICIT_DENY]
    items = [(len(denied) == len(pushes), "every push action is explicitly denied on every repository" if len(denied) == len(pushes)
              else f"{len(pushes) - len(denied)} of {len(pushes)} push requests are not explicitly denied yet")]
    wanted = least_privilege_effect(snap, deny=True, repository_policy=bool(snap.role.repository_policies.get(facts.OTHER_REPOSITORY)))
    more, hint = by_effect(mine, wanted, exact_denies=facts.PUSH)
    asked = expected(account, snap, scoped=True, deny=facts.PUSH)
    found = (course_copy_slips(account, files=(DENY_FILE,))
             + file_slips(account, asked, DENY_FILE, _address(account, DENY_FILE, "aws_iam_role_policy", "deny_push"))
             + [s for s in account_slips(asked, snap) if s.id in ("allow-where-deny", "effect-case", "unknown-action",
                                                                  "missing-prefix", "managed-attached")])
    return Grade(items + more, hint, slips.ordered(found))


DENY_FILE, REPOSITORY_FILE = "deny_push.tf", "repository_policy.tf"


def _address(account, file: str, kind: str, default: str) -> str:
    """The address of the learner's ``kind`` block in ``file``, whatever its label (``default``: none yet)."""
    from ...terraform import config as tfconfig

    try:
        found = [b for b in tfconfig.blocks(account.directory) if b.file.name == file and b.address.startswith(kind + ".")]
    except tfconfig.ParseError:
        found = []
    return found[0].address if found else f"{kind}.{default}"


def _repository_policy(account, answer) -> Grade:
    snap = snapshot(account)
    missing = role_missing(snap)
    if missing:
        return missing
    other = facts.OTHER_REPOSITORY
    has = other in snap.role.repository_policies
    items = [(has, f"{other} has a repository policy" if has else f"{other} has no repository policy in the account yet")]
    document = snap.role.repository_policies.get(other) or {}
    strangers = _other_principals(document, facts.role_arn(account.id), account.id)
    if strangers:  # the grade by effect asks only about the instance; a repository policy also speaks to everyone else
        items.append((False, f"the repository policy also lets {', '.join(strangers)} in: its Principal should name "
                             "only the identity the instance's requests come from"))
    mine = role_effect(snap)
    deny = any(s.is_deny for p in snap.role.identity() for s in p.statements)
    more, hint = by_effect(mine, least_privilege_effect(snap, deny=deny, repository_policy=True))
    asked = expected(account, snap)
    found = (course_copy_slips(account, files=(REPOSITORY_FILE,))
             + file_slips(account, asked, REPOSITORY_FILE,
                          _address(account, REPOSITORY_FILE, "aws_ecr_repository_policy", other), kind="repository")
             + slips.repository_policy_slips(document, asked))
    return Grade(items + more, hint, slips.ordered(found))


def _other_principals(document: dict, role_arn: str, account: str) -> list[str]:
    """Principals other than the role that an Allow statement of a repository policy names ("*" is anyone).
    The account itself is not one of them: it delegates to the account's IAM policies (a slip says so);
    nor is a service principal or an instance profile, which reach no one (their slips say why)."""
    found = []
    delegating = {account, facts.account_root_arn(account)}
    for statement in _as_list(document.get("Statement")):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        names = ["*"] if principal == "*" else [p for kind, values in (principal or {}).items() if kind != "Service"
                                                for p in _as_list(values)]  # a service principal: its slip says why
        found += [f'anyone (Principal "{p}")' if p == "*" else p for p in names
                  if p != role_arn and p not in delegating and ":instance-profile/" not in p and p not in found]
    return found


def _as_list(value) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


DENY = Exercise("06-deny", _deny, reference=Reference("An explicit Deny for the four actions of a push, on every repository.",
                                    other_files=(("deny_push.tf", DENY_PUSH),)))
REPOSITORY = Exercise("06-repository-policy", _repository_policy, reference=Reference("The repository names the instance's role as a Principal; "
                                          "no Resource element (the repository is the resource).",
                                          other_files=(("repository_policy.tf", REPOSITORY_POLICY),)))

RECORD = Record(
    Lesson("06", "beyond-the-basics", "Beyond the basics", (
        "write an explicit `Deny`, and explain why it beats every `Allow`;",
        "grant access from the repository's side with an ECR repository policy;",
        "make a statement depend on a condition (a tag on the repository);",
        "place permissions boundaries and SCPs in the order AWS evaluates a request;",
        "generate a policy from what the instance really did, and review it before trusting it.",
    ), "06",
        summary="explicit Deny, repository policies, conditions, policies from observed calls"),
    Stage(False, SCOPE, own_files=("deny_push.tf", "repository_policy.tf"), premise=scoped_identity_start),
    (DENY, REPOSITORY),
)
