"""`python -m iamlab doctor`: is this machine ready for the course? If not, how to fix it.

Each check returns a ``Check``: a name, whether it passed, what was found and,
when it failed, the next step.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.request
from dataclasses import dataclass

from . import sandbox
from .terraform import cliconfig

MIN_TERRAFORM = (1, 5)
REGISTRY_URL = "https://registry.terraform.io/v1/providers/hashicorp/aws/versions"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def check_terraform() -> Check:
    binary = shutil.which("terraform")
    if not binary:
        return Check(
            "terraform", False, "No `terraform` program on PATH.",
            "Install Terraform 1.5 or newer (https://developer.hashicorp.com/terraform/install) "
            "and make sure `terraform version` works in a terminal; then run the doctor again.",
        )
    try:
        text = subprocess.run([binary, "version"], capture_output=True, text=True, timeout=30,
                              env={"CHECKPOINT_DISABLE": "1", "PATH": ""}).stdout
    except (OSError, subprocess.TimeoutExpired) as error:
        return Check("terraform", False, f"{binary} does not run: {error}", "Reinstall Terraform.")
    match = re.search(r"Terraform v(\d+)\.(\d+)\.(\d+)", text)
    if not match:
        return Check("terraform", False, f"{binary} printed no version.", "Reinstall Terraform.")
    version = tuple(int(x) for x in match.groups())
    if version[:2] < MIN_TERRAFORM:
        return Check("terraform", False, f"Terraform {'.'.join(map(str, version))} is too old.",
                     "Install Terraform 1.5 or newer.")
    return Check("terraform", True, f"Terraform {'.'.join(map(str, version))} at {binary}")


def registry_reachable(url: str = REGISTRY_URL, timeout: float = 5.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return True
    except OSError:
        return False


def check_provider_source(registry_url: str = REGISTRY_URL) -> Check:
    try:
        source = cliconfig.find_provider_source()
    except cliconfig.MirrorError as error:
        return Check("AWS provider", False, str(error).splitlines()[0], str(error).splitlines()[-1])
    if source.kind == "mirror":
        return Check("AWS provider", True, source.describe())
    if registry_reachable(registry_url):
        return Check("AWS provider", True, source.describe() + ", reachable")
    return Check(
        "AWS provider", False,
        "No local mirror of hashicorp/aws was found, and the Terraform registry cannot be reached from here.",
        "Connect to the internet, or point IAMLAB_PROVIDER_MIRROR at a filesystem mirror made with "
        "`terraform providers mirror DIR` on a connected machine.",
    )


def check_sandbox() -> Check:
    try:
        info = sandbox.status()
        started = False
        if info is None:
            info, started = sandbox.start(), True
    except (sandbox.SandboxError, ValueError) as error:
        return Check("sandbox", False, str(error).splitlines()[0], "\n".join(str(error).splitlines()[1:]) or
                     "Run `python -m iamlab sandbox start` and read its message.")
    return Check("sandbox", True, f"{'started' if started else 'running'} at {info.endpoint} (pid {info.pid})")


def check_warm_provider() -> Check:
    """Whether Terraform reuses a running AWS provider (faster, ~170-200 MiB resident) and why."""
    from .terraform import warm_provider

    try:
        decision = warm_provider.decide()
    except ValueError as error:
        return Check("warm provider", False, str(error), f"Set {warm_provider.SETTING} to on, off or auto (the default).")
    running = warm_provider.status()
    detail = str(decision)
    if running:
        relay = ("its unchanging answers kept by the relay" if running.get("relay")
                 else f"without the relay ({running.get('no_relay') or 'not started'})")
        detail += f"; running (pid {running['provider_pid']}), {relay}"
    return Check("warm provider", True, detail)


def check_skopeo() -> Check:
    """Lesson 05 pulls the image with skopeo, a registry client that needs no Docker daemon."""
    binary = shutil.which("skopeo")
    if not binary:
        return Check("skopeo", False, "No `skopeo` program on PATH: lesson 05 cannot pull with a real registry client.",
                     "Debian/Ubuntu: `sudo apt-get install skopeo`; macOS: `brew install skopeo`. "
                     "The step-by-step pull works without it.")
    try:
        text = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as error:
        return Check("skopeo", False, f"{binary} does not run: {error}", "Reinstall skopeo.")
    return Check("skopeo", True, f"{text or 'skopeo'} at {binary}")


def check_graphviz() -> Check:
    """The diagrams are drawn by Graphviz's `dot` (the Python package only calls it)."""
    binary = shutil.which("dot")
    if not binary:
        return Check("graphviz", False, "No Graphviz `dot` program on PATH: the notebooks cannot draw their diagrams.",
                     "Debian/Ubuntu: `sudo apt-get install graphviz`; macOS: `brew install graphviz`.")
    try:
        done = subprocess.run([binary, "-V"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return Check("graphviz", False, f"{binary} does not run: {error}", "Reinstall Graphviz.")
    return Check("graphviz", True, f"{(done.stderr or done.stdout).strip() or 'dot'} at {binary}")


def run_checks() -> list[Check]:
    return [check_terraform(), check_provider_source(), check_sandbox(), check_warm_provider(), check_skopeo(),
            check_graphviz()]


def report(checks: list[Check]) -> str:
    lines = []
    for check in checks:
        lines.append(f"{'✔' if check.ok else '✘'} {check.name}: {check.detail}")
        if not check.ok and check.fix:
            lines.extend("    fix: " + line if i == 0 else "         " + line for i, line in enumerate(check.fix.splitlines()))
    verdict = "Everything is ready." if all(c.ok for c in checks) else "Fix the items marked ✘, then run the doctor again."
    return "\n".join(lines + ["", verdict])
