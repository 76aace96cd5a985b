"""A warm AWS provider: started once, reused by every Terraform command of a course home.

Terraform normally starts the ~700 MB ``terraform-provider-aws`` binary afresh, several
times per command. Started with ``-debug``, the provider prints a
``TF_REATTACH_PROVIDERS`` value; Terraform commands given that variable use the running
process instead, and the keeper's relay (``provider_cache.py``) answers the questions
whose answers never change (the schema, the provider block's validation: 5-6 s of each
apply here). That trades memory (the provider stays resident, about 170-200 MiB PSS) for
time (a no-change apply in 1.8 s instead of 7.9 s here; docs/benchmarks.md has the figures).

The trade is a setting, ``$IAMLAB_WARM_PROVIDER``:

``on``    always, in sandbox mode;
``off``   never;
``auto``  (the default) on for one learner on their own machine; off on a JupyterHub
          (a classroom, or Binder: many learners share the memory) and wherever the
          memory limit (cgroup) is under 2 GiB.

Never in real AWS mode: there the provider talks to AWS with the learner's credential
chain, and a process that outlives the command would keep those credentials; the
sandbox is loopback HTTP with keys made for it.

One warm provider per course home, kept by a small process (``provider_keeper.py``)
that stops it with the sandbox, after ``$IAMLAB_WARM_PROVIDER_IDLE_MINUTES`` (15)
idle minutes, or on ``stop()``. When it cannot start, commands start the provider as
usual (the fallback), and ``last_fallback`` says why.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .. import mode, paths
from .locks import exclusive

SETTING = "IAMLAB_WARM_PROVIDER"
IDLE_SETTING = "IAMLAB_WARM_PROVIDER_IDLE_MINUTES"
DEFAULT_IDLE_MINUTES = 15.0
MIN_MEMORY_LIMIT = 2 * 1024**3  # below this, auto keeps the provider cold
KEEPER = Path(__file__).with_name("provider_keeper.py")
START_TIMEOUT = 60.0

# What Terraform prints when the warm provider it was told to reattach to is gone (recorded).
GONE = (r"Reattachment process\s+not found|dial unix \S*iamlab-provider-|plugin exited before we could connect"
        r"|Plugin did not respond|the warm provider behind the relay is gone")

_keepers: list[subprocess.Popen] = []  # ours, reaped when they end
last_fallback: str = ""  # why the last command started the provider plainly ("" when it did not)


@dataclass(frozen=True)
class Decision:
    use: bool
    reason: str

    def __str__(self) -> str:
        return f"warm provider {'on' if self.use else 'off'}: {self.reason}"


def memory_limit() -> int | None:
    """This process's cgroup memory limit in bytes, or None when there is none."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text == "max" or not text.isdigit() or int(text) >= 2**60:
            return None
        return int(text)
    return None


def on_a_hub() -> bool:
    """JupyterHub (a classroom server, or Binder) sets these in every learner's server."""
    return bool(os.environ.get("JUPYTERHUB_USER") or os.environ.get("JUPYTERHUB_API_TOKEN"))


def decide() -> Decision:
    """Whether Terraform commands should use the warm provider, and why."""
    if mode.is_aws():
        return Decision(False, "real AWS mode (the provider is started per command there)")
    setting = os.environ.get(SETTING, "auto").strip().lower() or "auto"
    if setting in ("off", "0", "false", "no"):
        return Decision(False, f"{SETTING}={setting}")
    if setting in ("on", "1", "true", "yes"):
        return Decision(True, f"{SETTING}={setting}")
    if setting != "auto":
        raise ValueError(f"{SETTING} must be on, off or auto, not {setting!r}.")
    if on_a_hub():
        return Decision(False, "auto: on a JupyterHub (classroom or Binder), memory is shared")
    limit = memory_limit()
    if limit is not None and limit < MIN_MEMORY_LIMIT:
        return Decision(False, f"auto: the memory limit is {limit / 1024**3:.1f} GiB (under 2 GiB)")
    return Decision(True, "auto: one learner, no tight memory limit")


def state_path() -> Path:
    return paths.sandbox_dir() / "warm-provider.json"  # a 0700 folder: the reattach socket is the learner's


def provider_binary(working_copy: Path) -> Path | None:
    """The AWS provider `terraform init` installed for this working copy (the same binary Terraform would start)."""
    found = sorted((Path(working_copy) / ".terraform" / "providers" / "registry.terraform.io" / "hashicorp" / "aws")
                   .glob("*/*/terraform-provider-aws*"))
    return found[-1].resolve() if found else None


def _alive(pid) -> bool:
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def status() -> dict | None:
    """The running warm provider's record (pids, binary, reattach value), or None."""
    try:
        data = json.loads(state_path().read_text())
    except (OSError, ValueError):
        return None
    if not (_alive(data.get("keeper_pid")) and _alive(data.get("provider_pid"))):
        return None
    return data


