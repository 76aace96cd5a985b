"""The sandbox's lifecycle: start, find again, stop, reset, and what goes wrong."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from iamlab import sandbox
from iamlab.sandbox.state import StateFile

from . import waits
from .conftest import run_cli


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a child of ours that exited is reaped, not counted)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True

# A valid trust policy: the sandbox refuses malformed ones as IAM does ("{}" has no Statement).
EC2_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


@pytest.mark.integration  # starts, kills or restarts sandboxes of its own
def test_start_is_idempotent_and_binds_loopback_only(course_home):
    first = sandbox.start()
    again = sandbox.start()
    assert again.pid == first.pid and again.port == first.port
    assert first.endpoint.startswith("http://127.0.0.1:")
    state = json.loads((course_home / ".sandbox" / "state.json").read_text())
    assert state["pid"] == first.pid
    assert oct((course_home / ".sandbox" / "state.json").stat().st_mode)[-3:] == "600"


def test_seeded_account_has_the_lessons_starting_point(course_home):
    ecr = sandbox.session(sandbox.start()).client("ecr")
    repos = {r["repositoryName"] for r in ecr.describe_repositories()["repositories"]}
    assert repos == {"flask_app", "reports_app"}
    for name in repos:
        [image] = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "latest"}])["images"]
        manifest = json.loads(image["imageManifest"])
        assert manifest["schemaVersion"] == 2 and len(manifest["layers"]) == 1


def test_aws_managed_policy_has_its_real_document(course_home):
    iam = sandbox.session(sandbox.start()).client("iam")
    arn = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    [statement] = document["Statement"]
    assert statement["Resource"] == "*"
    assert "ecr:GetDownloadUrlForLayer" in statement["Action"]


@pytest.mark.integration  # starts, kills or restarts sandboxes of its own
def test_reset_gives_a_fresh_seeded_account(course_home):
    info = sandbox.start()
    iam = sandbox.session(info).client("iam")
    iam.create_role(RoleName="leftover", AssumeRolePolicyDocument=EC2_TRUST)
    generation = sandbox.account_version(info).split("-")[0]
    sandbox.reset()
    assert sandbox.account_version(info).split("-")[0] != generation  # what was noted against the old account is void
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == []
    assert len(sandbox.session(info).client("ecr").describe_repositories()["repositories"]) == 2


@pytest.mark.integration  # starts, kills or restarts sandboxes of its own
def test_status_and_stop(course_home):
    assert sandbox.status() is None
    info = sandbox.start()
    assert sandbox.status() == info
    assert sandbox.stop() is True
    assert sandbox.status() is None
    assert sandbox.stop() is False
    assert not (course_home / ".sandbox" / "state.json").exists()


@pytest.mark.integration  # starts, kills or restarts sandboxes of its own
def test_stale_state_file_is_cleaned_up(course_home):
    from iamlab import paths

    StateFile(paths.sandbox_dir()).write(pid=2**22 + 12345, port=1, region="us-east-1")
    assert sandbox.status() is None
    assert not (course_home / ".sandbox" / "state.json").exists()
    assert sandbox.start().pid != 2**22 + 12345


@pytest.mark.integration  # starts, kills or restarts sandboxes of its own
def test_a_dead_sandbox_is_restarted_transparently(course_home):
    first = sandbox.start()
    os.kill(first.pid, signal.SIGKILL)
    waits.wait_until(lambda: not _alive(first.pid), "the killed sandbox to be gone", waits.PROCESS_EXIT)
    second = sandbox.start()
    assert second.pid != first.pid
    assert sandbox.session(second).client("ecr").describe_repositories()["repositories"]


@pytest.mark.integration  # starts, kills or restarts sandboxes of its own
def test_a_hung_sandbox_is_replaced_not_waited_on(course_home):
    first = sandbox.start()
    os.kill(first.pid, signal.SIGSTOP)  # alive, but answers nothing
    replacing = ThreadPoolExecutor(1)
    try:
        # Replaced, never waited on: start() returns although the old one never answers.
        second = replacing.submit(sandbox.start).result(timeout=waits.bound(waits.SANDBOX_START))
        assert second.pid != first.pid
    finally:
        replacing.shutdown(wait=False)
        try:
            os.kill(first.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_port_in_use_gives_a_clear_message(course_home, monkeypatch):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    monkeypatch.setenv("IAMLAB_SANDBOX_PORT", str(blocker.getsockname()[1]))
    try:
        with pytest.raises(sandbox.SandboxError) as error:
            sandbox.start()
    finally:
        blocker.close()
    message = str(error.value)
    assert "already uses that port" in message and "IAMLAB_SANDBOX_PORT" in message


def test_bad_port_setting_is_explained(course_home, monkeypatch):
    monkeypatch.setenv("IAMLAB_SANDBOX_PORT", "fifty")
    result = run_cli("sandbox", "start")
    assert result.returncode == 1
    assert "IAMLAB_SANDBOX_PORT must be a port number" in result.stderr


def test_require_says_how_to_start(course_home):
    with pytest.raises(sandbox.SandboxError, match="python -m iamlab sandbox start"):
        sandbox.require()


@pytest.mark.integration  # starts, kills or restarts sandboxes of its own
def test_cli_start_status_env_stop(course_home):
    assert run_cli("sandbox", "status").returncode == 1
    started = run_cli("sandbox", "start")
    assert started.returncode == 0
    endpoint = started.stdout.strip().splitlines()[-1]
    assert endpoint.startswith("http://127.0.0.1:")
    assert run_cli("sandbox", "status").returncode == 0

    # `eval "$(python -m iamlab sandbox env)"` makes the AWS CLI talk to the sandbox as the learner.
    script = f'eval "$({shlex.quote(os.sys.executable)} -m iamlab sandbox env)" && aws ecr describe-repositories --output json'
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    listed = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=waits.bound(waits.COMMAND))
    assert listed.returncode == 0, listed.stderr
    assert {r["repositoryName"] for r in json.loads(listed.stdout)["repositories"]} == {"flask_app", "reports_app"}

    assert run_cli("sandbox", "stop").returncode == 0
    assert run_cli("sandbox", "status").returncode == 1


@pytest.mark.integration  # starts, kills or restarts sandboxes of its own
def test_env_lines_point_at_the_sandbox(course_home):
    info = sandbox.start()
    variables = sandbox.learner_env(info)
    assert variables["AWS_ENDPOINT_URL"] == info.endpoint
    client = boto3.client("sts", endpoint_url=variables["AWS_ENDPOINT_URL"], region_name=variables["AWS_DEFAULT_REGION"],
                          aws_access_key_id=variables["AWS_ACCESS_KEY_ID"], aws_secret_access_key=variables["AWS_SECRET_ACCESS_KEY"])
    assert client.get_caller_identity()["Account"] == sandbox.ACCOUNT_ID


@pytest.mark.integration  # starts, kills or restarts sandboxes of its own
def test_two_homes_get_two_isolated_sandboxes(tmp_path, monkeypatch):
    infos = []
    for name in ("alice", "bob"):
        monkeypatch.setenv("IAMLAB_HOME", str(tmp_path / name))
        infos.append(sandbox.start())
    try:
        alice, bob = infos
        assert alice.port != bob.port
        sandbox.session(alice).client("iam").create_role(RoleName="alices-role", AssumeRolePolicyDocument=EC2_TRUST)
        assert sandbox.session(bob).client("iam").list_roles()["Roles"] == []
    finally:
        for name in ("alice", "bob"):
            monkeypatch.setenv("IAMLAB_HOME", str(tmp_path / name))
            sandbox.stop()


@pytest.mark.integration  # starts, kills or restarts sandboxes of its own
def test_on_a_shared_host_other_users_cannot_use_your_sandbox(course_home):
    """Loopback is shared by every user of a host: the sandbox answers only its owner's keys."""
    import urllib.error
    import urllib.request

    from botocore.exceptions import ClientError

    info = sandbox.start()
    stranger = boto3.client("iam", endpoint_url=info.endpoint, region_name="us-east-1",
                            aws_access_key_id="AKIAIAMLABSTRANGER01", aws_secret_access_key="x")
    with pytest.raises(ClientError) as refused:
        stranger.list_roles()
    assert refused.value.response["Error"]["Code"] == "InvalidClientTokenId"
    for path, method in (("/iamlab/reset", "POST"), ("/moto-api/reset", "POST"), ("/iamlab/activity", "GET")):
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(urllib.request.Request(f"{info.endpoint}{path}", method=method, data=b"" if method == "POST" else None))
        assert error.value.code in (403, 400)
    state = course_home / ".sandbox" / "state.json"
    assert info.learner_key_id in state.read_text() and oct(state.stat().st_mode)[-3:] == "600"
    assert sandbox.session(info).client("iam").list_roles()["Roles"] == []  # the owner still can


