"""Exercises and their checks: what is right, what is missing, one hint; never the answer.

    check("04-scope")               # grades your own work: the account, the state, your files
    check("02-browse", my_answer)   # or an answer you typed
    solution("04-scope")            # the reference, collapsed; changes nothing
    solution("04-scope", apply=True)  # writes the reference into your files and applies it

Terraform exercises are graded by effect (``grading``): what the instance may do with
your policies, over every ECR action and every repository, compared with what the
reference allows. Any policy with the same effect passes, however it is written; the
hint is one request where yours differs. The classic mistakes (``mistakes``) are named.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Callable

from ..lab import Lab, current
from ..policy import EXPLICIT_DENY, parse
from ..terraform import config as tfconfig
from ..terraform import edits
from . import grading, mistakes, references, stages
from .grading import LOGIN, PUSH
from .mistakes import MANAGED_ARN, Mistake

POLICY = "ecr_custom_read_only"
PULL_WITH_LOGIN = {LOGIN.lower()} | {a.lower() for a in stages.PULL}
INTENDED = "flask_app"


@dataclass
class CheckResult:
    """One exercise's verdict; renders itself (HTML in a notebook, text elsewhere)."""

    name: str
    items: list[tuple[bool, str]] = field(default_factory=list)
    hint: str = ""
    mistakes: list[Mistake] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.items) and all(ok for ok, _ in self.items) and not self.mistakes

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        head = f"{'✅ passed' if self.passed else '❌ not yet'}: {self.name}"
        lines = [f"  {'✔' if ok else '✘'} {text}" for ok, text in self.items]
        lines += [f"  ✘ classic mistake ({m.name}): {m.message}" for m in self.mistakes]
        tail = [f"  hint: {self.hint}"] if not self.passed and self.hint else []
        return "\n".join([*self.notes, head, *lines, *tail])

    def _repr_html_(self) -> str:
        colour = "#e3f6e5" if self.passed else "#fde4e4"
        items = "".join(f"<li>{'✔' if ok else '✘'} {html.escape(text)}</li>" for ok, text in self.items)
        items += "".join(f'<li class="iamlab-mistake" data-mistake="{m.name}">✘ <b>classic mistake</b>: {html.escape(m.message)}</li>'
                         for m in self.mistakes)
        hint = f"<p><b>Hint:</b> {html.escape(self.hint)}</p>" if not self.passed and self.hint else ""
        notes = "".join(f"<p><i>{html.escape(n)}</i></p>" for n in self.notes)
        verdict = "passed" if self.passed else "not yet"
        return (f'{notes}<div class="iamlab-check" data-passed="{str(self.passed).lower()}" role="status" '
                f'style="background:{colour};padding:6px 10px;border-radius:4px"><b>{verdict}: {html.escape(self.name)}</b>'
                f"<ul>{items}</ul>{hint}</div>")

    html = _repr_html_  # the editor and older notebooks call .html()


@dataclass
class Grade:
    items: list[tuple[bool, str]]
    hint: str = ""
    mistakes: list[Mistake] = field(default_factory=list)


@dataclass
class Exercise:
    name: str
    grade: Callable[[Lab, object], Grade]
    hint: str  # the general hint, when no counterexample says more
    answer: object = None  # for exercises with a typed answer

    @property
    def reference(self) -> references.Reference | None:
        return references.REFERENCES.get(self.name)


EXERCISES: dict[str, Exercise] = {}


def exercise(name: str, hint: str, answer=None):
    def register(function):
        EXERCISES[name] = Exercise(name, function, hint, answer)
        return function
    return register


def _exercise(name: str) -> Exercise:
    if name not in EXERCISES:
        raise KeyError(f"There is no exercise {name!r}; the exercises are {', '.join(EXERCISES)}.")
    return EXERCISES[name]


