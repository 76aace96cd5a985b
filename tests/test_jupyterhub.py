"""The classroom on a real JupyterHub: the hub from PyPI, configurable-http-proxy from npm, each
learner's server spawned as their own Unix user from one shared install of the course, three
learners running lesson 04 to its end at once, the attacks of issue 18 tried between them, and the
instructor's service showing the class to the instructor only."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import requests

from tests import waits
from tests.hub_kernel import run_cells
from tests.unix_users import make_learner, need_root, run_python, shared_dir, with_python_for_everyone

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[1]
LEARNERS = ("iamlab-hub-ana", "iamlab-hub-ben", "iamlab-hub-cy")
TEACHER, SERVICE_USER, GROUP = "iamlab-hub-teacher", "iamlab-hub-svc", "iamlab-hub-class"
WAIT = 300  # generous bounds for conditions; reaching one is a failure, not a measure


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, what: str, bound: float = WAIT):
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"gave up after {bound:.0f} s waiting for {what}")


def hub_argv(config: Path) -> list[str]:
    """The hub's command, so that the learners' servers it spawns can start this Python too."""
    return with_python_for_everyone([sys.executable, "-m", "jupyterhub", "-f", str(config)])


@pytest.fixture(scope="module")
def hub():
    need_root()
    if not shutil.which("configurable-http-proxy"):
        pytest.fail("configurable-http-proxy is missing: scripts/install.sh installs it with npm")
    if subprocess.run(["getent", "group", GROUP], capture_output=True).returncode:
        subprocess.run(["groupadd", GROUP], check=True)
    learners = {name: make_learner(name) for name in LEARNERS}
    teacher, service_user = make_learner(TEACHER), make_learner(SERVICE_USER)
    subprocess.run(["usermod", "-aG", GROUP, SERVICE_USER], check=True)
    for learner in learners.values():  # a fresh course for each run
        for leftover in ("iamlab-course", ".cache", ".local", ".jupyter", ".ipython"):
            shutil.rmtree(learner.home / leftover, ignore_errors=True)

    base = shared_dir("iamlab-hub-")
    site = base / "site"  # the course installed once, for everyone (not editable)
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
                           "--target", str(site), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    subprocess.run(["chmod", "-R", "a+rX", str(site)], check=True)
    from iamlab.classroom.service import make_spool

    spool = make_spool(base / "spool", GROUP)
    for learner in learners.values():  # each learner's own copy, from the install (docs/classroom.md)
        copied = run_python(learner, ["-m", "iamlab", "copy-course"], env=learner.env(PYTHONPATH=str(site)))
        assert copied.returncode == 0, copied.stderr

    port, service_port, api_token = free_port(), free_port(), secrets.token_hex(32)
    hubdir = base / "hub"
    hubdir.mkdir(mode=0o700)
    config = hubdir / "jupyterhub_config.py"
    config.write_text(f"""
import sys
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_port = {free_port()}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.pid_file = "{hubdir}/proxy.pid"
c.JupyterHub.db_url = "sqlite:///{hubdir}/hub.sqlite"
c.JupyterHub.cookie_secret_file = "{hubdir}/cookie_secret"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = {set(LEARNERS) | {TEACHER}!r}
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
c.Spawner.default_url = "/lab"
c.Spawner.environment = {{"PYTHONPATH": "{site}", "IAMLAB_CLASS_SPOOL": "{spool}",
                          "IAMLAB_SOLUTIONS": "1", "IAMLAB_WARM_PROVIDER": "off"}}
