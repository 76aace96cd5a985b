"""Question first, answer after (issue 16): no exercise's answer can be read before the learner answers it.

For every notebook cell tagged ``exercise:<id>``, the answer is what the course's public solution
text (``iamlab.solution(id)``, the same text a learner opens) holds beyond the exercise's own
scaffold. It is looked for in everything a learner can read before answering, in the exercise's notebook
(the cells above it, and those between it and its ``check`` or ``predict``):

* markdown cells (prose, code spans, image alt text);
* the hidden ``test-only`` cells (one click opens them);
* the text of each figure those markdown cells show (an SVG's ``<text>`` elements, read from images/).

What counts as the answer, from the solution's code blocks:

* a typed answer (a JSON value): each string it holds; for a prediction, each question with its answer;
* a Terraform answer: each quoted string, each reference (``data.x.y.arn``) and each inline object's key
  (``{ AWS = ...}``) the scaffold does not already hold. One the learner already has in an earlier code cell (the login action in 04's scaffolds), or a word of
  the policy language (``"*"``, ``"Allow"``, ``"Deny"``), is no answer on its own: it counts only together with
  the rest of its statement, in one paragraph, list item, test line or figure (04-scope: the login on ``"*"``).
  A statement is also called by its ``Sid`` in prose ("the login").

The readings (lessons/*.md) are held to the same facts by tests/test_readings_hide_answers.py; the lessons'
summaries, objectives and Next links here, by ``summary_leaks``. Outside this test's reach: the hints.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from iamlab import solution
from iamlab.course import manifest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
GENERIC = {"*", "Allow", "Deny", "2012-10-17"}  # words of the policy language, no answer alone
ANSWERS = ("allowed", "denied")


# -- what a learner can read above an exercise ------------------------------------------------
@dataclass(frozen=True)
class Unit:
    """One piece of text read at once: a paragraph, a list item, a test line, a whole figure."""

    where: str
    text: str


def _markdown_units(cell_index: int, source: str, skip_objectives: bool) -> list[Unit]:
    if skip_objectives:  # the objectives are the manifest's text, checked by test_the_objectives_name_no_answer
        source = re.sub(r"\*\*Learning objectives\.\*\*.*?\n((\d+\. .*\n?)+)", "", source)
    units = []
    for paragraph in re.split(r"\n\s*\n", source):
        item = []
        for line in paragraph.splitlines():
            if re.match(r"\s*([-*]|\d+\.)\s", line) and item:
                units.append(Unit(f"markdown cell {cell_index}", "\n".join(item)))
                item = []
            item.append(line)
        if item:
            units.append(Unit(f"markdown cell {cell_index}", "\n".join(item)))
    for alt, target in re.findall(r"!\[([^\]]*)\]\(([^)\s]+)\)", source):
        units.append(Unit(f"markdown cell {cell_index}: image alt text", alt))
        figure = (NOTEBOOKS / target).resolve()
        assert figure.is_file(), f"markdown cell {cell_index} shows {target}, which does not exist"
        if figure.suffix == ".svg":
            texts = re.findall(r"<text\b[^>]*>(.*?)</text>", figure.read_text(), flags=re.DOTALL)
            units.append(Unit(f"markdown cell {cell_index}: figure {target}",
                              " | ".join(html.unescape(re.sub(r"<[^>]+>", "", t)) for t in texts)))
    return units


def _tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


def answered_at(cells, index: int, exercise: str) -> int:
    """The cell where the learner's answer meets the course: the exercise's check, or the prediction
    being recorded (a test cell between a prediction and its ``predict`` is still "before")."""
    for i in range(index, len(cells)):
        cell = cells[i]
        if cell.cell_type == "code" and "test-only" not in _tags(cell) and \
                re.search(r'^\s*(\w+\s*=\s*)?(check|solution)\("' + re.escape(exercise) + r'"|^\s*(\w+\s*=\s*)?predict\(', cell.source, flags=re.MULTILINE):
            return i
    return index


def readable_before(cells, index: int, exercise: str) -> list[Unit]:
    """What a learner can read before answering: every cell above the exercise, and those between it and its check."""
    units = []
    for i, cell in enumerate(cells[:answered_at(cells, index, exercise)]):
        if i == index:
            continue
        if cell.cell_type == "markdown":
            units += _markdown_units(i, cell.source, skip_objectives=(i == 0))
        elif "test-only" in _tags(cell):
            units += [Unit(f"test-only cell {i}", line) for line in cell.source.splitlines()[1:] if line.strip()]
    return units


def code_before(cells, index: int) -> str:
    """The code a learner has on screen before the exercise (ordinary cells and earlier scaffolds)."""
    return "\n".join(c.source for c in cells[:index] if c.cell_type == "code" and "test-only" not in _tags(c))


# -- what the answer is ------------------------------------------------------------------------
@dataclass(frozen=True)
class Fact:
    """A piece of the answer: leaked where every one of its parts shows (each part: any of its spellings),
    unless ``unless`` shows too (a prediction's other answer: "allowed or denied?" gives nothing away)."""

    parts: tuple[tuple[str, ...], ...]
    unless: tuple[str, ...] = ()

    def found_in(self, text: str) -> bool:
        return all(any(_occurs(s, text) for s in part) for part in self.parts) and not any(_occurs(s, text) for s in self.unless)

    def __str__(self) -> str:
        return " + ".join(part[0] for part in self.parts)


def _occurs(spelling: str, text: str) -> bool:
    """``spelling`` in ``text`` as a whole token (case-insensitive): BatchGetImage is not in BatchGetImages."""
    return re.search(r"(?<![\w.:/-])" + re.escape(spelling) + r"(?![\w-]|\.\w)", text, flags=re.IGNORECASE) is not None


def _spellings(token: str) -> tuple[str, ...]:
    """An action also reads as its bare name (figures draw ``BatchGetImage``); a quoted word stays quoted."""
    if re.fullmatch(r"[a-z0-9-]+:[A-Za-z*]+", token):
        return token, token.split(":", 1)[1]
    if token.startswith("{ "):  # { AWS = in HCL, {"AWS": in JSON
        key = token[2:-2]
        return token, f"{{{key} =", f'{{"{key}":', f'{{ "{key}":'
    return (f'"{token}"',) if token in GENERIC else (token,)


def _code_blocks(markdown: str) -> list[tuple[str, str]]:
    return re.findall(r"```(\w*)\n(.*?)```", markdown, flags=re.DOTALL)


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    return []


def _prediction_facts(answer: dict) -> list[Fact]:
    return [Fact(((question, f'"{question}"'), (word, f'"{word}"')), tuple(a for a in ANSWERS if a != word))
            for question, word in answer.items()]


def _terraform_facts(text: str, scaffold: str, given: str) -> list[Fact]:
    """Per statement (a ``{ ... }`` block of the solution), the tokens the scaffold lacks."""
    facts = []
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]  # hand edits are steps, not answers
    blocks, current = [], []
    for line in lines:
        current.append(line)
        if line.strip() in ("},", "}]", "}", "})"):
            blocks.append(current)
            current = []
    blocks.append(current)
    for block in blocks:
        body = "\n".join(block)
        tokens = re.findall(r'"([^"\n]+)"', body)
        tokens += re.findall(r"(?<![\w\".])((?:data\.)?aws_[a-z0-9_]+\.[a-z0-9_]+\.[a-z_]+)(?![\w.])", body)
        tokens += [f"{{ {key} =" for key in re.findall(r"\{[ \t]*([A-Za-z]+)[ \t]*=", body)]  # an inline object's key: { AWS = ... }
        new = [t for t in dict.fromkeys(tokens) if not any(_occurs(s, scaffold) for s in _spellings(t))]
        strong = [t for t in new if t not in GENERIC and not any(_occurs(s, given) for s in _spellings(t))]
        weak = [t for t in new if t not in strong]
        facts += [Fact((_spellings(t),)) for t in strong]
        if len(weak) > 1:
            sid = re.search(r'Sid\s*=\s*"([^"]+)"', body)
            parts = [_spellings(t) + ((sid.group(1),) if sid and t not in GENERIC else ()) for t in weak]
            facts.append(Fact(tuple(parts)))
    return facts


