"""What a notebook needs, one line per step.

    import iamlab
    lab = iamlab.start()          # the sandbox, your working copy, ready
    lab.show("aws_iam_role.ec2_ecr_role")
    lab.apply()                   # real `terraform apply`, streamed
    iam = lab.client("iam")       # boto3 against the sandbox, as you
    lab.access()                  # what can the instance do? (real calls as the instance)

The teaching lives in the notebooks' Markdown; this module only does the work.
"""

from __future__ import annotations

import html
import json
import os
import subprocess
import tempfile
from pathlib import Path

from . import mode, paths, sandbox
from .terraform import Driver, edits, workspace
from .terraform import config as tfconfig


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython

        return get_ipython() is not None and type(get_ipython()).__name__ != "TerminalInteractiveShell"
    except ImportError:
        return False


def show_markdown(text: str) -> None:
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
    """The learner's course session: sandbox, working copy, Terraform, AWS clients."""

    account = sandbox.ACCOUNT_ID

    def __init__(self, info: sandbox.SandboxInfo | None):
        self.info = info  # None in real AWS mode
        self.directory: Path = workspace.ensure()
        self.terraform = Driver(directory=self.directory)
        self._clients: dict = {}

    # -- Terraform -------------------------------------------------------
    def init(self):
        return self.terraform.init()

    def plan(self):
        """``terraform plan``, then what it means in plain words."""
        from .terraform.plan import summary

        result, changes = self.terraform.plan_changes()
        diffs = "".join(f"\n\nThe policy document of `{c.address}`:\n\n```diff\n{c.policy_diff()}\n```" for c in changes if c.policy_diff())
        show_markdown("**In plain words:** " + summary(changes) + "".join(f"\n- {c.sentence()}" for c in changes) + diffs)
        return changes

    def apply(self):
        return self.terraform.apply()

    def destroy(self):
        return self.terraform.destroy()

    def outputs(self) -> dict:
        return self.terraform.state_outputs() or self.terraform.outputs()

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
        show_markdown(f"**Ready for lesson {lesson}:** {message}.")
        return done

    # -- your files -----------------------------------------------------------
    def show(self, address: str) -> str:
        """Show one block of your working copy, as you wrote it."""
        source = tfconfig.block_source(self.directory, address)
        block = tfconfig.find(self.directory, address)
        show_markdown(f"From `{block.file.name}` in your working copy:\n\n```hcl\n{source}\n```")
        return source

    def comment_out(self, address: str) -> edits.Edit:
        """Comment out a block in your files (what the lesson asks you to do by hand), showing the diff."""
        edit = edits.comment_out(self.directory, address)
        if edit.changed:
            show_markdown(f"Edited `{edit.file.name}` (a copy of the old file is in `{edit.backup}`):\n\n```diff\n{edit.diff}```")
        else:
            show_markdown(f"`{address}` is not active in your files: nothing to comment out.")
        return edit

    def write_tf(self, name: str, text: str) -> Path:
        """Add a file of your own to the working copy, and show it."""
        path = self.directory / name
        path.write_text(text)
        show_markdown(f"Wrote `{name}` in your working copy:\n\n```hcl\n{text.rstrip()}\n```")
        return path

    def remove_tf(self, name: str) -> None:
        (self.directory / name).unlink(missing_ok=True)
        show_markdown(f"Removed `{name}` from your working copy.")

    # -- the custom policy (the editor's model) -----------------------------
    def policy(self):
        """Your custom policy as the editor holds it (a ``PolicyModel`` you can change in code)."""
        from .course.stages import seed_policy
        from .editor import io as policy_io

        model = policy_io.load(self.directory, seed_policy())
        model.region, model.account = self.region, self.account
        return model

    def save_policy(self, model) -> None:
        """Check and write the policy into the working copy, exactly as the editor's Save does."""
        from .editor import io as policy_io
        from .editor.model import terraform_block

        model.region, model.account = self.region, self.account
        saved = policy_io.write(self.directory, model)
        show_markdown(f"{saved} In HCL, that is:\n\n```hcl\n{terraform_block(model)}```")

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

    def show_json(self, document, title: str = "") -> None:
        if isinstance(document, str):
            document = json.loads(document)
        heading = f"**{title}**\n\n" if title else ""
        show_markdown(f"{heading}```json\n{json.dumps(document, indent=2)}\n```")

    def simulate(self, actions: list[str], resources: list[str] = ("*",), role_arn: str | None = None) -> list[dict]:
        """IAM's policy simulator for the role: one row per action and resource."""
        from .matrix import describe_statements

        role_arn = role_arn or self.outputs()["role_arn"]
        results = self.client("iam").simulate_principal_policy(
            PolicySourceArn=role_arn, ActionNames=list(actions), ResourceArns=list(resources))["EvaluationResults"]
        rows = [{"action": r["EvalActionName"], "resource": r["EvalResourceName"], "decision": r["EvalDecision"],
                 "decided by": describe_statements(r)} for r in results]
        table = "".join(f"<tr><td><code>{html.escape(r['action'])}</code></td><td><code>{html.escape(r['resource'])}</code></td>"
                        f"<td>{r['decision']}</td><td>{html.escape(r['decided by'])}</td></tr>" for r in rows)
        show_html(f"<table><tr><th>action</th><th>resource</th><th>EvalDecision</th><th>matched statements</th></tr>{table}</table>",
                  "\n".join(f"{r['decision']:<13} {r['action']} on {r['resource']}  {r['decided by']}" for r in rows))
        return rows

    def describe_actions(self, actions: list[str]) -> list[dict]:
        """Each action's access level and what it allows, from the Service Authorization Reference."""
        from .policy import catalogue

        rows = []
        for action in actions:
            info = catalogue.lookup(action)
            rows.append({"action": action, "access level": info.access_level if info else "?",
                         "resource types": ", ".join(info.resource_types) if info and info.resource_types else "none (needs \"*\")",
                         "allows": info.description if info else "unknown action"})
        table = "".join(f"<tr><td><code>{html.escape(r['action'])}</code></td><td>{r['access level']}</td>"
                        f"<td>{html.escape(r['resource types'])}</td><td>{html.escape(r['allows'])}</td></tr>" for r in rows)
        show_html(f"<table><tr><th>action</th><th>access level</th><th>resource types</th><th>allows</th></tr>{table}</table>",
                  "\n".join(f"{r['access level']:<8} {r['action']}: {r['allows']}" for r in rows))
        return rows

    # -- the instance ---------------------------------------------------------
    def _sandbox_only(self, what: str) -> None:
        if mode.is_aws():
            from .aws_mode import AwsModeError, instance_commands, preflight

            checked = preflight()
            raise AwsModeError(f"{what} works in the sandbox only. On real AWS, SSH to the instance and run:\n"
                               + instance_commands(checked.account, checked.region))

    def instance_id(self) -> str:
        return self.outputs()["instance_id"]

    def instance_credentials(self) -> dict:
        """What the instance's metadata service hands out (the secret parts shortened for display)."""
        self._sandbox_only("Reading the instance's credentials")
        from .sandbox import instance

        document = instance.credentials(self.instance_id(), self.info)
        shown = {k: (v[:12] + "…" if k in ("SecretAccessKey", "Token") else v) for k, v in document.items()}
        self.show_json(shown, f"Credentials the metadata service gives {self.instance_id()}")
        return document

    def as_instance(self, command: str, check: bool = False) -> subprocess.CompletedProcess:
        """Run a shell command as the instance (its role's credentials), and print what it prints."""
        self._sandbox_only("Acting as the instance")
        from .sandbox import instance

        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(instance.environment(self.instance_id(), self.info))
        env["REGISTRY_AUTH_FILE"] = str(Path(tempfile.gettempdir()) / f"iamlab-auth-{os.getuid()}.json")
        env["REGISTRY"] = self.info.endpoint.split("://", 1)[1]
        result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env, timeout=300)
        print(f"[instance]$ {command}")
        if result.stdout:
            print(result.stdout.rstrip())
        if result.stderr:
            print(result.stderr.rstrip())
        print(f"(exit code {result.returncode})")
        if check and result.returncode != 0:
            raise subprocess.CalledProcessError(result.returncode, command, result.stdout, result.stderr)
        return result

    def pull(self, repository: str, tag: str = "latest"):
        """A pull, step by step, with each access decision."""
        self._sandbox_only("Pulling as the instance")
        from .pull import pull_steps

        report = pull_steps(self.instance_id(), repository, tag)
        if _in_notebook():
            from IPython.display import Markdown, display

            display(Markdown(report._repr_markdown_()))
        else:
            print(report)
        return report

    @property
    def region(self) -> str:
        return self.info.region if self.info else self.session().region_name

    def refresh_matrix(self, matrix=None):
        """Ask the lesson's questions again (a new matrix, or the next column of ``matrix``):
        in the sandbox by real calls as the instance, explained by the policy simulator; on
        real AWS by the simulator alone."""
        from .matrix import AccessMatrix, InstanceProbe, SimulatorProbe, lesson_checks

        outputs = self.outputs()
        if matrix is None:
            repositories = sorted(r["repositoryName"] for r in self.client("ecr").describe_repositories()["repositories"])
            matrix = AccessMatrix(lesson_checks(repositories, self.region, self.account))
        simulator = SimulatorProbe(self.client("iam"), outputs["role_arn"])
        if mode.is_aws():
            matrix.refresh(simulator)
        else:
            matrix.refresh(InstanceProbe(outputs["instance_id"], self.info), simulator)
        return matrix

    def access(self):
        """What can the instance do? The lesson's questions, answered now, as a table."""
        matrix = self.refresh_matrix()
        answers = {row["check"]: row["after"] for row in matrix.as_rows()}
        show_html(matrix.to_html(), "\n".join(f"{answers[c.key]:<8} {c.label}" for c in matrix.checks))
        return answers

    def diagram(self, title: str = ""):
        """The picture, drawn from the account now."""
        from .diagram import render
        from .picture import from_account

        graph = render(from_account(self, self.outputs()), title)
        if _in_notebook():
            from IPython.display import SVG, display

            display(SVG(graph.pipe(format="svg")))
        return graph

    def activity(self) -> list[dict]:
        """What the instance's role did, as the sandbox recorded it (like CloudTrail)."""
        return sandbox.activity(f"arn:aws:sts::{self.account}:assumed-role/{self.outputs()['role_name']}/", self.info)

    def clear_activity(self) -> None:
        sandbox.clear_activity(self.info)

    def __repr__(self) -> str:
        return (f"Lab(sandbox={self.info.endpoint}, account={self.account}, "
                f"region={self.info.region}, working_copy={self.directory})")


_current: Lab | None = None


def current() -> Lab:
    """The lab the notebook started (for ``check()`` and ``solution()``)."""
    return _current if _current is not None else start()


def start() -> Lab:
    """Start (or find) the sandbox and your working copy, and say where they are."""
    global _current
    if mode.is_aws():
        from .aws_mode import preflight

        checked = preflight()
        lab = _current = Lab(None)
        lab.account = checked.account
        show_markdown(f"**Real AWS mode**: account `{checked.account}`, region `{checked.region}`, as `{checked.principal}`. "
                      "Nothing is created before you confirm (`lab.mode_switch()`).")
        return lab
    info = sandbox.start()
    lab = _current = Lab(info)
    show_markdown(
        f"**Sandbox ready** at `{info.endpoint}`: account `{sandbox.ACCOUNT_ID}`, region `{info.region}`.  \n"
        f"Your Terraform working copy: `{_relative(lab.directory)}`"
    )
    return lab


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(paths.PROJECT_DIR))
    except ValueError:
        return str(path)


__all__ = ["Lab", "start", "show_markdown"]
