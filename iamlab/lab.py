"""What a notebook needs, one line per step.

    import iamlab
    lab = iamlab.start()          # the sandbox, your working copy, ready (``lab`` says where)
    lab.show("aws_iam_role.ec2_ecr_role")
    lab.apply()                   # real `terraform apply`: progress, then what changed
    iam = lab.client("iam")       # boto3 against the sandbox, as you
    lab.access()                  # what can the instance do? (real calls as the instance)

``Lab`` keeps the verbs the notebooks use most; the rest lives on three small objects:
``lab.account`` (clients, id, region, working copy), ``lab.terraform`` (the other Terraform
commands and your files) and ``lab.instance`` (its credentials, its role's activity, the
policy simulator). Each call returns a result that renders itself (``reports``, ``access``,
``diagram``, ``pull``); none prints, so a cell shows its result once and needs no ``;``.
The teaching lives in the notebooks' Markdown; this module only does the work.
"""

from __future__ import annotations

from pathlib import Path

from . import mode, paths, sandbox
from .account import Account
from .instance import Instance
from .reports import ApplyReport, PlanReport, Source
from .sandbox import settings as sandbox_settings
from .terraform import workspace
from .working_copy import Terraform


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython

        return get_ipython() is not None and type(get_ipython()).__name__ != "TerminalInteractiveShell"
    except ImportError:
        return False


def _show_markdown(text: str) -> None:
    """Said before a long step starts (``goto``'s plan), so it cannot wait for the cell's result."""
    if _in_notebook():
        from IPython.display import Markdown, display

        display(Markdown(text))
    else:
        print(text)


class Lab:
    """The learner's course session: the sandbox, the account, Terraform, the instance.

    Every method returns its result, which renders itself; none prints. Long Terraform
    commands show a progress line while they run, and the line goes when they end.
    """

    def __init__(self, info: sandbox.SandboxInfo | None, *, account: str | None = None, region: str | None = None):
        self._info = info  # None in real AWS mode
        aws = info is None and mode.is_aws()
        region = region or (info.region if info is not None else _aws_region() if aws else sandbox_settings.region())
        self.account = Account(self._session, region, workspace.ensure(),
                               id=account or (None if aws else sandbox.ACCOUNT_ID),  # on AWS, asked of STS when first needed
                               ask_id=_aws_account, outputs=lambda: self.terraform.outputs())
        self.terraform = Terraform(self.account)
        self.instance = Instance(self.account, info)

    def _session(self):
        if mode.is_aws():
            from .aws_mode import session

            return session()
        return sandbox.session(self._info)

    def client(self, service: str):
        """A boto3 client as you (made once per service)."""
        return self.account.client(service)

    # -- Terraform -------------------------------------------------------
    def plan(self) -> PlanReport:
        """``terraform plan``, then what it means in plain words (policy documents as diffs)."""
        return self.terraform.plan()

    def apply(self) -> ApplyReport:
        """``terraform apply``: a progress line while it runs, then what changed (policy
        documents as diffs) with Terraform's log collapsed. When the lesson asks for a prediction
        about this apply and none is written, it says so once instead of applying."""
        from .course.predictions import before_reveal

        return before_reveal("apply", self.account) or self.terraform.apply()

    def show(self, address: str) -> Source:
        """One block of your working copy, as you wrote it (``.source`` is its text)."""
        return self.terraform.show(address)

    def goto(self, lesson: str, apply: bool | None = None, reference: bool = False):
        """Fast-forward your working copy (and the account) to where ``lesson`` starts. Your work is kept
        when it already reaches that start; otherwise what changes, and where your version goes, is said
        before anything changes. Terraform's progress is shown. Then the account is judged against what
        the lesson assumes (the course's grader, as the instance): "Ready" only when it holds; where your
        kept files contradict it, it says so and ``reference=True`` starts from the lesson's reference
        files (yours go to backups/ first). The result renders itself (``.ready``)."""
        from .course import predictions, stages
        from .progress import Ticker

        predictions.new_round(lesson)  # predictions made before this goto no longer count

        def announce(plan):
            if plan.changes or plan.apply:
                _show_markdown(plan.announcement())

        with Ticker(f"Going to lesson {lesson}'s start…") as tick:
            return stages.goto(lesson, self.account.directory, apply, run_apply=self.terraform.apply, settled=self.terraform.settled,
                               announce=announce, account=self.account, reference=reference, progress=tick.say)

    # -- the instance ---------------------------------------------------------
    def as_instance(self, command: str, check: bool = False):
        """Run a shell command as the instance (its role's credentials): an ``InstanceRun``
        (a ``CompletedProcess`` that shows itself like a terminal)."""
        return self.instance.run(command, check)

    def pull(self, repository: str, tag: str = "latest"):
        """A pull, step by step, with each access decision (a ``PullReport``)."""
        return self.instance.pull(repository, tag)

    def access(self):
        """What can the instance do? The lesson's questions answered now, beside the last
        time you asked and beside your prediction if one is waiting (an ``AccessReport``,
        which reads like a dict of answers)."""
        from .access import AccessReport
        from .course.predictions import before_reveal, pending

        return before_reveal("access", self.account) or AccessReport(self.instance.ask(), pending())

    def diagram(self, title: str = ""):
        """The picture, drawn from the account now (renders as SVG)."""
        from .diagram import Diagram
        from .picture import from_account

        return Diagram(from_account(self.account), title)

    # -- where you are ----------------------------------------------------------
    def __repr__(self) -> str:
        where = (f"sandbox={self._info.endpoint}" if self._info is not None
                 else "real AWS" if mode.is_aws() else "sandbox not started")
        account = self.account.known_id or "(asked of STS when first needed)"
        return f"Lab({where}, account={account}, region={self.account.region}, working_copy={self.account.directory})"

    def _repr_markdown_(self) -> str:
        directory, region = _relative(self.account.directory), self.account.region
        if self._info is None and not mode.is_aws():
            return f"**The sandbox is not started.** Your Terraform working copy: `{directory}`"
        if self._info is None:
            return (f"**Real AWS mode**: account `{self.account.known_id or 'not asked yet'}`, region `{region}`.  \n"
                    f"Your Terraform working copy: `{directory}`. "
                    "Nothing is created before you confirm (`iamlab.mode_switch()`).")
        return (f"**Sandbox ready** at `{self._info.endpoint}`: account `{self.account.id}`, region `{region}`.  \n"
                f"Your Terraform working copy: `{directory}`")

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


__all__ = ["Lab", "start", "current"]
