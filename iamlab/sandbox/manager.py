"""Start, find, stop and reset the learner's sandbox (the client side).

One sandbox per course home (so one per learner on a shared host). It runs as a
separate process, so it survives kernel restarts and every notebook shares it.
This module never imports moto: asking "is it up?" costs milliseconds.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from .. import paths
from . import settings
from .state import StateFile, StateFileUnusable


class SandboxError(RuntimeError):
    """Something is wrong with the sandbox; the message says what to do next."""


@dataclass(frozen=True)
class SandboxInfo:
    pid: int
    port: int
    region: str
    learner_key_id: str = ""
    learner_secret: str = ""

    @property
    def endpoint(self) -> str:
        return f"http://{settings.HOST}:{self.port}"


def _home():
    try:
        return paths.sandbox_dir()
    except paths.CourseHomeError as error:
        raise SandboxError(str(error)) from None


def _state() -> StateFile:
    state = StateFile(_home())
    try:
        state.check()
    except StateFileUnusable as error:
        raise SandboxError(str(error)) from None
    return state


def _log_path():
    return _home() / "server.log"


def _is_our_sandbox(pid: int) -> bool:
    """Is ``pid`` this course home's sandbox server? A pid in a stale file may belong to
    any process by now (pids are reused): never signal one that is not ours."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            command = handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        try:
            command = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True,
                                     timeout=5).stdout
        except (OSError, subprocess.SubprocessError):
            return False
    return "iamlab.sandbox.server" in command and str(_home()) in command


def _running_pid() -> int | None:
    """The pid of this home's sandbox from its lock file, whatever the state file says (it may
    be corrupt or gone while the server runs)."""
    try:
        pid = int((_home() / "server.lock").read_text().strip() or 0)
    except (OSError, ValueError):
        return None
    return pid if pid and _alive(pid) and _is_our_sandbox(pid) else None


def _alive(pid: int) -> bool:
    try:  # if we started it, an exited sandbox is a zombie until reaped
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass  # not our child: another shell or kernel started it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process reuses the pid
        return False
    return True


def _health(port: int, timeout: float = 2.0) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://{settings.HOST}:{port}/iamlab/health", timeout=timeout) as reply:
            return json.loads(reply.read())
    except (OSError, ValueError):
        return None


def status() -> SandboxInfo | None:
    """The running sandbox, or None. Cleans up a state file left by a dead sandbox."""
    state = _state()
    data = state.read()
    if not data:
        return None
    pid, port = data.get("pid"), data.get("port")
    if not isinstance(pid, int) or not _alive(pid):
        state.remove()  # stale: the process is gone
        return None
    health = _health(port)
    if not health or health.get("pid") != pid:
        return None
    return SandboxInfo(pid=pid, port=port, region=data.get("region", settings.region()),
                       learner_key_id=data.get("learner_key_id", ""), learner_secret=data.get("learner_secret", ""))


def account_version(info: SandboxInfo) -> str | None:
    """The account's version (``changes.AccountVersion``): it moves whenever something may have
    changed the account. None when the sandbox does not answer."""
    health = _health(info.port)
    if not health or health.get("pid") != info.pid:
        return None
    return health.get("account_version")


def course_headers(info: SandboxInfo) -> dict[str, str]:
    """The course's own routes answer only the sandbox's owner (who can read its state file)."""
    return {"X-Iamlab-Key": info.learner_secret}


