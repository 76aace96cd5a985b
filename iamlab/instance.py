"""The lesson's EC2 instance, seen from inside: its id, the credentials its metadata service hands
out, commands run as it, its pulls, what its role did, and what it may do (the access matrix).

    lab.instance.id
    lab.instance.credentials()
    lab.instance.simulate(["ecr:BatchGetImage"], [arn])
    lab.instance.activity()
"""

from __future__ import annotations

import os
import subprocess
import threading

from . import facts, mode, paths, sandbox
from .progress import Ticker
from .reports import InstanceRun, JsonDocument, Table


class Instance:
    """Acting as the instance needs the sandbox (its metadata service and registry are local);
    on real AWS each sandbox-only step says what to run over SSH instead."""

    def __init__(self, account, info: sandbox.SandboxInfo | None):
        self.account, self._info = account, info
        self._matrix = None  # the session's access matrix: before/after across every ask
        self._matrix_lock = threading.Lock()

    @property
    def id(self) -> str:
        return self.account.outputs()["instance_id"]

    def _sandbox_only(self, what: str) -> None:
        if mode.is_aws():
            from .aws_mode import AwsModeError, instance_commands

            raise AwsModeError(f"{what} works in the sandbox only. On real AWS, SSH to the instance and run:\n"
                               + instance_commands(self.account.id, self.account.region))

    def credentials(self) -> JsonDocument:
        """What the instance's metadata service hands out (shown with the secret parts shortened)."""
        self._sandbox_only("Reading the instance's credentials")
        from .sandbox import instance

        with Ticker("Asking the instance's metadata service for its credentials…"):
            document = instance.credentials(self.id, self._info)
        shown = {k: (v[:12] + "…" if k in ("SecretAccessKey", "Token") else v) for k, v in document.items()}
        return JsonDocument(document, f"Credentials the metadata service gives {self.id}", shown)

    def run(self, command: str, check: bool = False) -> InstanceRun:
        """Run a shell command as the instance (its role's credentials): an ``InstanceRun``
        (a ``CompletedProcess`` that shows itself like a terminal)."""
        self._sandbox_only("Acting as the instance")
        from .sandbox import instance

        shown = command if len(command) <= 60 else command[:57] + "…"
        with Ticker(f"Running as the instance: {shown}"):
            env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            env.update(instance.environment(self.id, self._info))
            env["REGISTRY_AUTH_FILE"] = str(paths.runtime_dir() / "registry-auth.json")  # private, not a /tmp name
            done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env, timeout=300)
        result = InstanceRun(command, done.returncode, done.stdout, done.stderr)
        if check:
            result.check_returncode()
        return result

    def pull(self, repository: str, tag: str = "latest"):
        """A pull, step by step, with each access decision (a ``PullReport``)."""
        self._sandbox_only("Pulling as the instance")
        from .pull import pull_steps

        return pull_steps(self.id, repository, tag)

    def simulate(self, actions: list[str], resources: list[str] = ("*",)) -> Table:
        """IAM's policy simulator for the instance's role: one row per action and resource."""
        from .lookups import simulate

        return simulate(self.account.client("iam"), self.account.outputs()["role_arn"], actions, resources)

    def activity(self) -> list[dict]:
        """What the instance's role did, as the sandbox recorded it (like CloudTrail)."""
        prefix = facts.assumed_role_arn(self.account.id, self.account.outputs()["role_name"])
        return sandbox.activity(prefix, self._info)

    def clear_activity(self) -> None:
        sandbox.clear_activity(self._info)

    # -- what may it do? ----------------------------------------------------------------
    def _refresh(self, matrix=None):
        """Ask the lesson's questions again (a new matrix, or the next column of ``matrix``):
        in the sandbox by real calls as the instance, explained by the policy simulator; on
        real AWS by the simulator alone."""
        from .matrix import AccessMatrix, InstanceProbe, SimulatorProbe, lesson_questions

        outputs = self.account.outputs()
        questions = lesson_questions(self.account.repositories(), self.account.region, self.account.id)
        if matrix is None:
            matrix = AccessMatrix(questions)
        matrix.questions = questions  # a repository may have come or gone; answers are kept by question
        simulator = SimulatorProbe(self.account.client("iam"), outputs["role_arn"])
        if mode.is_aws():
            matrix.refresh(simulator)
        else:
            matrix.refresh(InstanceProbe(outputs["instance_id"], self._info), simulator)
        return matrix

    def ask(self):
        """The session's matrix asked again (``lab.access()`` and the editor share it, so
        "before" is always the last time anyone asked); returns a snapshot."""
        with self._matrix_lock, Ticker("Asking the lesson's questions as the instance (real calls)…"):
            self._matrix = self._refresh(self._matrix)
            return self._matrix.snapshot()

    def __repr__(self) -> str:
        return "Instance(the lesson's EC2 instance; its id is in Terraform's outputs)"
