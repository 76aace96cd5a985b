"""Installed once, for everyone: a normal (non-editable) install carries the course, and a
learner (their own Unix user, not root) gets their own copy of it and a working Terraform
init from it, with the provider shared read-only and a plugin cache of their own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unix_users import make_learner, run_python, shared_dir

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed():
    """``pip install . --target``: the package as a wheel installs it, course files and all."""
    target = shared_dir("iamlab-installed-")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
                           "--target", str(target), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    subprocess.run(["chmod", "-R", "a+rX", str(target)], check=True)
    yield target
    shutil.rmtree(target, ignore_errors=True)


def test_the_wheel_carries_what_the_course_needs(installed):
    files = installed / "iamlab" / "course_files"
    for part in ("tf/main.tf", "notebooks/04-least-privilege.ipynb", "lessons/04-least-privilege.md"):
        assert (files / part).is_file(), f"{part} is not in the installed package"
    assert any((files / "images").iterdir())
    assert not (installed / "iamlab" / "course_files" / "tf" / ".terraform").exists()


def test_a_learner_copies_the_course_and_inits_terraform_as_themselves(installed):
    learner = make_learner("iamlab-t-lea")
    for leftover in ("iamlab-course", ".cache"):
        shutil.rmtree(learner.home / leftover, ignore_errors=True)
    env = learner.env(PYTHONPATH=str(installed))
    copied = run_python(learner, ["-m", "iamlab", "copy-course"], env=env)
    assert copied.returncode == 0, copied.stdout + copied.stderr
    course = learner.home / "iamlab-course"
    notebook = course / "notebooks" / "04-least-privilege.ipynb"
    assert notebook.is_file() and notebook.stat().st_uid == learner.uid
    assert (course / "lessons" / "04-least-privilege.md").is_file()
    # A second run keeps what the learner has (their edits), and says so.
    notebook.write_text(notebook.read_text() + "\n")
    again = run_python(learner, ["-m", "iamlab", "copy-course"], env=env)
    assert again.returncode == 0 and "kept" in again.stdout
    assert notebook.read_text().endswith("\n\n")

    # Terraform init from the installed package: the working copy comes from the package's tf/,
    # the provider from the shared mirror, linked (not unpacked again) into the learner's own cache.
    try:
        init = run_python(learner, ["-m", "iamlab", "init"], env=env, timeout=300)
    finally:
        run_python(learner, ["-m", "iamlab", "sandbox", "stop"], env=env)
    assert init.returncode == 0, init.stdout + init.stderr
    assert (course / "tf" / "main.tf").is_file()
    cached = list((learner.home / ".cache" / "iamlab" / "terraform-plugins").glob(
        "registry.terraform.io/hashicorp/aws/*/*"))
    assert cached and all(entry.is_symlink() for entry in cached), cached
    assert os.stat(course).st_mode & 0o777 == 0o700


def test_a_cache_of_someone_else_is_refused_with_the_true_cause(installed, tmp_path):
    owner, other = make_learner("iamlab-t-own"), make_learner("iamlab-t-oth")
    cache = shared_dir("iamlab-shared-cache-")
    os.chown(cache, owner.uid, owner.gid)
    os.chmod(cache, 0o1777)  # world-writable, as a classroom doc once suggested
    env = other.env(PYTHONPATH=str(installed), IAMLAB_PLUGIN_CACHE=str(cache))
    try:
        init = run_python(other, ["-m", "iamlab", "init"], env=env, timeout=300)
    finally:
        run_python(other, ["-m", "iamlab", "sandbox", "stop"], env=env)
    assert init.returncode == 1
    assert "belongs to another user" in init.stderr and "IAMLAB_PLUGIN_CACHE" in init.stderr
    assert "Traceback" not in init.stderr and "registry" not in init.stderr.split("Next step")[0]
    shutil.rmtree(cache, ignore_errors=True)
