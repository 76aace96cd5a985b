"""The working copy inside JupyterLab's root, whatever ``IAMLAB_HOME`` is.

Notebooks and readings link to ``workspace/tf/...`` and ``workspace/backups/...`` (from the
course folder, the one holding ``notebooks/``), and lesson 04's hand edit opens
``workspace/tf/main.tf`` in JupyterLab's editor. That folder is the course home only in a
checkout without ``IAMLAB_HOME``. Elsewhere (``IAMLAB_HOME`` outside the repository, as a
classroom may set it; the installed course, whose home is the course folder itself), this
module makes ``workspace`` lead to the home:

- a symlink ``workspace -> $IAMLAB_HOME`` when the home is another folder;
- a folder ``workspace/`` holding ``tf -> ../tf`` and ``backups -> ../backups`` when the home
  *is* the course folder (a ``workspace -> .`` link would be a loop for every tool that walks it).

``python -m iamlab link-workspace`` does it (``scripts/lab.sh`` and ``scripts/jupyterlab.sh``
run it, so does Binder's ``start``), and so does ``copy-course`` for the copy it makes. Never
``iamlab.start()``: tests and benchmarks start the course with an ``IAMLAB_HOME`` of their own,
and must not rewire the checkout's ``workspace``. A real folder already named ``workspace`` (an
earlier course home) is never moved or deleted: the error says what to do. The link it makes
is marked (``.workspace-link`` beside it), so that a checkout used later without
``IAMLAB_HOME`` gets its own ``workspace/`` back (``paths.course_home``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from . import paths

NAME = "workspace"
PARTS = ("tf", "backups")  # what the links in notebooks and readings reach under workspace/


class WorkspaceLinkError(paths.CourseHomeError):
    """``workspace`` in the course folder is something else the course must not remove."""


@dataclass
class WorkspaceLink:
    folder: Path  # the course folder (holding notebooks/)
    home: Path  # the course home (holding tf/, backups/)
    made: str  # what was done, in a sentence

    def __str__(self) -> str:
        return (f"{self.made}\nIn JupyterLab, {self.folder.name}/{NAME}/tf/ is your working copy "
                f"({paths.working_copy_dir()}).")


def course_folder() -> Path:
    """The folder whose notebooks the learner opens: the checkout, or (installed) the course home
    that ``copy-course`` fills."""
    return paths.PROJECT_DIR if paths.is_checkout() else paths.course_home()


def reaches_home(folder: Path, home: Path) -> bool:
    """Do ``folder/workspace/tf`` and ``folder/workspace/backups`` lead to the home's?"""
    link = folder / NAME
    return all((link / part).resolve() == (home / part).resolve() for part in PARTS) if link.exists() else False


def link(folder: Path | None = None) -> WorkspaceLink:
    """Make ``folder/workspace`` lead to the course home (see the module's docstring)."""
    from .terraform import workspace

    folder = Path(folder or course_folder()).resolve()
    home = paths.course_home()
    workspace.ensure()  # the working copy exists, so the link is not dangling
    paths.backups_dir().mkdir(exist_ok=True)
    target = folder / NAME
    if reaches_home(folder, home):
        return WorkspaceLink(folder, home, f"{target} already leads to your course home {home}.")
    if home == folder:
        return _inner_links(folder, home, target)
    marker = folder / paths.WORKSPACE_LINK_MARKER
    if target.is_symlink():
        target.unlink()  # a link to an earlier home: only the link goes
    elif target.exists():
        if not target.is_dir() or any(target.iterdir()):
            raise WorkspaceLinkError(
                f"{target} is a {'folder holding files' if target.is_dir() else 'file'}, not a link to your course home "
                f"({home}): perhaps an earlier course home. The course does not move it.\nNext step: move it aside "
                f"(`mv {target} {target}.old`), then run `python -m iamlab link-workspace`.")
        target.rmdir()
    target.symlink_to(home, target_is_directory=True)
    marker.write_text(f"{home}\n")  # ours: without IAMLAB_HOME a checkout uses its own workspace/ again (paths)
    return WorkspaceLink(folder, home, f"{target} now links to your course home {home}.")


def _inner_links(folder: Path, home: Path, target: Path) -> WorkspaceLink:
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise WorkspaceLinkError(f"{target} is not a folder the course made.\nNext step: move it aside "
                                 f"(`mv {target} {target}.old`), then run `python -m iamlab link-workspace`.")
    target.mkdir(exist_ok=True)
    for part in PARTS:
        entry = target / part
        if entry.is_symlink():
            entry.unlink()
        elif entry.exists():
            raise WorkspaceLinkError(f"{entry} holds files of its own; the course does not move them.\n"
                                     f"Next step: move it aside (`mv {entry} {entry}.old`), then run "
                                     "`python -m iamlab link-workspace`.")
        entry.symlink_to(Path(os.pardir) / part, target_is_directory=True)
    return WorkspaceLink(folder, home, f"{target}/tf and {target}/backups now link to {home}/tf and {home}/backups.")
