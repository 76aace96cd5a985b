"""Learners as distinct Unix users, for tests that run as root (CI does): each gets an account
made with ``useradd`` and runs the course's Python as themselves (``setpriv`` drops to the
learner before Python starts; see ``with_python_for_everyone`` for an interpreter under /root)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

PREFIX_VIEW = Path("/opt/iamlab-test-python")  # a mount point for the prefix, inside the namespace only


def need_root() -> None:
    if os.getuid() != 0 or not shutil.which("useradd"):
        pytest.fail("This test makes Unix users: run it as root (CI does), with useradd, setpriv and unshare.")


@dataclass(frozen=True)
class Learner:
    name: str
    uid: int
    gid: int
    home: Path

    def env(self, **extra: str) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items()
                if k in ("PATH", "LANG", "LC_ALL", "TERM") or k.startswith("IAMLAB_TEST")}
        keep.update(HOME=str(self.home), USER=self.name, LOGNAME=self.name)
        keep.update(extra)
        return keep


def make_learner(name: str) -> Learner:
    """A Unix user ``name`` with a home of their own (made once; reused by later runs)."""
    need_root()
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
        entry = pwd.getpwnam(name)
    home = Path(entry.pw_dir)
    home.mkdir(exist_ok=True)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    os.chmod(home, 0o700)
    return Learner(name, entry.pw_uid, entry.pw_gid, home)


def _reachable_by_others(path: Path) -> bool:
    return all(os.stat(part).st_mode & 0o001 for part in path.parents if part.is_dir())


def with_python_for_everyone(argv: list[str]) -> list[str]:
    """``argv`` (run as root), so that what it starts as other users can run this Python.
    Where the interpreter is out of others' reach (pyenv under /root, 0700), it runs in a private
    mount namespace in which the top folder (/root) is an empty 0755 tmpfs holding only the
    interpreter's tree, bind-mounted back at its own path: the interpreter, its libpython (found
    by rpath) and the scripts' shebangs all keep working. Nothing outside the namespace changes."""
    if _reachable_by_others(Path(sys.executable)):
        return argv
    prefix = Path(sys.prefix)
    top = Path("/", *prefix.parts[1:2])
    PREFIX_VIEW.mkdir(mode=0o755, exist_ok=True)
    script = (f'set -e; mount --bind "{prefix}" "{PREFIX_VIEW}"; mount -t tmpfs -o mode=0755 tmpfs "{top}"; '
              f'mkdir -p "{prefix}"; mount --bind "{PREFIX_VIEW}" "{prefix}"; exec "$@"')
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", *argv]


def python_argv(learner: Learner, args: list[str], extra_groups: tuple[int, ...] = ()) -> list[str]:
    """The command line that runs ``python args`` as ``learner``."""
    drop = ["setpriv", f"--reuid={learner.uid}", f"--regid={learner.gid}",
            f"--groups={','.join(str(g) for g in (learner.gid, *extra_groups))}", "--reset-env"]
    return with_python_for_everyone([*drop, sys.executable, *args])


def run_python(learner: Learner, args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
               timeout: float = 600, extra_groups: tuple[int, ...] = ()) -> subprocess.CompletedProcess:
    """Run ``python args`` as ``learner`` (``setpriv --reset-env`` clears the environment: ``env``
    is passed through ``env`` itself)."""
    environment = env or learner.env()
    argv = python_argv(learner, args, extra_groups)
    position = argv.index("--reset-env") + 1  # setpriv clears the environment: env sets ours
    argv[position:position] = ["env", *[f"{k}={v}" for k, v in environment.items()]]
    return subprocess.run(argv, cwd=cwd or learner.home, capture_output=True, text=True, timeout=timeout)


def shared_dir(prefix: str) -> Path:
    """A temporary folder every user can read (pytest's tmp_path is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(path, 0o755)
    return path
