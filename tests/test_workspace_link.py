"""The working copy is inside JupyterLab's root whatever IAMLAB_HOME is: every ``workspace/`` link of
the notebooks and readings reaches it, and lesson 04's hand edit can be saved through JupyterLab's
own contents manager (the server the course runs)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from iamlab import paths, workspace_link
from iamlab.terraform import edits

from .conftest import ROOT, run_cli

LINK = re.compile(r"\]\(((?:\.\./)?workspace/[^)\s#]*)")


def course_links() -> list[tuple[str, str]]:
    """(where, link) for every Markdown link into workspace/ in the notebooks and readings."""
    found = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                found += [(f"notebooks/{path.name}", link) for link in LINK.findall("".join(cell["source"]))]
    for path in sorted((ROOT / "lessons").glob("*.md")):
        found += [(f"lessons/{path.name}", link) for link in LINK.findall(path.read_text())]
    return found


@pytest.fixture
def course_folder(tmp_path):
    """A course folder laid out as the checkout (notebooks/, lessons/ beside workspace/)."""
    folder = tmp_path / "course"
    for part in ("notebooks", "lessons"):
        shutil.copytree(ROOT / part, folder / part)
    return folder


@pytest.fixture
def home_elsewhere(tmp_path, monkeypatch):
    home = tmp_path / "elsewhere" / "iamlab-home"
    monkeypatch.setenv("IAMLAB_HOME", str(home))
    return home


def reached(folder: Path, where: str, link: str) -> Path:
    return (folder / Path(where).parent / link).resolve()


def test_the_course_has_workspace_links_to_check():
    assert any(link.endswith("main.tf") for _, link in course_links())


def test_with_iamlab_home_elsewhere_every_workspace_link_reaches_the_working_copy(course_folder, home_elsewhere):
    assert not (course_folder / "workspace").exists()
    made = workspace_link.link(course_folder)
    assert (course_folder / "workspace").is_symlink() and "now links" in str(made)
    working_copy, backups = paths.working_copy_dir(), paths.backups_dir()
    for where, link in course_links():
        target = reached(course_folder, where, link)
        inside = target == home_elsewhere.resolve() or any(target == p or p in target.parents for p in (working_copy, backups))
        assert inside, f"{where}: {link} leads to {target}"
        if link.endswith(".tf") and Path(link).name in {p.name for p in paths.course_tf_dir().glob("*.tf")}:
            assert target.is_file(), f"{where}: {link} is dead"
    assert "already leads" in str(workspace_link.link(course_folder))  # idempotent


def test_the_hand_edit_of_04_is_saved_through_jupyterlab_into_the_working_copy(course_folder, home_elsewhere):
    from jupyter_server.services.contents.filemanager import FileContentsManager

    workspace_link.link(course_folder)
    contents = FileContentsManager(root_dir=str(course_folder))
    model = contents.get("workspace/tf/main.tf")
    edited = edits.commented_out(model["content"], "aws_iam_role_policy_attachment.ecr_read_only")
    contents.save({"type": "file", "format": "text", "content": edited}, "workspace/tf/main.tf")
    assert not edits.is_active(paths.working_copy_dir(), "aws_iam_role_policy_attachment.ecr_read_only")
    listed = {entry["name"] for entry in contents.get("workspace")["content"]}
    assert {"tf", "backups"} <= listed


def test_a_link_to_an_earlier_home_is_moved_to_the_current_one(course_folder, home_elsewhere, tmp_path):
    earlier = tmp_path / "earlier-home"
    earlier.mkdir()
    (course_folder / "workspace").symlink_to(earlier)
    workspace_link.link(course_folder)
    assert (course_folder / "workspace").resolve() == home_elsewhere.resolve() and earlier.is_dir()


def test_a_real_workspace_folder_is_never_moved(course_folder, home_elsewhere):
    earlier = course_folder / "workspace"
    (earlier / "tf").mkdir(parents=True)
    (earlier / "tf" / "main.tf").write_text("# an earlier home's\n")
    with pytest.raises(workspace_link.WorkspaceLinkError, match="mv .*workspace.old"):
        workspace_link.link(course_folder)
    assert (earlier / "tf" / "main.tf").read_text() == "# an earlier home's\n" and not earlier.is_symlink()


def test_when_the_home_is_the_course_folder_the_links_make_no_loop(course_folder, monkeypatch):
    """The installed course: copy-course fills the home, so workspace/ holds tf and backups links."""
    monkeypatch.setenv("IAMLAB_HOME", str(course_folder))
    workspace_link.link(course_folder)
    inner = course_folder / "workspace"
    assert inner.is_dir() and not inner.is_symlink()
    assert (inner / "tf").resolve() == paths.working_copy_dir() and (inner / "backups").resolve() == paths.backups_dir()
    walked = sum(len(files) for _, _, files in os.walk(course_folder, followlinks=True))  # ends: no loop
    assert walked < 10_000
    for where, link in course_links():
        assert reached(course_folder, where, link).is_relative_to(course_folder.resolve())
    assert "already leads" in str(workspace_link.link(course_folder))


def test_the_cli_links_a_folder(course_folder, home_elsewhere):
    done = run_cli("link-workspace", "--folder", str(course_folder), env={"IAMLAB_HOME": str(home_elsewhere)})
    assert done.returncode == 0, done.stderr
    assert (course_folder / "workspace" / "tf" / "main.tf").is_file()
    taken = course_folder / "other"
    (taken / "workspace").mkdir(parents=True)
    (taken / "workspace" / "x").write_text("x")
    refused = run_cli("link-workspace", "--folder", str(taken), env={"IAMLAB_HOME": str(home_elsewhere)})
    assert refused.returncode == 1 and "Next step" in refused.stderr


def test_without_iamlab_home_later_a_checkout_gets_its_own_workspace_back(course_folder, home_elsewhere, monkeypatch):
    """The link made for one IAMLAB_HOME must not make a later session's default home someone else's."""
    workspace_link.link(course_folder)
    (home_elsewhere / "tf" / "mine.tf").write_text("# kept\n")
    monkeypatch.setattr(paths, "PROJECT_DIR", course_folder)
    monkeypatch.setattr(paths, "is_checkout", lambda: True)
    monkeypatch.delenv("IAMLAB_HOME")
    home = paths.course_home()
    assert home == (course_folder / "workspace").resolve() and not (course_folder / "workspace").is_symlink()
    assert (home_elsewhere / "tf" / "mine.tf").read_text() == "# kept\n"  # the other home keeps its files


def test_a_workspace_link_of_the_learner_s_own_is_followed(course_folder, tmp_path, monkeypatch):
    bigger_disk = tmp_path / "bigger-disk"
    bigger_disk.mkdir()
    (course_folder / "workspace").symlink_to(bigger_disk)
    monkeypatch.setattr(paths, "PROJECT_DIR", course_folder)
    monkeypatch.setattr(paths, "is_checkout", lambda: True)
    monkeypatch.delenv("IAMLAB_HOME", raising=False)
    assert paths.course_home() == bigger_disk.resolve() and (course_folder / "workspace").is_symlink()


def test_copy_course_links_its_copy_to_the_working_copy(tmp_path, monkeypatch):
    """The installed course's step: copy-course's notebooks reach workspace/tf from their own folder."""
    from iamlab.copy_course import copy_course

    target = tmp_path / "iamlab-course"
    monkeypatch.setenv("IAMLAB_HOME", str(target))
    done = copy_course(target)
    assert "workspace" in str(done)
    for where, link in course_links():
        if link.endswith("main.tf"):
            assert reached(target, where, link) == paths.working_copy_dir() / "main.tf"
