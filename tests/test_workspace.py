"""The learner works on a copy of tf/; a reset restores it and keeps their edits."""

from __future__ import annotations

from iamlab import paths
from iamlab.terraform import override, workspace


def test_working_copy_is_created_from_tf_and_tf_is_untouched(course_home):
    before = {p.name: p.read_text() for p in paths.course_tf_dir().glob("*.tf")}
    copy = workspace.ensure()
    assert copy == course_home.resolve() / "tf"
    assert {p.name for p in copy.glob("*.tf")} == set(before) == {"terraform.tf", "main.tf", "variables.tf", "outputs.tf"}
    override.write(copy, "http://127.0.0.1:1234", "us-east-1", "AKIAIAMLABTESTKEY001", "secret")
    assert {p.name: p.read_text() for p in paths.course_tf_dir().glob("*.tf")} == before


def test_reset_backs_up_edits_and_keeps_state(course_home):
    copy = workspace.ensure()
    (copy / "main.tf").write_text("# my experiment\n")
    (copy / "extra.tf").write_text("# another file\n")
    (copy / "terraform.tfstate").write_text('{"version": 4}')
    backup = workspace.reset()
    assert (backup / "main.tf").read_text() == "# my experiment\n"
    assert (backup / "extra.tf").exists()
    assert (copy / "main.tf").read_text() == (paths.course_tf_dir() / "main.tf").read_text()
    assert not (copy / "extra.tf").exists()
    assert (copy / "terraform.tfstate").read_text() == '{"version": 4}'


def test_two_resets_keep_two_backups(course_home):
    workspace.ensure()
    first, second = workspace.reset(), workspace.reset()
    assert first != second and first.exists() and second.exists()


def test_reset_copies_a_symlink_loop_as_a_link_and_never_follows_it(course_home):
    copy = workspace.ensure()
    (copy / "loop").symlink_to("..")  # points back at the course home
    (copy / "elsewhere").symlink_to(paths.course_tf_dir() / "main.tf")
    backup = workspace.reset()
    assert (backup / "loop").is_symlink() and str((backup / "loop").readlink()) == ".."
    assert (backup / "elsewhere").is_symlink()
    assert sum(1 for _ in backup.rglob("*")) < 20  # the learner's files, not the course home again
    assert not (copy / "loop").exists() and not (copy / "loop").is_symlink()
    assert (paths.course_tf_dir() / "main.tf").exists()  # the link's target was not removed
