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


def _nodes_and_edges(name: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    import re

    source = (ROOT / "images" / f"{name}.gv").read_text()
    nodes = dict(re.findall(r'^\s*(\w+) \[label="((?:[^"\\]|\\.)*)"', source, flags=re.M))
    edges = re.findall(r"^\s*(\w+) -> (\w+)", source, flags=re.M)
    return nodes, edges


def test_the_login_is_never_drawn_as_reaching_a_repository():
    """The mistake lesson 04 teaches: ecr:GetAuthorizationToken acts on no repository."""
    for name in ("00-course-map", "04-least-privilege", "06-beyond"):
        nodes, edges = _nodes_and_edges(name)
        login = [n for n, label in nodes.items() if "GetAuthorizationToken" in label]
        assert login, name
        assert not [(a, b) for a, b in edges if a in login and b.startswith("repo_")], f"{name}: login drawn on a repository"


def test_the_deny_push_figure_shows_all_four_push_actions():
    nodes, _ = _nodes_and_edges("06-beyond")
    [deny] = [label for label in nodes.values() if "deny-push" in label]
    for action in ("InitiateLayerUpload", "UploadLayerPart", "CompleteLayerUpload", "PutImage"):
        assert action in deny
