"""The custom policy's file in the learner's working copy: ``custom_policy.tf``.

Both ways of doing the custom-policy exercises end in this one file. A ``%%tf
custom_policy.tf`` cell writes it as the learner typed it; the policy editor writes
it as HCL a learner could have typed (with a header line saying so). So switching
from one way to the other replaces the file, and the configuration never declares
``aws_iam_policy.ecr_custom_read_only`` twice. Whatever a write replaces that the
editor did not write is copied to ``backups/`` first.

Earlier versions of the editor wrote ``iamlab_policy.tf.json``; writing the new file
retires that one (backed up too).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from .. import paths

FILE_NAME = "custom_policy.tf"
LEGACY_FILE_NAME = "iamlab_policy.tf.json"
EDITOR_HEADER = "# Written by iamlab's policy editor. Edit it here (a %%tf cell) or in the editor: both write this file.\n"


def path(directory: Path) -> Path:
    return Path(directory) / FILE_NAME


def written_by_editor(text: str) -> bool:
    return text.startswith(EDITOR_HEADER.split(".")[0])


def write(directory: Path, text: str, *, by_editor: bool = True, keep_old: bool = False) -> tuple[Path, list[Path]]:
    """Write the policy file; returns it and the backups of what it replaced (if not the editor's
    own, or ``keep_old``: a file the learner changed since the editor wrote it)."""
    from .edits import backup

    target = path(directory)
    body = (EDITOR_HEADER + text) if by_editor and not written_by_editor(text) else text
    saved = []
    if target.exists():
        old = target.read_text()
        if old != body and (keep_old or not written_by_editor(old)):
            saved.append(backup(target))
    legacy = Path(directory) / LEGACY_FILE_NAME
    if legacy.exists():
        saved.append(backup(legacy))
        legacy.unlink()
    if not target.exists() or target.read_text() != body:
        target.write_text(body)
    return target, saved


def read(directory: Path) -> str | None:
    try:
        return path(directory).read_text()
    except FileNotFoundError:
        return None


def remove(directory: Path) -> None:
    path(directory).unlink(missing_ok=True)
    (Path(directory) / LEGACY_FILE_NAME).unlink(missing_ok=True)
    forget_editor_state(directory)


LEGACY_STATE_NAME = ".iamlab_policy_editor.json"


def forget_editor_state(directory: Path) -> None:
    """Earlier editors kept what they showed in this file and reopened it, stale, over the
    learner's newer custom_policy.tf. The editor now reads custom_policy.tf every time it
    opens; an old state file is removed wherever it is still found."""
    (Path(directory) / LEGACY_STATE_NAME).unlink(missing_ok=True)


@lru_cache(maxsize=None)
def _course_data_sources(tf_dir: str) -> tuple[tuple[str, str], ...]:
    import hcl2

    directory = Path(tf_dir)
    defaults = {}
    for file in directory.glob("*.tf"):
        for entry in hcl2.loads(file.read_text()).get("variable", []):
            for name, body in entry.items():
                defaults[name.strip('"')] = str(body.get("default", "")).strip('"')
    found = []
    for file in sorted(directory.glob("*.tf")):
        for entry in hcl2.loads(file.read_text()).get("data", []):
            for kind, named in entry.items():
                if kind.strip('"') != "aws_ecr_repository":
                    continue
                for name, body in named.items():
                    value = str(body.get("name", "")).strip('"')
                    variable = re.fullmatch(r"\$\{var\.(\w+)\}", value)
                    repository = defaults.get(variable.group(1), "") if variable else value
                    if repository:
                        found.append((repository, name.strip('"')))
    return tuple(found)


def course_data_sources() -> dict[str, str]:
    """Repositories the course's main.tf already reads: ``{"flask_app": "pull", "reports_app": "other"}``.

    A policy refers to ``data.aws_ecr_repository.pull.arn``: the same data source everywhere
    (the lesson, the references, the editor), never a second one for the same repository."""
    return dict(_course_data_sources(str(paths.course_tf_dir())))


def declared_repositories(texts) -> dict[str, str]:
    """``{"pull": "flask_app"}``: each ``data "aws_ecr_repository"`` label in these ``.tf`` texts and
    the repository it reads (a ``var.`` default followed); texts that do not parse are skipped."""
    import hcl2

    trees = []
    for text in texts:
        try:
            trees.append(hcl2.loads(text if text.endswith("\n") else text + "\n"))
        except Exception:  # noqa: BLE001 - another check reports the syntax error
            continue
    defaults, found = {}, {}
    for tree in trees:
        for entry in tree.get("variable", []):
            for name, body in entry.items():
                defaults[name.strip('"')] = str(body.get("default", "")).strip('"')
    for tree in trees:
        for entry in tree.get("data", []):
            for kind, named in entry.items():
                if kind.strip('"') != "aws_ecr_repository":
                    continue
                for label, body in named.items():
                    value = str(body.get("name", "")).strip('"')
                    variable = re.fullmatch(r"\$\{var\.(\w+)\}", value)
                    found[label.strip('"')] = defaults.get(variable.group(1), "") if variable else value
    return found