def _log_tail(lines: int = 15) -> str:
    try:
        return "\n".join(_log_path().read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def start(timeout: float = 60.0) -> SandboxInfo:
    """Start the sandbox unless it already runs (idempotent), and return it.

    Two starts at once (two terminals, a notebook and a shell) take turns: the second waits
    for the first's sandbox and uses it, rather than start a second one (which would find
    the first holding the home's lock and exit) or stop the first while it seeds."""
    info = status()
    if info:
        return info
    with _starting(timeout):
        return _start_locked(timeout)


@contextlib.contextmanager
def _starting(timeout: float):
    """Hold ``start.lock`` in the sandbox folder while starting (one start at a time per home)."""
    import fcntl

    with open(_home() / "start.lock", "a") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SandboxError(f"Another `sandbox start` for this course home has been starting for over "
                                       f"{timeout:.0f} s. Next step: run `python -m iamlab sandbox status`, or "
                                       "`python -m iamlab doctor`.") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _start_locked(timeout: float) -> SandboxInfo:
    info = status()  # the start we waited for may have made it
    if info:
        return info
    _stop_unresponsive()
    port = settings.requested_port()
    home = paths.sandbox_dir()
    log = open(_log_path(), "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "iamlab.sandbox.server", "--home", str(home), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # not killed with the notebook kernel
        cwd=str(paths.PROJECT_DIR),
    )
    log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SandboxError(_explain_failed_start(port))
        data = _state().read()
        if data and data.get("pid") == process.pid:
            info = status()
            if info:
                return info
        time.sleep(0.05)
    process.kill()
    raise SandboxError(
        f"The sandbox did not become ready within {timeout:.0f} s, so it was stopped.\n"
        f"Its log ({_log_path()}) ends with:\n{_log_tail()}\n"
        "Next step: run `python -m iamlab doctor`."
    )


def _explain_failed_start(port: int) -> str:
    tail = _log_tail()
    if "IAMLAB-ERROR: cannot listen" in tail:
        return (
            f"The sandbox could not listen on {settings.HOST}:{port}: another program already uses that port.\n"
            "Next step: unset IAMLAB_SANDBOX_PORT to let the course pick a free port, "
            "or choose another one, e.g. `export IAMLAB_SANDBOX_PORT=5055`."
        )
    return f"The sandbox process exited while starting. Its log ends with:\n{tail}\nNext step: run `python -m iamlab doctor`."


def _stop_unresponsive() -> None:
    """A sandbox whose process lives but does not answer (or whose state file is unreadable)
    is stopped and replaced, not waited on and not left running beside a second one."""
    data = _state().read()
    pids = {_running_pid()}
    if data and isinstance(data.get("pid"), int) and _alive(data["pid"]) and _is_our_sandbox(data["pid"]):
        pids.add(data["pid"])
    for pid in pids - {None}:
        _terminate(pid)
    _state().remove()


def _terminate(pid: int, grace: float = 5.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)


def stop() -> bool:
    """Stop the sandbox; True if one was running. Only a process that is this home's sandbox
    is signalled (a stale file's pid may belong to anything now)."""
    try:
        data = _state().read()
    except SandboxError as unusable:  # still stop the server the lock names, then say what is wrong
        pid = _running_pid()
        if pid:
            _terminate(pid)
        raise SandboxError(("The sandbox stopped. " if pid else "") + str(unusable)) from None
    pids = {_running_pid()}
    if data and isinstance(data.get("pid"), int) and _alive(data["pid"]) and _is_our_sandbox(data["pid"]):
        pids.add(data["pid"])
    pids.discard(None)
    for pid in pids:
        _terminate(pid)
    _state().remove()
    return bool(pids)


def reset() -> SandboxInfo:
    """Throw the account away and seed a fresh one (starts the sandbox if needed)."""
    info = start()
    request = urllib.request.Request(f"{info.endpoint}/iamlab/reset", method="POST", data=b"", headers=course_headers(info))
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            json.loads(reply.read())
    except (OSError, ValueError) as error:
        raise SandboxError(f"The sandbox did not reset: {error}. Next step: `python -m iamlab sandbox stop`, then `start`.")
    return info


def learner_env(info: SandboxInfo) -> dict[str, str]:
    """Environment that makes the AWS CLI and boto3 act as the learner, in the sandbox (and
    read nothing of the learner's own AWS setup: ``aws_env``)."""
    from .aws_env import isolation

    return {
        "AWS_ENDPOINT_URL": info.endpoint,
        "AWS_ACCESS_KEY_ID": info.learner_key_id,
        "AWS_SECRET_ACCESS_KEY": info.learner_secret,
        "AWS_DEFAULT_REGION": info.region,
        "AWS_REGION": info.region,
        **isolation(),
    }


# Variables that would lead a shell's AWS clients elsewhere than the exported identity.
UNSET = ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
         "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")


def export_lines(variables: dict[str, str]) -> str:
    import shlex

    lines = [f"export {name}={shlex.quote(value)}" for name, value in variables.items()]
    lines.append("unset " + " ".join(name for name in UNSET if name not in variables))
    return "\n".join(lines)


def require() -> SandboxInfo:
    """The running sandbox, or an error that says how to start it."""
    info = status()
    if info is None:
        raise SandboxError(
            "The sandbox is not running (it may have been stopped, or the machine restarted).\n"
            "Next step: run `python -m iamlab sandbox start` (or `iamlab.sandbox.start()` in a notebook)."
        )
    return info


@functools.lru_cache(maxsize=1)
def _shared_loader():
    import botocore.loaders

    return botocore.loaders.create_loader()


def boto3_session(**kwargs):
    """A boto3 session that reads botocore's data files through the process's one loader.

    Each new session would otherwise read botocore's endpoints and service models again
    (about 9 MiB each), and the course makes one per identity: you, the instance, a pull.
    """
    import boto3
    import botocore.session

    from botocore.configprovider import ConstantProvider

    from .aws_env import empty_files

    core = botocore.session.Session()
    core.register_component("data_loader", _shared_loader())
    # Nothing from the learner's ~/.aws or AWS_PROFILE: the sandbox's identities only.
    config, credentials = empty_files()
    core.set_config_variable("config_file", str(config))
    core.set_config_variable("credentials_file", str(credentials))
    core.get_component("config_store").set_config_provider("profile", ConstantProvider(None))  # not AWS_PROFILE
    core.set_config_variable("metadata_service_num_attempts", 0)
    return boto3.Session(botocore_session=core, **kwargs)


def session(info: SandboxInfo | None = None):
    """A boto3 session acting as the learner in the sandbox."""
    info = info or require()
    return SandboxSession(info, boto3_session(
        aws_access_key_id=info.learner_key_id,
        aws_secret_access_key=info.learner_secret,
        region_name=info.region,
    ))


class SandboxSession:
    """A boto3 session whose clients all talk to the sandbox endpoint."""

    def __init__(self, info: SandboxInfo, boto_session):
        self.info = info
        self.boto = boto_session

    def client(self, service: str, **kwargs):
        kwargs.setdefault("endpoint_url", self.info.endpoint)
        return self.boto.client(service, **kwargs)


def activity(principal_prefix: str = "", info: SandboxInfo | None = None) -> list[dict]:
    """Every request the sandbox decided for role sessions (like CloudTrail): action, resource, decision."""
    import urllib.parse

    info = info or require()
    query = urllib.parse.urlencode({"principal": principal_prefix}) if principal_prefix else ""
    request = urllib.request.Request(f"{info.endpoint}/iamlab/activity?{query}", headers=course_headers(info))
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read())["activity"]


def clear_activity(info: SandboxInfo | None = None) -> None:
    info = info or require()
    request = urllib.request.Request(f"{info.endpoint}/iamlab/activity", method="DELETE", headers=course_headers(info))
    urllib.request.urlopen(request, timeout=30).read()
