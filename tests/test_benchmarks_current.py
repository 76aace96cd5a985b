"""Every benchmark names only what the package still has: a reshape that renames a module must
take the benchmarks with it (bench_tf_cell once imported a module the reshape had removed)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).resolve().parents[1] / "benchmarks").glob("*.py"))


def _missing(path: Path) -> list[str]:
    missing = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("iamlab"):
            module = importlib.import_module(node.module)
            for alias in node.names:
                if hasattr(module, alias.name):
                    continue
                try:
                    importlib.import_module(f"{node.module}.{alias.name}")
                except ImportError:
                    missing.append(f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("iamlab"):
                    try:
                        importlib.import_module(alias.name)
                    except ImportError:
                        missing.append(alias.name)
    return missing


@pytest.mark.parametrize("path", BENCHMARKS, ids=lambda p: p.name)
def test_a_benchmark_imports_only_what_exists(path):
    assert _missing(path) == []


def test_the_check_finds_a_name_that_is_gone(tmp_path):
    stale = tmp_path / "bench_stale.py"
    stale.write_text("from iamlab.course import references\nfrom iamlab import facts\n")
    assert _missing(stale) == ["iamlab.course.references"]
