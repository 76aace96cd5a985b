"""A container pull, step by step, as the instance does it, with each access decision.

``docker pull`` hides four steps, and each needs its own permission:

1. log in: ``ecr:GetAuthorizationToken`` (which supports no resource: ``Resource: "*"``);
2. check the login: ``GET /v2/``;
3. the manifest: ``ecr:BatchGetImage`` on the repository;
4. every blob (config and layers): ``ecr:GetDownloadUrlForLayer`` on the repository.

``pull_steps`` walks them with the instance's credentials and reports each one;
``skopeo_pull`` hands the same login to a real registry client.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from .facts import LOGIN
from .sandbox import instance as instance_identity
from .sandbox.aws_env import scrubbed

MANIFEST_TYPES = ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])


@dataclass
class Step:
    name: str
    permission: str
    allowed: bool
    detail: str


@dataclass
class PullReport:
    repository: str
    tag: str
    steps: list[Step] = field(default_factory=list)

    @property
    def pulled(self) -> bool:
        return bool(self.steps) and all(step.allowed for step in self.steps) and self.steps[-1].name.startswith("blob")

    @property
    def denied_step(self) -> Step | None:
        return next((s for s in self.steps if not s.allowed), None)

    @property
    def login_error(self) -> str | None:
        """AWS's own words when the instance's login was refused (None if it logged in)."""
        step = self.denied_step
        return step.detail if step is not None and step.permission == LOGIN else None

    def _repr_markdown_(self) -> str:
        rows = [f"| {'✅ allowed' if s.allowed else '⛔ denied'} | {s.name} | `{s.permission}` | {s.detail.replace('|', '&#124;')} |"
                for s in self.steps]
        verdict = "**pulled**" if self.pulled else "**not pulled**"
        refused = self.denied_step
        said = f"\n\nThe pull stopped at **{refused.name}**. AWS answered:\n\n> {refused.detail}" if refused else ""
        return (f"Pull of `{self.repository}:{self.tag}`: {verdict}\n\n| decision | step | permission | detail |\n"
                f"|---|---|---|---|\n" + "\n".join(rows) + said)

    def __str__(self) -> str:
        lines = [f"Pull of {self.repository}:{self.tag}: {'pulled' if self.pulled else 'not pulled'}"]
        lines += [f"  {'allowed' if s.allowed else 'DENIED '}  {s.name:<22} {s.permission:<36} {s.detail}" for s in self.steps]
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))


def registry_login(instance_id: str, ecr=None) -> tuple[str, str]:
    """(registry host, password) from GetAuthorizationToken, as the instance."""
    ecr = ecr or instance_identity.session(instance_id).client("ecr")
    data = ecr.get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    return data["proxyEndpoint"].split("://", 1)[1], password


def _get(url: str, password: str, accept: str | None = None) -> tuple[int, bytes, dict]:
    headers = {"Authorization": "Basic " + base64.b64encode(f"AWS:{password}".encode()).decode()}
    if accept:
        headers["Accept"] = accept
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as reply:
            return reply.status, reply.read(), dict(reply.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def _registry_error(body: bytes) -> str:
    try:
        return json.loads(body)["errors"][0]["message"]
    except (ValueError, KeyError, IndexError):
        return body.decode(errors="replace")[:300]


def pull_steps(instance_id: str, repository: str, tag: str = "latest", login: tuple[str, str] | None = None) -> PullReport:
    """Walk the pull; ``login`` (host, password) reuses a token instead of asking for one."""
    report = PullReport(repository, tag)
    try:
        host, password = login or registry_login(instance_id)
    except ClientError as error:
        report.steps.append(Step("log in", LOGIN, False, error.response["Error"]["Message"]))
        return report
    report.steps.append(Step("log in", LOGIN, True, "got a registry password (user AWS)"))
    base = f"http://{host}/v2"
    status, body, _ = _get(f"{base}/", password)
    report.steps.append(Step("check login (GET /v2/)", "-", status == 200, f"HTTP {status}"))
    if status != 200:
        return report
    status, body, headers = _get(f"{base}/{repository}/manifests/{tag}", password, MANIFEST_TYPES)
    if status != 200:
        report.steps.append(Step("manifest", "ecr:BatchGetImage", False, f"HTTP {status}: {_registry_error(body)}"))
        return report
    manifest = json.loads(body)
    report.steps.append(Step("manifest", "ecr:BatchGetImage", True, f"digest {headers.get('Docker-Content-Digest', '?')[:19]}…"))
    blobs = [("blob (config)", manifest["config"])] + [(f"blob (layer {i})", layer) for i, layer in enumerate(manifest["layers"], 1)]
    for name, descriptor in blobs:
        status, data, _ = _get(f"{base}/{repository}/blobs/{descriptor['digest']}", password)
        if status != 200:
            report.steps.append(Step(name, "ecr:GetDownloadUrlForLayer", False, f"HTTP {status}: {_registry_error(data)}"))
            return report
        verified = "sha256:" + hashlib.sha256(data).hexdigest() == descriptor["digest"]
        report.steps.append(Step(name, "ecr:GetDownloadUrlForLayer", verified,
                                 f"{len(data)} bytes, digest {'verified' if verified else 'MISMATCH'}"))
    return report


@dataclass
class ClientPull:
    ok: bool
    output: str


def skopeo_pull(instance_id: str, repository: str, tag: str = "latest") -> ClientPull:
    """Pull with skopeo (a real registry client), logged in as the instance."""
    if shutil.which("skopeo") is None:
        return ClientPull(False, "skopeo is not installed (Debian/Ubuntu: apt-get install skopeo).")
    try:
        host, password = registry_login(instance_id)
    except ClientError as error:
        return ClientPull(False, f"login failed: {error}")
    with tempfile.TemporaryDirectory(prefix="iamlab-pull-") as target:
        result = subprocess.run(
            ["skopeo", "copy", "--src-tls-verify=false", "--src-creds", f"AWS:{password}",
             f"docker://{host}/{repository}:{tag}", f"dir:{target}"],
            capture_output=True, text=True, timeout=120, env=scrubbed())
    return ClientPull(result.returncode == 0, (result.stdout + result.stderr).strip())
