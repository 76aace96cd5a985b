"""What can the instance do? The access matrix, before and after the last apply.

Each row is a question the lesson cares about (describe repositories, list images,
log in, pull each repository, push to flask_app): a typed ``Question`` (a kind of
request, and the repository it acts on), and ``ASKED`` is the one table of how each
kind is asked. A new row kind is one line there. A *probe* answers a question:

* ``InstanceProbe`` makes the real call with the instance's own credentials in
  the sandbox: the truth, as the instance experiences it;
* ``SimulatorProbe`` asks IAM's policy simulator (the sandbox's, or real AWS's),
  which also names the statement that decided.

The matrix keeps the previous answers, so the learner sees what their change did.
"""

from __future__ import annotations

import html
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Callable

from botocore.exceptions import ClientError

from . import facts
from .account import as_dict, policy_document
from .pull import pull_steps, registry_login


@dataclass(frozen=True)
class Question:
    """One thing the instance tries: a ``kind`` of request (a row of ``ASKED``), on ``repository``
    when the kind acts on one. ``resource`` is the ARN asked about (not part of the question's
    identity, so answers carry over when the account is asked again)."""

    kind: str
    repository: str | None = None
    resource: str = field(default="*", compare=False)

    @property
    def key(self) -> str:
        """The learner's name for it (predictions, the access report): ``"pull:flask_app"``, ``"login"``."""
        return f"{self.kind}:{self.repository}" if self.repository else self.kind

    @property
    def asked(self) -> "Asked":
        return ASKED[self.kind]

    @property
    def action(self) -> str:
        return self.asked.action

    @property
    def label(self) -> str:
        return self.asked.label.format(repository=self.repository)


@dataclass(frozen=True)
class Cell:
    """One answer. ``step`` and ``action`` name what decided it: for a pull refused at the
    login, the login (``ecr:GetAuthorizationToken``), not the manifest's permission.
    ``simulated`` is the policy simulator's answer when one was asked beside the real call."""

    allowed: bool
    detail: str = ""
    statement: str = ""
    step: str = ""
    action: str = ""
    simulated: bool | None = None

    @property
    def word(self) -> str:
        return "allowed" if self.allowed else "denied"

    @property
    def disagrees(self) -> bool:
        return self.simulated is not None and self.simulated != self.allowed


# Which repositories a kind of question is asked about.
ACCOUNT = "the account"  # once, about every repository (resource repository/*)
ANYWHERE = "no repository"  # once, on "*": the action acts on no repository
EACH = "each repository"
PULLED = "the pulled repository"  # the lesson's own (facts.PULL_REPOSITORY), if the account has it


def lesson_questions(repositories: list[str], region: str, account: str) -> list[Question]:
    """The matrix's rows, in ``ASKED``'s order."""
    questions = []
    for kind, asked in ASKED.items():
        if asked.on == ACCOUNT:
            questions.append(Question(kind, resource=facts.repository_arn(region, account, "*")))
        elif asked.on == ANYWHERE:
            questions.append(Question(kind))
        else:
            names = repositories if asked.on == EACH else [r for r in repositories if r == facts.PULL_REPOSITORY]
            questions += [Question(kind, r, facts.repository_arn(region, account, r)) for r in names]
    return questions


def pull_permissions(question: Question) -> list[tuple[str, str, str]]:
    """(step, action, resource) a pull needs, in the order a registry client asks."""
    return [("log in", facts.LOGIN, "*"), ("manifest", "ecr:BatchGetImage", question.resource),
            ("layers", "ecr:GetDownloadUrlForLayer", question.resource)]


def _denied(error: ClientError, question: Question, step: str = "") -> Cell:
    return Cell(False, error.response["Error"].get("Message", str(error)), step=step, action=question.action)


