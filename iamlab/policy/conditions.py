"""The Condition element: operators, qualifiers, and how AWS combines them.

    "Condition": {"StringEquals": {"aws:username": ["ana", "bo"]}, "Bool": {...}}

* every operator block must hold, and every key inside it (AND);
* a key matches if the request's value matches *any* of the listed values (OR);
  for negated operators (``StringNotEquals``...) it must match *none* of them;
* a key missing from the request makes a positive operator false and a negated
  one true; ``...IfExists`` makes a missing key true; ``Null`` tests presence;
* ``ForAnyValue:`` / ``ForAllValues:`` compare multi-valued keys value by value.

Policy variables (``${aws:username}``) are read in the values of string and ARN
operators only, and only in ``2012-10-17`` policies; ``ArnEquals`` and ``ArnLike``
are the same test (the guide: each of the six ARN parts may hold ``*`` and ``?``).

``evaluate`` also reports which keys the request did not carry, for the policy
simulator's ``MissingContextValues``.
"""

from __future__ import annotations

import base64
import ipaddress
from datetime import datetime, timezone

from .context import Context
from .matching import as_list, glob_match
from .variables import MissingVariable, expand, plain, variables_in


class ConditionError(ValueError):
    """A condition the engine cannot read (unknown operator, bad value)."""


def _number(text: str) -> float:
    return float(text)


def _date(text: str) -> datetime:
    text = str(text).strip()
    try:
        return datetime.fromtimestamp(float(text), tz=timezone.utc)
    except ValueError:
        pass
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _ip_in(value: str, network: str) -> bool:
    return ipaddress.ip_address(value) in ipaddress.ip_network(network, strict=False)


def _arn_like(value: str, pattern: str) -> bool:
    value_parts, pattern_parts = value.split(":", 5), pattern.split(":", 5)
    return len(value_parts) == len(pattern_parts) and all(
        glob_match(p, v) for p, v in zip(pattern_parts, value_parts)
    )


def _binary_equals(value: str, expected: str) -> bool:
    try:
        return base64.b64decode(value) == base64.b64decode(expected)
    except ValueError:
        return value == expected


# operator -> (test(context_value, policy_value), negated)
_OPERATORS = {
    "StringEquals": (lambda v, p: v == p, False),
    "StringNotEquals": (lambda v, p: v == p, True),
    "StringEqualsIgnoreCase": (lambda v, p: v.lower() == p.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda v, p: v.lower() == p.lower(), True),
    "StringLike": (lambda v, p: glob_match(p, v), False),
    "StringNotLike": (lambda v, p: glob_match(p, v), True),
    "NumericEquals": (lambda v, p: _number(v) == _number(p), False),
    "NumericNotEquals": (lambda v, p: _number(v) == _number(p), True),
    "NumericLessThan": (lambda v, p: _number(v) < _number(p), False),
    "NumericLessThanEquals": (lambda v, p: _number(v) <= _number(p), False),
    "NumericGreaterThan": (lambda v, p: _number(v) > _number(p), False),
    "NumericGreaterThanEquals": (lambda v, p: _number(v) >= _number(p), False),
    "DateEquals": (lambda v, p: _date(v) == _date(p), False),
    "DateNotEquals": (lambda v, p: _date(v) == _date(p), True),
    "DateLessThan": (lambda v, p: _date(v) < _date(p), False),
    "DateLessThanEquals": (lambda v, p: _date(v) <= _date(p), False),
    "DateGreaterThan": (lambda v, p: _date(v) > _date(p), False),
    "DateGreaterThanEquals": (lambda v, p: _date(v) >= _date(p), False),
    "Bool": (lambda v, p: v.lower() == str(p).lower(), False),
    "BinaryEquals": (_binary_equals, False),
    "IpAddress": (_ip_in, False),
    "NotIpAddress": (_ip_in, True),
    "ArnEquals": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnLike": (_arn_like, False),
    "ArnNotLike": (_arn_like, True),
}

