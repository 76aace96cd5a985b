"""What a notebook needs, one line per step.

    import iamlab
    lab = iamlab.start()          # the sandbox, your working copy, ready
    lab.show("aws_iam_role.ec2_ecr_role")
    lab.apply()                   # real `terraform apply`, streamed
    iam = lab.client("iam")       # boto3 against the sandbox, as you

The teaching lives in the notebooks' Markdown; this module only does the work.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import paths, sandbox
from .terraform import Driver, workspace
from .terraform import config as tfconfig


def _display_markdown(text: str) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display

        if get_ipython() is not None:
            display(Markdown(text))
            return
    except ImportError:
        pass
    print(text)


class Lab:
    """The learner's course session: sandbox, working copy, Terraform, AWS clients."""

    def __init__(self, info: sandbox.SandboxInfo):
        self.info = info
        self.directory: Path = workspace.ensure()
        self.terraform = Driver(directory=self.directory)

    # -- Terraform -------------------------------------------------------
    def init(self):
        return self.terraform.init()

    def plan(self):
        return self.terraform.plan()

    def apply(self):
        return self.terraform.apply()

    def destroy(self):
        return self.terraform.destroy()

    def outputs(self) -> dict:
        return self.terraform.outputs()

    def goto(self, lesson: str, apply: bool | None = None) -> list[str]:
        """Fast-forward your working copy (and the account) to where ``lesson`` starts."""
        from .course import stages

        done = stages.arrange(lesson, self.info.region, self.account)
        if apply if apply is not None else stages.STAGES[lesson].apply:
            quiet = self.terraform.sink
            self.terraform.sink = lambda line: None
            try:
                result = self.terraform.apply()
            finally:
                self.terraform.sink = quiet
            if result.changed:
                done.append("applied it: " + ", ".join(f"{n} {k}" for k, n in result.summary.items() if n))
        message = "; ".join(done) if done else "nothing to change"
        _display_markdown(f"**Ready for lesson {lesson}:** {message}.")
        return done

    # -- AWS, as the learner ----------------------------------------------
    account = sandbox.ACCOUNT_ID

    def session(self):
        return sandbox.session(self.info)

    def client(self, service: str):
        """A boto3 client as you (made once per service: clients are thread-safe, sessions are not)."""
        clients = self.__dict__.setdefault("_clients", {})
        if service not in clients:
            clients[service] = self.session().client(service)
        return clients[service]

    # -- widgets -------------------------------------------------------------
    def policy_editor(self):
        """The policy editor, with Plan/Apply, the access matrix and the diagram."""
        from .widgets import PolicyEditor

        return PolicyEditor(self)

    # -- showing things ---------------------------------------------------
    def show(self, address: str) -> str:
        """Show one block of your working copy, as you wrote it."""
        source = tfconfig.block_source(self.directory, address)
        block = tfconfig.find(self.directory, address)
        _display_markdown(f"From `{block.file.name}` in your working copy:\n\n```hcl\n{source}\n```")
        return source

    def show_json(self, document, title: str = "") -> None:
        if isinstance(document, str):
            document = json.loads(document)
        heading = f"**{title}**\n\n" if title else ""
        _display_markdown(f"{heading}```json\n{json.dumps(document, indent=2)}\n```")

    def __repr__(self) -> str:
        return (f"Lab(sandbox={self.info.endpoint}, account={sandbox.ACCOUNT_ID}, "
                f"region={self.info.region}, working_copy={self.directory})")


def start() -> Lab:
    """Start (or find) the sandbox and your working copy, and say where they are."""
    info = sandbox.start()
    lab = Lab(info)
    _display_markdown(
        f"**Sandbox ready** at `{info.endpoint}`: account `{sandbox.ACCOUNT_ID}`, region `{info.region}`.  \n"
        f"Your Terraform working copy: `{_relative(lab.directory)}`"
    )
    return lab


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(paths.PROJECT_DIR))
    except ValueError:
        return str(path)
