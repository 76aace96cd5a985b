"""02 · The AWS managed policy: read it, and tell the actions a pull needs from those that browse."""

from __future__ import annotations

from ... import facts
from ...account import policy_document
from ..graders import managed_start
from ..record import Exercise, Grade, Lesson, Record, Stage
from ..slips import action_slip

PULL_WITH_LOGIN = {facts.LOGIN.lower()} | {a.lower() for a in facts.PULL}

BROWSE = ["ecr:DescribeImageScanFindings", "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:GetLifecyclePolicy",
          "ecr:GetLifecyclePolicyPreview", "ecr:GetRepositoryPolicy", "ecr:ListImages", "ecr:ListTagsForResource"]


def _browse(account, answer) -> Grade:
    managed = {a.lower(): a for a in policy_document(account.client("iam"), facts.MANAGED_POLICY_ARN)["Statement"][0]["Action"]}
    optional = {a.lower() for a in facts.PULL_ACCEPTED if a not in facts.PULL_NEEDS}  # a pull works with or without it
    expected = {a for a in managed if a not in PULL_WITH_LOGIN}
    typed = [str(a).strip() for a in (answer or []) if str(a).strip()]
    if not typed:
        return Grade([(False, f"no answer yet: list the managed policy's actions that a pull does not need ({len(expected)} of them)")])
    checked = {a: action_slip(a, "Your list") for a in typed}  # a name IAM would not read is a slip, said once
    found = [slip for slip in checked.values() if slip]
    given = {a.lower() for a, slip in checked.items() if not slip}
    named = expected & given
    items = [(not (expected - given), f"named {len(named)} of the {len(expected)} browsing actions"
              + ("" if not (expected - given) else f"; {len(expected - given)} more to find in the managed policy"))]
    pulls = (given & PULL_WITH_LOGIN) - optional
    items.append((not pulls, "no action a pull needs is listed" if not pulls
                  else f"{', '.join(managed[a] for a in sorted(pulls))}: a pull needs {'it' if len(pulls) == 1 else 'them'}"))
    unknown = sorted({a for a in typed if a.lower() in given - set(managed)})
    if unknown:
        items.append((False, f"not in the managed policy: {', '.join(unknown)}"))
    return Grade(items, slips=found)


RECORD = Record(
    Lesson("02", "the-managed-policy", "The AWS managed policy", (
        "tell an AWS managed policy from a customer managed policy and an inline policy;",
        "find a managed policy by its ARN and read its document from the account;",
        "read a policy document: `Version`, `Statement`, `Effect`, `Action`, `Resource`;",
        "say which of its actions a pull needs (a login and two checks per repository) and which only let the instance look around;",
        "read the access matrix, and explain why `\"*\"` gives the instance more than its job needs.",
    ), "02",
        summary="read what `AmazonEC2ContainerRegistryReadOnly` actually allows"),
    Stage(True, None, premise=managed_start),
    (Exercise("02-browse", _browse, answer=BROWSE),),
)