class InstanceProbe:
    """Real calls, signed with the instance's role credentials."""

    def __init__(self, instance_id: str, info=None):
        from .sandbox import instance

        self.instance_id = instance_id
        self.ecr = instance.session(instance_id, info).client("ecr")
        self._login: tuple[str, str] | ClientError | None = None
        self._login_lock = threading.Lock()

    def login(self) -> tuple[str, str] | ClientError:
        """One registry login shared by every pull check: (host, password), or the refusal."""
        with self._login_lock:
            if self._login is None:
                try:
                    self._login = registry_login(self.instance_id, self.ecr)
                except ClientError as error:
                    self._login = error
            return self._login

    def run(self, question: Question) -> Cell:
        try:
            answer = question.asked.call(self, question)
        except ClientError as error:
            return _denied(error, question)
        return answer if isinstance(answer, Cell) else Cell(True, answer, action=question.action)

    def _login(self, question: Question) -> Cell:
        """The same login the pulls use: one answer for both rows."""
        login = self.login()
        if isinstance(login, ClientError):
            return _denied(login, question, "log in")
        return Cell(True, "token issued", action=question.action)

    def _pull(self, check: Question) -> Cell:
        login = self.login()
        if isinstance(login, ClientError):  # the pull stops at its first step
            message = login.response["Error"].get("Message", str(login))
            return Cell(False, f"login refused: {message}", step="log in", action=facts.LOGIN)
        report = pull_steps(self.instance_id, check.repository, login=login)
        if report.pulled:
            return Cell(True, "manifest and layers downloaded", action=check.action)
        step = report.denied_step
        if step is None:
            return Cell(False, "not pulled", action=check.action)
        action = step.permission if step.permission.startswith("ecr:") else check.action
        return Cell(False, f"{step.name}: {step.detail}", step=step.name, action=action)

    def _push(self, check: Question) -> Cell:
        repository = check.repository
        # Re-push the image that is there: harmless if allowed (AWS answers ImageAlreadyExists).
        image = None
        try:
            image = self.ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageTag": "latest"}])["images"][0]
        except (ClientError, IndexError):
            pass
        manifest = image["imageManifest"] if image else json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": {}, "layers": []})
        try:
            self.ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag="latest")
        except ClientError as error:
            if error.response["Error"]["Code"] == "ImageAlreadyExistsException":
                return Cell(True, "push accepted (the same image was already there)", action=check.action)
            return _denied(error, check)
        return Cell(True, "push accepted", action=check.action)


class SimulatorProbe:
    """IAM's policy simulator: a decision and the statement behind it, without calling the service."""

    def __init__(self, iam_client, role_arn: str):
        self.iam, self.role_arn = iam_client, role_arn
        self._documents: dict[str, dict | None] = {}

    def decide(self, action: str, resource: str) -> dict:
        return self.iam.simulate_principal_policy(
            PolicySourceArn=self.role_arn, ActionNames=[action], ResourceArns=[resource])["EvaluationResults"][0]

    def run(self, check: Question) -> Cell:
        """One decision; for a pull, each permission in turn, and the first refusal decides."""
        steps = pull_permissions(check) if check.kind == "pull" else [("", check.action, check.resource)]
        for step, action, resource in steps:
            result = self.decide(action, resource)
            if result["EvalDecision"] != "allowed":
                return Cell(False, result["EvalDecision"], describe_statements(result, self.document), step, action)
            if action == check.action:
                allowed = result
        return Cell(True, "allowed", describe_statements(allowed, self.document), action=check.action)

    def explain(self, action: str, resource: str) -> str:
        """The statements behind one permission's decision (for the step a real call stopped at)."""
        return describe_statements(self.decide(action, resource), self.document)

    def document(self, source_id: str, source_type: str) -> dict | None:
        """The policy a matched statement came from (managed or inline), read once."""
        if source_id not in self._documents:
            try:
                if source_id.startswith("arn:"):
                    self._documents[source_id] = policy_document(self.iam, source_id)
                else:
                    self._documents[source_id] = as_dict(self.iam.get_role_policy(
                        RoleName=self.role_arn.rsplit("/", 1)[-1], PolicyName=source_id)["PolicyDocument"])
            except ClientError:
                self._documents[source_id] = None
        return self._documents[source_id]


def _statement_index(document: dict, line: int, column: int) -> int | None:
    """Which statement starts at the simulator's position? Policies come back parsed, so try
    the layouts AWS and Terraform store them in (minified by jsonencode, or indented)."""
    from .policy import parse

    for text in (json.dumps(document, separators=(",", ":")), json.dumps(document, indent=2), json.dumps(document, indent=4)):
        for index, statement in enumerate(parse(text).statements):
            if (statement.start.line, statement.start.column) == (line, column):
                return index
    return None


