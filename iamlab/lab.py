"""What a notebook needs, one line per step.

    import iamlab
    lab = iamlab.start()          # the sandbox, your working copy, ready (``lab`` says where)
    lab.show("aws_iam_role.ec2_ecr_role")
    lab.apply()                   # real `terraform apply`: progress, then what changed
    iam = lab.client("iam")       # boto3 against the sandbox, as you
    lab.access()                  # what can the instance do? (real calls as the instance)

Each call returns a result that renders itself (``reports``, ``access``, ``diagram``,
``pull``); none prints, so a cell shows its result once and needs no ``;``. The teaching
lives in the notebooks' Markdown; this module only does the work.
"""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

from . import mode, paths, sandbox
from .sandbox import settings as sandbox_settings
from .progress import TerraformProgress
from .reports import ApplyReport, JsonDocument, Note, PlanReport, Snippet, Source, Table, policy_changes, state_policies
from .terraform import Driver, edits, workspace
from .terraform import config as tfconfig
from .terraform.driver import discard


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython

        return get_ipython() is not None and type(get_ipython()).__name__ != "TerminalInteractiveShell"
    except ImportError:
        return False


def show_markdown(text: str) -> None:
    """For callers outside the facade that still display as they go (the course's checks)."""
    if _in_notebook():
        from IPython.display import Markdown, display

        display(Markdown(text))
    else:
        print(text)


def show_html(markup: str, text: str) -> None:
    """HTML in a notebook, the plain ``text`` elsewhere."""
    if _in_notebook():
        from IPython.display import HTML, display

        display(HTML(markup))
    else:
        print(text)


