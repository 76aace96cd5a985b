"""Hints climb: the effect with a counterexample, then the concept and the reading's section;
never the reference answer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from iamlab.course import hints
from iamlab.course.lessons import REFERENCES

ROOT = Path(__file__).resolve().parents[1]


def _answer_fragments(name: str) -> list[str]:
    """Lines of the reference files that carry an answer (not braces, not boilerplate)."""
    reference = REFERENCES.get(name)
    if reference is None:
        return []
    fragments = []
    for text in reference.files.values():
        for line in text.splitlines():
            line = line.strip()
            if "=" in line and not line.startswith(("#", "Version", "name ", "description")):
                fragments.append(line.split("=", 1)[1].strip())
    return [f for f in fragments if len(f) > 12]


@pytest.mark.parametrize("name", sorted(hints.LADDERS))
def test_the_ladder_climbs_to_the_reading_and_stops(name):
    ladder = hints.Hints()
    first = ladder.next(name)
    second = ladder.next(name)
    again = ladder.next(name)
    assert (first.level, second.level, again.level) == (1, 2, 2)
    assert "For instance" in first.text and not first.link
    assert second.link.startswith("lessons/") and second.top and 'solution("' in str(second)
    assert again == second


@pytest.mark.parametrize("name", sorted(hints.LADDERS))
def test_the_reading_section_exists(name):
    ladder = hints.LADDERS[name]
    reading = (ROOT / ladder.reading).read_text()
    headings = [hints.anchor(h) for h in re.findall(r"^#+ (.+)$", reading, re.M)]
    assert hints.anchor(ladder.heading) in headings


@pytest.mark.parametrize("name", sorted(hints.LADDERS))
def test_no_hint_holds_the_answer(name):
    ladder = hints.LADDERS[name]
    shown = " ".join(str(ladder.rung(level)) + ladder.rung(level)._repr_html_() for level in (1, 2))
    for fragment in _answer_fragments(name) + ["ec2.amazonaws.com", ".arn", "aws_iam_role.ec2_ecr_role"]:
        assert fragment not in shown, fragment


def test_the_counterexample_is_the_graders_when_given():
    hint = hints.Hints().next("04-scope", counterexample="your policy still lets the instance run ecr:ListImages on reports_app")
    assert "ecr:ListImages on reports_app" in hint.text


def test_every_exercise_has_a_ladder():
    from iamlab.course import checks

    assert set(checks.EXERCISES) <= set(hints.LADDERS)


def test_anchor_is_githubs():
    assert hints.anchor('Step 1: one repository instead of `"*"`') == "step-1-one-repository-instead-of-"
    assert hints.anchor("Part 1 · Explicit Deny") == "part-1--explicit-deny"
