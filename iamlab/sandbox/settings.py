"""Fixed facts about the sandbox account, shared by the server and its clients.

Kept free of heavy imports: the CLI and notebooks read these without loading moto.
"""

from __future__ import annotations

import os

ACCOUNT_ID = "123456789012"  # moto's default account
HOST = "127.0.0.1"  # the sandbox never listens beyond this machine
LEARNER_USER = "learner"  # the IAM user whose keys the learner (and Terraform) uses
MAX_BODY = 32 * 1024 * 1024  # larger API bodies are refused before they are read


def region() -> str:
    return os.environ.get("IAMLAB_REGION", "us-east-1")


def requested_port() -> int:
    """``$IAMLAB_SANDBOX_PORT``, or 0 to let the operating system pick a free port."""
    value = os.environ.get("IAMLAB_SANDBOX_PORT", "0")
    try:
        port = int(value)
    except ValueError:
        raise ValueError(f"IAMLAB_SANDBOX_PORT must be a port number, not {value!r}.") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"IAMLAB_SANDBOX_PORT must be between 1 and 65535, not {port}.")
    return port




def new_learner_keys() -> tuple[str, str]:
    """The learner's own identity in a sandbox: an administrator, as when you run Terraform
    from your laptop. Made fresh for each sandbox and kept in its private state file, so on a
    shared host another user cannot use your sandbox even though it listens on 127.0.0.1.
    They are not AWS keys and work nowhere else."""
    import secrets
    import string

    alphabet = string.ascii_uppercase + "234567"
    key_id = "AKIAIAMLAB" + "".join(secrets.choice(alphabet) for _ in range(10))
    return key_id, secrets.token_urlsafe(30)