c.JupyterHub.services = [
    {{"name": "test-driver", "api_token": "{api_token}"}},
    {{"name": "iamlab-class", "url": "http://127.0.0.1:{service_port}", "user": "{SERVICE_USER}",
      "command": [sys.executable, "-m", "iamlab.classroom.service", "serve", "--spool", "{spool}"],
      "environment": {{"PYTHONPATH": "{site}"}}, "oauth_no_confirm": True}},
]
c.JupyterHub.load_roles = [
    {{"name": "test-driver", "services": ["test-driver"], "scopes": ["admin:users", "admin:servers", "tokens"]}},
    {{"name": "iamlab-instructor", "users": ["{TEACHER}"], "scopes": ["access:services!service=iamlab-class"]}},
]
""")
    log = open(hubdir / "hub.log", "w")
    process = subprocess.Popen(hub_argv(config), cwd=hubdir, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    api = requests.Session()
    api.headers["Authorization"] = f"token {api_token}"

    def up():
        assert process.poll() is None, (hubdir / "hub.log").read_text()[-3000:]
        try:
            return api.get(f"{url}/hub/api/", timeout=5).ok
        except requests.ConnectionError:
            return False

    wait_for(up, "the hub to answer")
    try:
        yield {"url": url, "api": api, "learners": learners, "spool": spool, "site": site, "log": hubdir / "hub.log"}
    finally:
        for name in LEARNERS:
            with_env = learners[name].env(PYTHONPATH=str(site))
            run_python(learners[name], ["-m", "iamlab", "sandbox", "stop"], env=with_env, timeout=120)
            try:
                api.delete(f"{url}/hub/api/users/{name}/server", timeout=waits.bound(waits.REQUEST))
            except requests.RequestException:
                pass
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(base, ignore_errors=True)


def token_for(hub, name: str) -> str:
    made = hub["api"].post(f"{hub['url']}/hub/api/users/{name}/tokens", json={"note": "test"}, timeout=waits.bound(waits.REQUEST))
    made.raise_for_status()
    return made.json()["token"]


def spawn(hub, name: str) -> str:
    api, url = hub["api"], hub["url"]
    if api.get(f"{url}/hub/api/users/{name}", timeout=waits.bound(waits.REQUEST)).status_code == 404:
        api.post(f"{url}/hub/api/users/{name}", timeout=waits.bound(waits.REQUEST)).raise_for_status()
    started = api.post(f"{url}/hub/api/users/{name}/server", timeout=waits.bound(waits.REQUEST))
    assert started.status_code in (201, 202), started.text

    def ready():
        return api.get(f"{url}/hub/api/users/{name}", timeout=waits.bound(waits.REQUEST)).json().get("servers", {}).get("", {}).get("ready")

    wait_for(ready, f"{name}'s server")
    return f"{url}/user/{name}"


def lesson_cells() -> list[str]:
    notebook = nbformat.read(ROOT / "notebooks" / "04-least-privilege.ipynb", as_version=4)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def test_three_learners_run_lesson_04_on_a_real_hub_and_cannot_reach_each_other(hub):
    tokens = {name: token_for(hub, name) for name in LEARNERS}
    with ThreadPoolExecutor(len(LEARNERS)) as pool:
        servers = dict(zip(LEARNERS, pool.map(lambda n: spawn(hub, n), LEARNERS)))
    # Each server runs as its own Unix user.
    for name in LEARNERS:
        identity = requests.get(f"{servers[name]}/api/contents/iamlab-course/notebooks",
                                headers={"Authorization": f"token {tokens[name]}"}, timeout=waits.bound(waits.REQUEST))
        assert identity.ok, identity.text
    # Lesson 04, all three at once, in their own kernels (solutions mode: the hidden test cells assert).
    cells = lesson_cells()
    with ThreadPoolExecutor(len(LEARNERS)) as pool:
        runs = dict(zip(LEARNERS, pool.map(
            lambda n: run_cells(servers[n], tokens[n], "iamlab-course/notebooks/04-least-privilege.ipynb", cells),
            LEARNERS)))
    for name, run in runs.items():
        assert not run.failed and len(run.cells) == len(cells), f"{name}: {run.failed[:1]}"

    ana, ben = (hub["learners"][n] for n in LEARNERS[:2])
    env_ben = ben.env(PYTHONPATH=str(hub["site"]))
    anas = json.loads((ana.home / "iamlab-course" / ".sandbox" / "state.json").read_text())
    # Held: ana's files, her sandbox's /proc, her port with ben's keys, her management routes.
    attack = f"""
import json, os, urllib.request, urllib.error
import boto3, botocore.exceptions
out = {{}}
for name, path in (("files", "{ana.home}/iamlab-course/.sandbox/state.json"), ("proc", "/proc/{anas['pid']}/environ"),
                   ("tf", "{ana.home}/iamlab-course/tf/iamlab_sandbox_override.tf")):
    try:
        open(path).read(); out[name] = "read"
    except OSError as error:
        out[name] = type(error).__name__
import iamlab.sandbox as s
mine = s.start()
client = boto3.client("iam", endpoint_url="http://127.0.0.1:{anas['port']}", region_name="us-east-1",
                      aws_access_key_id=mine.learner_key_id, aws_secret_access_key=mine.learner_secret)
try:
    client.list_roles(); out["port"] = "answered"
except botocore.exceptions.ClientError as error:
    out["port"] = error.response["Error"]["Code"]
for route in ("/moto-api/reset", "/moto-api/data.json"):
    try:
        urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:{anas['port']}" + route, method="POST" if "reset" in route else "GET"), timeout=30)
        out[route] = "answered"
    except urllib.error.HTTPError as error:
        out[route] = error.code
print(json.dumps(out))
"""
    tried = run_python(ben, ["-c", attack], env=env_ben, timeout=300)
    assert tried.returncode == 0, tried.stderr[-2000:]
    held = json.loads(tried.stdout.strip().splitlines()[-1])
    assert held["files"] == held["proc"] == held["tf"] == "PermissionError", held
    assert held["port"] in ("InvalidClientTokenId", "SignatureDoesNotMatch"), held
    assert held["/moto-api/reset"] in (401, 403) and held["/moto-api/data.json"] in (401, 403), held
    # No predictable names in the shared /tmp: ana's registry login is in her own runtime folder.
    assert not list(Path("/tmp").glob(f"iamlab-auth-{ana.uid}*"))
    assert (ana.home / "iamlab-course" / ".run").stat().st_mode & 0o777 == 0o700
    # Through the hub: ben's token opens neither ana's server nor the instructor's view.
    headers_ben = {"Authorization": f"token {tokens[ben.name]}"}
    other = requests.get(f"{servers[ana.name]}/api/contents", headers=headers_ben, timeout=waits.bound(waits.REQUEST), allow_redirects=False)
    assert other.status_code in (302, 403, 404), other.status_code
    view = f"{hub['url']}/services/iamlab-class/api/class"
    refused = requests.get(view, headers=headers_ben, timeout=waits.bound(waits.REQUEST), allow_redirects=False)
    assert refused.status_code in (302, 403), refused.status_code

    # The instructor sees every learner at lesson 04 with its checks passed.
    teacher = requests.get(view, headers={"Authorization": f"token {token_for(hub, TEACHER)}"}, timeout=waits.bound(waits.REQUEST),
                           allow_redirects=False)
    assert teacher.status_code == 200, (teacher.status_code, teacher.text[:500], hub["log"].read_text()[-2000:])
    seen = {item["user"]: item for item in teacher.json()["learners"]}
    for name in LEARNERS:
        assert seen[name]["lesson"] == "04" and {"04-reference", "04-detach", "04-scope"} <= set(seen[name]["passed"])
