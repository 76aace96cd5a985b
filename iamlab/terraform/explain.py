"""Turn a Terraform failure into what a learner can act on.

Terraform's errors are precise but long. The course shows a one-paragraph
explanation (what went wrong, why, what to do next) above the relevant
``Error:`` block, and keeps the full output for whoever wants it.
"""

from __future__ import annotations

import re

from .warm_provider import GONE

# (pattern in Terraform's output, explanation). First match wins. No rule claims the
# state is intact: the driver checks the state file after a failure and says what it found.
RULES: list[tuple[str, str]] = [
    (
        r"no space left on device[\s\S]*Failed to persist state|Failed to (?:save|write) state[\s\S]*no space left on device",
        "The disk is full: Terraform made its changes in the account but could not save its state file, "
        "so terraform.tfstate does not record them. Terraform printed the state instead; the course kept "
        "that text (where, below).\n"
        "Next step: free disk space (`df -h .` shows how much is left), then put the kept state back with "
        "`terraform state push FILE` in your working copy before anything else.",
    ),
    (
        r"no space left on device",
        "The disk is full: Terraform could not write a file it needs (its lock or its state), so it stopped "
        "before changing anything.\n"
        "Next step: free disk space (`df -h .` shows how much is left), then run the command again.",
    ),
    (
        r"Failed to load state|unsupported state file format|state snapshot was created by Terraform",
        "Terraform could not read the state file (terraform.tfstate): it is damaged or from another Terraform.\n"
        "Next step: see the error below; `python -m iamlab sandbox reset` and moving the file aside starts clean.",
    ),
    (
        GONE,
        "The warm AWS provider (a provider process kept running between commands) stopped before or during "
        "this command, so Terraform stopped.\n"
        "Next step: run the command again: a new provider starts. If it keeps happening, set "
        "IAMLAB_WARM_PROVIDER=off to start the provider with every command, as Terraform usually does.",
    ),
    (
        r"connection refused|connect: connection refused|dial tcp 127\.0\.0\.1",
        "Terraform could not reach the local AWS sandbox: it is not running any more.\n"
        "Next step: `python -m iamlab sandbox start`, then run the command again.",
    ),
    (
        r"permission denied",
        "Terraform was refused a file it needs (permission denied): a folder it writes, such as the plugin "
        "cache or the working copy, belongs to another user or is read-only. The registry and the network "
        "have nothing to do with it.\n"
        "Next step: the error below names the file; use a plugin cache and course home of your own (unset "
        "IAMLAB_PLUGIN_CACHE; see IAMLAB_HOME in the README), then run the command again.",
    ),
    (
        r"Failed to query available provider packages|could not connect to registry|Failed to install provider",
        "Terraform could not get the AWS provider: this machine cannot reach the Terraform registry "
        "and no local mirror of hashicorp/aws was used.\n"
        "Next step: run `python -m iamlab doctor`; on an offline machine set IAMLAB_PROVIDER_MIRROR "
        "to a provider mirror folder.",
    ),
    (
        r"Error acquiring the state lock",
        "Another Terraform command is still running in this working copy (it holds the state lock).\n"
        "Next step: wait for it to finish and try again.",
    ),
    (
        r"MalformedPolicyDocument",
        "AWS rejected a policy document: its JSON is well-formed but not a valid IAM policy "
        "(a misspelt key, an action without a service prefix, or a malformed ARN).\n"
        "Next step: read the policy named in the error below, fix it, and apply again.",
    ),
    (
        r"NoSuchEntity",
        "A policy, role or profile that your configuration names does not exist in the account.\n"
        "Next step: check the ARN or name in the error below for a typo.",
    ),
    (
        r"Inappropriate value for attribute|string required|Incorrect attribute value type",
        "Your configuration hands Terraform a value of the wrong type: most often a resource or data source "
        "named whole (the object, with all its attributes) where one string, such as an ARN, goes.\n"
        "Next step: open the file and line shown below and pick the one attribute the argument needs.",
    ),
    (
        r"is an invalid ARN|invalid ARN|doesn't look like an ARN|must be in ARN format",
        "A value that must be an ARN is not one. A reference in quotes is only text: Terraform sends its "
        "characters as they are instead of the ARN it names.\n"
        "Next step: open the file and line shown below; write the reference without quotes.",
    ),
    (
        r"Reference to undeclared resource|Reference to undeclared input variable",
        "Your configuration refers to a resource or variable that is not declared "
        "(often one you commented out, or a typo in its name).\n"
        "Next step: open the file and line shown below and fix the reference.",
    ),
    (
        r"Unsupported argument|Missing required argument|Unsupported block type|Argument or block definition required"
        r"|Invalid character|Unclosed configuration block|Invalid expression",
        "Terraform cannot read your configuration: there is a syntax or argument error in a .tf file.\n"
        "Next step: open the file and line shown below; nothing was changed in the account.",
    ),
    (
        r"AccessDenied|UnauthorizedOperation|not authorized to perform",
        "AWS denied Terraform's request: the identity Terraform uses lacks a permission.\n"
        "Next step: read the action named in the error below.",
    ),
    (
        r"EntityAlreadyExists|already exists",
        "Something with the same name already exists in the account, but Terraform's state does not know it "
        "(often after the state file was deleted or the sandbox was reset halfway).\n"
        "Next step: `python -m iamlab sandbox reset`, then apply again.",
    ),
]


def error_blocks(stderr: str) -> str:
    """The ``Error:`` blocks of Terraform's output, without the box-drawing frame."""
    text = "\n".join(re.sub(r"^[│╷╵]\s?", "", line) for line in stderr.splitlines())
    blocks = re.split(r"\n(?=Error: )", "\n" + text)
    errors = [block.strip() for block in blocks if block.strip().startswith("Error: ")]
    return "\n\n".join(errors) if errors else text.strip()


_LOCATION = re.compile(r"on (?P<file>[\w./-]+\.tf(?:\.json)?) line (?P<line>\d+)")


def locations(error: str) -> list[tuple[str, int]]:
    """Where Terraform says each error is: ``[("custom_policy.tf", 12), ...]`` (first seen first)."""
    found = []
    for match in _LOCATION.finditer(error):
        place = (match["file"].rsplit("/", 1)[-1], int(match["line"]))
        if place not in found:
            found.append(place)
    return found


def killed(returncode: int) -> str | None:
    """Terraform ended by a signal (negative return code): it could not finish or save cleanly."""
    if returncode >= 0:
        return None
    import signal

    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    return (f"Terraform was stopped by {name} before it finished"
            + (" (often the machine ran out of memory)" if name == "SIGKILL" else "")
            + ": it had no chance to save everything it did.\n"
            "Next step: read what the state records below, then apply again.")


def explain(stdout: str, stderr: str, returncode: int = 1) -> str:
    stopped = killed(returncode)
    if stopped:
        return stopped
    combined = f"{stdout}\n{stderr}"
    for pattern, explanation in RULES:
        if re.search(pattern, combined):
            return explanation
    return "Terraform stopped with an error.\nNext step: read the error below, fix the cause, and run the command again."