def evaluate(name: str, answer=None, lab: Lab | None = None) -> CheckResult:
    """Grade, with no side effect at all."""
    item = _exercise(name)
    grade = item.grade(lab or current(), answer)
    passed = grade.items and all(ok for ok, _ in grade.items) and not grade.mistakes
    return CheckResult(name, grade.items, "" if passed else (grade.hint or item.hint), grade.mistakes)


def _unanswered(answer) -> bool:
    if isinstance(answer, dict):
        return all(value in (None, "", "?") for value in answer.values())
    return not answer


def check(name: str, answer=None, lab: Lab | None = None) -> CheckResult:
    """Grade an exercise and return the result (it renders itself). In solutions mode the
    reference is filled in (or applied) first, and the result says so."""
    from . import solutions_mode

    item = _exercise(name)
    notes = []
    if solutions_mode.enabled():
        if item.reference is None and _unanswered(answer):
            answer = item.answer
            notes.append("Solutions mode: the reference answer was filled in.")
        elif item.reference is not None and not evaluate(name, answer, lab).passed:
            apply_reference(name, lab or current())
            notes.append("Solutions mode: the reference solution was written and applied.")
    result = evaluate(name, answer, lab)
    result.notes = notes
    from ..classroom import record

    record.check_result(result)  # for the instructor's view on a hub; nothing without IAMLAB_CLASS_SPOOL
    return result


# -- solutions ------------------------------------------------------------------------
@dataclass
class SolutionView:
    """An exercise's reference, collapsed until the learner opens it; and what was done, if anything."""

    name: str
    markdown: str
    done: list[str] = field(default_factory=list)
    applied: bool = False

    def __str__(self) -> str:
        tail = ["", *self.done] if self.done else ["", "(Nothing was changed. solution(name, apply=True) writes and applies it.)"]
        return "\n".join([f"Reference solution for {self.name}:", self.markdown, *tail])

    def _repr_html_(self) -> str:
        from markdown_it import MarkdownIt

        body = MarkdownIt().render(self.markdown)
        done = "".join(f"<li>{html.escape(d)}</li>" for d in self.done)
        status = (f"<ul>{done}</ul>" if done else
                  f"<p><i>Nothing was changed. <code>solution({self.name!r}, apply=True)</code> writes it into your "
                  "working copy and applies it.</i></p>")
        return (f'<details class="iamlab-solution"><summary>Show the reference solution for {html.escape(self.name)}'
                f"</summary>{body}</details>{status}")


def _typed_answer_markdown(item: Exercise) -> str:
    import json

    return "```python\n" + json.dumps(item.answer, indent=4) + "\n```"


def solution(name: str, apply: bool = False, lab: Lab | None = None) -> SolutionView:
    """The reference, collapsed. Only ``apply=True`` changes anything: it writes the reference
    files (yours go to backups/), makes the hand edit, and applies."""
    item = _exercise(name)
    markdown = item.reference.markdown() if item.reference else _typed_answer_markdown(item)
    view = SolutionView(name, markdown)
    if apply and item.reference is not None:
        view.done = apply_reference(name, lab or current())
        view.applied = True
    elif apply:
        view.done = ["This exercise is an answer you type, not a change to the account: nothing to apply."]
    return view


def apply_reference(name: str, lab: Lab) -> list[str]:
    """Write the reference's files, make its hand edits, then apply (or destroy). Returns what was done."""
    from .magic import write_cell

    reference = references.REFERENCES[name]
    done = []
    for file_name, text in reference.files.items():
        written = write_cell(file_name, text, validate=False, directory=lab.directory)
        if not written.written:
            raise RuntimeError(f"The reference for {name} could not be written: {written.message}")
        done += [f"wrote {file_name}", *written.notes]
    for address in reference.comment_out:
        edit = edits.comment_out(lab.directory, address)
        if edit.changed:
            done.append(f"commented out {address} in {edit.file.name} (a copy is in {edit.backup})")
    result = lab.destroy() if reference.destroy else lab.apply()  # a progress line of its own, no log
    done.append(("destroyed: " if reference.destroy else "applied: ")
                + (", ".join(f"{n} {k}" for k, n in result.summary.items() if n) or "no changes"))
    return done


