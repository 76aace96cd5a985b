"""What can the instance do? The access matrix, before and after the last apply.

Each row is a question the lesson cares about (describe repositories, list images,
log in, pull each repository, push to flask_app). A *probe* answers it:

* ``InstanceProbe`` makes the real call with the instance's own credentials in
  the sandbox: the truth, as the instance experiences it;
* ``SimulatorProbe`` asks IAM's policy simulator (the sandbox's, or real AWS's),
  which also names the statement that decided.

The matrix keeps the previous answers, so the learner sees what their change did.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from concurrent.futures import ThreadPoolExecutor

from .account import as_dict, policy_document
from .pull import pull_steps, registry_login


@dataclass(frozen=True)
class Check:
    key: str
    label: str
    action: str
    resource: str
    repository: str | None = None


@dataclass(frozen=True)
class Cell:
    allowed: bool
    detail: str = ""
    statement: str = ""

    @property
    def word(self) -> str:
        return "allowed" if self.allowed else "denied"


def lesson_checks(repositories: list[str], region: str, account: str, push_to: str = "flask_app") -> list[Check]:
    arn = lambda name: f"arn:aws:ecr:{region}:{account}:repository/{name}"  # noqa: E731
    checks = [Check("describe", "describe repositories", "ecr:DescribeRepositories", f"arn:aws:ecr:{region}:{account}:repository/*")]
    checks += [Check(f"list:{r}", f"list images in {r}", "ecr:ListImages", arn(r), r) for r in repositories]
    checks.append(Check("login", "log in to the registry", "ecr:GetAuthorizationToken", "*"))
    checks += [Check(f"pull:{r}", f"pull {r}:latest", "ecr:BatchGetImage", arn(r), r) for r in repositories]
    if push_to in repositories:
        checks.append(Check(f"push:{push_to}", f"push to {push_to}", "ecr:PutImage", arn(push_to), push_to))
    return checks


def _denied(error: ClientError) -> Cell:
    return Cell(False, error.response["Error"].get("Message", str(error)))


class InstanceProbe:
    """Real calls, signed with the instance's role credentials."""

    def __init__(self, instance_id: str, info=None):
        from .sandbox import instance

        self.instance_id = instance_id
        self.ecr = instance.session(instance_id, info).client("ecr")
        self._login: tuple[str, str] | None = None

    def login(self) -> tuple[str, str] | None:
        """One registry login shared by every pull check (None when login itself is denied)."""
        if self._login is None:
            try:
                self._login = registry_login(self.instance_id, self.ecr)
            except ClientError:
                return None
        return self._login

    def run(self, check: Check) -> Cell:
        kind = check.key.split(":")[0]
        try:
            if kind == "describe":
                count = len(self.ecr.describe_repositories()["repositories"])
                return Cell(True, f"{count} repositories")
            if kind == "list":
                count = len(self.ecr.list_images(repositoryName=check.repository)["imageIds"])
                return Cell(True, f"{count} image(s)")
            if kind == "login":
                self.ecr.get_authorization_token()
                return Cell(True, "token issued")
            if kind == "pull":
                report = pull_steps(self.instance_id, check.repository, login=self.login())
                if report.pulled:
                    return Cell(True, "manifest and layers downloaded")
                step = report.denied_step
                return Cell(False, f"{step.name}: {step.detail}" if step else "not pulled")
            if kind == "push":
                return self._push(check.repository)
        except ClientError as error:
            return _denied(error)
        raise ValueError(f"unknown check {check.key}")

    def _push(self, repository: str) -> Cell:
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
                return Cell(True, "push accepted (the same image was already there)")
            return _denied(error)
        return Cell(True, "push accepted")


class SimulatorProbe:
    """IAM's policy simulator: a decision and the statement behind it, without calling the service."""

    def __init__(self, iam_client, role_arn: str):
        self.iam, self.role_arn = iam_client, role_arn
        self._documents: dict[str, dict | None] = {}

    def run(self, check: Check) -> Cell:
        result = self.iam.simulate_principal_policy(
            PolicySourceArn=self.role_arn, ActionNames=[check.action],
            ResourceArns=[check.resource])["EvaluationResults"][0]
        return Cell(result["EvalDecision"] == "allowed", result["EvalDecision"], describe_statements(result, self.document))

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


@dataclass
class AccessMatrix:
    checks: list[Check]
    before: dict[str, Cell] | None = None
    after: dict[str, Cell] = field(default_factory=dict)

    def refresh(self, probe, explainer=None) -> None:
        """Ask every question again; the current answers become the 'before' column.
        The questions are independent, so they are asked side by side."""

        def answer(check: Check) -> Cell:
            cell = probe.run(check)
            if explainer is not None:
                cell = Cell(cell.allowed, cell.detail, explainer.run(check).statement)
            return cell

        with ThreadPoolExecutor(max_workers=8) as pool:
            cells = list(pool.map(answer, self.checks))
        if self.after:
            self.before = self.after
        self.after = {check.key: cell for check, cell in zip(self.checks, cells)}

    def changed(self) -> list[str]:
        if not self.before:
            return []
        return [k for k, cell in self.after.items() if k in self.before and self.before[k].allowed != cell.allowed]

    def to_html(self) -> str:
        def cell_html(cell: Cell | None, key: str, column: str) -> str:
            if cell is None:
                return '<td class="iamlab-cell iamlab-none">–</td>'
            icon, colour = ("✅", "#e3f6e5") if cell.allowed else ("⛔", "#fde4e4")
            title = html.escape(cell.detail, quote=True)
            return (f'<td class="iamlab-cell iamlab-{cell.word}" data-check="{html.escape(key)}" data-column="{column}" '
                    f'data-decision="{cell.word}" style="background:{colour};padding:4px 8px" title="{title}">'
                    f'<span aria-hidden="true">{icon}</span> {cell.word}</td>')

        rows = []
        for check in self.checks:
            after = self.after.get(check.key)
            moved = check.key in self.changed()
            statement = html.escape(after.statement) if after else ""
            rows.append(
                f'<tr class="iamlab-row{" iamlab-changed" if moved else ""}" data-check="{html.escape(check.key)}">'
                f'<th scope="row" style="text-align:left;padding:4px 8px">{html.escape(check.label)}'
                f'{" <strong>(changed)</strong>" if moved else ""}</th>'
                f"{cell_html((self.before or {}).get(check.key), check.key, 'before')}"
                f"{cell_html(after, check.key, 'after')}"
                f'<td style="padding:4px 8px;font-size:90%"><code>{html.escape(check.action)}</code><br>{statement}</td></tr>')
        return ('<table class="iamlab-matrix" aria-label="What the instance can do, before and after the last apply">'
                '<thead><tr><th scope="col">the instance tries to…</th><th scope="col">before</th>'
                '<th scope="col">after</th><th scope="col">permission and deciding statement</th></tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table>")

    def as_rows(self) -> list[dict]:
        return [{"check": c.key, "label": c.label, "before": (self.before or {}).get(c.key).word if self.before and c.key in self.before else None,
                 "after": self.after[c.key].word if c.key in self.after else None,
                 "statement": self.after[c.key].statement if c.key in self.after else ""} for c in self.checks]