def _step2_prediction() -> dict:
    """04's prediction has no reference to open: its answer is what the course's grader decides for the
    policy of step 1's reference alone (the managed policy detached), as the access report asks it."""
    from iamlab.course import grading, policies

    world = grading.World("123456789012", "us-east-1", ("flask_app", "reports_app"))
    model = policies.referenced_policy()
    model.region, model.account = world.region, world.account
    alone = grading.effect(world, grading.policies([("step 1", model.document())]))
    word = {True: "allowed", False: "denied"}
    login = alone.allows(grading.LOGIN)
    return {"login": word[login], **{f"pull:{r}": word[login and all(alone.allows(a, r) for a in grading.PULL_CHECKS)]
                                     for r in world.repositories}}


def answer_facts(exercise: str, scaffold: str, given: str) -> list[Fact]:
    if exercise == "04-predict":
        return _prediction_facts(_step2_prediction())
    facts = []
    for language, body in _code_blocks(str(solution(exercise))):  # the text a learner opens
        if language == "python":
            try:
                value = json.loads(body)
            except ValueError:  # code to run (lab.destroy()): the exercise's cell already holds it
                continue
            facts += _prediction_facts(value) if isinstance(value, dict) else [Fact((_spellings(s),)) for s in _strings(value)]
        else:
            facts += _terraform_facts(body, scaffold, given)
    return facts