# -- reading the account once per check ---------------------------------------------------
@dataclass
class Snapshot:
    world: grading.World
    role: grading.RolePolicies

    @property
    def attached(self) -> set[str]:
        return set(self.role.attached)

    def custom_arn(self) -> str:
        return f"arn:aws:iam::{self.world.account}:policy/{POLICY}"


def snapshot(lab: Lab) -> Snapshot:
    world = grading.world_from_account(lab.client("iam"), lab.client("ecr"), lab.account, lab.region)
    return Snapshot(world, grading.read_role(lab.client("iam"), lab.client("ecr"), world))


def reference_document(model, world: grading.World) -> dict:
    model.region, model.account = world.region, world.account
    return model.document()


DENY_DOCUMENT = {"Version": "2012-10-17", "Statement": [{"Sid": "NeverPush", "Effect": "Deny", "Action": list(PUSH), "Resource": "*"}]}


def repository_policy_document(world: grading.World) -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "InstanceMayPull", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{world.account}:role/{world.role}"},
        "Action": list(stages.PULL)}]}


def _by_effect(learner: grading.Effect, reference: grading.Effect, exact_denies=(), whose="your policy",
               focus=(INTENDED,)) -> tuple[list[tuple[bool, str]], str]:
    """Items and the one counterexample, comparing two effects."""
    found = grading.differences(learner, reference, exact_denies)
    missing = [d for d in found if not d.too_much]
    extra = [d for d in found if d.too_much]
    asked = len(reference.decisions)
    items = [
        (not missing, f"the instance may do everything the exercise needs ({asked} requests compared)" if not missing
         else f"{len(missing)} request(s) the exercise needs {'are' if len(missing) > 1 else 'is'} not allowed as asked"),
        (not extra, "and nothing more" if not extra else f"{len(extra)} request(s) beyond the exercise are still allowed"),
    ]
    example = grading.counterexample(found, focus)
    return items, (example.sentence(whose) + "." if example else "")


def _file_state(lab: Lab, address: str) -> str | None:
    """Where the working copy declares ``address`` (file name), or None."""
    try:
        block = tfconfig.find(lab.directory, address)
    except tfconfig.ParseError as error:
        return f"!{error}"
    return block.file.name if block else None


def _not_applied_item(lab: Lab, address: str, what: str) -> tuple[bool, str]:
    where = _file_state(lab, address)
    if where and where.startswith("!"):
        return False, f"{what} is not in the account, and your files do not parse: {where[1:]}"
    if where:
        return False, f"{what} is declared in {where} but not in the account yet: run lab.apply()"
    return False, f"{what} is not written yet: fill in the %%tf cell (custom_policy.tf) and run it, or use the policy editor"


# -- the exercises --------------------------------------------------------------------------
@exercise("01-trust", hint="Read the Principal element of the role's trust policy (the assume_role_policy in main.tf).",
          answer="ec2.amazonaws.com")
def _trust(lab: Lab, answer) -> Grade:
    trust = lab.client("iam").get_role(RoleName=grading.ROLE)["Role"]["AssumeRolePolicyDocument"]
    services = {s for st in trust["Statement"] for s in ([st["Principal"]["Service"]] if isinstance(st["Principal"].get("Service"), str)
                                                          else st["Principal"].get("Service", []))}
    given = str(answer or "").strip()
    if not given:
        return Grade([(False, "no answer yet: type the principal's name between the quotes")])
    return Grade([(given in services, f"{given} is {'indeed' if given in services else 'not'} the principal the trust policy names")])


BROWSE_HINT = ("A pull is three permission checks: the login (ecr:GetAuthorizationToken), the manifest (ecr:BatchGetImage) and "
               "the layers (ecr:GetDownloadUrlForLayer). The managed policy's List and Read actions beyond those only let "
               "the instance look around. (ecr:BatchCheckLayerAvailability is not called on a pull: either way is accepted.)")


