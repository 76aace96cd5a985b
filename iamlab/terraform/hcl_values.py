"""Read an HCL value (as python-hcl2 hands it back) into plain data, references kept as such.

python-hcl2 returns an expression such as ``policy = jsonencode({...})`` as its text:
``${jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Resource = data.aws_ecr_repository.pull.arn}]})}``.
``value`` turns the object inside into dicts, lists and strings, with every reference a
``Ref`` (its text) instead of a guess, so a check can tell a reference (``Ref``) from a
quoted string that only looks like one (``str``). Anything else (a function call, an
operator, a template with ``${...}``) raises ``NotAValue``: deny what you cannot parse.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass


class NotAValue(ValueError):
    """The expression is not a literal object/list/string/number/bool with references."""


@dataclass(frozen=True)
class Ref:
    """A bare reference such as ``data.aws_ecr_repository.pull.arn``."""

    text: str

    @property
    def parts(self) -> list[str]:
        return self.text.split(".")

    def __str__(self) -> str:
        return self.text


_TOKEN = re.compile(r"""
    (?P<space>\s+|\#[^\n]*|//[^\n]*)
  | (?P<string>"(?:\\.|[^"\\])*")
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*)
  | (?P<punct>[{}\[\]=:,(])
""", re.X)


def _tokens(text: str) -> list[tuple[str, str]]:
    found, i = [], 0
    while i < len(text):
        match = _TOKEN.match(text, i)
        if not match:
            raise NotAValue(f"cannot read {text[i:i + 20]!r}")
        if match.lastgroup != "space":
            found.append((match.lastgroup, match.group(0)))
        i = match.end()
    return found


def _string(token: str) -> str:
    """A quoted HCL string's value: ``$${`` and ``%%{`` are the escapes of a literal ``${``/``%{``;
    an unescaped one is a template, which is not a literal value."""
    if re.search(r"(?<!\$)\$\{", token) or re.search(r"(?<!%)%\{", token):
        raise NotAValue("a string template with ${...} or %{...}")
    return re.sub(r"([$%])\1\{", r"\1{", json.loads(token))


class _Parser:
    def __init__(self, text: str):
        self.tokens, self.i = _tokens(text), 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.i] if self.i < len(self.tokens) else ("end", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if value is not None and token[1] != value:
            raise NotAValue(f"expected {value!r}, found {token[1]!r}")
        self.i += 1
        return token

    def value(self):
        kind, text = self.peek()
        if text == "{":
            return self.object()
        if text == "[":
            return self.list()
        self.take()
        if kind == "string":
            return _string(text)
        if kind == "number":
            return json.loads(text)
        if kind == "name":
            if self.peek()[1] == "(":
                raise NotAValue(f"a function call ({text})")
            if text in ("true", "false"):
                return text == "true"
            if text == "null":
                return None
            return Ref(text)
        raise NotAValue(f"unexpected {text!r}")

    def object(self) -> dict:
        self.take("{")
        found = {}
        while self.peek()[1] != "}":
            kind, key = self.take()
            if kind == "string":
                key = _string(key)
            elif kind != "name":
                raise NotAValue(f"an object key cannot be {key!r}")
            if self.peek()[1] not in ("=", ":"):
                raise NotAValue(f"expected = after {key}")
            self.take()
            found[key] = self.value()
            if self.peek()[1] == ",":
                self.take()
        self.take("}")
        return found

    def list(self) -> list:
        self.take("[")
        found = []
        while self.peek()[1] != "]":
            found.append(self.value())
            if self.peek()[1] == ",":
                self.take()
        self.take("]")
        return found


def value(text: str):
    """The literal value of an HCL expression's text (``{...}``, ``[...]``, ``"..."``, a reference)."""
    parser = _Parser(text)
    result = parser.value()
    if parser.peek()[0] != "end":
        raise NotAValue(f"unexpected {parser.peek()[1]!r} after the value")
    return result


def expression(raw: str):
    """python-hcl2's form of an argument: ``"\\"text\\""`` (a string), ``${...}`` (an expression),
    ``${jsonencode(...)}`` (the object inside), or a number/bool/list/dict already read."""
    if isinstance(raw, list):
        return [expression(item) for item in raw]
    if isinstance(raw, dict):
        return {_string(k) if k.startswith('"') else k: expression(v) for k, v in raw.items() if not k.startswith("__")}
    if not isinstance(raw, str):
        return raw
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return _string(raw)
    match = re.fullmatch(r"\$\{(.*)\}", raw, re.S)
    if not match:
        return value(raw)
    inner = match.group(1).strip()
    call = re.fullmatch(r"jsonencode\((.*)\)", inner, re.S)
    return value(call.group(1) if call else inner)


def references(data) -> list[Ref]:
    """Every ``Ref`` inside a value, in order."""
    if isinstance(data, Ref):
        return [data]
    if isinstance(data, dict):
        return [r for v in data.values() for r in references(v)]
    if isinstance(data, list):
        return [r for v in data for r in references(v)]
    return []


def resolve(data, lookup):
    """The same value with each ``Ref`` replaced by ``lookup(ref)`` (e.g. the ARN it names)."""
    if isinstance(data, Ref):
        return lookup(data)
    if isinstance(data, dict):
        return {k: resolve(v, lookup) for k, v in data.items()}
    if isinstance(data, list):
        return [resolve(v, lookup) for v in data]
    return data
