"""The warm provider: when it is used, and its life (started once, restarted, stopped with the
sandbox or when idle), with a stand-in provider binary so these tests run in seconds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from iamlab import mode
from iamlab.terraform import warm_provider

from . import waits

FAKE_PROVIDER = textwrap.dedent("""\
    #!{python}
    import json, os, sys, time
    assert sys.argv[1:] == ["-debug"], sys.argv
    assert "AWS_CA_BUNDLE" not in os.environ  # a second Configure would fail with it
    value = {{"registry.terraform.io/hashicorp/aws": {{"Protocol": "grpc", "ProtocolVersion": 5, "Pid": os.getpid(),
              "Test": True, "Addr": {{"Network": "unix", "String": os.path.join(os.environ["TMPDIR"], "plugin1")}}}}}}
    print("Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:")
    print()
    print("\\tTF_REATTACH_PROVIDERS='" + json.dumps(value) + "'", flush=True)
    time.sleep(600)
""")


@pytest.fixture
def working_copy(tmp_path, monkeypatch):
    """A course home whose working copy has a (stand-in) provider installed, as after `terraform init`."""
    monkeypatch.setenv("IAMLAB_HOME", str(tmp_path / "home"))
    copy = tmp_path / "home" / "tf"
    folder = copy / ".terraform/providers/registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64"
    folder.mkdir(parents=True)
    binary = folder / "terraform-provider-aws_v5.100.0_x5"
    binary.write_text(FAKE_PROVIDER.format(python=sys.executable))
    binary.chmod(0o755)
    yield copy
    warm_provider.stop()


@pytest.fixture
def fake_sandbox():
    """A process standing in for the sandbox: the warm provider lives as long as it does."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    yield process
    process.kill()
    process.wait()


def test_started_once_and_reused(working_copy, fake_sandbox):
    env = {"PATH": os.environ["PATH"], "AWS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt"}
    first = warm_provider.attach(working_copy, env, fake_sandbox.pid)
    assert warm_provider.last_fallback == ""
    reattach = json.loads(first["TF_REATTACH_PROVIDERS"])["registry.terraform.io/hashicorp/aws"]
    socket_folder = os.path.dirname(reattach["Addr"]["String"])
    assert reattach["Test"] is True and os.path.basename(socket_folder).startswith("iamlab-provider-")
    assert os.path.basename(reattach["Addr"]["String"]) == "relay.sock" and warm_provider.status()["relay"]  # Terraform talks to the relay
    assert os.stat(socket_folder).st_mode & 0o077 == 0  # the socket is the learner's only
    assert warm_provider.attach(working_copy, env, fake_sandbox.pid) == first  # the same process
    assert warm_provider.state_path().stat().st_mode & 0o077 == 0


def test_restarted_when_it_died(working_copy, fake_sandbox):
    first = warm_provider.attach(working_copy, {"PATH": os.environ["PATH"]}, fake_sandbox.pid)
    os.kill(warm_provider.status()["provider_pid"], 9)
    waits.wait_until(lambda: warm_provider.status() is None, "the warm provider's death to be noticed", waits.PROCESS_EXIT)
    second = warm_provider.attach(working_copy, {"PATH": os.environ["PATH"]}, fake_sandbox.pid)
    assert second and second != first


def test_stopped_with_the_sandbox(working_copy, fake_sandbox):
    warm_provider.attach(working_copy, {"PATH": os.environ["PATH"]}, fake_sandbox.pid)
    data = warm_provider.status()
    fake_sandbox.kill()
    fake_sandbox.wait()
    waits.wait_until(lambda: not os.path.exists(f"/proc/{data['provider_pid']}"), "the provider to end with the sandbox",
                     waits.PROCESS_EXIT)
    assert warm_provider.status() is None and not warm_provider.state_path().exists()


def test_stopped_when_idle(working_copy, fake_sandbox, monkeypatch):
    monkeypatch.setenv(warm_provider.IDLE_SETTING, str(2 / 60))  # two seconds
    warm_provider.attach(working_copy, {"PATH": os.environ["PATH"]}, fake_sandbox.pid)
    assert warm_provider.status() is not None
    waits.wait_until(lambda: warm_provider.status() is None, "the idle provider to stop itself", waits.PROCESS_EXIT)


def test_stop_ends_both_processes(working_copy, fake_sandbox):
    warm_provider.attach(working_copy, {"PATH": os.environ["PATH"]}, fake_sandbox.pid)
    data = warm_provider.status()
    assert warm_provider.stop() is True
    waits.wait_until(lambda: not os.path.exists(f"/proc/{data['provider_pid']}"), "the stopped provider to be gone",
                     waits.PROCESS_EXIT)
    assert warm_provider.stop() is False


def test_falls_back_to_plain_starts_when_it_cannot_start(working_copy, fake_sandbox):
    binary = warm_provider.provider_binary(working_copy)
    binary.write_text("#!/bin/sh\necho 'no reattach line here'\n")
    assert warm_provider.attach(working_copy, {"PATH": os.environ["PATH"]}, fake_sandbox.pid) == {}
    assert "did not start" in warm_provider.last_fallback


def test_before_init_there_is_nothing_to_keep_warm(tmp_path, monkeypatch):
    monkeypatch.setenv("IAMLAB_HOME", str(tmp_path / "home"))
    assert warm_provider.attach(tmp_path, {}, os.getpid()) == {}
    assert "terraform init" in warm_provider.last_fallback


@pytest.mark.parametrize("setting,hub,limit,expected", [
    ("on", True, 1 << 30, True),
    ("off", False, None, False),
    ("auto", False, None, True),
    ("auto", True, None, False),                 # a classroom or Binder: JupyterHub
    ("auto", False, 1 << 30, False),             # a 1 GiB cgroup limit
    ("auto", False, 4 << 30, True),
])
def test_the_setting_and_its_automatic_default(monkeypatch, setting, hub, limit, expected):
    monkeypatch.setenv(warm_provider.SETTING, setting)
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    if hub:
        monkeypatch.setenv("JUPYTERHUB_USER", "learner")
    else:
        monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.setattr(warm_provider, "memory_limit", lambda: limit)
    decision = warm_provider.decide()
    assert decision.use is expected and decision.reason


def test_never_in_real_aws_mode(monkeypatch):
    monkeypatch.setenv(warm_provider.SETTING, "on")
    monkeypatch.setenv("IAMLAB_MODE", mode.AWS)
    assert warm_provider.decide().use is False


def test_a_wrong_setting_says_which_values_work(monkeypatch):
    monkeypatch.setenv(warm_provider.SETTING, "sometimes")
    with pytest.raises(ValueError, match="on, off or auto"):
        warm_provider.decide()


def test_leftover_socket_folders_of_a_killed_keeper_are_swept(tmp_path, monkeypatch):
    """A keeper killed with -9 leaves its socket folder in /tmp; the next start removes it,
    and leaves alone a folder whose socket is listened on, or one just made."""
    import socket
    import tempfile

    from iamlab.terraform import warm_provider

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stale, live, fresh = (tmp_path / f"iamlab-provider-{n}" for n in ("stale", "live", "fresh"))
    for folder in (stale, live, fresh):
        folder.mkdir()
    (stale / "relay.sock").write_text("")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(live / "relay.sock"))
    listener.listen()
    old = time.time() - 3600
    for folder in (stale, live):
        os.utime(folder, (old, old))
    try:
        assert warm_provider.sweep_leftovers() == [stale]
    finally:
        listener.close()
    assert live.exists() and fresh.exists() and not stale.exists()