BROWSE = ["ecr:DescribeImageScanFindings", "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:GetLifecyclePolicy",
          "ecr:GetLifecyclePolicyPreview", "ecr:GetRepositoryPolicy", "ecr:ListImages", "ecr:ListTagsForResource"]


@exercise("02-browse", hint=BROWSE_HINT, answer=BROWSE)
def _browse(lab: Lab, answer) -> Grade:
    from ..account import policy_document

    managed = {a.lower(): a for a in policy_document(lab.client("iam"), MANAGED_ARN)["Statement"][0]["Action"]}
    optional = {"ecr:batchchecklayeravailability"}
    expected = {a for a in managed if a not in PULL_WITH_LOGIN}
    given = {str(a).strip().lower() for a in (answer or [])}
    if not given:
        return Grade([(False, f"no answer yet: list the managed policy's actions that a pull does not need ({len(expected)} of them)")])
    named = expected & given
    items = [(not (expected - given), f"named {len(named)} of the {len(expected)} browsing actions"
              + ("" if not (expected - given) else f"; {len(expected - given)} more to find in the managed policy"))]
    pulls = (given & PULL_WITH_LOGIN) - optional
    items.append((not pulls, "no action a pull needs is listed" if not pulls
                  else f"{', '.join(managed[a] for a in sorted(pulls))}: a pull needs {'it' if len(pulls) == 1 else 'them'}"))
    unknown = given - set(managed)
    if unknown:
        items.append((False, f"not in the managed policy: {', '.join(sorted(unknown))}"))
    return Grade(items)


CUSTOM_HINT = ('Write aws_iam_policy.ecr_custom_read_only with the four actions (login, BatchGetImage, '
               'BatchCheckLayerAvailability, GetDownloadUrlForLayer) on Resource "*", attach it with '
               "aws_iam_role_policy_attachment using the policy's .arn, then lab.apply(). (AWS's own "
               "AmazonEC2ContainerRegistryPullOnly is close to this; writing it yourself is the exercise.)")


@exercise("03-custom-policy", hint=CUSTOM_HINT)
def _custom(lab: Lab, answer) -> Grade:
    snap, arn, document = _custom_policy(lab)
    if document is None:
        return _custom_policy_not_applied(lab)
    mine = grading.effect(snap.world, grading.policies([(arn, document)]))
    wanted = grading.effect(snap.world, grading.policies([("reference", reference_document(stages.seed_policy(), snap.world))]))
    items, hint = _by_effect(mine, wanted, whose=POLICY)
    attached = arn in snap.attached
    items = [(True, f"{POLICY} exists in the account"), *items,
             (attached, "it is attached to ec2-ecr-role" if attached else
              "it is not attached to ec2-ecr-role: add aws_iam_role_policy_attachment.ecr_custom_read_only")]
    return Grade(items, hint, _file_mistakes(lab))


def _custom_policy(lab: Lab) -> tuple[Snapshot, str, dict | None]:
    """The account now, the custom policy's ARN, and its document (None: not in the account yet)."""
    from ..account import policy_document

    snap = snapshot(lab)
    arn = snap.custom_arn()
    return snap, arn, policy_document(lab.client("iam"), arn)


def _custom_policy_not_applied(lab: Lab) -> Grade:
    return Grade([_not_applied_item(lab, f"aws_iam_policy.{POLICY}", f"the policy {POLICY}")], mistakes=_file_mistakes(lab))


def _file_mistakes(lab: Lab) -> list[Mistake]:
    found = mistakes.pasted_arn(lab.directory)
    return [found] if found else []


@exercise("04-reference", hint="Point Resource at the repository through the data source main.tf declares "
                                "(data.aws_ecr_repository.pull.arn), then lab.apply().")