def describe_statements(result: dict, lookup=None) -> str:
    """"ecr_custom_read_only, statement 2 (PullFlask)" for each statement that decided."""
    matched = result.get("MatchedStatements") or []
    if not matched:
        return "no statement allows it (implicit deny)" if result["EvalDecision"] != "allowed" else ""
    parts = []
    for statement in matched:
        name = statement["SourcePolicyId"].rsplit("/", 1)[-1]
        document = lookup(statement["SourcePolicyId"], statement.get("SourcePolicyType")) if lookup else None
        index = _statement_index(document, statement["StartPosition"]["Line"], statement["StartPosition"]["Column"]) if document else None
        if index is None:
            parts.append(f"{name} (lines {statement['StartPosition']['Line']}-{statement['EndPosition']['Line']})")
            continue
        raw = document["Statement"]
        sid = (raw[index] if isinstance(raw, list) else raw).get("Sid")
        parts.append(f"{name}, statement {index + 1}" + (f" ({sid})" if sid else ""))
    prefix = "explicit Deny in " if result["EvalDecision"] == "explicitDeny" else ""
    return prefix + "; ".join(parts)


def _resource_of(question: Question, action: str) -> str:
    steps = {a: r for _, a, r in pull_permissions(question)} if question.kind == "pull" else {}
    return steps.get(action, question.resource)


@dataclass(frozen=True)
class Asked:
    """How one kind of question is asked: its row label, the permission it needs, which
    repositories it is asked about, and the real call as the instance (a ``Cell``, or the
    detail of an allowed answer)."""

    label: str
    action: str
    on: str
    call: Callable[[InstanceProbe, Question], Cell | str]


ASKED: dict[str, Asked] = {  # the matrix's rows, in order: one line per kind of question
    "describe": Asked("describe repositories", "ecr:DescribeRepositories", ACCOUNT,
                      lambda probe, q: f"{len(probe.ecr.describe_repositories()['repositories'])} repositories"),
    "list": Asked("list images in {repository}", "ecr:ListImages", EACH,
                  lambda probe, q: f"{len(probe.ecr.list_images(repositoryName=q.repository)['imageIds'])} image(s)"),
    "login": Asked("log in to the registry", facts.LOGIN, ANYWHERE, InstanceProbe._login),
    "pull": Asked("pull {repository}:latest", "ecr:BatchGetImage", EACH, InstanceProbe._pull),
    "push": Asked("push to {repository}", "ecr:PutImage", PULLED, InstanceProbe._push),
}


