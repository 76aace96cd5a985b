"""Turn a Terraform failure into what a learner can act on.

Terraform's errors are precise but long. The course shows a one-paragraph
explanation (what went wrong, why, what to do next) above the relevant
``Error:`` block, and keeps the full output for whoever wants it.
"""

from __future__ import annotations

import re

# (pattern in Terraform's output, explanation). First match wins.
RULES: list[tuple[str, str]] = [
    (
        r"connection refused|connect: connection refused|dial tcp 127\.0\.0\.1",
        "Terraform could not reach the local AWS sandbox: it is not running any more.\n"
        "Next step: `python -m iamlab sandbox start`, then run the command again. Your state is intact.",
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


def explain(stdout: str, stderr: str) -> str:
    combined = f"{stdout}\n{stderr}"
    for pattern, explanation in RULES:
        if re.search(pattern, combined):
            return explanation
    return (
        "Terraform stopped with an error. The state file is intact: whatever was created before the error "
        "is still recorded.\nNext step: read the error below, fix the cause, and run the command again."
    )
