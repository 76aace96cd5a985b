"""Policy variables: ``${aws:username}`` in a Resource or a string or ARN condition value.

What the IAM User Guide ("Variables and tags", "Version") says, and this module does:

* ``${key}`` is replaced by the request's value for that key (key names are
  case-insensitive); that value is taken literally, never as a wildcard;
* ``${*}``, ``${?}`` and ``${$}`` stand for a literal ``*``, ``?`` and ``$``;
* ``${key, 'default'}`` uses ``default`` when the request has no value for the key
  (a ``''`` inside the quotes is one quote); one round only: the default is not
  searched for further variables;
* a variable with no value and no default makes the string match nothing
  (``MissingVariable``);
* variables exist only in policies with ``"Version": "2012-10-17"``: with
  ``2008-10-17`` or no Version, ``${aws:username}`` is literal text.

``expand`` gives a pattern for the matcher (``matching``), in which a backslash
marks a literal character; ``plain`` gives the literal text, for exact comparisons.
"""

from __future__ import annotations

import re

from .matching import escape, unescape

_VARIABLE = re.compile(r"\$\{\s*(?:(?P<escape>[*?$])|(?P<key>[^\s,'{}]+)\s*(?:,\s*'(?P<default>(?:[^']|'')*)'\s*)?)\}")
_LITERALS = {"*": "*", "?": "?", "$": "$"}


class MissingVariable(LookupError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def expand(text: str, context, variables: bool = True) -> str:
    """``text`` as a matcher pattern, with each variable replaced by its (literal) value."""
    if not variables or "${" not in text:
        return text.replace("\\", "\\\\") if "\\" in text else text
    out, last = [], 0
    for match in _VARIABLE.finditer(text):
        out.append(text[last:match.start()].replace("\\", "\\\\"))
        out.append(escape(_value(match, context)))
        last = match.end()
    out.append(text[last:].replace("\\", "\\\\"))
    return "".join(out)


def plain(text: str, context, variables: bool = True) -> str:
    """``text`` with each variable replaced: the literal string to compare with."""
    if not variables or "${" not in text:
        return text
    return unescape(expand(text, context, variables))


def _value(match: re.Match, context) -> str:
    if match["escape"]:
        return _LITERALS[match["escape"]]
    values = context.get(match["key"])
    if values:
        return values[0]
    if match["default"] is not None:
        return match["default"].replace("''", "'")
    raise MissingVariable(match["key"])


def variables_in(text: str, without_default: bool = False) -> list[str]:
    """The context keys a string's variables read (only those with no default, if asked)."""
    return [m["key"] for m in _VARIABLE.finditer(text) if m["key"] and not (without_default and m["default"] is not None)]
