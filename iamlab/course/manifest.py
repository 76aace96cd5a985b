"""The course's lesson list: each lesson's number, title, files and objectives, as its record
(``iamlab/course/lessons/lNN_*.py``) declares them.

Everything else that lists lessons reads this module or is held to it by a test
(tests/test_manifest.py): `python -m iamlab run-all`, the fast-forward's stages, the
README's table, each notebook's objectives and "Next" link, each reading's objectives.
To change an objective, change it in the lesson's record and run ``python -m iamlab.course.manifest``,
which rewrites the objectives in the notebook and the reading.
"""

from __future__ import annotations

import re
from pathlib import Path

from .. import paths
from .lessons import LESSONS  # each declared in its record, iamlab/course/lessons/lNN_*.py
from .record import Lesson

SEQUENCE: tuple[Lesson, ...] = tuple(lesson for lesson in LESSONS if lesson.in_sequence)


def lesson(number_or_stage: str) -> Lesson:
    """The lesson with this number ("04") or stage ("playground")."""
    for candidate in LESSONS:
        if number_or_stage in (candidate.number, candidate.stage, candidate.name):
            return candidate
    raise KeyError(f"There is no lesson {number_or_stage!r}; choose one of {', '.join(l.number for l in LESSONS)}.")


def next_lesson(current: Lesson) -> Lesson | None:
    """The lesson after this one in the sequence (None after the last)."""
    order = list(SEQUENCE)
    if current not in order or current is order[-1]:
        return None
    return order[order.index(current) + 1]


def objectives_markdown(current: Lesson) -> str:
    """The numbered list both the notebook and the reading show."""
    return "\n".join(f"{i}. {text}" for i, text in enumerate(current.objectives, 1))


NOTEBOOK_INTRO = "**Learning objectives.** After this notebook you can\n"
READING_INTRO = "## Learning objectives\n\nAfter this lesson you can:\n\n"
_LIST = r"(?:\d+\. .*(?:\n(?!\d+\. |\n).*)*\n?)+"


def objectives_in(text: str) -> list[str]:
    """The numbered objectives written after a notebook's or reading's objectives intro."""
    match = re.search(r"(?:\*\*Learning objectives\.\*\* After this notebook you can\n|"
                      r"## Learning objectives\n\nAfter this lesson you can:\n\n)(" + _LIST + ")", text)
    if not match:
        return []
    items = re.split(r"^\d+\. ", match.group(1), flags=re.M)
    return [" ".join(item.split()) for item in items if item.strip()]


def _replace_objectives(text: str, intro: str, current: Lesson) -> str:
    pattern = re.escape(intro) + _LIST
    replacement = intro + objectives_markdown(current) + "\n"
    if re.search(pattern, text):
        return re.sub(pattern, lambda _: replacement, text, count=1)
    return text


README_HEADER = "| # | Notebook | Reading |\n|---|---|---|\n"
START_HERE = "lessons/00-start-here.md"
START_HERE_HEADER = "| Lesson | You will |\n|---|---|\n"


def readme_table() -> str:
    """The README's table of lessons."""
    return README_HEADER + "".join(
        f"| {l.number} | [{l.title}]({l.notebook}) | [{l.reading}]({l.reading}) |\n" for l in LESSONS)


def start_here_table() -> str:
    """The start-here reading's table: every lesson after it, and what you will do there."""
    return START_HERE_HEADER + "".join(f"| [{l.heading}]({l.name}.md) | {l.summary} |\n" for l in LESSONS[1:])


def _rewrite_table(path: Path, header: str, table: str) -> bool:
    text = path.read_text()
    new = re.sub(re.escape(header) + r"(?:\|.*\n)+", lambda _: table, text, count=1)
    if new != text:
        path.write_text(new)
    return new != text


def sync(root: Path | None = None) -> list[str]:
    """Rewrite the objectives in every notebook and reading, each notebook's "Next" link, the
    README's table and the start-here reading's, from the lessons' records. Returns the files changed."""
    import nbformat

    root = root or paths.PROJECT_DIR
    changed = []
    if _rewrite_table(root / "README.md", README_HEADER, readme_table()):
        changed.append("README.md")
    if _rewrite_table(root / START_HERE, START_HERE_HEADER, start_here_table()):
        changed.append(START_HERE)
    for current in LESSONS:
        reading = root / current.reading
        text = reading.read_text()
        new = _replace_objectives(text, READING_INTRO, current)
        if new != text:
            reading.write_text(new)
            changed.append(current.reading)
        notebook_path = root / current.notebook
        notebook = nbformat.read(notebook_path, as_version=4)
        edited = False
        for cell in notebook.cells:
            if cell.cell_type == "markdown" and NOTEBOOK_INTRO in cell.source:
                new = _replace_objectives(cell.source + "\n", NOTEBOOK_INTRO, current).rstrip("\n")
                edited, cell.source = edited or new != cell.source, new
                break
        following = next_lesson(current)
        markdown = [cell for cell in notebook.cells if cell.cell_type == "markdown"]
        if following is not None and markdown:
            new = _with_next_link(markdown[-1].source, following)
            edited, markdown[-1].source = edited or new != markdown[-1].source, new
        if edited:
            nbformat.write(notebook, notebook_path)
            changed.append(current.notebook)
    return changed


_NEXT = re.compile(r"\*\*Next:\*\* \[[^\]]*\]\([^)]*\)")


def _with_next_link(text: str, following: Lesson) -> str:
    """The notebook's last words point at the next lesson of the sequence (added if missing)."""
    link = f"**Next:** [{following.heading}]({Path(following.notebook).name})"
    if _NEXT.search(text):
        return _NEXT.sub(lambda _: link, text, count=1)
    return f"{text.rstrip()}\n\n{link}."


if __name__ == "__main__":
    for name in sync():
        print(f"rewrote {name} from the lessons' records")