# -- the exercises -----------------------------------------------------------------------------
def exercises() -> list[tuple[str, str, int]]:
    found = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            found += [(path.name, tag.split(":", 1)[1], index) for tag in _tags(cell) if tag.startswith("exercise:")]
    return found


NOTHING_TO_HIDE = {"07-clean"}  # the exercise's cell is the whole answer (run the destroy)


@pytest.mark.parametrize("notebook,exercise,index", exercises(), ids=[exercise for _, exercise, _ in exercises()])
def test_no_answer_is_readable_before_its_exercise(notebook, exercise, index):
    cells = nbformat.read(NOTEBOOKS / notebook, as_version=4).cells
    facts = answer_facts(exercise, cells[index].source, code_before(cells, index))
    assert facts or exercise in NOTHING_TO_HIDE, f"{exercise}: no answer found in its solution text"
    leaks = [f"{unit.where} gives away {fact}: {unit.text.strip()[:160]!r}"
             for unit in readable_before(cells, index, exercise) for fact in facts if fact.found_in(unit.text)]
    assert not leaks, f"{notebook}, before exercise {exercise}:\n" + "\n".join(leaks)


NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
OUTCOMES = r"(break|breaks|broke|broken|fail|fails|failed|denied|refused|allowed|works|worked)"


def summary_leaks(exercise: str, text: str, facts: list[Fact]) -> list[str]:
    """How a lesson's summary or objective can give an exercise away: a piece of the answer, how many
    actions the answer lists ("the four pull actions"), or a predicted outcome ("why login breaks")."""
    leaks = [str(fact) for fact in facts if fact.found_in(text)]
    shown = "" if exercise == "04-predict" else str(solution(exercise))  # 04's prediction has no solution text
    actions = {a.lower() for _, body in _code_blocks(shown) for a in re.findall(r"ecr:[A-Za-z]+", body)}
    if len(actions) > 1 and re.search(rf"\b({NUMBERS[len(actions)]}|{len(actions)})\b[^.;]*\bactions?\b", text, flags=re.I):
        leaks.append(f"the answer's count of actions ({len(actions)})")
    if exercise == "04-predict":
        questions = {q.split(":")[0] for q in _step2_prediction()} | {"log in"}
        if any(re.search(rf"\b{re.escape(q)}\b[^.;]*\b{OUTCOMES}\b|\b{OUTCOMES}\b[^.;]*\b{re.escape(q)}\b", text, flags=re.I)
               for q in questions):
            leaks.append("the predicted outcome")
    return leaks


