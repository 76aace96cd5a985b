"""Exercises with instant self-checks, and their reference solutions.

    check("04-scope")               # inspects your working copy and the account
    check("02-browse", my_answer)   # or checks an answer you typed
    solution("04-scope")            # the reference answer behind a reveal; applies it only
                                    # if your own answer does not pass yet, so you can go on

Each check says what is right, what is missing, and gives a hint.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Callable

from ..account import policy_document
from ..lab import Lab, current, show_html
from ..editor.model import terraform_block
from .stages import PULL, least_privilege_policy, seed_policy

MANAGED_ARN = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
POLICY = "ecr_custom_read_only"
PULL_WITH_LOGIN = {"ecr:getauthorizationtoken"} | {a.lower() for a in PULL}


@dataclass
class CheckResult:
    name: str
    items: list[tuple[bool, str]] = field(default_factory=list)
    hint: str = ""

    @property
    def passed(self) -> bool:
        return bool(self.items) and all(ok for ok, _ in self.items)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        head = f"{'✅ passed' if self.passed else '❌ not yet'}: {self.name}"
        lines = [f"  {'✔' if ok else '✘'} {text}" for ok, text in self.items]
        tail = [f"  hint: {self.hint}"] if not self.passed and self.hint else []
        return "\n".join([head, *lines, *tail])

    def html(self) -> str:
        colour = "#e3f6e5" if self.passed else "#fde4e4"
        items = "".join(f"<li>{'✔' if ok else '✘'} {html.escape(text)}</li>" for ok, text in self.items)
        hint = f"<p><b>Hint:</b> {html.escape(self.hint)}</p>" if not self.passed and self.hint else ""
        verdict = "passed" if self.passed else "not yet"
        return (f'<div class="iamlab-check" data-passed="{str(self.passed).lower()}" role="status" '
                f'style="background:{colour};padding:6px 10px;border-radius:4px"><b>{verdict}: {html.escape(self.name)}</b>'
                f"<ul>{items}</ul>{hint}</div>")


@dataclass
class Exercise:
    name: str
    check: Callable[[Lab, object], list[tuple[bool, str]]]
    hint: str
    solution_markdown: str
    apply_solution: Callable[[Lab], None] | None = None  # for exercises about the account/working copy
    answer: object = None  # for exercises with a typed answer


EXERCISES: dict[str, Exercise] = {}


def exercise(name: str, hint: str, solution_markdown: str, apply_solution=None, answer=None):
    def register(function):
        EXERCISES[name] = Exercise(name, function, hint, solution_markdown, apply_solution, answer)
        return function
    return register


def evaluate(name: str, answer=None, lab: Lab | None = None) -> CheckResult:
    if name not in EXERCISES:
        raise KeyError(f"There is no exercise {name!r}; the exercises are {', '.join(EXERCISES)}.")
    item = EXERCISES[name]
    return CheckResult(name, item.check(lab or current(), answer), item.hint)


def _unanswered(answer) -> bool:
    if isinstance(answer, dict):
        return all(value in (None, "", "?") for value in answer.values())
    return not answer


def check(name: str, answer=None, lab: Lab | None = None) -> CheckResult:
    """Check an exercise and show the result. In solutions mode, fill in the solution first."""
    from . import solutions_mode

    if solutions_mode.enabled() and name in EXERCISES:
        item = EXERCISES[name]
        if item.apply_solution is None and _unanswered(answer):
            answer = item.answer
            show_html("<p><i>Solutions mode: the reference answer was filled in.</i></p>", "(solutions mode: reference answer filled in)")
        elif item.apply_solution is not None and not evaluate(name, lab=lab).passed:
            item.apply_solution(lab or current())
            show_html("<p><i>Solutions mode: the reference solution was applied.</i></p>", "(solutions mode: reference solution applied)")
    result = evaluate(name, answer, lab)
    show_html(result.html(), str(result))
    return result


def solution(name: str, lab: Lab | None = None):
    """Show the reference solution (collapsed), and apply it if your answer does not pass yet."""
    lab = lab or current()
    item = EXERCISES[name]
    from markdown_it import MarkdownIt

    body = MarkdownIt().render(item.solution_markdown)
    note = ""
    if item.apply_solution is not None:
        if evaluate(name, lab=lab).passed:
            note = "Your own answer already passes: nothing was changed."
        else:
            item.apply_solution(lab)
            note = "Your answer did not pass yet, so the reference solution was applied to let the lesson go on."
    show_html(f'<details class="iamlab-solution"><summary>Show the reference solution for {html.escape(name)}</summary>{body}</details>'
              + (f"<p><i>{html.escape(note)}</i></p>" if note else ""), f"Reference solution for {name}:\n{item.solution_markdown}\n{note}")
    return item.answer


# -- helpers that ask the account ---------------------------------------------------
def _document(lab: Lab, arn: str) -> dict | None:
    return policy_document(lab.client("iam"), arn)


def _attached(lab: Lab) -> set[str]:
    try:
        attached = lab.client("iam").list_attached_role_policies(RoleName="ec2-ecr-role")["AttachedPolicies"]
    except lab.client("iam").exceptions.NoSuchEntityException:
        return set()
    return {a["PolicyArn"] for a in attached}


def _decisions(lab: Lab, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    iam, role = lab.client("iam"), f"arn:aws:iam::{lab.account}:role/ec2-ecr-role"
    return {(a, r): iam.simulate_principal_policy(PolicySourceArn=role, ActionNames=[a], ResourceArns=[r])["EvaluationResults"][0]["EvalDecision"]
            for a, r in pairs}


def _apply_stage_policy(lab: Lab, model, managed: bool) -> None:
    from ..editor import io as policy_io

    model.region, model.account = lab.info.region, lab.account
    policy_io.write(lab.directory, model)
    if not managed:
        lab.comment_out("aws_iam_role_policy_attachment.ecr_read_only")
    lab.apply()


# -- the exercises ---------------------------------------------------------------------
@exercise("01-trust", hint="Read the Principal element of the role's trust policy (the assume_role_policy in main.tf).",
          solution_markdown='`"ec2.amazonaws.com"`: the EC2 service, acting for an instance that wears the profile.',
          answer="ec2.amazonaws.com")
def _trust(lab: Lab, answer) -> list[tuple[bool, str]]:
    trust = lab.client("iam").get_role(RoleName="ec2-ecr-role")["Role"]["AssumeRolePolicyDocument"]
    services = {s for st in trust["Statement"] for s in ([st["Principal"]["Service"]] if isinstance(st["Principal"].get("Service"), str)
                                                          else st["Principal"].get("Service", []))}
    given = str(answer or "").strip()
    return [(given in services, f"{given or '(nothing)'} is {'indeed' if given in services else 'not'} the principal the trust policy names")]


BROWSE = ["ecr:DescribeImageScanFindings", "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:GetLifecyclePolicy",
          "ecr:GetLifecyclePolicyPreview", "ecr:GetRepositoryPolicy", "ecr:ListImages", "ecr:ListTagsForResource"]


@exercise("02-browse", hint="A pull needs four actions: one to log in, one for the manifest, two for the layers. Everything else in the "
                            "managed policy only lets the instance look around.",
          solution_markdown="```python\nbrowse = " + json.dumps(BROWSE, indent=4) + "\n```", answer=BROWSE)
def _browse(lab: Lab, answer) -> list[tuple[bool, str]]:
    managed = {a.lower(): a for a in _document(lab, MANAGED_ARN)["Statement"][0]["Action"]}
    expected = {a for a in managed if a not in PULL_WITH_LOGIN}
    given = {str(a).strip().lower() for a in (answer or [])}
    items = [(not (expected - given), f"named {len(expected & given)} of the {len(expected)} browsing actions"
              + (f"; missing: {', '.join(sorted(managed[a] for a in expected - given))}" if expected - given else ""))]
    pulls = given & PULL_WITH_LOGIN
    items.append((not pulls, "no pull action listed" if not pulls else f"{', '.join(sorted(pulls))} is needed to pull, not to browse"))
    unknown = given - set(managed)
    if unknown:
        items.append((False, f"not in the managed policy: {', '.join(sorted(unknown))}"))
    return items


@exercise("03-custom-policy",
          hint="In the editor: keep the four pull actions and 'All resources', then press Apply. The editor also attaches the policy to the role.",
          solution_markdown="```hcl\n" + terraform_block(seed_policy()) + "```",
          apply_solution=lambda lab: _apply_stage_policy(lab, seed_policy(), managed=True))
def _custom(lab: Lab, answer) -> list[tuple[bool, str]]:
    arn = f"arn:aws:iam::{lab.account}:policy/{POLICY}"
    document = _document(lab, arn)
    if document is None:
        return [(False, f"there is no policy named {POLICY} in the account yet (did the apply run?)")]
    allowed = {a.lower() for st in document["Statement"] if st["Effect"] == "Allow"
               for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}
    return [
        (True, f"{POLICY} exists"),
        (allowed == PULL_WITH_LOGIN, "it allows exactly the four pull actions" if allowed == PULL_WITH_LOGIN
         else f"it allows {', '.join(sorted(allowed))}; expected the four pull actions"),
        (arn in _attached(lab), "it is attached to ec2-ecr-role" if arn in _attached(lab) else "it is not attached to ec2-ecr-role"),
    ]


@exercise("04-scope",
          hint='Scope the pull actions to flask_app, move GetAuthorizationToken into its own statement with Resource "*", '
               "and comment out the managed policy's attachment in main.tf. Then apply.",
          solution_markdown=("In `main.tf`, comment out the managed policy's attachment:\n\n```hcl\n# resource \"aws_iam_role_policy_attachment\" \"ecr_read_only\" {\n#   ...\n# }\n```\n\nand the custom policy becomes (the editor writes exactly this):\n\n```hcl\n"
                             + terraform_block(least_privilege_policy()) + "```"),
          apply_solution=lambda lab: _apply_stage_policy(lab, least_privilege_policy(), managed=False))
def _scope(lab: Lab, answer) -> list[tuple[bool, str]]:
    region, account = lab.info.region, lab.account
    repo = lambda name: f"arn:aws:ecr:{region}:{account}:repository/{name}"  # noqa: E731
    attached = _attached(lab)
    custom = f"arn:aws:iam::{account}:policy/{POLICY}"
    decisions = _decisions(lab, [("ecr:GetAuthorizationToken", "*"), ("ecr:BatchGetImage", repo("flask_app")),
                                 ("ecr:BatchGetImage", repo("reports_app")), ("ecr:DescribeRepositories", repo("*"))])
    files = [*lab.directory.glob("*.tf"), *lab.directory.glob("*.tf.json")]
    pasted = [p.name for p in files if not p.name.endswith("_override.tf") and re.search(r"repository/flask_app", p.read_text())]
    return [
        (custom in attached, f"{POLICY} is attached" if custom in attached else f"{POLICY} is not attached to the role"),
        (MANAGED_ARN not in attached, "the managed policy is no longer attached" if MANAGED_ARN not in attached
         else "AmazonEC2ContainerRegistryReadOnly is still attached: while it is, it allows everything the lesson removes"),
        (decisions[("ecr:GetAuthorizationToken", "*")] == "allowed", 'login is allowed (GetAuthorizationToken on "*")'
         if decisions[("ecr:GetAuthorizationToken", "*")] == "allowed" else 'login is denied: GetAuthorizationToken needs its own Resource "*" statement'),
        (decisions[("ecr:BatchGetImage", repo("flask_app"))] == "allowed", "pulling flask_app is allowed"
         if decisions[("ecr:BatchGetImage", repo("flask_app"))] == "allowed" else "pulling flask_app is denied"),
        (decisions[("ecr:BatchGetImage", repo("reports_app"))] != "allowed", "pulling reports_app is denied"
         if decisions[("ecr:BatchGetImage", repo("reports_app"))] != "allowed" else "pulling reports_app is still allowed"),
        (decisions[("ecr:DescribeRepositories", repo("*"))] != "allowed", "describing repositories is denied"),
        (not pasted, "the repository's ARN is referenced, not pasted" if not pasted
         else f"the flask_app ARN is typed into {', '.join(pasted)}: refer to a data source's .arn instead"),
    ]


@exercise("05-predict", hint="Only the two statements of your policy allow anything: a login, and a pull of one repository.",
          solution_markdown="```python\npredictions = " + json.dumps({
              "describe": "denied", "list:flask_app": "denied", "list:reports_app": "denied", "login": "allowed",
              "pull:flask_app": "allowed", "pull:reports_app": "denied", "push:flask_app": "denied"}, indent=4) + "\n```",
          answer={"describe": "denied", "list:flask_app": "denied", "list:reports_app": "denied", "login": "allowed",
                  "pull:flask_app": "allowed", "pull:reports_app": "denied", "push:flask_app": "denied"})
def _predict(lab: Lab, answer) -> list[tuple[bool, str]]:
    truth = EXERCISES["05-predict"].answer
    given = dict(answer or {})
    return [(given.get(key) == value, f"{key}: you said {given.get(key, 'nothing')}, the instance is {value}")
            for key, value in truth.items()]


DENY_PUSH = """resource "aws_iam_role_policy" "deny_push" {
  name = "deny-push"
  role = aws_iam_role.ec2_ecr_role.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "NeverPush"
      Effect   = "Deny"
      Action   = ["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"]
      Resource = "*"
    }]
  })
}
"""


def _apply_deny(lab: Lab) -> None:
    lab.write_tf("deny_push.tf", DENY_PUSH)
    lab.apply()


@exercise("06-deny", hint='Add a statement with Effect "Deny" for ecr:PutImage (and the layer upload actions) on Resource "*", '
                          "in a policy of the role, and apply.",
          solution_markdown="In a file of your own, `deny_push.tf`:\n\n```hcl\n" + DENY_PUSH + "```", apply_solution=_apply_deny)
def _deny(lab: Lab, answer) -> list[tuple[bool, str]]:
    region, account = lab.info.region, lab.account
    decisions = _decisions(lab, [("ecr:PutImage", f"arn:aws:ecr:{region}:{account}:repository/{name}") for name in ("flask_app", "reports_app")]
                           + [("ecr:BatchGetImage", f"arn:aws:ecr:{region}:{account}:repository/flask_app")])
    items = [(decisions[("ecr:PutImage", f"arn:aws:ecr:{region}:{account}:repository/{n}")] == "explicitDeny",
              f"pushing to {n} is explicitly denied" if decisions[("ecr:PutImage", f"arn:aws:ecr:{region}:{account}:repository/{n}")] == "explicitDeny"
              else f"pushing to {n} is {decisions[('ecr:PutImage', f'arn:aws:ecr:{region}:{account}:repository/{n}')]}, not explicitDeny")
             for n in ("flask_app", "reports_app")]
    pull = decisions[("ecr:BatchGetImage", f"arn:aws:ecr:{region}:{account}:repository/flask_app")]
    items.append((pull == "allowed", "pulling flask_app still works" if pull == "allowed" else f"pulling flask_app is now {pull}: deny less"))
    return items


@exercise("07-clean", hint="Run lab.destroy() (or python -m iamlab destroy), then check again.",
          solution_markdown="```python\nlab.destroy()\n```", apply_solution=lambda lab: lab.destroy())
def _clean(lab: Lab, answer) -> list[tuple[bool, str]]:
    from ..cleanup import leftovers

    left = leftovers(lab.client)
    return [(not left, "nothing the course created is left" if not left else f"still there: {', '.join(left)}")]
