"""Run Terraform on the learner's working copy, against the sandbox.

Every command goes the same way:

1. make sure the working copy exists (copied from ``tf/`` once);
2. write the course's CLI config (provider from a mirror or the registry);
3. make sure the sandbox runs, and write the override that points the AWS
   provider at it;
4. run ``terraform`` through python-terraform, streaming its output line by line
   to the *sink* the caller passed (``print`` in the CLI, a progress bar in a notebook cell,
   the Plan/Apply widget's own Output), and raise ``TerraformFailed`` with an explanation on failure.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import python_terraform
from python_terraform import IsFlagged

from .. import mode, paths, sandbox
from ..sandbox import aws_env
from . import cliconfig, override, provider_blocks, settled, state_report, warm_provider, watchdog, workspace
from .explain import error_blocks, explain
from .locks import LockError

Sink = Callable[[str], None]
PLAN_FILE = "iamlab.tfplan"


def print_sink(line: str) -> None:
    print(line, end="" if line.endswith("\n") else "\n", flush=True)


def discard(line: str) -> None:
    """A sink for commands whose output is read, not shown (show -json, output -json)."""


class TerraformFailed(RuntimeError):
    """A Terraform command failed. ``str()`` is the learner-facing explanation.

    Raised in a notebook cell it renders itself instead of a Python traceback (IPython's
    ``_render_traceback_``): what failed, which file and line, the next step, then
    Terraform's own error blocks."""

    def __init__(self, command: str, returncode: int | None, explanation: str, error: str, stdout: str = ""):
        self.command, self.returncode = command, returncode
        self.explanation, self.error, self.stdout = explanation, error, stdout
        super().__init__(f"`terraform {command}` failed.\n{explanation}\n\n{error}")

    @property
    def locations(self) -> list[tuple[str, int]]:
        """``[("custom_policy.tf", 12)]``: the files and lines Terraform's errors point at."""
        from .explain import locations

        return locations(self.error)

    def where(self) -> str:
        return "; ".join(f"{file}, line {line}" for file, line in self.locations)

    def _render_traceback_(self) -> list[str]:
        head = f"terraform {self.command} failed" + (f" ({self.where()})" if self.locations else "") + "."
        return [head, "", *self.explanation.splitlines(), "", *self.error.splitlines()]

    def _repr_html_(self) -> str:
        import html

        where = f" <span>({html.escape(self.where())})</span>" if self.locations else ""
        return (f'<div class="iamlab-terraform-failed" style="background:#fde4e4;padding:6px 10px;border-radius:4px">'
                f"<b>terraform {html.escape(self.command)} failed</b>{where}"
                f"<p>{html.escape(self.explanation).replace(chr(10), '<br>')}</p>"
                f"<details><summary>Terraform's error</summary><pre>{html.escape(self.error)}</pre></details></div>")


class TerraformBusy(RuntimeError):
    """A second command while one runs: refused, and nothing is harmed."""


@dataclass
class Result:
    command: str
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    summary: dict[str, int] = field(default_factory=dict)
    retried: bool = False  # run twice: the warm provider was gone the first time (nothing had changed)
    died: watchdog.Death | None = None  # the sandbox or the warm provider died while it ran

    @property
    def changed(self) -> bool:
        return any(self.summary.get(k) for k in ("add", "change", "destroy"))


RETRIED_NOTE = ("The warm AWS provider had stopped before Terraform changed anything, "
                "so the course ran the command again with a new one.")

_SUMMARY = re.compile(
    r"(?:Plan|Apply complete! Resources|Destroy complete! Resources): "
    r"(?:(\d+) (?:to )?(?:added|add)(?:, (\d+) (?:to )?(?:changed|change))?(?:, (\d+) (?:to )?(?:destroyed|destroy))?"
    r"|(\d+) destroyed)"
)


def summarize(stdout: str) -> dict[str, int]:
    """Counts from Terraform's closing line ("Plan: 3 to add, 0 to change, 0 to destroy.")."""
    if "No changes." in stdout:
        return {"add": 0, "change": 0, "destroy": 0}
    match = None
    for match in _SUMMARY.finditer(stdout):
        pass
    if not match:
        return {}
    if match.group(4) is not None:
        return {"add": 0, "change": 0, "destroy": int(match.group(4))}
    return {"add": int(match.group(1) or 0), "change": int(match.group(2) or 0), "destroy": int(match.group(3) or 0)}


