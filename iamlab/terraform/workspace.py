"""The learner's working copy of the course Terraform.

The learner never edits ``tf/`` itself: the first command copies it into the course
home (``workspace/tf`` by default), and all editing and applying happens there. A
reset puts a fresh copy back and keeps the old one in ``backups/``, so no edit is
ever lost. Symbolic links are copied and removed as links, never followed: a link
pointing back up (``tf/loop -> ..``) must not copy the course home into itself.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from .. import paths

# Files that are the course's, not the learner's: not copied from tf/, not backed up.
GENERATED = (".terraform", ".terraform.lock.hcl", "iamlab_sandbox_override.tf", "iamlab.tfplan")


def ensure() -> Path:
    """The working copy, created from ``tf/`` on first use."""
    target = paths.working_copy_dir()
    if not target.exists():
        shutil.copytree(paths.course_tf_dir(), target, symlinks=True, ignore=shutil.ignore_patterns(*GENERATED, "*.tfstate*"))
    return target


def back_up(prefix: str, ignore: tuple[str, ...]) -> Path | None:
    """Copy the working copy (links as links, ``ignore`` left out) to a new
    ``backups/<prefix>-<time>/``, never over an earlier one. None: there is no working copy."""
    source = paths.working_copy_dir()
    if not source.is_dir():
        return None
    target = paths.backups_dir() / time.strftime(f"{prefix}-%Y%m%d-%H%M%S")
    n = 1
    while target.exists():
        target = target.with_name(f"{target.name.split('.')[0]}.{n}")
        n += 1
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns(*ignore))
    return target


def reset(keep_state: bool = True) -> Path | None:
    """Restore the course's ``tf/`` and return where the learner's edits were saved.

    The Terraform state stays (``keep_state``) so Terraform still knows what it
    created in the account; the next apply brings the account back in line.
    """
    target = paths.working_copy_dir()
    backup = None
    if target.exists():
        backup = back_up("tf", GENERATED)
        keep = [p for p in target.iterdir() if keep_state and (p.name.startswith("terraform.tfstate") or p.name in GENERATED)]
        for path in target.iterdir():
            if path in keep:
                continue
            _remove(path)
    target.mkdir(parents=True, exist_ok=True)
    for source in paths.course_tf_dir().iterdir():
        if source.name in GENERATED or source.name.startswith("terraform.tfstate"):
            continue
        if source.is_dir() and not source.is_symlink():
            shutil.copytree(source, target / source.name, symlinks=True)
        else:
            shutil.copy2(source, target / source.name, follow_symlinks=False)
    return backup


def _remove(path: Path) -> None:
    """Remove a file, a link (not what it points to) or a folder."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
