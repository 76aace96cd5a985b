"""run-all uses the learner's own sandbox and working copy: it says so, backs the working copy up,
asks, refuses without a terminal unless --yes, and runs 90 too. (The notebooks themselves are
replaced by a recorder here: running them is nbval's and the benchmarks' job.)"""

from __future__ import annotations

import io

import pytest

from iamlab import paths, runall, sandbox
from iamlab.terraform import workspace

from .conftest import run_cli


@pytest.fixture
def recorded(course_home, monkeypatch):
    """A learner's working copy with their own file and state; resets and notebook runs recorded."""
    directory = workspace.ensure()
    (directory / "mine.tf").write_text("# my own work\n")
    (directory / "terraform.tfstate").write_text('{"version": 4}\n')
    calls = []
    monkeypatch.setattr(sandbox, "reset", lambda: calls.append("reset"))
    monkeypatch.setattr(runall, "run_notebook", lambda path: calls.append(path.stem) or runall.NotebookRun(path.stem, True, 0.0))
    return directory, calls


def backups():
    return sorted(p.name for p in paths.backups_dir().glob("run-all-*")) if paths.backups_dir().exists() else []


def test_without_a_terminal_and_without_yes_it_refuses_and_changes_nothing(recorded, capsys):
    directory, calls = recorded
    assert runall.main(interactive=False) == runall.REFUSED == 2
    out, err = capsys.readouterr()
    assert "resets your sandbox account" in out and "--yes" in err and "Nothing was changed" in err
    assert calls == [] and backups() == [] and (directory / "mine.tf").exists()


def test_an_answer_other_than_yes_changes_nothing(recorded, capsys):
    directory, calls = recorded
    assert runall.main(ask=lambda prompt: "no", interactive=True) == 1
    assert calls == [] and backups() == []


def test_yes_backs_up_the_working_copy_first_then_resets_and_runs_every_notebook_with_90(recorded, capsys, monkeypatch):
    directory, calls = recorded
    original = runall.backup_working_copy
    monkeypatch.setattr(runall, "backup_working_copy", lambda: calls.append("backup") or original())
    assert runall.main(ask=lambda prompt: "yes", interactive=True) == 0
    [backup] = backups()
    saved = paths.backups_dir() / backup
    assert (saved / "mine.tf").read_text() == "# my own work\n" and (saved / "terraform.tfstate").exists()
    assert calls[:2] == ["backup", "reset"]  # saved before anything is reset
    assert calls[2:] == runall.COURSE and "90-policy-playground" in calls
    assert str(saved) in capsys.readouterr().out


def test_the_cli_refuses_unattended_with_exit_2(course_home):
    directory = workspace.ensure()
    (directory / "mine.tf").write_text("# my own work\n")
    refused = run_cli("run-all", env={"IAMLAB_HOME": str(course_home)})
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "resets your sandbox account" in refused.stdout and "python -m iamlab run-all --yes" in refused.stderr
    assert backups() == [] and not sandbox.status()  # no sandbox was even started


def test_the_consent_reads_a_closed_stdin_as_no():
    def closed(prompt):
        raise EOFError

    assert runall.consent(False, closed, interactive=True, err=io.StringIO()) == 1
    assert runall.consent(True, closed, interactive=False) is None