@pytest.mark.integration  # starts, kills or restarts sandboxes of its own
def test_a_stale_state_file_never_gets_an_unrelated_process_killed(course_home):
    from iamlab import paths

    bystander = subprocess.Popen(["sleep", "infinity"])  # killed below
    try:
        StateFile(paths.sandbox_dir()).write(pid=bystander.pid, port=1, region="us-east-1")
        assert sandbox.stop() is False
        StateFile(paths.sandbox_dir()).write(pid=bystander.pid, port=1, region="us-east-1")
        info = sandbox.start()
        assert info.pid != bystander.pid and bystander.poll() is None  # the sleep lives on
    finally:
        bystander.kill()
        bystander.wait()


@pytest.mark.integration  # starts, kills or restarts sandboxes of its own
def test_a_corrupt_state_file_does_not_orphan_the_running_sandbox(course_home):
    first = sandbox.start()
    (course_home / ".sandbox" / "state.json").write_text("{half a fi")
    second = sandbox.start()
    assert second.pid != first.pid
    # the old one was stopped, not left running beside the new one
    waits.wait_until(lambda: not _alive(first.pid), "the replaced sandbox to be gone", waits.PROCESS_EXIT)
    with pytest.raises(ProcessLookupError):
        os.kill(first.pid, 0)
    assert sandbox.stop() is True


