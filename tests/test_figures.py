"""The lesson figures are generated from sources, and regenerating them gives the same figures."""

from __future__ import annotations

import runpy
import re
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
    for name in ("05-least-privilege", "06-beyond"):
        source = (ROOT / "images" / f"{name}.gv").read_text()
        assert "GetAuthorizationToken" in source, name
        ports = re.findall(r'<TD PORT="(s\d+)"[^>]*>[^<]*\([^)]*\)<BR/>GetAuthorizationToken', source)
        assert ports, name
        for port in ports:
            assert not re.search(rf"^\s*\w+:{port} -> repo_", source, flags=re.M), f"{name}: login drawn on a repository"


def test_one_policy_with_two_statements_is_one_box():
    nodes, _ = _nodes_and_edges("05-least-privilege")
    source = (ROOT / "images" / "05-least-privilege.gv").read_text()
    assert source.count("ecr_custom_read_only") == 1 and 'PORT="s1"' in source


def test_the_managed_policy_is_drawn_with_its_twelve_actions():
    from moto.iam.aws_managed_policies import aws_managed_policies_data
    import json

    actions = json.loads(aws_managed_policies_data)["AmazonEC2ContainerRegistryReadOnly"]["Document"]["Statement"][0]["Action"]
    assert len(actions) == 12
    for name in ("02-managed-policy", "03-custom-policy"):
        source = (ROOT / "images" / f"{name}.gv").read_text()
        shown = source.split("AmazonEC2ContainerRegistryReadOnly", 1)[1].split('"', 1)[0]
        listed = [line for line in shown.split("\\n") if line and "more" not in line]
        more = int(re.search(r"\+(\d+) more", shown).group(1))
        assert len(listed) + more == 12, name
        assert "(12 actions in all)" in shown, name


# Figures shown above an exercise draw the goal, not the answer.
ANSWERS_ABOVE = {
    "01-keycard": ["ec2.amazonaws.com"],
    "03-custom-policy": ["ecr_custom_read_only\\nGetAuthorizationToken", "ecr_custom_read_only\\nBatchGetImage"],
    "04-least-privilege": ["GetAuthorizationToken", "BatchGetImage", "Login"],
    "06-beyond": ["InitiateLayerUpload", "UploadLayerPart", "CompleteLayerUpload", "PutImage"],
}


def test_figures_above_an_exercise_do_not_draw_its_answer():
    for name, answers in ANSWERS_ABOVE.items():
        source = (ROOT / "images" / f"{name}.gv").read_text()
        for answer in answers:
            assert answer not in source, (name, answer)


def test_what_you_built_is_shown_only_after_it_was_built():
    """00's map leaves the trust and the statements to find; the figure with them waits for lessons 07 and 08."""
    built = (ROOT / "images" / "08-what-you-built.gv").read_text()
    assert "ec2.amazonaws.com" in built and "GetAuthorizationToken" in built
    course_map = (ROOT / "images" / "00-course-map.gv").read_text()
    assert "ec2.amazonaws.com" not in course_map and "GetAuthorizationToken" not in course_map
    for folder, suffix in (("lessons", "*.md"), ("notebooks", "*.ipynb")):
        for path in (ROOT / folder).glob(suffix):
            if "08-what-you-built.svg" in path.read_text():
                assert path.name[:2] in ("07", "08"), f"{path.name} shows what the learner builds before building it"
            if path.name[:2] in ("07", "08"):
                assert "00-course-map.svg" not in path.read_text(), f"{path.name}: show what was built, not the map"
