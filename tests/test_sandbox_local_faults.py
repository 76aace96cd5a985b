"""Local faults end in a message that says what happened and what to do (issue 17)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from iamlab import sandbox
from iamlab.sandbox import SandboxError

from .conftest import ROOT, run_cli


def test_a_state_file_that_is_a_directory_gives_a_message_not_a_traceback(course_home):
    from iamlab import paths

    folder = paths.sandbox_dir() / "state.json"
    folder.mkdir(parents=True)
    (folder / "keep.txt").write_text("mine")
    env = {"IAMLAB_HOME": str(course_home)}
    for command in ("start", "status", "stop"):
        result = run_cli("sandbox", command, env=env)
        said = result.stdout + result.stderr
        assert "Traceback" not in said, (command, said)
        assert "state.json is a directory" in said and "Next step: move it out of the way" in said, (command, said)
        assert result.returncode != 0
    assert (folder / "keep.txt").read_text() == "mine"  # nothing lost
    with pytest.raises(SandboxError, match="is a directory"):
        sandbox.status()
    folder.rename(folder.with_name("state.json.saved"))  # the step the message names
    assert sandbox.status() is None and sandbox.start().port


def test_two_starts_at_once_share_one_sandbox(course_home):
    env = dict(os.environ, IAMLAB_HOME=str(course_home))
    env.pop("IAMLAB_SANDBOX_PORT", None)
    runs = [subprocess.Popen([sys.executable, "-m", "iamlab", "sandbox", "start"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT) for _ in range(2)]
    outputs = [run.communicate(timeout=180)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert not any("exited while starting" in out for out in outputs)
    pids = {line.split("pid ")[1].split(",")[0] for out in outputs for line in out.splitlines() if "(pid " in line}
    assert len(pids) == 1, outputs
    assert sandbox.status() is not None