def test_an_unusable_course_home_is_explained_not_a_traceback(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("IAMLAB_HOME", str(blocker / "home"))
    with pytest.raises(sandbox.SandboxError, match="IAMLAB_HOME"):
        sandbox.start()
    printed = run_cli("sandbox", "status", env={"IAMLAB_HOME": str(blocker / "home")})
    assert "Traceback" not in printed.stderr and "IAMLAB_HOME" in printed.stdout + printed.stderr


def test_a_reset_lets_the_old_account_go():
    """moto caches on two methods held every replaced EC2 backend (~1,200 AMIs each): the
    sandbox grew 4-5 MiB per reset. After resets, only the live backend may remain."""
    script = (
        "import gc, tempfile\n"
        "from pathlib import Path\n"
        "from iamlab.sandbox.server import SandboxApp\n"
        "from iamlab.sandbox.images import BlobStore\n"
        "from moto.ec2.models import EC2Backend\n"
        "app = SandboxApp('us-east-1', BlobStore(Path(tempfile.mkdtemp()) / 'blobs'), 'AKIAEXAMPLEEXAMPLE12', 's')\n"
        "for _ in range(3):\n"
        "    app.reset()\n"
        "gc.collect()\n"
        "print(sum(isinstance(o, EC2Backend) for o in gc.get_objects()))\n"
    )
    alive = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                           timeout=waits.bound(waits.COMMAND))
    assert alive.stdout.split()[-1] == "1"
