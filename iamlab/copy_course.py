"""Give a learner their own copy of the course from an installed package.

On a hub, the package is installed once for everyone (``pip install .``); each learner
then runs ``python -m iamlab copy-course`` and gets the notebooks, readings and images in
their course home (``~/iamlab-course``), next to their working copy: notebooks they can
edit and save, which link to ``../lessons/`` and ``../images/`` as in the repository.
Files the learner already has are kept, never overwritten."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from . import paths

COPIED_PARTS = ("notebooks", "lessons", "images")


class CopyCourseError(RuntimeError):
    """The course's files are not where the install put them; the message says what to do."""


@dataclass
class CourseCopy:
    target: Path
    copied: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    workspace: str = ""  # how workspace/ leads to the working copy, or why it does not

    def __str__(self) -> str:
        lines = [f"Your copy of the course is in {self.target}:"]
        lines.append(f"  {len(self.copied)} file(s) copied" + (f", {len(self.kept)} of yours kept as they were" if self.kept else ""))
        if self.workspace:
            lines.append(f"  {self.workspace}")
        lines.append(f"Open {self.target / 'notebooks' / '00-start-here.ipynb'} in JupyterLab to begin.")
        return "\n".join(lines)


def copy_course(target: Path | None = None) -> CourseCopy:
    """Copy the notebooks, readings and images into ``target`` (the course home by default)."""
    source = paths.course_files_dir()
    target = Path(target).expanduser() if target else paths.course_home()
    missing = [part for part in COPIED_PARTS if not (source / part).is_dir()]
    if missing:
        raise CopyCourseError(
            f"The installed course has no {', '.join(missing)} in {source}: the package was installed "
            "without its course files.\nNext step: ask whoever installed it to run `pip install .` "
            "from the course's repository (not `pip install -e .`), or clone the repository yourself.")
    result = CourseCopy(target)
    for part in COPIED_PARTS:
        for file in sorted((source / part).rglob("*")):
            if not file.is_file() or ".ipynb_checkpoints" in file.parts:
                continue
            relative = file.relative_to(source)
            destination = target / relative
            if destination.exists():
                result.kept.append(str(relative))
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, destination)
            result.copied.append(str(relative))
    result.workspace = _link_workspace(target)
    return result


def _link_workspace(target: Path) -> str:
    """The notebooks' ``workspace/tf/...`` links reach the working copy from this copy too."""
    from .workspace_link import link

    try:
        return link(target).made
    except paths.CourseHomeError as error:
        return str(error).replace("\n", " ")
