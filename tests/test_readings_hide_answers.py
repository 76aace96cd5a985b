"""No exercise's answer can be read before it is asked: in the readings, an answer appears only
inside a collapsed solution (<details>) placed after the challenge heading. The answers are
computed from the references (and the answer exercises' expected answers), not typed here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from iamlab.course.lessons import REFERENCES

ROOT = Path(__file__).resolve().parents[1]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def visible(reading: str) -> str:
    """The reading without the solutions collapsed after its challenge heading."""
    head, _, tail = reading.partition("## Challenge")
    return head + re.sub(r"<details>.*?</details>", "", tail, flags=re.S)


def answer_fragments(name: str) -> list[str]:
    reference = REFERENCES[name]
    found = [f'# resource "{a.split(".")[0]}" "{a.split(".")[1]}"' for a in reference.comment_out]
    for text in reference.files.values():
        for line in text.splitlines():
            line = line.strip()
            if "=" not in line:
                continue
            key, value = (part.strip() for part in line.split("=", 1))
            if ".arn" in value or key in ("Principal",) or (key == "Action" and value.startswith("[")):
                found.append(_squash(f"{key} = {value}"))
                found.append(value)
    return found


def _new_fragments() -> dict[str, list[str]]:
    """Each exercise's answer fragments, less those an earlier exercise already answered."""
    found, seen = {}, set()
    for name in sorted(REFERENCES):
        fragments = [f for f in answer_fragments(name) if _squash(f) not in seen]
        seen.update(_squash(f) for f in fragments)
        found[name] = fragments
    return found


ANSWERS = _new_fragments()
ANSWERS["01-trust"] = ["ec2.amazonaws.com"]
KNOWN: set[tuple[str, str]] = set()


def readings_up_to(number: str) -> list[Path]:
    return [p for p in sorted((ROOT / "lessons").glob("[0-9][0-9]-*.md")) if p.name[:2] <= number]


@pytest.mark.parametrize("name", sorted(n for n, fragments in ANSWERS.items() if fragments))
def test_no_reading_shows_an_answer_before_its_challenge(name):
    for path in readings_up_to(name[:2]):
        shown = _squash(visible(path.read_text()))
        for fragment in ANSWERS[name]:
            if (path.name, fragment) in KNOWN:
                continue
            assert _squash(fragment) not in shown, f"{path.name} shows {name}'s answer: {fragment}"


def test_the_known_exceptions_still_hold():
    for reading, fragment in KNOWN:
        assert fragment in visible((ROOT / "lessons" / reading).read_text()), f"fixed: remove {reading} from KNOWN"


def test_the_fragments_are_found_in_the_solutions():
    """The test can fail: each lesson's solution blocks hold its exercises' answers."""
    for name in ("03-custom-policy", "04-scope", "06-deny", "06-repository-policy", "01-trust"):
        reading = next((ROOT / "lessons").glob(f"{name[:2]}-*.md")).read_text()
        solutions = _squash(" ".join(re.findall(r"<details>.*?</details>", reading.partition("## Challenge")[2], flags=re.S)))
        assert any(_squash(f) in solutions for f in ANSWERS[name]), name
