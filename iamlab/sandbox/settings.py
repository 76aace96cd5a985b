"""Fixed facts about the sandbox account, shared by the server and its clients.

Kept free of heavy imports: the CLI and notebooks read these without loading moto.
"""

from __future__ import annotations

import os

ACCOUNT_ID = "123456789012"  # moto's default account
HOST = "127.0.0.1"  # the sandbox never listens beyond this machine


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


# The learner's own identity in the sandbox: an administrator, as when you run
# Terraform from your laptop. These are not real keys and work nowhere else.
LEARNER_ACCESS_KEY_ID = "AKIAIAMLABLEARNER001"
LEARNER_SECRET_ACCESS_KEY = "iamlab-sandbox-learner-secret-not-a-real-key"