@dataclass
class AccessMatrix:
    """The lesson's questions and two columns of answers: the previous ask, and now."""

    questions: list[Question]
    before: dict[Question, Cell] | None = None
    after: dict[Question, Cell] = field(default_factory=dict)

    def refresh(self, probe, explainer=None) -> None:
        """Ask every question again; the current answers become the 'before' column.
        With an ``explainer`` (the simulator) beside real calls, each cell also names the
        statements behind the permission that decided, and records the simulator's own
        answer, so a disagreement shows. The questions are independent: asked side by side."""

        def answer(check: Question) -> Cell:
            cell = probe.run(check)
            if explainer is None:
                return cell
            explained = explainer.run(check)
            statement = explained.statement
            if cell.action and explained.action != cell.action and hasattr(explainer, "explain"):
                statement = explainer.explain(cell.action, _resource_of(check, cell.action))
            return replace(cell, statement=statement, simulated=explained.allowed)

        with ThreadPoolExecutor(max_workers=8) as pool:
            cells = list(pool.map(answer, self.questions))
        if self.after:
            self.before = self.after
        self.after = dict(zip(self.questions, cells))

    def snapshot(self) -> "AccessMatrix":
        """A copy that later refreshes do not change (what a report keeps)."""
        return AccessMatrix(list(self.questions), dict(self.before) if self.before is not None else None, dict(self.after))

    def changed(self) -> list[Question]:
        if not self.before:
            return []
        return [q for q, cell in self.after.items() if q in self.before and self.before[q].allowed != cell.allowed]

    def disagreements(self) -> list[Question]:
        """Questions where the policy simulator and the real call answered differently."""
        return [q for q, cell in self.after.items() if cell.disagrees]

    def answers(self) -> dict[str, str]:
        """The answers now, by the learner's names for the questions: ``{"pull:flask_app": "allowed", ...}``."""
        return {q.key: self.after[q].word for q in self.questions if q in self.after}

    def decided_by(self, check: Question) -> str:
        """What decided a cell, in words: the step a pull stopped at, then the statements."""
        cell = self.after.get(check)
        if cell is None:
            return ""
        if cell.step and cell.action and cell.action != check.action:
            return f"{cell.step} refused ({cell.action})" + (f": {cell.statement}" if cell.statement else "")
        return cell.statement

    def to_html(self, predicted: dict[str, str] | None = None) -> str:
        def cell_html(cell: Cell | None, key: str, column: str) -> str:  # key: the learner's name (data-check)
            if cell is None:
                return '<td class="iamlab-cell iamlab-none">–</td>'
            icon, colour = ("✅", "#e3f6e5") if cell.allowed else ("⛔", "#fde4e4")
            title = html.escape(cell.detail, quote=True)
            return (f'<td class="iamlab-cell iamlab-{cell.word}" data-check="{html.escape(key)}" data-column="{column}" '
                    f'data-decision="{cell.word}" style="background:{colour};padding:4px 8px" title="{title}">'
                    f'<span aria-hidden="true">{icon}</span> {cell.word}</td>')

        def guess_html(key: str, after: Cell | None) -> str:
            guess = (predicted or {}).get(key)
            if guess is None:
                return '<td class="iamlab-predicted">–</td>'
            right = after is not None and guess == after.word
            mark = "✓ as you predicted" if right else "✗ not what you predicted"
            return (f'<td class="iamlab-predicted" data-check="{html.escape(key)}" data-right="{str(right).lower()}" '
                    f'style="padding:4px 8px">you predicted: {html.escape(guess)}<br><small>{mark}</small></td>')

        moved, split = set(self.changed()), set(self.disagreements())
        rows = []
        for check in self.questions:
            after = self.after.get(check)
            decided = html.escape(self.decided_by(check))
            warning = ""
            if check in split:
                warning = (f'<div class="iamlab-disagree-note" role="alert" style="color:#b35c00"><b>⚠️ The policy simulator says '
                           f'{"allowed" if after.simulated else "denied"}; the real call was {after.word}.</b></div>')
            classes = "iamlab-row" + (" iamlab-changed" if check in moved else "") + (" iamlab-disagree" if check in split else "")
            outline = ' style="outline:2px solid #e69500"' if check in split else ""
            rows.append(
                f'<tr class="{classes}" data-check="{html.escape(check.key)}"{outline}>'
                f'<th scope="row" style="text-align:left;padding:4px 8px">{html.escape(check.label)}'
                f'{" <strong>(changed)</strong>" if check in moved else ""}</th>'
                f"{cell_html((self.before or {}).get(check), check.key, 'before')}"
                f"{cell_html(after, check.key, 'after')}"
                f"{guess_html(check.key, after) if predicted is not None else ''}"
                f'<td style="padding:4px 8px;font-size:90%"><code>{html.escape(check.action)}</code><br>{decided}{warning}</td></tr>')
        banner = ""
        if split:
            banner = (f'<div class="iamlab-panel iamlab-warning" role="alert" style="background:#fff4d6;padding:6px 10px">'
                      f'⚠️ <b>The policy simulator and the real calls disagree</b> on {len(split)} question(s): '
                      f'{html.escape(", ".join(sorted(q.key for q in split)))}. The real call is what the instance gets; '
                      "the simulator sees only the role's own policies.</div>")
        predicted_head = '<th scope="col">your prediction</th>' if predicted is not None else ""
        return (banner + '<table class="iamlab-matrix" aria-label="What the instance can do, before and after">'
                '<thead><tr><th scope="col">the instance tries to…</th><th scope="col">before</th>'
                f'<th scope="col">now</th>{predicted_head}<th scope="col">permission, and what decided</th></tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table>")

    def __str__(self) -> str:
        lines = []
        for check in self.questions:
            after = self.after.get(check)
            before = (self.before or {}).get(check)
            moved = f" (was {before.word})" if before is not None and after is not None and before.allowed != after.allowed else ""
            flag = "  !! the simulator disagrees" if after is not None and after.disagrees else ""
            lines.append(f"{after.word if after else '-':<8} {check.label}{moved}  [{self.decided_by(check)}]{flag}")
        return "\n".join(lines)
