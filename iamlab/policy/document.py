"""A policy document, read once into statements that know where they came from.

The simulator reports which statements decided a request, with their position
(line and column) in the policy text, so the learner can find them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from . import grammar
from .grammar import MalformedPolicyDocument
from .matching import as_list

# The document is not a policy the engine can evaluate (AWS: MalformedPolicyDocument); the message says why.
PolicyError = MalformedPolicyDocument


@dataclass(frozen=True)
class Position:
    line: int
    column: int


@dataclass(frozen=True)
class Statement:
    effect: str  # "Allow" | "Deny"
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    principal: object | None
    not_principal: object | None
    condition: dict | None
    sid: str | None
    source_id: str
    source_type: str
    start: Position
    end: Position
    variables: bool = True  # policy variables are read only in "Version": "2012-10-17" policies

    @property
    def is_deny(self) -> bool:
        return self.effect == "Deny"


@dataclass(frozen=True)
class Policy:
    """A policy and where it comes from, in the simulator's words.

    ``source_type``: ``role`` (inline), ``aws-managed``, ``user-managed``
    (customer managed), ``resource`` (e.g. an ECR repository policy), or
    ``IAM Policy`` (a policy handed to SimulateCustomPolicy).
    """

    source_id: str
    source_type: str
    text: str
    statements: tuple[Statement, ...] = field(default=())


def _statement_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of each statement object in the JSON text, in order."""
    decoder = json.JSONDecoder()
    start = text.find('"Statement"')
    if start < 0:
        return []
    i = text.index(":", start) + 1
    while text[i].isspace():
        i += 1
    if text[i] == "{":
        _, end = decoder.raw_decode(text, i)
        return [(i, end)]
    spans, i = [], i + 1
    while True:
        while text[i].isspace() or text[i] == ",":
            i += 1
        if text[i] == "]":
            return spans
        _, end = decoder.raw_decode(text, i)
        spans.append((i, end))
        i = end


def _position(text: str, offset: int) -> Position:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Position(line, column)


def _strings(value, element: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = as_list(value)
    if not items or not all(isinstance(v, str) for v in items):
        raise PolicyError(f"{element} must be a string or a list of strings.")
    return tuple(items)


def parse(document, source_id: str = "PolicyInputList.1", source_type: str = "IAM Policy") -> Policy:
    """Read a policy (JSON text or dict). Raises ``PolicyError`` (MalformedPolicyDocument) with a readable reason."""
    if isinstance(document, (dict, list)):
        text = json.dumps(document, indent=2)
    else:
        text = str(document)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise PolicyError(f"The policy is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}.") from None
    version = grammar.check_top(data)
    kind = grammar.kind_of(source_type)
    raw_statements = as_list(data["Statement"])
    for raw in raw_statements:
        grammar.check_statement(raw, kind)
    spans = _statement_spans(text)
    if len(spans) != len(raw_statements):  # unusual formatting: fall back to a pretty copy
        text = json.dumps(data, indent=2)
        spans = _statement_spans(text)
    statements = []
    for raw, (begin, end) in zip(raw_statements, spans):
        statements.append(Statement(
            effect=raw["Effect"],
            actions=_strings(raw.get("Action"), "Action"),
            not_actions=_strings(raw.get("NotAction"), "NotAction"),
            resources=_strings(raw.get("Resource"), "Resource"),
            not_resources=_strings(raw.get("NotResource"), "NotResource"),
            principal=raw.get("Principal"),
            not_principal=raw.get("NotPrincipal"),
            condition=raw.get("Condition"),
            sid=raw.get("Sid"),
            source_id=source_id,
            source_type=source_type,
            start=_position(text, begin),
            end=_position(text, end),
            variables=version == "2012-10-17",
        ))
    return Policy(source_id, source_type, text, tuple(statements))


def validate(document, kind: str = grammar.IDENTITY) -> None:
    """Raise ``MalformedPolicyDocument`` if IAM would refuse ``document`` (no quota, no principal check).

    ``kind``: ``"identity"`` or ``"resource"``. The doors with quotas and their own words are
    ``validator.validate``'s; this is its simulator door.
    """
    from .validator import validate as validate_at

    validate_at(document, "simulator-resource" if kind == grammar.RESOURCE else "simulator")