def _start_lock():
    """One start at a time per course home (a notebook and a widget thread may ask at once)."""
    return exclusive(paths.sandbox_dir() / "warm-provider.lock", what="the warm provider's start", wait=60)


def _idle_seconds() -> float:
    try:
        return float(os.environ.get(IDLE_SETTING, DEFAULT_IDLE_MINUTES)) * 60
    except ValueError:
        raise ValueError(f"{IDLE_SETTING} must be a number of minutes.") from None


def _listening_sockets() -> set[str]:
    """Paths of the unix sockets bound on this machine (/proc/net/unix)."""
    try:
        lines = Path("/proc/net/unix").read_text().splitlines()[1:]
    except OSError:
        return set()
    return {line.split()[-1] for line in lines if len(line.split()) >= 8}


def sweep_leftovers() -> list[Path]:
    """Remove this user's provider socket folders in /tmp whose sockets nobody listens on any
    more (a keeper killed with -9 cannot clean up after itself). Returns what was removed."""
    listening, removed = _listening_sockets(), []
    for folder in Path(tempfile.gettempdir()).glob("iamlab-provider-*"):
        try:
            info = folder.lstat()
            if not folder.is_dir() or folder.is_symlink() or info.st_uid != os.getuid():
                continue
            if time.time() - info.st_mtime < START_TIMEOUT + 60:
                continue  # maybe a keeper still starting (its sockets not bound yet)
            if any(str(entry) in listening for entry in folder.iterdir()):
                continue
            shutil.rmtree(folder)
            removed.append(folder)
        except OSError:
            continue
    return removed


def start(binary: Path, env: dict[str, str], sandbox_pid: int) -> dict:
    """Start a keeper and its provider; return the running record. Raises RuntimeError."""
    sweep_leftovers()
    socket_dir = tempfile.mkdtemp(prefix="iamlab-provider-")  # 0700, and short enough for a unix socket path
    keeper_env = {k: v for k, v in env.items() if k not in ("TF_REATTACH_PROVIDERS", "AWS_CA_BUNDLE")}
    keeper_env["TMPDIR"] = socket_dir
    # With -debug the provider logs every SDK step (3 MB per two plans); no measurable CPU cost,
    # but it keeps IAMLAB_WARM_PROVIDER_LOG readable.
    keeper_env.setdefault("TF_LOG_SDK", "off")
    log = os.environ.get("IAMLAB_WARM_PROVIDER_LOG", os.devnull)
    keeper_log = paths.sandbox_dir() / "warm-provider.log"
    with open(keeper_log, "w") as keeper_out:
        keeper = subprocess.Popen(
            [sys.executable, "-I", str(KEEPER), "--binary", str(binary), "--state", str(state_path()),
             "--sandbox-pid", str(sandbox_pid), "--idle-seconds", str(_idle_seconds()), "--log", log],
            env=keeper_env, stdin=subprocess.DEVNULL, stdout=keeper_out, stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the kernel, like the sandbox
        )
    _keepers.append(keeper)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        data = status()
        if data and data.get("keeper_pid") == keeper.pid:
            return data
        if keeper.poll() is not None:
            said = keeper_log.read_text(errors="replace").strip()
            raise RuntimeError(f"the warm provider did not start: {said or f'exit {keeper.returncode}'}")
        time.sleep(0.05)
    keeper.terminate()
    raise RuntimeError(f"the warm provider printed no reattach line within {START_TIMEOUT:.0f} s")


def attach(working_copy: Path, env: dict[str, str], sandbox_pid: int) -> dict[str, str]:
    """Variables that make a Terraform command use the warm provider ({} to start it plainly).

    Starts the provider on first use and again when it died; marks it used (for the
    idle timer). Never raises: a provider that cannot be kept warm falls back to plain starts.
    """
    global last_fallback
    binary = provider_binary(working_copy)
    if binary is None:
        last_fallback = "no provider installed yet (before `terraform init`)"
        return {}
    try:
        with _start_lock():
            data = status()
            if data and data.get("binary") != str(binary):
                stop()  # a different provider version was installed since
                data = None
            if data is None:
                data = start(binary, env, sandbox_pid)
            os.utime(state_path())  # used now: the keeper's idle clock starts again
    except (OSError, RuntimeError) as error:
        last_fallback = str(error)
        return {}
    last_fallback = ""
    return {"TF_REATTACH_PROVIDERS": data["reattach"]}


def stop() -> bool:
    """Stop the warm provider of this course home; True if one was running."""
    data = status()
    if data is None:
        return False
    try:
        os.kill(data["keeper_pid"], signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (_alive(data["keeper_pid"]) or _alive(data["provider_pid"])):
        _reap(data["keeper_pid"])
        time.sleep(0.05)
    return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def lost(output: str) -> bool:
    """Did a command fail because the warm provider it reattached to was gone?"""
    return re.search(GONE, output) is not None
