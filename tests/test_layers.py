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
