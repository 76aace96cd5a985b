"""The course as three unattended learners (issue 9). The first, solutions mode with every hidden
test cell asserting, is the nbval run of scripts/test.sh; this module runs the other two:

* a learner who types nothing: no traceback anywhere; every exercise cell says which TODOs are
  left, and every check says what is missing;
* a learner who makes the classic mistakes of 03, 04 and 06 (the exercise cells hold the mistake,
  lesson 04's hand edit is left undone): each check names the mistake.

Each runs in a course home (and sandbox) of its own.
"""

from __future__ import annotations

import pytest

from iamlab.course.manifest import SEQUENCE

from .conftest import own_course_home
from .notebook_runs import MISTAKE_NAMED, run

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    with own_course_home(tmp_path_factory, "learner-paths"):
        yield


def _tracebacks(notebook_run) -> list[str]:
    return [f"cell {c.index}: {c.source.splitlines()[0]}\n{c.errors[0].get('ename')}: {c.errors[0].get('evalue')}"
            for c in notebook_run.cells if c.errors]


@pytest.mark.parametrize("lesson", SEQUENCE, ids=lambda l: l.number)
def test_a_learner_who_types_nothing_sees_no_traceback_and_is_told_what_is_missing(home, lesson):
    done = run(lesson.name, "typed-nothing")
    assert not _tracebacks(done), "\n".join(_tracebacks(done))
    for cell in done.cells:
        if cell.source.startswith("%%tf") and "TODO" in cell.source:
            assert "still has TODO on line" in cell.text(), cell.source.splitlines()[0]
    for name, cell in done.checks().items():
        if name != "07-clean":  # 07's exercise is running destroy, which the learner's run does
            assert 'data-passed="false"' in cell.text() and "✘" in cell.text(), name


@pytest.mark.parametrize("lesson", [l for l in SEQUENCE if l.number in ("03", "04", "06")], ids=lambda l: l.number)
def test_a_learner_who_makes_the_classic_mistakes_is_told_which(home, lesson):
    done = run(lesson.name, "mistakes")
    assert not _tracebacks(done), "\n".join(_tracebacks(done))
    checks = done.checks()
    named = {name: text for name, text in MISTAKE_NAMED.items() if name.startswith(lesson.number)}
    assert named
    for name, expected in named.items():
        output = checks[name].text()
        assert 'data-passed="false"' in output, name
        assert expected in output, f"{name}: the check does not name {expected!r}:\n{output[:2000]}"
