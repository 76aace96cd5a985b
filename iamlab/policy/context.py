"""The request context: the facts about a request that conditions can test.

Keys are case-insensitive (``aws:SourceIp`` is ``aws:sourceip``); every value is
kept as a list of strings, because some keys (tags, ``aws:TagKeys``) carry many.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class Context:
    def __init__(self, values: Mapping[str, object] | None = None):
        self._values: dict[str, tuple[str, list[str]]] = {}
        for key, value in (values or {}).items():
            self[key] = value

    def __setitem__(self, key: str, value) -> None:
        if isinstance(value, str):  # the common case, first
            items = [value]
        elif isinstance(value, (list, tuple, set, frozenset)):
            items = [_text(v) for v in value]
        else:
            items = [_text(value)]
        self._values[key.lower()] = (key, items)

    def get(self, key: str) -> list[str] | None:
        found = self._values.get(key.lower())
        return found[1] if found else None

    def __contains__(self, key: str) -> bool:
        return key.lower() in self._values

    def keys(self) -> Iterable[str]:
        return [original for original, _ in self._values.values()]

    def update(self, other: "Context") -> None:
        """Every key of ``other`` set here (its values already normalised: no conversion again)."""
        for lowered, (original, items) in other._values.items():
            self._values[lowered] = (original, list(items))

    def __repr__(self) -> str:
        return f"Context({ {k: v for k, v in self._values.values()} })"


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