def _reference(lab: Lab, answer) -> Grade:
    snap, arn, document = _custom_policy(lab)
    if document is None:
        return _custom_policy_not_applied(lab)
    actions = [a for a, _ in snap.world.questions() if a != LOGIN]  # the login is step 2's lesson
    mine = grading.effect(snap.world, grading.policies([(POLICY, document)]), actions=actions)
    wanted = grading.effect(snap.world, grading.policies([("reference", reference_document(stages.referenced_policy(), snap.world))]),
                            actions=actions)
    items, hint = _by_effect(mine, wanted, whose=POLICY)
    found = _file_mistakes(lab)
    star = mistakes.star_on_pull(grading.policies([(POLICY, document)]), snap.world, INTENDED)
    return Grade(items, hint, found + ([star] if star else []))


@exercise("04-detach", hint="Open workspace/tf/main.tf in JupyterLab, put # before each line of "
                             'resource "aws_iam_role_policy_attachment" "ecr_read_only" { ... }, save, then lab.apply().')
def _detach(lab: Lab, answer) -> Grade:
    snap = snapshot(lab)
    in_files = edits.is_active(lab.directory, stages.MANAGED_ATTACHMENT)
    in_account = MANAGED_ARN in snap.attached
    items = [
        (not in_files, f"{stages.MANAGED_ATTACHMENT} is commented out in your files" if not in_files
         else f"{stages.MANAGED_ATTACHMENT} is still active in main.tf"),
        (not in_account, "the managed policy is no longer attached to the role" if not in_account
         else "AmazonEC2ContainerRegistryReadOnly is still attached in the account"
              + (": your files are right, now run lab.apply()" if not in_files else "")),
    ]
    return Grade(items)


SCOPE_HINT = ('Keep the pull actions on the repository, move ecr:GetAuthorizationToken into its own statement with '
              'Resource "*", and make sure the managed policy is no longer attached. Then lab.apply().')


def _role_effect(snap: Snapshot) -> grading.Effect:
    return grading.effect(snap.world, snap.role.identity(), snap.role.resource())


def _least_privilege_effect(snap: Snapshot, deny: bool = False, repository_policy: bool = False) -> grading.Effect:
    identity = [("reference", reference_document(stages.least_privilege_policy(), snap.world))]
    if deny:
        identity.append(("reference deny", DENY_DOCUMENT))
    resource = {"reports_app": parse(repository_policy_document(snap.world), "reference repository policy", "resource")} \
        if repository_policy else {}
    return grading.effect(snap.world, grading.policies(identity), resource)


def _role_missing(snap: Snapshot) -> Grade | None:
    if not snap.role.exists:
        return Grade([(False, "there is no role ec2-ecr-role in the account: go back to the lesson's start (lab.goto)")])
    return None


def _all_mistakes(lab: Lab, snap: Snapshot) -> list[Mistake]:
    mine = [p for p in snap.role.identity() if p.source_type != "aws-managed"]
    found = [mistakes.login_scoped(mine), mistakes.managed_attached(snap.attached),
             mistakes.star_on_pull(mine, snap.world, INTENDED), mistakes.pasted_arn(lab.directory)]
    return [m for m in found if m]


@exercise("04-scope", hint=SCOPE_HINT)
def _scope(lab: Lab, answer) -> Grade:
    snap = snapshot(lab)
    missing = _role_missing(snap)
    if missing:
        return missing
    items, hint = _by_effect(_role_effect(snap), _least_privilege_effect(snap), whose="your policy")
    attached = snap.custom_arn() in snap.attached
    items.insert(0, (attached, f"{POLICY} is attached" if attached else f"{POLICY} is not attached to the role"))
    return Grade(items, hint, _all_mistakes(lab, snap))


PREDICT_ANSWER = {"describe": "denied", "list:flask_app": "denied", "list:reports_app": "denied", "login": "allowed",
                  "pull:flask_app": "allowed", "pull:reports_app": "denied", "push:flask_app": "denied"}


