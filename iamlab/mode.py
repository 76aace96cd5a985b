"""Sandbox or real AWS? The sandbox is the default; real AWS is always an explicit choice.

Chosen by ``$IAMLAB_MODE`` (``sandbox`` or ``aws``), by the CLI's ``--aws`` flag, or by
the mode widget in a notebook; all three set the same thing.
"""

from __future__ import annotations

import os

SANDBOX, AWS = "sandbox", "aws"


def current() -> str:
    mode = os.environ.get("IAMLAB_MODE", SANDBOX).strip().lower() or SANDBOX
    if mode not in (SANDBOX, AWS):
        raise ValueError(f"IAMLAB_MODE must be 'sandbox' or 'aws', not {mode!r}.")
    return mode


def use(mode: str) -> None:
    if mode not in (SANDBOX, AWS):
        raise ValueError(f"The mode is 'sandbox' or 'aws', not {mode!r}.")
    os.environ["IAMLAB_MODE"] = mode


def is_aws() -> bool:
    return current() == AWS
