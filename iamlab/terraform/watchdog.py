"""Killed is said: a Terraform command whose sandbox or provider dies ends, and says so.

Terraform keeps retrying a sandbox that no longer answers (the AWS provider's retries and
waiters, 30 s or more), and a command attached to a warm provider that was killed can wait
on it for minutes. While a command runs, a thread watches the processes it depends on; when
one dies (kill -9, the out-of-memory killer) it gives Terraform a few seconds to stop on its
own, then interrupts it (Terraform saves its state on an interrupt) and finally kills it.
The driver turns ``Watch.died`` into the message: what died, what to do."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass

POLL_SECONDS = 0.5
GRACE_SECONDS = 5.0  # for Terraform to fail on its own (it usually does, at once)
INTERRUPT_SECONDS = 12.0  # after SIGINT, for Terraform to save its state and stop


def alive(pid: int) -> bool:
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False  # our child, exited: a zombie until now
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, another user's: not ours to judge
    try:  # a zombie (killed, its parent not yet reaped) is dead for our purposes
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


@dataclass(frozen=True)
class Death:
    part: str  # "the local AWS sandbox", "the warm AWS provider"
    pid: int
    seconds_into_command: float
    stopped_terraform: bool  # Terraform had to be interrupted (it would have kept waiting)

    def explanation(self, command: str) -> str:
        how = ("the course stopped Terraform, which would have kept retrying it"
               if self.stopped_terraform else "Terraform stopped on its own")
        return (f"{self.part[0].upper()}{self.part[1:]} (pid {self.pid}) died {self.seconds_into_command:.0f} s into "
                f"`terraform {command}`: it was killed (kill -9, or the system's out-of-memory killer, which ends "
                f"the largest processes when memory runs out), and {how}.\n"
                + NEXT_STEP[self.part])


NEXT_STEP = {
    "the local AWS sandbox": (
        "Next step: `python -m iamlab sandbox start` starts a new sandbox with a fresh account (what the dead one "
        "held is gone), then apply again: Terraform forgets what its state lists but no longer exists and "
        "creates it anew. If memory is short, close notebooks you are not using (each kernel holds about 100 MiB)."),
    "the warm AWS provider": (
        "Next step: run the command again: a new provider starts. If memory is short, set "
        "IAMLAB_WARM_PROVIDER=off (the provider then runs only while a command does)."),
}


class Watch:
    """Watch ``parts`` ({what: pid}) while ``process`` (Terraform) runs."""

    def __init__(self, process: subprocess.Popen, parts: dict[str, int]):
        self.process, self.parts = process, {what: pid for what, pid in parts.items() if pid}
        self.died: Death | None = None
        self._started = time.monotonic()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="iamlab-terraform-watch")

    def __enter__(self) -> "Watch":
        if self.parts:
            self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join(timeout=INTERRUPT_SECONDS + GRACE_SECONDS + 5)
        if self.died is None and self.process.returncode not in (None, 0):
            # Terraform failed before the next look: was it because a part had just died?
            dead = next(((what, pid) for what, pid in self.parts.items() if not alive(pid)), None)
            if dead:
                self.died = Death(dead[0], dead[1], time.monotonic() - self._started, stopped_terraform=False)

    def _ended(self, seconds: float) -> bool:
        try:
            self.process.wait(timeout=seconds)
            return True
        except subprocess.TimeoutExpired:
            return False

    def _watch(self) -> None:
        while not self._done.wait(POLL_SECONDS):
            if self.process.poll() is not None:
                return
            dead = next(((what, pid) for what, pid in self.parts.items() if not alive(pid)), None)
            if dead is None:
                continue
            seconds = time.monotonic() - self._started
            if self._ended(GRACE_SECONDS):
                self.died = Death(dead[0], dead[1], seconds, stopped_terraform=False)
                return
            self.died = Death(dead[0], dead[1], seconds, stopped_terraform=True)
            self.process.send_signal(signal.SIGINT)  # Terraform's own graceful stop: it saves the state
            if not self._ended(INTERRUPT_SECONDS):
                self.process.kill()
            return
