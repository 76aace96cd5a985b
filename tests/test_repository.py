"""The repository's hygiene: clean notebooks, pinned requirements, one test command."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def tracked(pattern: str) -> list[Path]:
    out = subprocess.run(["git", "ls-files", pattern], capture_output=True, text=True, cwd=ROOT).stdout.split()
    return [ROOT / p for p in out] or sorted(ROOT.glob(pattern))


def test_notebooks_are_committed_without_outputs():
    notebooks = tracked("notebooks/*.ipynb")
    assert notebooks
    for path in notebooks:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, f"{path.name} has outputs: run nbstripout"


def test_nbstripout_is_configured_for_the_repository():
    attributes = (ROOT / ".gitattributes").read_text()
    assert "*.ipynb filter=nbstripout" in attributes


def test_every_requirement_is_pinned():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            assert "==" in line, f"unpinned requirement: {line}"


def test_ci_runs_the_readmes_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "./scripts/test.sh" in readme.split("\n## ")[0]
    assert "scripts/test.sh" in ci


def test_every_notebook_has_a_reading():
    for notebook in tracked("notebooks/*.ipynb"):
        assert (ROOT / "lessons" / f"{notebook.stem}.md").exists(), notebook.name