OPERATORS = frozenset(_OPERATORS) | {"Null"}
# Operators whose policy values are patterns (a backslash marks a literal), and those that read variables.
_PATTERNS = {"StringLike", "StringNotLike", "ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike"}
_READ_VARIABLES = {name for name in _OPERATORS if name.startswith(("String", "Arn"))}


def parse_operator(name: str) -> tuple[str | None, str, bool]:
    """``ForAnyValue:StringLikeIfExists`` -> ("ForAnyValue", "StringLike", True)."""
    qualifier = None
    if ":" in name:
        qualifier, _, name = name.partition(":")
        if qualifier not in ("ForAnyValue", "ForAllValues"):
            raise ConditionError(f"Unknown condition qualifier {qualifier!r} (use ForAnyValue or ForAllValues).")
    if_exists = name.endswith("IfExists") and name != "IfExists"
    base = name[: -len("IfExists")] if if_exists else name
    if base not in OPERATORS or (base == "Null" and if_exists):
        raise ConditionError(f"Unknown condition operator {name!r}.")
    return qualifier, base, if_exists


def _policy_values(base: str, raw, context: Context, variables: bool) -> list[str]:
    values = []
    variables = variables and base in _READ_VARIABLES
    for value in as_list(raw):
        text = "true" if value is True else "false" if value is False else str(value)
        try:
            if base in _PATTERNS:
                values.append(expand(text, context, variables))
            else:
                values.append(plain(text, context, variables))
        except MissingVariable:
            continue  # a value whose variable has no value (and no default) matches nothing
    return values


def _test_one(base: str, value: str, expected: list[str]) -> bool:
    """One request value against the listed values, with the operator's polarity."""
    test, negated = _OPERATORS[base]
    try:
        hit = any(test(value, p) for p in expected)
    except (ValueError, TypeError):
        hit = False  # a value of the wrong type (a non-number for Numeric...) does not match
    return not hit if negated else hit


def evaluate_key(operator: str, key: str, raw_values, context: Context, variables: bool = True) -> tuple[bool, bool]:
    """(holds?, key missing from the request?)"""
    qualifier, base, if_exists = parse_operator(operator)
    present = context.get(key)
    expected = _policy_values(base, raw_values, context, variables)
    if base == "Null":
        wants_absent = str(as_list(raw_values)[0]).lower() == "true"
        return (present is None) == wants_absent, False
    if present is None or (qualifier and not present):
        if qualifier == "ForAllValues":
            return True, present is None  # vacuously true: no value fails
        if if_exists:
            return True, False
        negated = _OPERATORS[base][1]
        return (negated and qualifier is None), True
    if qualifier == "ForAllValues":
        return all(_test_one(base, v, expected) for v in present), False
    return any(_test_one(base, v, expected) for v in present), False


def _unresolved(operator: str, raw_values, context: Context, variables: bool) -> list[str]:
    """Keys whose variables in the values had no value and no default (reported as missing context)."""
    if not variables or parse_operator(operator)[1] not in _READ_VARIABLES:
        return []
    return [k for value in as_list(raw_values) if isinstance(value, str)
            for k in variables_in(value, without_default=True) if context.get(k) is None]


def evaluate(block: dict | None, context: Context, variables: bool = True) -> tuple[bool, list[str]]:
    """Does the whole Condition block hold? Also returns the keys the request lacked."""
    if not block:
        return True, []
    if not isinstance(block, dict):
        raise ConditionError("Condition must be an object of operators.")
    holds, missing = True, []
    for operator, keys in block.items():
        if not isinstance(keys, dict):
            raise ConditionError(f"Condition operator {operator} must map keys to values.")
        for key, values in keys.items():
            ok, lacked = evaluate_key(operator, key, values, context, variables)
            holds = holds and ok
            if lacked and key not in missing:
                missing.append(key)
            missing += [k for k in _unresolved(operator, values, context, variables) if k not in missing]
    return holds, missing
