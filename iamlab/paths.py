"""Where the course keeps its files.

Everything a learner creates lives under one folder, the *course home*:

    <home>/tf/          the learner's working copy of the course Terraform
    <home>/backups/     earlier working copies, saved by `iamlab reset`
    <home>/.sandbox/    the local AWS sandbox's state file, log and data

The home is ``$IAMLAB_HOME`` when set (one per learner on a shared host),
otherwise ``workspace/`` inside the course checkout, so JupyterLab's file
browser shows the working copy next to the notebooks.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent


class CourseHomeError(RuntimeError):
    """The course home cannot be used (read-only, not ours...); the message says what to do."""


def _private_folder(path: Path, what: str) -> Path:
    """Create ``path`` if needed and make it the owner's alone (0700): it holds the sandbox's keys."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        if path.stat().st_uid == os.getuid():
            os.chmod(path, 0o700)
    except OSError as error:
        raise CourseHomeError(
            f"The course cannot use {path} for {what}: {error.strerror or error}.\n"
            "Next step: point IAMLAB_HOME at a folder you can write, e.g. "
            "`export IAMLAB_HOME=~/iamlab-home`, then run the command again.") from None
    return path


def course_home() -> Path:
    """The folder holding this learner's working copy and sandbox (private to its owner)."""
    configured = os.environ.get("IAMLAB_HOME")
    home = Path(configured).expanduser() if configured else PROJECT_DIR / "workspace"
    return _private_folder(home, "the course home").resolve()


def course_tf_dir() -> Path:
    """The pristine course Terraform (`tf/`), which the learner never edits directly."""
    return Path(os.environ.get("IAMLAB_COURSE_TF", PROJECT_DIR / "tf")).resolve()


def working_copy_dir() -> Path:
    return course_home() / "tf"


def backups_dir() -> Path:
    return course_home() / "backups"


def sandbox_dir() -> Path:
    """The sandbox's state file (with its keys), log and data: nobody else's business."""
    return _private_folder(course_home() / ".sandbox", "the sandbox's files")


def plugin_cache_dir() -> Path:
    """Terraform's provider cache, shared by every working copy of this user (or a
    whole classroom, via ``$IAMLAB_PLUGIN_CACHE``), so the large AWS provider is
    unpacked once."""
    configured = os.environ.get("IAMLAB_PLUGIN_CACHE")
    path = Path(configured) if configured else Path.home() / ".cache" / "iamlab" / "terraform-plugins"
    path.mkdir(parents=True, exist_ok=True)
    return path
