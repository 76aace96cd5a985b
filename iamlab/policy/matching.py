"""How IAM compares an action or an ARN with a pattern from a policy.

* ``*`` matches any run of characters, ``?`` exactly one.
* Action names are case-insensitive (``ECR:batchgetimage`` is ``ecr:BatchGetImage``).
* ARNs are case-sensitive, and compared segment by segment (the six
  colon-separated parts), so a wildcard never spills from one part into another.
* A backslash makes the next character literal: that is how a policy variable's
  value, or the escapes ``${*}`` and ``${?}``, reach the matcher (see ``variables``).
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern:
    regex, escaped = [], False
    for c in pattern:
        if escaped:
            regex.append(re.escape(c))
            escaped = False
        elif c == "\\":
            escaped = True
        else:
            regex.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
    if escaped:
        regex.append(re.escape("\\"))
    return re.compile(rf"\A{''.join(regex)}\Z", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def escape(text: str) -> str:
    """``text`` as a pattern that matches only itself."""
    return "".join("\\" + c if c in "*?\\" else c for c in text)


def unescape(pattern: str) -> str:
    """The literal text of an escaped pattern (for exact comparisons such as StringEquals)."""
    return re.sub(r"\\(.)", r"\1", pattern, flags=re.DOTALL)


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return _glob(pattern, ignore_case).match(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    return glob_match(pattern, action, ignore_case=True)


def arn_matches(pattern: str, arn: str) -> bool:
    """Does the policy's resource pattern cover this ARN?

    The request resource ``*`` stands for "no particular resource" (actions such as
    ``ecr:GetAuthorizationToken``): only the pattern ``*`` covers it.
    """
    if pattern == "*":
        return True
    if arn == "*":
        return False
    pattern_parts, arn_parts = pattern.split(":", 5), arn.split(":", 5)
    if len(pattern_parts) != len(arn_parts):
        return False
    return all(glob_match(p, a) for p, a in zip(pattern_parts, arn_parts))


def as_list(value) -> list:
    """Policy elements may be a single string or a list of strings."""
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]