class CourseTerraform(python_terraform.Terraform):
    """python-terraform, with the course's environment and live, line-by-line output.

    python-terraform builds the command line (its flag conventions, ``apply`` with
    ``skip_plan``); this ``cmd`` runs it with our environment and streams it.
    """

    def __init__(self, working_dir: Path, env: dict[str, str], sink: Sink, watched: dict[str, int] | None = None):
        super().__init__(working_dir=str(working_dir))
        self.env, self.sink = env, sink
        self.watched = watched or {}  # processes the command needs: {what: pid} (watchdog.Watch)
        self.died: watchdog.Death | None = None  # set when one of them died during the last command

    def cmd(self, cmd, *args, **kwargs):
        kwargs.pop("capture_output", None)
        kwargs.pop("synchronous", None)
        argv = self.generate_cmd_string(cmd, *args, **kwargs)
        process = subprocess.Popen(
            argv, cwd=self.working_dir, env=self.env, text=True, bufsize=1,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        )
        err_lines: list[str] = []

        def pump_stderr():
            for line in process.stderr:
                err_lines.append(line)
                self.sink(line)

        reader = threading.Thread(target=pump_stderr, daemon=True)
        reader.start()
        out_lines = []
        with watchdog.Watch(process, self.watched) as watch:
            for line in process.stdout:
                out_lines.append(line)
                self.sink(line)
            returncode = process.wait()
        self.died = watch.died
        reader.join()
        self.temp_var_files.clean_up()
        return returncode, "".join(out_lines), "".join(err_lines)

    def read_state_file(self, file_path=None):
        """Not python-terraform's reading: it fails on a damaged state without naming the file.
        The driver checks the state itself (``state_report``) and reads it where needed."""


def sandbox_environment(info: sandbox.SandboxInfo | None) -> dict[str, str]:
    """Terraform's environment in the sandbox: the process's, without the learner's AWS setup
    (``aws_env``), and with every endpoint the SDK would otherwise resolve on its own (a provider
    configuration the override does not name) at the sandbox."""
    env = aws_env.scrubbed()
    if info is not None:
        env["AWS_ENDPOINT_URL"] = info.endpoint
    return env


def _record_timing(result: Result) -> None:
    """With ``$IAMLAB_TIMINGS_FILE`` set, log each command's duration (for benchmarks/)."""
    target = os.environ.get("IAMLAB_TIMINGS_FILE")
    if target:
        with open(target, "a") as log:
            log.write(json.dumps({"command": result.command, "seconds": round(result.seconds, 3)}) + "\n")


def _plugin_cache_lock(sink: Sink):
    """One `terraform init` at a time per plugin cache (a notebook, a widget and a terminal of
    the same learner share it); a wait is said in the command's output, and bounded."""
    from .. import paths
    from .locks import exclusive

    return exclusive(paths.plugin_cache_dir() / ".iamlab-init.lock",
                     what="Terraform's plugin cache (one `terraform init` at a time)", say=sink)


_busy: dict[Path, float] = {}
_busy_lock = threading.Lock()