class Lab:
    """The learner's course session: sandbox, working copy, Terraform, AWS clients.

    Every method returns its result, which renders itself; none prints. Long Terraform
    commands show a progress line while they run, and the line goes when they end.
    """

    def __init__(self, info: sandbox.SandboxInfo | None, *, account: str | None = None, region: str | None = None):
        self.info = info  # None in real AWS mode
        aws = info is None and mode.is_aws()
        self._account = account or (None if aws else sandbox.ACCOUNT_ID)  # on AWS, asked of STS when first needed
        self.region = region or (info.region if info is not None else _aws_region() if aws else sandbox_settings.region())
        self.directory: Path = workspace.ensure()
        self.terraform = Driver(sink=discard, directory=self.directory)  # every call names its own sink
        self._clients: dict = {}
        self._matrix = None  # the session's access matrix: before/after across lab.access() calls
        self._matrix_lock = threading.Lock()

    @property
    def account(self) -> str:
        if self._account is None:
            self._account = _aws_account()
        return self._account

    @account.setter
    def account(self, value: str) -> None:
        self._account = value

    # -- Terraform -------------------------------------------------------
    def _run(self, command: str, call):
        """Run a Terraform command with a progress line, keeping its output to this call."""
        with TerraformProgress(command) as progress:
            return call(progress)

    def init(self) -> ApplyReport:
        return ApplyReport(self._run("init", lambda sink: self.terraform.init(sink=sink)))

    def plan(self) -> PlanReport:
        """``terraform plan``, then what it means in plain words (policy documents as diffs)."""
        result, changes = self._run("plan", lambda sink: self.terraform.plan_changes(sink=sink))
        return PlanReport(changes, result)

    def apply(self) -> ApplyReport:
        """``terraform apply``: a progress line while it runs, then what changed (policy
        documents as diffs) with Terraform's log collapsed."""
        before = state_policies(self.directory)
        result = self._run("apply", lambda sink: self.terraform.apply(sink=sink))
        return ApplyReport(result, policy_changes(before, state_policies(self.directory)))

    def settled(self) -> bool:
        """Would an apply find nothing to do? (The sandbox knows; real AWS never says so.)"""
        return self.terraform.settled()

    def destroy(self) -> ApplyReport:
        before = state_policies(self.directory)
        result = self._run("destroy", lambda sink: self.terraform.destroy(sink=sink))
        return ApplyReport(result, policy_changes(before, state_policies(self.directory)))

    def outputs(self) -> dict:
        return self.terraform.state_outputs() or self.terraform.outputs()

    def goto(self, lesson: str, apply: bool | None = None):
        """Fast-forward your working copy (and the account) to where ``lesson`` starts. Your work is kept
        when it already reaches that start; otherwise what changes, and where your version goes, is said
        before anything changes. Terraform's progress is shown; the result renders itself."""
        from .course import stages

        def announce(plan):
            if plan.changes or plan.apply:
                show_markdown(plan.announcement())

        return stages.goto(self, lesson, apply, announce=announce)

    # -- your files -----------------------------------------------------------
    def show(self, address: str) -> Source:
        """One block of your working copy, as you wrote it (``.source`` is its text)."""
        source = tfconfig.block_source(self.directory, address)
        block = tfconfig.find(self.directory, address)
        return Source(f"From `{block.file.name}` in your working copy:", source, "hcl")

    def comment_out(self, address: str) -> Snippet:
        """Comment out a block in your files (what the lesson asks you to do by hand): the diff."""
        edit = edits.comment_out(self.directory, address)
        if not edit.changed:
            return Note(f"`{address}` is not active in your files: nothing to comment out.")
        return Snippet(f"Edited `{edit.file.name}` (a copy of the old file is in `{edit.backup}`):", edit.diff, "diff")

    def write_tf(self, name: str, text: str) -> Snippet:
        """Add a file of your own to the working copy."""
        (self.directory / name).write_text(text)
        return Snippet(f"Wrote `{name}` in your working copy:", text, "hcl")

    def remove_tf(self, name: str) -> Note:
        (self.directory / name).unlink(missing_ok=True)
        return Note(f"Removed `{name}` from your working copy.")

    # -- the custom policy (the editor's model) -----------------------------
    def policy(self):
        """Your custom policy as the editor holds it (a ``PolicyModel`` you can change in code)."""
        from .course.stages import seed_policy
        from .editor import io as policy_io

        model = policy_io.load(self.directory, seed_policy())
        model.region, model.account = self.region, self.account
        return model

    def save_policy(self, model) -> Snippet:
        """Check and write the policy into the working copy, exactly as the editor's Save does."""
        from .editor import io as policy_io
        from .editor.model import terraform_block

        model.region, model.account = self.region, self.account
        saved = policy_io.write(self.directory, model)
        return Snippet(f"{saved} In HCL, that is:", terraform_block(model), "hcl")

    def mode_switch(self):
        """Sandbox or real AWS, with the cost and an explicit confirmation before anything is created."""
        from .widgets.mode import ModeSwitch

        return ModeSwitch()

    def policy_editor(self):
        """The policy editor, with Plan/Apply, the access matrix and the diagram."""
        from .widgets import PolicyEditor

        return PolicyEditor(self)

    # -- AWS, as the learner ----------------------------------------------
    def session(self):
        if mode.is_aws():
            from .aws_mode import session

            return session()
        return sandbox.session(self.info)

    def client(self, service: str):
        """A boto3 client as you (made once per service: clients are thread-safe, sessions are not)."""
        if service not in self._clients:
            self._clients[service] = self.session().client(service)
        return self._clients[service]

    def show_json(self, document, title: str = "") -> JsonDocument:
        return JsonDocument(document, title)

    def simulate(self, actions: list[str], resources: list[str] = ("*",), role_arn: str | None = None) -> Table:
        """IAM's policy simulator for the role: one row per action and resource."""
        from .matrix import describe_statements

        role_arn = role_arn or self.outputs()["role_arn"]
        results = self.client("iam").simulate_principal_policy(
            PolicySourceArn=role_arn, ActionNames=list(actions), ResourceArns=list(resources))["EvaluationResults"]
        rows = [{"action": r["EvalActionName"], "resource": r["EvalResourceName"], "decision": r["EvalDecision"],
                 "decided by": describe_statements(r)} for r in results]
        return Table(rows, [("decision", "EvalDecision"), ("action", "action"), ("resource", "resource"),
                            ("decided by", "matched statements")], code=("action", "resource"))

    def describe_actions(self, actions: list[str]) -> Table:
        """Each action's access level and what it allows, from the Service Authorization Reference."""
        from .policy import catalogue

        rows = []
        for action in actions:
            info = catalogue.lookup(action)
            rows.append({"action": action, "access level": info.access_level if info else "?",
                         "resource types": ", ".join(info.resource_types) if info and info.resource_types else "none (needs \"*\")",
                         "allows": info.description if info else "unknown action"})
        return Table(rows, [("access level", "access level"), ("action", "action"), ("resource types", "resource types"),
                            ("allows", "allows")], code=("action",))

    # -- the instance ---------------------------------------------------------
    def _sandbox_only(self, what: str) -> None:
        if mode.is_aws():
            from .aws_mode import AwsModeError, instance_commands

            raise AwsModeError(f"{what} works in the sandbox only. On real AWS, SSH to the instance and run:\n"
                               + instance_commands(self.account, self.region))

    def instance_id(self) -> str:
        return self.outputs()["instance_id"]

    def instance_credentials(self) -> JsonDocument:
        """What the instance's metadata service hands out (shown with the secret parts shortened)."""
        self._sandbox_only("Reading the instance's credentials")
        from .sandbox import instance

        document = instance.credentials(self.instance_id(), self.info)
        shown = {k: (v[:12] + "…" if k in ("SecretAccessKey", "Token") else v) for k, v in document.items()}
        return JsonDocument(document, f"Credentials the metadata service gives {self.instance_id()}", shown)

    def as_instance(self, command: str, check: bool = False):
        """Run a shell command as the instance (its role's credentials): an ``InstanceRun``
        (a ``CompletedProcess`` that shows itself like a terminal)."""
        self._sandbox_only("Acting as the instance")
        from .reports import InstanceRun
        from .sandbox import instance

        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(instance.environment(self.instance_id(), self.info))
        env["REGISTRY_AUTH_FILE"] = str(paths.runtime_dir() / "registry-auth.json")  # private, not a /tmp name
        env["REGISTRY"] = self.info.endpoint.split("://", 1)[1]
        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env, timeout=300)
        result = InstanceRun(command, done.returncode, done.stdout, done.stderr)
        if check:
            result.check_returncode()
        return result

    def pull(self, repository: str, tag: str = "latest"):
        """A pull, step by step, with each access decision (a ``PullReport``)."""
        self._sandbox_only("Pulling as the instance")
        from .pull import pull_steps

        return pull_steps(self.instance_id(), repository, tag)

    # -- what can the instance do? ------------------------------------------------
    def refresh_matrix(self, matrix=None):
        """Ask the lesson's questions again (a new matrix, or the next column of ``matrix``):
        in the sandbox by real calls as the instance, explained by the policy simulator; on
        real AWS by the simulator alone."""
        from .matrix import AccessMatrix, InstanceProbe, SimulatorProbe, lesson_checks

        outputs = self.outputs()
        repositories = sorted(r["repositoryName"] for r in self.client("ecr").describe_repositories()["repositories"])
        checks = lesson_checks(repositories, self.region, self.account)
        if matrix is None:
            matrix = AccessMatrix(checks)
        matrix.checks = checks  # a repository may have come or gone; answers are kept by question
        simulator = SimulatorProbe(self.client("iam"), outputs["role_arn"])
        if mode.is_aws():
            matrix.refresh(simulator)
        else:
            matrix.refresh(InstanceProbe(outputs["instance_id"], self.info), simulator)
        return matrix

    def refresh_access(self):
        """The session's matrix asked again (``lab.access()`` and the editor share it, so
        "before" is always the last time anyone asked); returns a snapshot."""
        with self._matrix_lock:
            self._matrix = self.refresh_matrix(self._matrix)
            return self._matrix.snapshot()

    def access(self):
        """What can the instance do? The lesson's questions answered now, beside the last
        time you asked and beside your prediction if one is waiting (an ``AccessReport``,
        which reads like a dict of answers)."""
        from .access import AccessReport, pending_prediction

        matrix = self.refresh_access()
        return AccessReport(matrix, pending_prediction())

    def diagram(self, title: str = ""):
        """The picture, drawn from the account now (renders as SVG)."""
        from .diagram import Diagram
        from .picture import from_account

        return Diagram(from_account(self, self.outputs()), title)

    def activity(self) -> list[dict]:
        """What the instance's role did, as the sandbox recorded it (like CloudTrail)."""
        return sandbox.activity(f"arn:aws:sts::{self.account}:assumed-role/{self.outputs()['role_name']}/", self.info)

    def clear_activity(self) -> None:
        sandbox.clear_activity(self.info)

    # -- where you are ----------------------------------------------------------
    def __repr__(self) -> str:
        where = (f"sandbox={self.info.endpoint}" if self.info is not None
                 else "real AWS" if mode.is_aws() else "sandbox not started")
        account = self._account or "(asked of STS when first needed)"
        return f"Lab({where}, account={account}, region={self.region}, working_copy={self.directory})"

    def _repr_markdown_(self) -> str:
        if self.info is None and not mode.is_aws():
            return f"**The sandbox is not started.** Your Terraform working copy: `{_relative(self.directory)}`"
        if self.info is None:
            return (f"**Real AWS mode**: account `{self._account or 'not asked yet'}`, region `{self.region}`.  \n"
                    f"Your Terraform working copy: `{_relative(self.directory)}`. "
                    "Nothing is created before you confirm (`lab.mode_switch()`).")
        return (f"**Sandbox ready** at `{self.info.endpoint}`: account `{self.account}`, region `{self.region}`.  \n"
                f"Your Terraform working copy: `{_relative(self.directory)}`")


def _aws_region() -> str:
    """The region the standard AWS configuration names (as Terraform's provider will use)."""
    from .aws_mode import AwsModeError, session

    region = session().region_name
    if not region:
        raise AwsModeError("No AWS region is configured.\nNext step: `export AWS_REGION=us-east-1` (or your region).")
    return region


def _aws_account() -> str:
    """Your account id, asked of STS (real AWS mode, when ``start()`` has not told us yet)."""
    from .aws_mode import preflight

    return preflight().account


_current: Lab | None = None


def current() -> Lab:
    """The lab the notebook started (for ``check()`` and ``solution()``)."""
    return _current if _current is not None else start()


def start() -> Lab:
    """Start (or find) the sandbox and your working copy; the ``Lab`` says where they are."""
    global _current
    if mode.is_aws():
        from .aws_mode import preflight

        checked = preflight()
        _current = Lab(None, account=checked.account, region=checked.region)
        return _current
    _current = Lab(sandbox.start())
    return _current


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(paths.PROJECT_DIR))
    except ValueError:
        return str(path)


__all__ = ["Lab", "start", "show_markdown"]
