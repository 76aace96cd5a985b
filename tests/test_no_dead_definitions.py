"""No dead definitions under iamlab/: every function, class and method is named somewhere else
in the repository (code, notebooks, readings, scripts, docs). A definition nobody names is
either dead, and goes, or meant to be used, and then it is used (issue 15's sweep, kept)."""

from __future__ import annotations

import ast
import importlib
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP_PARTS = {".git", "node_modules", "test-artifacts", ".ipynb_checkpoints", "results", "vendor"}
TEXT = ("py", "ipynb", "md", "sh", "toml", "cfg", "txt", "yaml", "yml")


def _names_in_repository(root: Path) -> Counter:
    words: Counter = Counter()
    for ext in TEXT:
        for path in root.rglob(f"*.{ext}"):
            if SKIP_PARTS & set(path.relative_to(root).parts):
                continue
            words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", path.read_text(errors="ignore")))
    return words


def _overrides(module: str, owner: str | None, name: str) -> bool:
    """A method that overrides one of a base class (a library's protocol) is named by the library."""
    if owner is None:
        return False
    cls = getattr(importlib.import_module(module), owner, None)
    return cls is not None and any(name in vars(base) for base in cls.__mro__[1:])


def _definitions(root: Path):
    for path in sorted((root / "iamlab").rglob("*.py")):
        module = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                yield path, module, None, node
            if isinstance(node, ast.ClassDef):
                for member in node.body:
                    if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        yield path, module, node.name, member


def dead_definitions(root: Path = ROOT) -> list[str]:
    words = _names_in_repository(root)
    dead = []
    for path, module, owner, node in _definitions(root):
        name = node.name
        if name.startswith("__") or name.startswith("_repr_") or words[name] > 1:
            continue
        if _overrides(module, owner, name):
            continue
        dead.append(f"{path.relative_to(root)}:{node.lineno} {owner + '.' if owner else ''}{name}")
    return dead


def test_every_definition_is_named_somewhere_else():
    assert dead_definitions() == []


def test_the_scan_finds_a_dead_definition(tmp_path):
    """The test can fail: of two functions, the one nothing else names is reported."""
    (tmp_path / "iamlab").mkdir()
    (tmp_path / "iamlab" / "parts.py").write_text("def used():\n    pass\n\n\ndef " + "forgotten" + "():\n    pass\n")
    (tmp_path / "notebook.md").write_text("call used() here\n")
    assert dead_definitions(tmp_path) == ["iamlab/parts.py:5 forgotten"]