def test_summaries_and_objectives_name_no_answer():
    """The start-here table (each lesson's summary), the objectives and the Next links are read before any exercise."""
    leaks = []
    for notebook, exercise, index in exercises():
        cells = nbformat.read(NOTEBOOKS / notebook, as_version=4).cells
        lesson = manifest.lesson(notebook[:2])
        facts = answer_facts(exercise, cells[index].source, code_before(cells, index))
        for where, text in [("summary", lesson.summary), *((f"objective {n}", o) for n, o in enumerate(lesson.objectives, 1))]:
            leaks += [f"{notebook} {where} gives away {leak} ({exercise}): {text!r}" for leak in summary_leaks(exercise, text, facts)]
        earlier = sorted(NOTEBOOKS.glob("*.ipynb"))
        previous = [p for p in earlier if p.name < notebook][-1:]
        for path in previous:  # the previous notebook's last words: "**Next:** [...]: ..."
            last = nbformat.read(path, as_version=4).cells[-1].source
            leaks += [f"{path.name}'s Next gives away {leak} ({exercise}): {last!r}" for leak in summary_leaks(exercise, last, facts)]
    assert not leaks, "\n".join(leaks)


def test_the_summary_yardstick():
    """What the records said before issue 16's second pass, each caught; today's words pass."""
    assert summary_leaks("03-custom-policy", "write your own policy with just the four pull actions", [])
    assert summary_leaks("03-custom-policy", "keep the four pull actions, drop the rest.", [])
    assert not summary_leaks("03-custom-policy", "write your own policy with only what a pull needs, and attach it", [])
    assert summary_leaks("04-predict", "scope it to one repository, and find out why login breaks", [])
    assert summary_leaks("04-predict", "explain why the registry login broke once the policy named one repository", [])
    assert not summary_leaks("04-predict", "scope it to one repository, predict the result, and read what each action can be scoped to", [])


# -- the test's own yardstick --------------------------------------------------------------------
def test_the_yardstick_finds_each_kind_of_leak():
    """What the notebooks held before issue 16, each caught; a question that names no answer passes."""
    login = answer_facts("04-scope", _scaffold("04-scope"), 'Action = ["ecr:GetAuthorizationToken"]')
    assert any(f.found_in('Two statements: the login on `"*"`, the three other actions on `flask_app` only.') for f in login)
    assert any(f.found_in('`ecr:GetAuthorizationToken` has **no resource type**.\nOnly `Resource: "*"` can.') for f in login)
    assert not any(f.found_in('your `ecr_custom_read_only` (four actions, `Resource: "*"`).') for f in login)
    assert not any(f.found_in("Which resource types does the login take? Ask the catalogue.") for f in login)
    reference = answer_facts("04-reference", _scaffold("04-reference"), "")
    assert any(f.found_in("Its ARN is `data.aws_ecr_repository.pull.arn`.") for f in reference)
    assert not any(f.found_in('lab.show("data.aws_ecr_repository.pull")') for f in reference)
    custom = answer_facts("03-custom-policy", _scaffold("03-custom-policy"), "")
    assert any(f.found_in("GetAuthorizationToken | BatchGetImage | +4 more") for f in custom)  # a figure's text
    assert any(f.found_in("a reference to the policy above: `aws_iam_policy.ecr_custom_read_only.arn`") for f in custom)
    assert not any(f.found_in("a reference to the policy resource, `TYPE.LABEL.ATTRIBUTE`") for f in custom)
    step2 = answer_facts("04-predict", "", "")
    assert any(f.found_in('step2 = {"login": "denied", "pull:flask_app": "denied", "pull:reports_app": "denied"}') for f in step2)
    assert not any(f.found_in('Will the instance be able to **log in**? Write `"allowed"` or `"denied"` for each') for f in step2)
    principal = answer_facts("06-repository-policy", _scaffold("06-repository-policy"), "")
    assert any(f.found_in("Fill in the `Principal`: the role's ARN, by reference (`{ AWS = ... }`).") for f in principal)
    assert not any(f.found_in("AWS's own narrow policy") for f in principal)
    trust = answer_facts("01-trust", "", "")
    assert any(f.found_in('assert statement["Principal"] == {"Service": "ec2.amazonaws.com"}') for f in trust)


def _scaffold(exercise: str) -> str:
    for notebook, name, index in exercises():
        if name == exercise:
            return nbformat.read(NOTEBOOKS / notebook, as_version=4).cells[index].source
    raise KeyError(exercise)
