"""The instructor sees the class, and learners never see each other's records: each learner's
course writes its check results to a spool only the service's group can read, and the service
attributes each record to the Unix user who wrote it."""

from __future__ import annotations

import grp
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.unix_users import make_learner, need_root, run_python, shared_dir

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[1]
GROUP = "iamlab-t-class"

RECORD = """
import json, sys
from iamlab.classroom import record
from iamlab.course.checks import CheckResult
from iamlab.course.slips import Slip
for name, verdict, *mistakes in json.loads(sys.argv[1]):
    result = CheckResult(name, [(verdict == "pass", "the instance may pull flask_app")],
                         slips=[Slip(m, "...") for m in mistakes])
    print(record.check_result(result))
"""


@pytest.fixture
def classroom():
    need_root()
    if subprocess.run(["getent", "group", GROUP], capture_output=True).returncode:
        subprocess.run(["groupadd", GROUP], check=True)
    gid = grp.getgrnam(GROUP).gr_gid
    ana, ben, instructor = make_learner("iamlab-t-ana"), make_learner("iamlab-t-ben"), make_learner("iamlab-t-inst")
    base = shared_dir("iamlab-class-")
    spool = base / "spool"
    from iamlab.classroom.service import make_spool

    make_spool(spool, GROUP)
    yield ana, ben, instructor, gid, spool
    shutil.rmtree(base, ignore_errors=True)


def as_learner(learner, spool, *checks):
    """``learner``'s course records these check results: (exercise, "pass"/"fail", mistake...)."""
    env = learner.env(PYTHONPATH=str(ROOT), IAMLAB_CLASS_SPOOL=str(spool))
    return run_python(learner, ["-c", RECORD, json.dumps(checks)], env=env)


def test_the_service_sees_each_learner_and_learners_see_nothing(classroom):
    ana, ben, instructor, gid, spool = classroom
    # ben plants a link under ana's file name first: ana's record must neither follow it nor be lost.
    os.symlink(f"/home/{ana.name}/.bashrc", spool / f"{ana.uid}.jsonl")
    done = run_python(ben, ["-c", f"import os; os.symlink('/etc/hostname', '{spool}/{ana.uid}.jsonl')"])
    assert done.returncode != 0  # the name is taken (sticky spool); either way, not ben's to replace
    written = as_learner(ana, spool, ("03-custom-policy", "fail", "login-scoped"),
                         ("04-scope", "fail", "star-on-pull"), ("04-scope", "pass"))
    assert written.stdout.split() == ["True"] * 3, written.stderr
    written = as_learner(ben, spool, ("04-detach", "fail", "login-scoped", "managed-attached"))
    assert written.stdout.split() == ["True"], written.stderr
    # ben writes a file named for ana's uid, with records claiming to be hers.
    forged = json.dumps({"exercise": "07-clean", "passed": True, "lesson": "07", "time": 9e12})
    run_python(ben, ["-c", f"import os; fd = os.open('{spool}/{ana.uid}-forged.jsonl', os.O_CREAT | os.O_WRONLY, 0o644); "
                           f"os.write(fd, {forged!r}.encode() + b'\\n')"])

    ana_files = [p for p in spool.iterdir() if not p.is_symlink() and p.stat().st_uid == ana.uid]
    assert ana_files and all(p.stat().st_mode & 0o777 == 0o640 and p.stat().st_gid == gid for p in ana_files)
    # Learners can neither list the spool nor read each other's records.
    peek = run_python(ben, ["-c", f"import os; print(os.listdir('{spool}'))"])
    assert peek.returncode != 0 and "PermissionError" in peek.stderr
    read = run_python(ben, ["-c", f"print(open('{ana_files[0]}').read())"])
    assert read.returncode != 0 and "PermissionError" in read.stderr
    refused = run_python(ana, ["-m", "iamlab.classroom.service", "show", "--spool", str(spool)],
                         env=ana.env(PYTHONPATH=str(ROOT)))
    assert '"learners": []' in refused.stdout or refused.returncode != 0

    # The instructor's service, in the spool's group, sees the class, by file owner.
    shown = run_python(instructor, ["-m", "iamlab.classroom.service", "show", "--spool", str(spool)],
                       env=instructor.env(PYTHONPATH=str(ROOT)), extra_groups=(gid,))
    assert shown.returncode == 0, shown.stderr
    view = json.loads(shown.stdout)
    learners = {item["user"]: item for item in view["learners"]}
    assert learners[ana.name]["passed"] == ["04-scope"] and learners[ana.name]["failed"] == ["03-custom-policy"]
    assert learners[ana.name]["exercise"] == "04-scope" and learners[ana.name]["lesson"] == "04"
    assert "07-clean" not in learners[ana.name]["passed"] and "07-clean" in learners[ben.name]["passed"]
    assert view["frequent_mistakes"][0] == {"mistake": "login-scoped", "learners": 2}
    assert "answer" not in shown.stdout  # what is recorded: verdicts and mistake names, never answers
