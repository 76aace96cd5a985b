"""The lesson figures are generated from sources, and regenerating them gives the same figures."""

from __future__ import annotations

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_figures_regenerate_identically(tmp_path):
    make = runpy.run_path(str(ROOT / "images" / "make_images.py"))
    make["main"](tmp_path)
    generated = sorted(p.name for p in tmp_path.glob("*.gv"))
    assert generated and generated == sorted(p.name for p in (ROOT / "images").glob("*.gv"))
    for name in generated:
        assert (tmp_path / name).read_text() == (ROOT / "images" / name).read_text(), f"{name}: run python images/make_images.py"
        svg = (ROOT / "images" / name.replace(".gv", ".svg")).read_text()
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg


def test_every_figure_a_lesson_uses_exists():
    import re

    for lesson in (ROOT / "lessons").glob("*.md"):
        for image in re.findall(r"\(\.\./images/([^)]+)\)", lesson.read_text()):
            assert (ROOT / "images" / image).exists(), f"{lesson.name} uses a missing figure {image}"
