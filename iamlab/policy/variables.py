"""Policy variables: ``${aws:username}`` in a Resource or a condition value.

A variable is replaced by the request's value for that key. ``${*}``, ``${?}`` and
``${$}`` stand for the literal characters. A variable with no value in the request
(and no default, as in ``${aws:username, 'nobody'}``) makes the string match nothing.
"""

from __future__ import annotations

import re

_VARIABLE = re.compile(r"\$\{([^}]+)\}")
_LITERALS = {"*": "*", "?": "?", "$": "$"}


class MissingVariable(LookupError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def substitute(text: str, context) -> str:
    """Replace each ``${key}`` with its value from ``context`` (a ``Context``)."""
    if "${" not in text:
        return text

    def replace(match: re.Match) -> str:
        inside = match.group(1).strip()
        if inside in _LITERALS:
            return _LITERALS[inside]
        key, _, default = inside.partition(",")
        values = context.get(key.strip())
        if values:
            return values[0]
        default = default.strip()
        if default.startswith("'") and default.endswith("'") and len(default) >= 2:
            return default[1:-1]
        raise MissingVariable(key.strip())

    return _VARIABLE.sub(replace, text)


def variables_in(text: str) -> list[str]:
    return [m.group(1).split(",")[0].strip() for m in _VARIABLE.finditer(text) if m.group(1).strip() not in _LITERALS]