class Driver:
    """The course's Terraform, on the learner's working copy, in the sandbox."""

    def __init__(self, sink: Sink = print_sink, directory: Path | None = None):
        self.sink = sink  # the default, for calls that name no sink of their own (the CLI prints)
        self.directory = Path(directory) if directory else workspace.ensure()
        self._sandbox: sandbox.SandboxInfo | None = None  # set by prepare() in sandbox mode

    # -- environment -----------------------------------------------------
    def environment(self) -> dict[str, str]:
        if mode.is_aws():
            env = dict(os.environ)  # real AWS: the standard credential chain, as the learner configured it
        else:
            env = sandbox_environment(self._sandbox)  # nothing of the learner's AWS setup leaks in
        env.update(
            TF_CLI_CONFIG_FILE=str(cliconfig.write_cli_config()),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            CHECKPOINT_DISABLE="1",  # no version check against hashicorp.com
        )
        env.pop("TF_PLUGIN_CACHE_DIR", None)  # the CLI config sets the cache
        return env

    def provider_environment(self, command: str, env: dict[str, str]) -> dict[str, str]:
        """Variables that attach this command to the warm provider, when it is on ({} otherwise)."""
        if command == "init" or self._sandbox is None or not warm_provider.decide().use:
            return {}
        return warm_provider.attach(self.directory, env, self._sandbox.pid)

    def prepare(self, command: str = "plan") -> sandbox.SandboxInfo | None:
        """Point the configuration at the sandbox, or, in real AWS mode, at AWS once confirmed."""
        self._sandbox = None
        if mode.is_aws():
            override.remove(self.directory)
            if command in ("apply", "destroy"):
                from ..aws_mode import require_confirmation

                require_confirmation()
            return None
        blocks = provider_blocks.check(self.directory, override.OVERRIDE_NAME)  # refuses what it cannot reach
        info = self._sandbox = sandbox.start()
        config, credentials = aws_env.empty_files()
        override.write(self.directory, info.endpoint, info.region, info.learner_key_id, info.learner_secret,
                       aliases=tuple(block.alias for block in blocks), config_file=str(config),
                       credentials_file=str(credentials))
        return info

    def _prepare_or_refuse(self, command: str) -> None:
        try:
            self.prepare(command)
        except (provider_blocks.ProviderOutOfReach, provider_blocks.UnreadableConfiguration) as refusal:
            raise TerraformFailed(command, None, str(refusal), "") from None

    def terraform(self, command: str = "", sink: Sink | None = None) -> CourseTerraform:
        env = self.environment()
        env.update(self.provider_environment(command, env))
        return CourseTerraform(self.directory, env, sink or self.sink, self.watched(env))

    def watched(self, env: dict[str, str]) -> dict[str, int]:
        """The processes a command needs alive: the sandbox, and the warm provider it attached to."""
        parts = {}
        if self._sandbox is not None:
            parts["the local AWS sandbox"] = self._sandbox.pid
        if "TF_REATTACH_PROVIDERS" in env:
            kept = warm_provider.status() or {}
            if isinstance(kept.get("provider_pid"), int):
                parts["the warm AWS provider"] = kept["provider_pid"]
        return parts

    def needs_init(self) -> bool:
        return not (self.directory / ".terraform.lock.hcl").exists() or not (self.directory / ".terraform" / "providers").is_dir()

    # -- commands ----------------------------------------------------------
    def _run(self, name: str, call: Callable[[CourseTerraform], tuple], ok_codes=(0,), sink: Sink | None = None) -> Result:
        """Run one command; its output goes to ``sink``, the caller's (the stream belongs to the call)."""
        with _busy_lock:
            if self.directory in _busy:
                started = time.strftime("%H:%M:%S", time.localtime(_busy[self.directory]))
                raise TerraformBusy(
                    f"Terraform is already running in {self.directory} (started {started}). "
                    "Wait for it to finish; nothing was started twice."
                )
            _busy[self.directory] = time.time()
        try:
            try:
                state_report.check_state_file(self.directory)
            except state_report.StateFileDamaged as damaged:
                raise TerraformFailed(name, None, str(damaged), "") from None
            try:
                return self._prepared_run(name, call, ok_codes, sink)
            except (LockError, paths.CourseHomeError) as refused:  # shared parts: said, not a traceback
                raise TerraformFailed(name, None, str(refused), "") from None
        finally:
            with _busy_lock:
                _busy.pop(self.directory, None)

    def _prepared_run(self, name: str, call, ok_codes, sink: Sink | None) -> Result:
        """The command itself, once the working copy is known to be readable."""
        self._prepare_or_refuse(name)
        if name != "init" and self.needs_init():
            self._call("init", lambda tf: tf.init(reconfigure=None, backend=None, no_color=IsFlagged), (0,), sink)
            self._prepare_or_refuse(name)  # the modules init brought are checked too
        if name not in self.READS_ONLY:
            settled.forget(self.directory)
        result = self._call(name, call, ok_codes, sink)
        if name == "apply" and self._sandbox is not None:
            settled.record(self.directory, self.environment(), sandbox.account_version(self._sandbox))
        return result

    def _call(self, name: str, call, ok_codes, sink: Sink | None = None) -> Result:
        result, warm = self._once(name, call, sink)
        sandbox_died = result.died is not None and result.died.part == "the local AWS sandbox"
        if result.returncode not in ok_codes and warm and not sandbox_died and self._retry_without_loss(result):
            warm_provider.stop()  # whatever is left of it; the next attach starts a new one
            (sink or self.sink)(RETRIED_NOTE + "\n")
            result, _ = self._once(name, call, sink)
            result.retried = True
        if result.returncode not in ok_codes:
            raise self._failure(result)
        return result

    def _once(self, name: str, call, sink: Sink | None) -> tuple[Result, bool]:
        """Run the command once; also say whether it was attached to the warm provider."""
        started = time.perf_counter()
        terraform = self.terraform(name, sink)
        if name == "init":
            with _plugin_cache_lock(sink or self.sink):  # Terraform's plugin cache is not safe for concurrent inits
                returncode, out, err = call(terraform)
        else:
            returncode, out, err = call(terraform)
        result = Result(name, returncode, out or "", err or "", time.perf_counter() - started, summarize(out or ""),
                        died=terraform.died)
        _record_timing(result)
        return result, "TF_REATTACH_PROVIDERS" in terraform.env

    @staticmethod
    def _retry_without_loss(result: Result) -> bool:
        """The warm provider was gone, and Terraform had not begun to change anything: running
        the command again (with a new provider) is what the learner would do, and loses nothing."""
        return warm_provider.lost(result.stderr + result.stdout) and not state_report.started_changes(result.stdout)

    # Commands that change the account (and so the state); the others only read.
    CHANGING = ("apply", "destroy", "import")
    READS_ONLY = ("init", "plan", "show", "output", "validate")  # neither the state nor the account

    def settled(self) -> bool:
        """Would an apply find nothing to do? Known only in the sandbox, without running
        Terraform: the files, the state and the account are as the last apply left them."""
        if mode.is_aws():
            return False
        info = sandbox.status()
        return info is not None and settled.holds(self.directory, self.environment(), sandbox.account_version(info))

    def _failure(self, result: Result) -> TerraformFailed:
        """The explanation of a failure, with what the state file holds, checked now."""
        explanation = (result.died.explanation(result.command) if result.died
                       else explain(result.stdout, result.stderr, result.returncode))
        if result.command in self.CHANGING:
            facts = [state_report.report(self.directory, result.stdout).text(self.directory)]
            rescued = state_report.rescue_printed_state(self.directory, result.stderr)
            if rescued:
                facts.append(f"The state Terraform printed is kept in {rescued}: "
                             f"`terraform -chdir={self.directory} state push {rescued}` puts it back.")
            elif state_report.printed_state(result.stderr):
                facts.append("Terraform printed the state it could not save, but there was no room to keep it: "
                             "it is in the full output below (from the first { to the last }).")
        else:
            facts = [f"Nothing was changed in the account: `terraform {result.command}` only reads."]
        return TerraformFailed(result.command, result.returncode, explanation + "\n\n" + "\n".join(facts),
                               error_blocks(result.stderr or result.stdout), result.stdout)

    def init(self, sink: Sink | None = None) -> Result:
        return self._run("init", lambda tf: tf.init(reconfigure=None, backend=None, no_color=IsFlagged), sink=sink)

    def validate(self, sink: Sink | None = None) -> Result:
        """``terraform validate``: does the configuration hold together (names, references, arguments)?"""
        return self._run("validate", lambda tf: tf.cmd("validate", no_color=IsFlagged), sink=sink)

    def plan(self, sink: Sink | None = None) -> Result:
        # -detailed-exitcode: 0 = no changes, 2 = changes; both are success.
        return self._run("plan", lambda tf: tf.plan(), ok_codes=(0, 2), sink=sink)

    def plan_changes(self, sink: Sink | None = None) -> tuple[Result, list]:
        """Plan, then read the saved plan back as data: what will change, in plain words."""
        from .plan import changes

        result = self._run("plan", lambda tf: tf.plan(out=PLAN_FILE), ok_codes=(0, 2), sink=sink)
        shown = self._run("show", lambda tf: tf.cmd("show", PLAN_FILE, json=IsFlagged, no_color=IsFlagged), sink=discard)
        return result, changes(json.loads(shown.stdout))

    def apply(self, sink: Sink | None = None) -> Result:
        return self._run("apply", lambda tf: tf.apply(skip_plan=True), sink=sink)

    def destroy(self, sink: Sink | None = None) -> Result:
        # python-terraform's destroy() sends -force, which Terraform 1.x rejects.
        return self._run("destroy", lambda tf: tf.cmd("destroy", auto_approve=IsFlagged, no_color=IsFlagged, input=False), sink=sink)

    def state_outputs(self) -> dict[str, object]:
        """The outputs recorded in the local state file: what ``terraform output`` prints,
        without starting Terraform (the widgets read them after every apply)."""
        try:
            state = json.loads((self.directory / "terraform.tfstate").read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return {name: item["value"] for name, item in state.get("outputs", {}).items()}

    def outputs(self) -> dict[str, object]:
        """Terraform outputs as plain values (``terraform output -json``)."""
        result = self._run("output", lambda tf: tf.cmd("output", json=IsFlagged), sink=discard)
        return {name: item["value"] for name, item in json.loads(result.stdout or "{}").items()}
