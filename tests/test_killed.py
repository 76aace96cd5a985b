"""Killed is said: the sandbox or the warm provider killed (kill -9, as the out-of-memory killer
does) during a Terraform command ends that command with what died and what to do, never a hang."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading

import pytest

pytestmark = pytest.mark.integration
HANG = 240  # far above the watchdog's bound (~20 s): reaching it means the command hung


def start_apply(home, warm: str) -> tuple[subprocess.Popen, list[str], threading.Event]:
    env = dict(os.environ, IAMLAB_HOME=str(home), IAMLAB_WARM_PROVIDER=warm)
    env.pop("IAMLAB_SANDBOX_PORT", None)
    subprocess.run([sys.executable, "-m", "iamlab", "init"], env=env, check=True, capture_output=True, timeout=600)
    process = subprocess.Popen([sys.executable, "-m", "iamlab", "apply"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines, creating = [], threading.Event()

    def read():
        for line in process.stdout:
            lines.append(line)
            if "Still creating" in line or "aws_instance.app_server: Creating" in line:
                creating.set()

    threading.Thread(target=read, daemon=True).start()
    return process, lines, creating


def state(home) -> dict:
    return json.loads((home / ".sandbox" / "state.json").read_text())


def test_the_sandbox_killed_during_an_apply_is_said(tmp_path):
    """Warm provider off, as on a hub: Terraform alone would keep retrying the dead sandbox."""
    home = tmp_path / "home"
    process, lines, creating = start_apply(home, "off")
    try:
        assert creating.wait(HANG), "".join(lines)
        pid = state(home)["pid"]
        os.kill(pid, signal.SIGKILL)
        returncode = process.wait(timeout=HANG)
    finally:
        process.kill()
    said = "".join(lines)
    assert returncode == 1
    assert f"The local AWS sandbox (pid {pid}) died" in said and "killed" in said
    assert "Next step: `python -m iamlab sandbox start`" in said
    assert "Traceback" not in said


def test_the_warm_provider_killed_during_an_apply_is_said(tmp_path):
    home = tmp_path / "home"
    process, lines, creating = start_apply(home, "on")
    try:
        assert creating.wait(HANG), "".join(lines)
        provider = json.loads((home / ".sandbox" / "warm-provider.json").read_text())["provider_pid"]
        os.kill(provider, signal.SIGKILL)
        returncode = process.wait(timeout=HANG)
    finally:
        process.kill()
        env = dict(os.environ, IAMLAB_HOME=str(home))
        subprocess.run([sys.executable, "-m", "iamlab", "sandbox", "stop"], env=env, capture_output=True, timeout=120)
    said = "".join(lines)
    assert returncode == 1, said
    assert f"The warm AWS provider (pid {provider}) died" in said and "IAMLAB_WARM_PROVIDER=off" in said
