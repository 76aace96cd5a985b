"""One lesson list: everything that names the lessons agrees with iamlab/course/manifest.py.

Fast lane (no sandbox, no Terraform). When a test here fails after an edit to the
manifest, `python -m iamlab.course.manifest` rewrites the objectives and the README table.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from iamlab import runall
from iamlab.course import manifest, stages
from iamlab.course.manifest import LESSONS, SEQUENCE

ROOT = Path(__file__).resolve().parents[1]


def notebook(lesson) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / lesson.notebook, as_version=4)


def test_every_notebook_and_reading_is_in_the_manifest_and_exists():
    listed = {lesson.notebook for lesson in LESSONS}
    assert {f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")} == listed
    readings = {f"lessons/{p.name}" for p in (ROOT / "lessons").glob("*.md")} - {"lessons/instructor-guide.md"}
    assert readings == {lesson.reading for lesson in LESSONS}
    assert len({lesson.number for lesson in LESSONS}) == len(LESSONS)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda l: l.number)
def test_notebook_and_reading_carry_the_manifest_title_and_objectives(lesson):
    cells = notebook(lesson).cells
    assert cells[0].source.startswith(f"# {lesson.heading}\n"), f"{lesson.notebook}: first line"
    reading = (ROOT / lesson.reading).read_text()
    assert reading.startswith(f"# {lesson.heading}\n"), f"{lesson.reading}: first line"
    expected = [" ".join(text.split()) for text in lesson.objectives]
    assert manifest.objectives_in(cells[0].source) == expected, f"{lesson.notebook}: run python -m iamlab.course.manifest"
    assert manifest.objectives_in(reading) == expected, f"{lesson.reading}: run python -m iamlab.course.manifest"


@pytest.mark.parametrize("lesson", SEQUENCE[:-1], ids=lambda l: l.number)
def test_each_notebook_ends_pointing_at_the_next_lesson(lesson):
    following = manifest.next_lesson(lesson)
    last = [c for c in notebook(lesson).cells if c.cell_type == "markdown"][-1].source
    assert f"**Next:** [{following.heading}]({Path(following.notebook).name})" in last


def test_run_all_runs_the_sequence_in_order_then_the_side_notebooks():
    assert runall.COURSE[:len(SEQUENCE)] == [lesson.name for lesson in SEQUENCE]
    assert "90-policy-playground" in runall.COURSE[len(SEQUENCE):]
    assert [p.stem for p in runall.notebooks()] == runall.COURSE


def test_readme_table_is_the_manifest():
    assert manifest.readme_table() in (ROOT / "README.md").read_text()


def test_start_here_lists_every_later_lesson_by_its_heading():
    table = (ROOT / "lessons" / "00-start-here.md").read_text()
    for lesson in LESSONS[1:]:
        assert f"[{lesson.heading}]({lesson.name}.md)" in table


def test_every_stage_the_manifest_names_exists_and_the_notebook_goes_there():
    for lesson in LESSONS:
        if lesson.stage is None:
            continue
        assert lesson.stage in stages.STAGES, lesson.number
        sources = "\n".join(c.source for c in notebook(lesson).cells if c.cell_type == "code")
        if lesson.stage != "00":  # lesson 00 starts the sandbox and nothing else
            assert re.search(rf"""lab\.goto\(["']{lesson.stage}["']\)""", sources), f"{lesson.notebook} never goes to its stage"


def test_lookup_by_number_stage_or_name():
    assert manifest.lesson("04") is manifest.lesson("04-least-privilege") is LESSONS[4]
    assert manifest.lesson("playground").number == "90"
    with pytest.raises(KeyError):
        manifest.lesson("42")


@pytest.mark.parametrize("lesson", [l for l in SEQUENCE if l.number not in ("00", "08")], ids=lambda l: l.number)
def test_each_reading_has_the_carpentries_parts(lesson):
    reading = (ROOT / lesson.reading).read_text()
    order = [reading.find(part) for part in ("## Questions", "## Learning objectives", "## Challenge",
                                              "<details>", "## Key points", "## Instructor notes")]
    assert -1 not in order and order == sorted(order), f"{lesson.reading}: {order}"


def test_no_learner_visible_cell_asserts_or_ends_with_a_semicolon():
    for lesson in LESSONS:
        for cell in notebook(lesson).cells:
            if cell.cell_type != "code":
                continue
            if "test-only" in cell.metadata.get("tags", []):
                assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, lesson.notebook
                continue
            assert not re.search(r"^\s*assert\b", cell.source, flags=re.M), f"{lesson.notebook}: {cell.source[:60]}"
            assert not cell.source.rstrip().endswith(";"), f"{lesson.notebook}: {cell.source[:60]}"


def test_terraform_exercises_ship_as_scaffolds():
    tagged = {}
    for lesson in LESSONS:
        for cell in notebook(lesson).cells:
            for tag in cell.metadata.get("tags", []):
                if tag.startswith("exercise:"):
                    tagged[tag.split(":", 1)[1]] = cell.source
    for name in ("03-custom-policy", "04-reference", "04-scope", "06-deny", "06-repository-policy"):
        assert tagged[name].startswith("%%tf ") and "TODO" in tagged[name], name
    assert "policy_arn = TODO" in tagged["03-custom-policy"]  # the learner writes the .arn reference


def test_a_hidden_test_cell_runs_only_in_solutions_mode_and_says_so_when_collapsed():
    """JupyterLab shows a hidden cell's first line: a sentence for the learner, not an assert. The
    ``%%course_test`` magic runs the cell only in solutions mode, so a learner's Run All never meets
    the course's asserts (or the hand edit made for the unattended run)."""
    for lesson in LESSONS:
        for cell in notebook(lesson).cells:
            if "test-only" in cell.metadata.get("tags", []):
                first = cell.source.splitlines()[0]
                assert first.startswith("%%course_test ") and "solutions mode" in first, f"{lesson.notebook}: {cell.source[:60]}"
