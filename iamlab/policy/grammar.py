"""The policy grammar: what IAM refuses to store, and the simulator refuses to evaluate.

From the IAM User Guide's "Grammar of the IAM JSON policy language" and its element
pages, checked before a policy is read:

* the top level holds only ``Version``, ``Id`` and ``Statement``; ``Version``, when
  present, is ``2012-10-17`` or ``2008-10-17`` (no Version means ``2008-10-17``);
* a statement holds only the documented elements; ``Effect`` is ``Allow`` or
  ``Deny``; exactly one of ``Action``/``NotAction``; never both ``Resource`` and
  ``NotResource``;
* an identity policy (attached to a role, user or group, or handed to the
  simulator) names resources and never a principal; a resource policy (an ECR
  repository policy, a trust policy) names a principal;
* every condition operator is one AWS defines (with ``IfExists`` and the
  ``ForAnyValue:``/``ForAllValues:`` qualifiers), over a block of keys.

Each breach is a ``MalformedPolicyDocument``: a 400 on upload and in the simulator,
never a server error.
"""

from __future__ import annotations

from .conditions import ConditionError, parse_operator

VERSIONS = ("2012-10-17", "2008-10-17")
DEFAULT_VERSION = "2008-10-17"
TOP_ELEMENTS = {"Version", "Id", "Statement"}
STATEMENT_ELEMENTS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
                      "Resource", "NotResource", "Condition"}
IDENTITY, RESOURCE = "identity", "resource"


class MalformedPolicyDocument(ValueError):
    """IAM's MalformedPolicyDocument: the document breaks the policy grammar. The message says where."""

    code = "MalformedPolicyDocument"


def kind_of(source_type: str) -> str:
    """The simulator's source types, as the grammar sees them."""
    return RESOURCE if source_type == "resource" else IDENTITY


def check_top(data) -> str:
    """The document's top level; returns its Version (the default when absent)."""
    if not isinstance(data, dict) or "Statement" not in data:
        raise MalformedPolicyDocument("A policy is a JSON object with a Statement element.")
    unknown = sorted(set(data) - TOP_ELEMENTS)
    if unknown:
        raise MalformedPolicyDocument(f"Syntax errors in policy: unknown element {unknown[0]!r} "
                                      "(a policy holds Version, Id and Statement).")
    version = data.get("Version", DEFAULT_VERSION)
    if version not in VERSIONS:
        raise MalformedPolicyDocument(f"Syntax errors in policy: Version {version!r} is not a policy language "
                                      "version (use \"2012-10-17\").")
    if not data["Statement"]:
        raise MalformedPolicyDocument("Syntax errors in policy: Statement is empty.")
    return version


def check_statement(raw, kind: str) -> None:
    if not isinstance(raw, dict):
        raise MalformedPolicyDocument("Each statement must be a JSON object.")
    unknown = sorted(set(raw) - STATEMENT_ELEMENTS)
    if unknown:
        raise MalformedPolicyDocument(f"Syntax errors in policy: unknown statement element {unknown[0]!r}.")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise MalformedPolicyDocument(f"Effect must be \"Allow\" or \"Deny\", not {effect!r}.")
    if ("Action" in raw) == ("NotAction" in raw):
        raise MalformedPolicyDocument("Each statement needs exactly one of Action or NotAction "
                                      "(Policy statement must contain actions).")
    if "Resource" in raw and "NotResource" in raw:
        raise MalformedPolicyDocument("A statement cannot have both Resource and NotResource.")
    if "Principal" in raw and "NotPrincipal" in raw:
        raise MalformedPolicyDocument("A statement cannot have both Principal and NotPrincipal.")
    if kind == IDENTITY:
        if "Resource" not in raw and "NotResource" not in raw:
            raise MalformedPolicyDocument("Policy statement must contain resources (Resource or NotResource).")
        if "Principal" in raw or "NotPrincipal" in raw:
            raise MalformedPolicyDocument("Policy document should not specify a principal: an identity policy "
                                          "applies to whoever it is attached to.")
    elif "Principal" not in raw and "NotPrincipal" not in raw:
        raise MalformedPolicyDocument("A resource policy statement must name a Principal (or NotPrincipal).")
    check_condition(raw.get("Condition"))


def check_condition(block) -> None:
    if block is None:
        return
    if not isinstance(block, dict):
        raise MalformedPolicyDocument("Syntax errors in policy: Condition must be an object of operators.")
    for operator, keys in block.items():
        try:
            parse_operator(operator)
        except ConditionError as error:
            raise MalformedPolicyDocument(f"Syntax errors in policy: {error}") from None
        if not isinstance(keys, dict) or not keys:
            raise MalformedPolicyDocument(f"Syntax errors in policy: condition operator {operator} must map "
                                          "context keys to values.")
        for key, values in keys.items():
            items = values if isinstance(values, list) else [values]
            if not items or not all(isinstance(v, (str, bool, int, float)) for v in items):
                raise MalformedPolicyDocument(f"Syntax errors in policy: the values of {key!r} under {operator} "
                                              "must be strings (or a list of them).")
