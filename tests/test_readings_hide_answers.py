"""No exercise's answer can be read before it is asked: in the readings, an answer appears only
inside a collapsed solution (<details>) placed after the challenge heading. The answers are
computed from the references (and the answer exercises' expected answers), not typed here."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from iamlab import facts
from iamlab.course.lessons import REFERENCES

from . import test_answers_hidden as notebooks

ROOT = Path(__file__).resolve().parents[1]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


CHALLENGE = re.compile(r"^#{2,3} Challenge\b.*$", flags=re.M)  # "## Challenge", or "### Challenge 1: ..." inline


def before_challenges(reading: str) -> str:
    """What a learner reads before the reading's first challenge."""
    first = CHALLENGE.search(reading)
    return reading[:first.start()] if first else reading


def solutions(reading: str) -> list[str]:
    """The collapsed solutions placed after a challenge heading."""
    first = CHALLENGE.search(reading)
    return re.findall(r"<details>.*?</details>", reading[first.start():], flags=re.S) if first else []


def visible(reading: str) -> str:
    """The reading without the solutions collapsed after its challenge headings."""
    first = CHALLENGE.search(reading)
    if not first:
        return reading
    return reading[:first.start()] + re.sub(r"<details>.*?</details>", "", reading[first.start():], flags=re.S)


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
        collapsed = _squash(" ".join(solutions(reading)))
        assert any(_squash(f) in collapsed for f in ANSWERS[name]), name


# -- the answers as the notebooks' test knows them (predictions, statements, references) ------------
# tests/test_answers_hidden.py reads each exercise's answer from its solution text; here the same facts
# are looked for in the exercise's own reading, paragraph by paragraph, before its first challenge.
# A reading teaches the actions one by one (02's table, 05's pull steps), so a single action name is no
# answer there; an action list is one when a paragraph names all of it and none of a pull's checks.

def _paragraphs(reading: str) -> list[str]:
    text = re.sub(r"## Learning objectives.*?(?=\n## )", "", before_challenges(reading), flags=re.S)
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


def _is_action(fact) -> bool:
    return len(fact.parts) == 1 and re.fullmatch(r"[a-z0-9-]+:[A-Za-z*]+", fact.parts[0][0]) is not None


def reading_facts(notebook: str, exercise: str, index: int) -> list:
    cells = nbformat.read(notebooks.NOTEBOOKS / notebook, as_version=4).cells
    found = notebooks.answer_facts(exercise, cells[index].source, notebooks.code_before(cells, index))
    actions = [f for f in found if _is_action(f)]
    kept = [f for f in found if not _is_action(f)]
    if len(actions) > 1 and not kept:  # a typed list of actions: the list is the answer
        pull = tuple(s for a in facts.PULL_NEEDS for s in notebooks._spellings(a))
        kept.append(notebooks.Fact(tuple(part for f in actions for part in f.parts), pull))
    return kept


def _reading_for(exercise: str) -> Path:
    return next((ROOT / "lessons").glob(f"{exercise[:2]}-*.md"))


@pytest.mark.parametrize("notebook,exercise,index", notebooks.exercises(), ids=[e for _, e, _ in notebooks.exercises()])
def test_no_reading_tells_its_exercise_before_the_challenge(notebook, exercise, index):
    leaks = [f"{_reading_for(exercise).name} gives away {fact}: {paragraph.strip()[:160]!r}"
             for paragraph in _paragraphs(_reading_for(exercise).read_text())
             for fact in reading_facts(notebook, exercise, index) if fact.found_in(paragraph)]
    assert not leaks, "\n".join(leaks)


def test_the_reading_yardstick_finds_each_kind_of_leak():
    """What the readings held before issue 16's second pass, each caught; the rewritten text passes."""
    by_name = {e: (n, i) for n, e, i in notebooks.exercises()}
    step2 = reading_facts("04-least-privilege.ipynb", "04-predict", by_name["04-predict"][1])
    assert any(f.found_in("But the login is denied too, with the same kind of message for `ecr:GetAuthorizationToken`") for f in step2)
    assert not any(f.found_in("can the instance log in to the registry? Write `allowed` or `denied` for each") for f in step2)
    scope = reading_facts("04-least-privilege.ipynb", "04-scope", by_name["04-scope"][1])
    assert any(f.found_in('`ecr:GetAuthorizationToken` has no resource type at all ... checked against `"*"` only') for f in scope)
    assert not any(f.found_in("What does an action with no resource type mean for a statement on a repository ARN?") for f in scope)
    browse = reading_facts("02-the-managed-policy.ipynb", "02-browse", by_name["02-browse"][1])
    assert any(f.found_in(", ".join(notebooks._strings(notebooks.solution("02-browse").answer))) for f in browse)
    table = " ".join(notebooks._strings(notebooks.solution("02-browse").answer)) + " " + " ".join(facts.PULL_NEEDS)
    assert not any(f.found_in(table) for f in browse)  # the reading's table of all twelve actions is no answer
