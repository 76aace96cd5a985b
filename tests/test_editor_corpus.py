"""The property the editor promises: any policy document IAM accepts either round-trips through
import, the editor's model and the written custom_policy.tf with the same effect (the same
normalised document, the same decisions of iamlab's engine), or is refused saying why.

Documents: AWS's managed policies (moto's corpus: a sample here, all up to 10k characters in
the integration lane, every one in benchmarks/bench_editor_corpus.py) and hypothesis-generated ones."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings

from iamlab.policy.document import validate
from iamlab.policy.grammar import MalformedPolicyDocument

from .editor_corpus import managed_policies, statements, through_the_editor, uses
from .test_editor_keeps import document as generated_document

ELEMENTS = ("NotAction", "NotResource", "Condition", "Sid", "policy variables", "several statements")


def sample() -> dict[str, dict]:
    """The smallest few corpus policies using each element the editor must keep, and a spread of the rest."""
    corpus = managed_policies()
    by_size = sorted(corpus, key=lambda name: len(str(corpus[name])))
    chosen = []
    for element in ELEMENTS + tuple(sorted({u for d in corpus.values() for u in uses(d) if u.startswith("Version")})):
        chosen += [name for name in by_size if element in uses(corpus[name])][:4]
    chosen += by_size[:: max(1, len(by_size) // 25)][:25]
    return {name: corpus[name] for name in dict.fromkeys(chosen)}


def test_the_corpus_holds_what_the_editor_must_keep():
    """So the sample below is a real test: AWS's own policies use each element."""
    corpus = managed_policies()
    assert len(corpus) > 1000
    used = set().union(*(uses(d) for d in corpus.values()))
    assert set(ELEMENTS) <= used
    assert any(len(statements(d)) > 1 and any("NotResource" in s for s in statements(d)) for d in corpus.values())


@pytest.mark.parametrize("name, document", sorted(sample().items()), ids=lambda v: v if isinstance(v, str) else "")
def test_an_aws_managed_policy_round_trips_or_is_refused(name, document):
    assert through_the_editor(document) in ("kept", "refused")


@pytest.mark.integration  # python-hcl2 reads each written file: about a minute
def test_every_aws_managed_policy_up_to_10k_characters_round_trips():
    """1,448 of the 1,485: the 37 larger ones (over a million characters together, most of the
    time) go through benchmarks/bench_editor_corpus.py, which takes them all."""
    corpus = {name: d for name, d in managed_policies().items() if len(json.dumps(d)) <= 10_000}
    assert len(corpus) > 1400
    outcomes = {name: through_the_editor(document) for name, document in corpus.items()}
    assert set(outcomes.values()) == {"kept"}  # IAM accepts each; the editor keeps each


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated_document())
def test_a_generated_policy_round_trips_with_the_same_decisions_or_is_refused(doc):
    try:
        validate(doc)
        accepted = True
    except MalformedPolicyDocument:
        accepted = False
    outcome = through_the_editor(doc)
    assert outcome == "refused" or accepted, "the editor took a policy IAM refuses"


@pytest.mark.integration  # runs terraform console
def test_terraform_renders_each_written_sample_policy_as_the_document(tmp_path):
    """The written file as Terraform itself reads it, not only as python-hcl2 does."""
    import json
    import os
    import subprocess

    from iamlab.editor.model import NotKept, PolicyModel, policy_expression

    from .editor_corpus import ACCOUNT, REGION, same_document

    kept = {}
    for name, document in sample().items():
        try:
            kept[name] = PolicyModel.from_document(document, region=REGION, account=ACCOUNT)
        except NotKept:
            continue
    names = sorted(kept)
    (tmp_path / "policies.tf").write_text("locals {\n" + "".join(
        f"  p{i} = {policy_expression(kept[name], indent='  ')}\n" for i, name in enumerate(names)) + "}\n")
    expression = "jsonencode([" + ", ".join(f"jsondecode(local.p{i})" for i in range(len(names))) + "])"
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": os.devnull}
    shown = subprocess.run(["terraform", "console"], input=expression + "\n", capture_output=True, text=True,
                           cwd=tmp_path, env=env, timeout=300)
    assert shown.returncode == 0, shown.stderr
    rendered = json.loads(json.loads(shown.stdout.strip()))
    assert len(rendered) == len(names) > 40
    wrong = [name for name, document in zip(names, rendered) if not same_document(document, managed_policies()[name])]
    assert wrong == []
