"""Where the course keeps its files.

Everything a learner creates lives under one folder, the *course home*:

    <home>/tf/          the learner's working copy of the course Terraform
    <home>/backups/     earlier working copies, saved by `iamlab reset`
    <home>/.sandbox/    the local AWS sandbox's state file, log and data

The home is ``$IAMLAB_HOME`` when set (one per learner on a shared host),
otherwise ``workspace/`` inside the course checkout, so JupyterLab's file
browser shows the working copy next to the notebooks. A package installed
from a wheel (``pip install .``, once for a whole hub) is not a checkout: its
home is then ``~/iamlab-course``, where ``python -m iamlab copy-course`` puts the
learner's own notebooks, readings and images next to the working copy.

The course's own files (``tf/``, ``notebooks/``, ``lessons/``, ``images/``) are the
checkout's, or, installed from a wheel, the copy shipped inside the package
(``iamlab/course_files/``, see setup.py).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
COURSE_PARTS = ("tf", "notebooks", "lessons", "images")
INSTALLED_HOME = "~/iamlab-course"


def is_checkout() -> bool:
    """Is the package imported from the course's repository (a clone, an editable install)?"""
    return (PROJECT_DIR / "pyproject.toml").is_file() and (PROJECT_DIR / "tf").is_dir()


def course_files_dir() -> Path:
    """Where the course's own tf/, notebooks/, lessons/ and images/ are: the checkout, or the
    copy inside an installed package."""
    return PROJECT_DIR if is_checkout() else PACKAGE_DIR / "course_files"


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


WORKSPACE_LINK_MARKER = ".workspace-link"  # beside a workspace link that link-workspace made: its target


def _own_workspace(home: Path) -> Path:
    """Without IAMLAB_HOME a checkout's home is its own ``workspace/``. A link there that
    ``link-workspace`` made for another IAMLAB_HOME (its marker names the same target) goes, so
    the checkout's own folder is used again; the other home keeps every file. A link of the
    learner's own making (no marker) is followed as before."""
    marker = home.parent / WORKSPACE_LINK_MARKER
    try:
        if home.is_symlink() and marker.read_text().strip() == os.readlink(home):
            home.unlink()
            marker.unlink()
    except OSError:
        pass
    return home


def course_home() -> Path:
    """The folder holding this learner's working copy and sandbox (private to its owner)."""
    configured = os.environ.get("IAMLAB_HOME")
    if configured:
        home = Path(configured).expanduser()
    else:
        home = _own_workspace(PROJECT_DIR / "workspace") if is_checkout() else Path(INSTALLED_HOME).expanduser()
    return _private_folder(home, "the course home").resolve()


def course_tf_dir() -> Path:
    """The pristine course Terraform (`tf/`), which the learner never edits directly."""
    return Path(os.environ.get("IAMLAB_COURSE_TF", course_files_dir() / "tf")).resolve()


def working_copy_dir() -> Path:
    return course_home() / "tf"


def backups_dir() -> Path:
    return course_home() / "backups"


def sandbox_dir() -> Path:
    """The sandbox's state file (with its keys), log and data: nobody else's business."""
    return _private_folder(course_home() / ".sandbox", "the sandbox's files")


def runtime_dir() -> Path:
    """A private folder (0700) for this user's short-lived files, such as the registry
    client's login: ``$XDG_RUNTIME_DIR/iamlab`` when the system gives the user one, else
    ``.run/`` in the course home. Never a predictable name in the shared /tmp, where
    another user could create it first."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base:
        try:
            info = os.stat(base)
            if info.st_uid == os.getuid() and not info.st_mode & 0o077:
                return _private_folder(Path(base) / "iamlab", "short-lived files")
        except OSError:
            pass
    return _private_folder(course_home() / ".run", "short-lived files")


class PluginCacheError(CourseHomeError):
    """The Terraform plugin cache is not this user's to write."""


def plugin_cache_dir() -> Path:
    """Terraform's plugin cache: this user's own (``~/.cache/iamlab/terraform-plugins``, or
    ``$IAMLAB_PLUGIN_CACHE``), shared by their working copies. Terraform's cache is not
    safe for several writers, so it is never shared between users: the provider is shared
    read-only instead, as an unpacked filesystem mirror, which the cache only links to."""
    configured = os.environ.get("IAMLAB_PLUGIN_CACHE")
    path = Path(configured).expanduser() if configured else Path.home() / ".cache" / "iamlab" / "terraform-plugins"
    try:
        path.mkdir(parents=True, exist_ok=True)
        owner = path.stat().st_uid
    except OSError as error:
        raise PluginCacheError(
            f"The course cannot use {path} as Terraform's plugin cache: {error.strerror or error}.\n"
            + _CACHE_NEXT_STEP) from None
    if owner != os.getuid() or not os.access(path, os.W_OK):
        raise PluginCacheError(
            f"Terraform's plugin cache {path} belongs to another user (uid {owner}): a plugin cache "
            "is not safe for several users to write, and theirs is not yours to change.\n" + _CACHE_NEXT_STEP)
    return path


_CACHE_NEXT_STEP = ("Next step: unset IAMLAB_PLUGIN_CACHE (each learner then has their own cache in "
                    "~/.cache/iamlab) or point it at a folder of your own. The AWS provider is shared "
                    "read-only through a filesystem mirror (docs/classroom.md), so your own cache costs "
                    "no disk.")
