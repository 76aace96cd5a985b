"""After a failed command: what the state file really records, checked, not assumed.

A learner needs to know whether Terraform still knows about everything it made. So
after a failure the course reads ``terraform.tfstate`` and compares it with
Terraform's own progress lines ("aws_iam_role.x: Creating...", "...: Creation
complete"): anything Terraform started to create but the state does not record may
exist in the account without Terraform knowing (the next apply then fails with
``EntityAlreadyExists``). This module says so, with the two ways out.

It also rescues a state Terraform could not save: when the disk is full, Terraform
prints the state as JSON; we keep that text in a file where it fits, so nothing is lost.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

STATE_FILE = "terraform.tfstate"
RESCUED_FILE = "errored.tfstate"

_STARTED = re.compile(r"^(?P<address>[\w.\[\]\"-]+): (?:Creating|Modifying|Destroying)\.\.\.", re.M)
_DONE = re.compile(r"^(?P<address>[\w.\[\]\"-]+): (?:Creation|Modifications|Destruction) complete", re.M)

# How `terraform import` names the lesson's resource types (what the ID is).
IMPORT_IDS = {
    "aws_iam_role": "the role's name",
    "aws_iam_instance_profile": "the instance profile's name",
    "aws_iam_role_policy_attachment": "ROLE_NAME/POLICY_ARN",
    "aws_iam_policy": "the policy's ARN",
    "aws_instance": "the instance id (i-...)",
    "aws_key_pair": "the key pair's name",
    "aws_security_group": "the security group id (sg-...)",
    "aws_ecr_repository_policy": "the repository's name",
}


class StateFileDamaged(ValueError):
    """``terraform.tfstate`` exists but is not a state (truncated or overwritten)."""

    def __init__(self, path: Path, reason: str):
        self.path, self.reason = path, reason
        backup = path.with_name(path.name + ".backup")
        options = []
        if _readable(backup):
            options.append(f"put the previous state back: `cp {backup} {path}` (it is the state before the last "
                           "change, so anything that change created may then exist outside the state: see below)")
        options.append(f"or start clean: move it aside (`mv {path} {path}.damaged`), run "
                       "`python -m iamlab sandbox reset` (a fresh account), then apply again")
        super().__init__(
            f"The state file {path} is damaged: {reason}. Terraform cannot tell what it created without it, "
            "so nothing was run. The damaged file was left as it is.\nNext step: "
            + "; ".join(options) + ".")


def _readable(path: Path) -> bool:
    try:
        return isinstance(json.loads(path.read_text()), dict)
    except (OSError, ValueError):
        return False


def check_state_file(directory: Path) -> None:
    """Raise ``StateFileDamaged`` (naming the file) when the state cannot be read; silent otherwise."""
    path = Path(directory) / STATE_FILE
    try:
        text = path.read_text()
    except FileNotFoundError:
        return
    except (OSError, UnicodeDecodeError) as error:
        raise StateFileDamaged(path, f"it cannot be read ({error})") from None
    if not text.strip():
        return  # Terraform treats an empty file as no state
    try:
        data = json.loads(text)
    except ValueError as error:
        raise StateFileDamaged(path, f"it is not complete JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(data, dict) or "version" not in data:
        raise StateFileDamaged(path, "it is JSON but not a Terraform state (no \"version\")")


def recorded_addresses(directory: Path) -> list[str] | None:
    """Addresses of the managed resources the state records; None when it cannot be read."""
    try:
        text = (Path(directory) / STATE_FILE).read_text()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError):
        return None
    if not text.strip():
        return []  # Terraform treats an empty file as no state (a kill can leave one mid-write)
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    found = []
    for resource in data.get("resources", []):
        if resource.get("mode") != "managed":
            continue
        base = f"{resource['type']}.{resource['name']}"
        for instance in resource.get("instances", []):
            key = instance.get("index_key")
            found.append(base if key is None else f"{base}[{json.dumps(key)}]")
    return found


@dataclass
class StateReport:
    """What the state records after a failure, against what Terraform said it was doing."""

    readable: bool
    recorded: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)  # started (or finished) but not recorded
    rescued: Path | None = None

    def text(self, directory: Path) -> str:
        if not self.readable:
            lines = [f"The state file {Path(directory) / STATE_FILE} could not be read after the error "
                     "(Terraform may have been stopped while writing it), so it may record none of what was made."]
        else:
            lines = [f"The state file was checked after the error: it records {len(self.recorded)} resource(s)"
                     + (": " + ", ".join(self.recorded) if self.recorded else "") + "."]
        if self.outside:
            lines.append(
                "Terraform had started on these, but the state does not record them, so they may exist in the "
                "account without Terraform knowing (the next apply would then fail with EntityAlreadyExists): "
                + ", ".join(self.outside) + ".")
            hints = sorted({f"{a.split('.')[0]}: {IMPORT_IDS[a.split('.')[0]]}" for a in self.outside
                            if a.split(".")[0] in IMPORT_IDS})
            if not self.readable:
                path = Path(directory) / STATE_FILE
                lines.append(f"Next step: move the unreadable state aside (`mv {path} {path}.damaged`), start the "
                             "account afresh with `python -m iamlab sandbox reset`, then apply again.")
                return "\n".join(lines)
            lines.append(
                "Next step, either: adopt each one into the state with "
                f"`terraform -chdir={directory} import ADDRESS ID`"
                + (f" (ID: {'; '.join(hints)})" if hints else "")
                + "; or, in the sandbox, start the account afresh with `python -m iamlab sandbox reset`, "
                "then apply again (Terraform forgets what no longer exists and creates it anew).")
        return "\n".join(lines)


def started_changes(stdout: str) -> list[str]:
    """Resources Terraform began to create, change or destroy, per its progress lines."""
    return list(dict.fromkeys(m["address"] for m in _STARTED.finditer(stdout)))


def report(directory: Path, stdout: str) -> StateReport:
    recorded = recorded_addresses(directory)
    readable = recorded is not None
    recorded = recorded or []
    started = started_changes(stdout)
    destroyed = {m["address"] for m in re.finditer(r"^(?P<address>\S+): Destruction complete", stdout, re.M)}
    outside = [a for a in started if a not in recorded and a not in destroyed
               and not re.search(rf"^{re.escape(a)}: Destroying\.\.\.", stdout, re.M)]
    return StateReport(readable, recorded, outside)


def printed_state(stderr: str) -> str | None:
    """The state Terraform printed when it could not save it (from the first ``{`` line to the last ``}``)."""
    match = re.search(r"^\{\n.*?^\}$", stderr, re.M | re.S)
    if not match:
        return None
    try:
        json.loads(match.group(0))
    except ValueError:
        return None
    return match.group(0)


def rescue_printed_state(directory: Path, stderr: str) -> Path | None:
    """Keep the printed state in a file: the working copy if it fits, else the temp folder. None if nowhere."""
    text = printed_state(stderr)
    if text is None:
        return None
    if _write_private(Path(directory) / RESCUED_FILE, text):
        return Path(directory) / RESCUED_FILE
    try:
        handle, name = tempfile.mkstemp(prefix="iamlab-errored-", suffix=".tfstate")  # mode 0600
        os.close(handle)
    except OSError:
        return None
    return Path(name) if _write_private(Path(name), text) else None


def _write_private(path: Path, text: str) -> bool:
    """Write a state (it may hold secrets) readable by its owner only; remove a partial file."""
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            handle.write(text + "\n")
        return True
    except OSError:
        try:
            path.unlink()
        except OSError:
            pass
        return False
