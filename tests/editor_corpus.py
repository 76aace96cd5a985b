"""Valid policies to put through the editor, and what "the same effect" means for them.

The corpus is AWS's own managed policies as moto ships them (read from moto's file, not its
module: the sandbox, when it runs in this process, blanks the module's copy, ``sandbox/lean.py``).
A document round-trips when what the editor writes into custom_policy.tf reads back as the same
normalised document *and* iamlab's engine decides the same requests for both. Shared by
``tests/test_editor_corpus.py`` and ``benchmarks/bench_editor_corpus.py``.
"""

from __future__ import annotations

import importlib.util
import json
from functools import lru_cache
from pathlib import Path

from iamlab.editor import io as policy_io
from iamlab.editor.model import NotKept, PolicyModel, normalise
from iamlab.policy.context import Context
from iamlab.policy.document import parse
from iamlab.policy.engine import Principal, Request, evaluate

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT, REGION = "123456789012", "us-east-1"
KNOWN = ("flask_app", "reports_app")
COURSE_FILES = [p.read_text() for p in sorted((ROOT / "tf").glob("*.tf"))]
PRINCIPAL = Principal.role_session(ACCOUNT, "ec2_ecr_role", "i-0123456789abcdef0")
ALWAYS_ASKED = ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:PutImage", "s3:GetObject", "iam:PassRole"]
ALWAYS_ON = ["*", f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/flask_app", "arn:aws:s3:::bucket/key"]


@lru_cache(maxsize=1)
def managed_policies() -> dict[str, dict]:
    import moto.iam

    spec = importlib.util.spec_from_file_location("managed_corpus", Path(moto.iam.__file__).with_name("aws_managed_policies.py"))
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    return {name: entry["Document"] for name, entry in json.loads(corpus.aws_managed_policies_data).items()}


def statements(document: dict) -> list[dict]:
    raw = document.get("Statement", [])
    return raw if isinstance(raw, list) else [raw]


def uses(document: dict) -> set[str]:
    """The elements beyond Effect/Action/Resource a document uses (what the editor must keep)."""
    used = {key for s in statements(document) for key in s if key in ("NotAction", "NotResource", "Condition", "Sid")}
    used |= {key for key in ("Id",) if key in document}
    if document.get("Version") != "2012-10-17":
        used.add("Version " + str(document.get("Version")))
    if "${" in json.dumps(document):
        used.add("policy variables")
    if len(statements(document)) > 1:
        used.add("several statements")
    return used


def _strings(value) -> list[str]:
    return [value] if isinstance(value, str) else [v for v in (value or []) if isinstance(v, str)]


def _concrete(pattern: str) -> str:
    """A value a wildcard pattern matches: ``ecr:Describe*`` asks ``ecr:DescribeX``."""
    return pattern.replace("*", "X").replace("?", "Y")


def _spread(values: list[str], most: int) -> list[str]:
    values = sorted(set(values))
    if len(values) <= most:
        return values
    step = len(values) / most
    return [values[int(i * step)] for i in range(most)]


def requests(document: dict, most_actions: int = 12, most_resources: int = 6) -> list[Request]:
    """Requests that touch what the document names: its actions and resources (wildcards made
    concrete), a few fixed ones, each with no context and with the values its conditions test."""
    actions = [_concrete(a) for s in statements(document) for key in ("Action", "NotAction") for a in _strings(s.get(key))]
    resources = [_concrete(r) for s in statements(document) for key in ("Resource", "NotResource") for r in _strings(s.get(key))]
    filled = Context()
    for s in statements(document):
        for block in (s.get("Condition") or {}).values():
            for key, values in (block or {}).items():
                first = _strings(values if isinstance(values, list) else [values]) or [str(values).lower()]
                filled[key] = first[0]
    return [Request(PRINCIPAL, action, resource, context)
            for action in _spread(actions, most_actions) + ALWAYS_ASKED
            for resource in _spread(resources, most_resources) + ALWAYS_ON
            for context in (Context(), filled)]


def decisions(document: dict, asked: list[Request]) -> list[str]:
    policy = parse(document, "p", "user-managed")
    return [evaluate(request, [policy]).decision for request in asked]


def same_document(a: dict, b: dict) -> bool:
    fill = lambda d: normalise({"Version": "2008-10-17", **d})  # noqa: E731 - no Version means 2008-10-17
    return fill(a) == fill(b)


class NotTheSame(AssertionError):
    """The editor took the document but wrote back something else: the worst outcome."""


def through_the_editor(document: dict) -> str:
    """``"kept"`` (the file reads back with the same document and the same decisions) or
    ``"refused"`` (NotKept, with a reason); raises ``NotTheSame`` otherwise."""
    start = PolicyModel(region=REGION, account=ACCOUNT)
    try:
        back = policy_io.round_trip(document, start, KNOWN, COURSE_FILES).document()
    except NotKept as refused:
        if not str(refused):
            raise NotTheSame("refused without saying why") from None
        return "refused"
    if not same_document(back, document):
        raise NotTheSame(f"written back as {json.dumps(back)[:400]}")
    asked = requests(document)
    before, after = decisions(document, asked), decisions(back, asked)
    if before != after:
        which = next(i for i, (x, y) in enumerate(zip(before, after)) if x != y)
        raise NotTheSame(f"{asked[which].action} on {asked[which].resource}: {before[which]} before, {after[which]} after")
    return "kept"
