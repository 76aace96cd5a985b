"""Where each lesson starts, and how to get there from anywhere (the fast-forward).

A lesson's starting state is the course's ``tf/`` plus at most two changes the
learner makes along the way: commenting out the managed policy's attachment, and
a custom policy written by the editor. ``goto(lesson)`` brings the working copy
to exactly that (backing up anything it replaces) and applies it. It is
idempotent: when the working copy is already there, it changes no file.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import paths
from ..editor import io as policy_io
from ..editor.model import ALL, REPO_PREFIX, PolicyModel, StatementModel, terraform_block
from ..terraform import edits, policy_file, workspace

MANAGED_ATTACHMENT = "aws_iam_role_policy_attachment.ecr_read_only"
# The custom policy's pull actions. A pull itself is three permission checks (the login,
# BatchGetImage for the manifest, GetDownloadUrlForLayer for each layer); registry clients
# call BatchCheckLayerAvailability when they push, and the lesson's policy keeps it anyway.
PULL = ["ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer"]


def seed_policy() -> PolicyModel:
    """Lesson 03's policy: the four pull actions, on every resource."""
    return PolicyModel(statements=[StatementModel("Allow", ["ecr:GetAuthorizationToken"] + PULL, [ALL])])


def referenced_policy(repository: str = "flask_app") -> PolicyModel:
    """Lesson 04, step 1: the same four actions, now on one repository, named by reference.
    (The login is still in the statement: step 2 shows why that fails.)"""
    return PolicyModel(statements=[
        StatementModel("Allow", ["ecr:GetAuthorizationToken"] + PULL, [f"{REPO_PREFIX}{repository}"])])


def least_privilege_policy(repository: str = "flask_app") -> PolicyModel:
    """Lesson 04's answer: login on "*", pull on one repository."""
    return PolicyModel(statements=[
        StatementModel("Allow", ["ecr:GetAuthorizationToken"], [ALL], "Login"),
        StatementModel("Allow", list(PULL), [f"{REPO_PREFIX}{repository}"], "PullOneRepository"),
    ])


@dataclass(frozen=True)
class Stage:
    managed_attached: bool
    policy: PolicyModel | None
    apply: bool = True


STAGES: dict[str, Stage] = {
    "00": Stage(True, None, apply=False),
    "01": Stage(True, None, apply=False),
    "02": Stage(True, None),
    "03": Stage(True, None),
    "04": Stage(True, seed_policy()),
    "05": Stage(False, least_privilege_policy()),
    "06": Stage(False, least_privilege_policy()),
    "07": Stage(False, least_privilege_policy()),
    "playground": Stage(False, seed_policy()),
}


def expected_files(stage: Stage) -> dict[str, str]:
    """The learner's .tf files as the lesson starts: tf/, with the hand edit made or not."""
    files = {p.name: p.read_text() for p in paths.course_tf_dir().glob("*.tf")}
    if not stage.managed_attached:
        files = {name: edits.commented_out(text, MANAGED_ATTACHMENT) for name, text in files.items()}
    return files


def current_files(directory) -> dict[str, str]:
    return {p.name: p.read_text() for p in directory.glob("*.tf") if not p.name.endswith("_override.tf")}


def arrange(lesson: str, region: str, account: str) -> list[str]:
    """Bring the working copy to the lesson's starting files. Returns what was done."""
    if lesson not in STAGES:
        raise KeyError(f"There is no lesson {lesson!r}; choose one of {', '.join(STAGES)}.")
    stage = STAGES[lesson]
    directory = workspace.ensure()
    done = []
    expected = expected_files(stage)
    if current_files(directory) != expected:
        original = {p.name: p.read_text() for p in paths.course_tf_dir().glob("*.tf")}
        only_the_hand_edit = current_files(directory).keys() == expected.keys() and all(
            edits.commented_out(current_files(directory)[n], MANAGED_ATTACHMENT) == edits.commented_out(original[n], MANAGED_ATTACHMENT)
            for n in expected)
        if not only_the_hand_edit:
            backup = workspace.reset()
            done.append(f"restored the course's tf/ files (yours are kept in {backup})")
        for name, text in expected.items():
            if (directory / name).read_text() != text:
                (directory / name).write_text(text)
                done.append(f"{'commented out' if not stage.managed_attached else 'restored'} {MANAGED_ATTACHMENT} in {name}")
    if stage.policy is None:
        if policy_file.path(directory).exists():
            policy_file.remove(directory)
            done.append(f"removed {policy_file.FILE_NAME}")
    else:
        model = stage.policy
        model.region, model.account = region, account
        if policy_file.read(directory) != policy_file.EDITOR_HEADER + terraform_block(model):
            policy_io.write(directory, model)
            done.append(f"wrote {model.name} into {policy_file.FILE_NAME}")
    return done