@exercise("05-predict", hint="Only the two statements of your policy allow anything: a login, and a pull of one repository.",
          answer=PREDICT_ANSWER)
def _predict(lab: Lab, answer) -> Grade:
    given = {k: v for k, v in dict(answer or {}).items() if v not in (None, "", "?")}
    if not given:
        return Grade([(False, f"no prediction yet: write allowed or denied for each of the {len(PREDICT_ANSWER)} questions")])
    return Grade([(given.get(key) == value, f"{key}: you said {given.get(key, 'nothing')}"
                   + ("" if given.get(key) == value else ", which is not what the instance gets"))
                  for key, value in PREDICT_ANSWER.items()])


@exercise("06-deny", hint='Add a policy to the role (deny_push.tf) with Effect "Deny" for the four actions of a push '
                          '(ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:PutImage) on Resource "*", then apply.')
def _deny(lab: Lab, answer) -> Grade:
    snap = snapshot(lab)
    missing = _role_missing(snap)
    if missing:
        return missing
    mine = _role_effect(snap)
    pushes = [(a, r) for a, r in snap.world.questions(PUSH)]
    denied = [pair for pair in pushes if mine.decisions[pair] == EXPLICIT_DENY]
    items = [(len(denied) == len(pushes), "every push action is explicitly denied on every repository" if len(denied) == len(pushes)
              else f"{len(pushes) - len(denied)} of {len(pushes)} push requests are not explicitly denied yet")]
    wanted = _least_privilege_effect(snap, deny=True, repository_policy=bool(snap.role.repository_policies.get("reports_app")))
    more, hint = _by_effect(mine, wanted, exact_denies=PUSH)
    return Grade(items + more, hint, _file_mistakes(lab))


@exercise("06-repository-policy", hint="In repository_policy.tf, give reports_app an aws_ecr_repository_policy whose statement "
                                       "names the instance's role (aws_iam_role.ec2_ecr_role.arn) as Principal and allows the "
                                       "pull actions; no Resource element. Then apply.")
def _repository_policy(lab: Lab, answer) -> Grade:
    snap = snapshot(lab)
    missing = _role_missing(snap)
    if missing:
        return missing
    has = "reports_app" in snap.role.repository_policies
    items = [(has, "reports_app has a repository policy" if has else "reports_app has no repository policy in the account yet")]
    strangers = _other_principals(snap.role.repository_policies.get("reports_app") or {}, f"arn:aws:iam::{lab.account}:role/{grading.ROLE}")
    if strangers:  # the grade by effect asks only about the instance; a repository policy also speaks to everyone else
        items.append((False, f"the repository policy also lets {', '.join(strangers)} in: its Principal should name only "
                             "the instance's role (aws_iam_role.ec2_ecr_role.arn)"))
    mine = _role_effect(snap)
    deny = any(s.is_deny for p in snap.role.identity() for s in p.statements)
    more, hint = _by_effect(mine, _least_privilege_effect(snap, deny=deny, repository_policy=True))
    return Grade(items + more, hint, _file_mistakes(lab))


def _other_principals(document: dict, role_arn: str) -> list[str]:
    """Principals other than the role that an Allow statement of a repository policy names ("*" is anyone)."""
    found = []
    for statement in _as_list(document.get("Statement")):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        names = ["*"] if principal == "*" else [p for values in (principal or {}).values() for p in _as_list(values)]
        found += [f'anyone (Principal "{p}")' if p == "*" else p for p in names if p != role_arn and p not in found]
    return found


def _as_list(value) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


@exercise("07-clean", hint="Run lab.destroy() (or python -m iamlab destroy), then check again.")
def _clean(lab: Lab, answer) -> Grade:
    from ..cleanup import leftovers

    left = leftovers(lab.client)
    return Grade([(not left, "nothing the course created is left" if not left else f"still there: {', '.join(left)}")])

