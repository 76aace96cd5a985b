"""Where each lesson starts, and how to get there without losing the learner's work.

A lesson's start is the course's ``tf/`` plus what the earlier lessons' exercises
wrote: the managed policy's attachment commented out by hand (from 04 on) and the
learner's ``custom_policy.tf`` (written in 03, scoped in 04). ``goto(lesson)``:

1. judges the working copy by structure and effect, not bytes: the course files
   parse to the same blocks (comments and layout are the learner's business), the
   custom policy allows what the lesson assumes (any way of writing it will do),
   and the lesson's own exercise files are the learner's to keep;
2. if it already reaches the start, changes no file; otherwise makes a plan that
   says what will change and where each replaced file goes (``backups/``),
   *before* changing anything;
3. carries the plan out, then applies (with the apply's own progress line).

The stages that need a custom policy start from the references' learner files
(``references``), the same files ``solution(name, apply=True)`` writes.
"""

from __future__ import annotations

import html
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import paths
from ..sandbox import settings
from ..editor.model import ALL, REPO_PREFIX, PolicyModel, StatementModel
from ..terraform import edits, policy_file, workspace

MANAGED_ATTACHMENT = "aws_iam_role_policy_attachment.ecr_read_only"
CUSTOM_POLICY = "aws_iam_policy.ecr_custom_read_only"
CUSTOM_ATTACHMENT = "aws_iam_role_policy_attachment.ecr_custom_read_only"
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
    policy: str | None  # the reference whose custom_policy.tf the lesson starts from (None: no custom policy yet)
    apply: bool = True
    own_files: tuple[str, ...] = ()  # the lesson's exercise files: the learner's, kept whatever they hold
    policy_is_exercise: bool = False  # the lesson itself edits custom_policy.tf: any content is kept
    keep_extra: bool = False  # keep every other file of the learner's (07 destroys whatever there is)
    hand_edit_is_exercise: bool = False  # the lesson asks for the hand edit: main.tf with or without it is kept


STAGES: dict[str, Stage] = {
    "00": Stage(True, None, apply=False),
    "01": Stage(True, None, apply=False),
    "02": Stage(True, None),
    "03": Stage(True, None, own_files=(policy_file.FILE_NAME,)),
    "04": Stage(True, "03-custom-policy", policy_is_exercise=True, hand_edit_is_exercise=True),
    "05": Stage(False, "04-scope"),
    "06": Stage(False, "04-scope", own_files=("deny_push.tf", "repository_policy.tf")),
    "07": Stage(False, "04-scope", keep_extra=True),
    "playground": Stage(False, "03-custom-policy"),  # starts from the seed policy, as its notebook says (yours is backed up)
}
STAGE_POLICIES = {"03-custom-policy": seed_policy, "04-reference": referenced_policy, "04-scope": least_privilege_policy}


# -- the plan ------------------------------------------------------------------------
@dataclass
class Change:
    file: str
    why: str
    new_text: str | None  # None: the file moves to backups/ and is not replaced
    backup: bool = True  # the current file exists and is copied to the backup folder first

    def sentence(self, backup_dir: Path) -> str:
        where = f" (yours goes to {backup_dir / self.file})" if self.backup else ""
        action = "moved aside" if self.new_text is None else "written"
        return f"{self.file}: {action}: {self.why}{where}"


@dataclass
class GotoPlan:
    """What ``goto`` will do (shown first), then what it did. Renders itself."""

    lesson: str
    changes: list[Change]
    backup_dir: Path
    apply: bool
    kept: list[str] = field(default_factory=list)  # why the learner's work was kept as it is
    done: list[str] = field(default_factory=list)
    applied: str = ""  # the apply's summary, once it ran
    carried_out: bool = False

    @property
    def keeps_everything(self) -> bool:
        return not self.changes

    def announcement(self) -> str:
        """Said before anything changes."""
        if self.keeps_everything:
            head = f"Your working copy already reaches lesson {self.lesson}'s start: no file changes."
        else:
            head = (f"To start lesson {self.lesson}, these files of your working copy change "
                    f"(a copy of each goes to {self.backup_dir} first):")
        lines = [head, *(f"- {c.sentence(self.backup_dir)}" for c in self.changes), *(f"- kept: {k}" for k in self.kept)]
        if self.apply:
            lines.append("Then Terraform applies it (seconds; about half a minute when it makes the instance); "
                         "its progress follows.")
        return "\n".join(lines)

    def __str__(self) -> str:
        if not self.carried_out:
            return self.announcement()
        lines = [f"Ready for lesson {self.lesson}."]
        lines += [f"- {d}" for d in self.done] or ["- no file changed"]
        lines += [f"- kept: {k}" for k in self.kept]
        if self.applied:
            lines.append(f"- {self.applied}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head, *items = str(self).splitlines()
        lis = "".join(f"<li>{html.escape(i.removeprefix('- '))}</li>" for i in items if i.startswith("- "))
        rest = "".join(f"<p>{html.escape(i)}</p>" for i in items if not i.startswith("- "))
        return f'<div class="iamlab-goto"><b>{html.escape(head)}</b><ul>{lis}</ul>{rest}</div>'


def _structure(value):
    """python-hcl2's parse without comments (``__comments__``): the blocks and their arguments."""
    if isinstance(value, dict):
        return {k: _structure(v) for k, v in value.items() if not k.startswith("__comment")}
    if isinstance(value, list):
        return [_structure(v) for v in value]
    return value


def _parsed(text: str):
    import hcl2

    try:
        return _structure(hcl2.loads(text if text.endswith("\n") else text + "\n"))
    except Exception:  # noqa: BLE001 - a file that does not parse is not the start
        return None


def _course_file_change(name: str, current: str | None, stage: Stage) -> Change | None:
    """None when the learner's course file has the start's structure (layout and comments are theirs)."""
    original = (paths.course_tf_dir() / name).read_text()
    expected = original if stage.managed_attached else edits.commented_out(original, MANAGED_ATTACHMENT)
    if current is None:
        return Change(name, "restored from the course's tf/", expected, backup=False)
    shape = _parsed(expected)
    if _parsed(current) == shape:
        return None
    if stage.hand_edit_is_exercise and _parsed(current) == _parsed(edits.commented_out(original, MANAGED_ATTACHMENT)):
        return None
    # the smallest edit first: the lesson's hand edit, made or undone
    for candidate, why in ((edits.commented_out(current, MANAGED_ATTACHMENT), f"{MANAGED_ATTACHMENT} commented out"),
                           (_uncommented(current), f"{MANAGED_ATTACHMENT} active again")):
        if _parsed(candidate) == shape:
            return Change(name, why, candidate)
    return Change(name, "replaced by the course's version: yours differs in more than the lesson's hand edit", expected)


def _uncommented(text: str) -> str:
    pattern = edits._commented_pattern(MANAGED_ATTACHMENT)
    return pattern.sub(lambda m: "".join(re.sub(r"^# ?", "", line) + "\n" for line in m.group(0).rstrip("\n").splitlines()),
                       text, count=1)


def _policy_effect_matches(text: str, reference: str) -> bool | None:
    """Does custom_policy.tf allow what the reference allows (offline)? None: cannot tell."""
    from ..editor.io import from_hcl
    from . import grading

    model = from_hcl(text, PolicyModel())
    if model is None:
        return None
    sources = policy_file.course_data_sources()
    # Offline, a nominal account: the sandbox's. Both policies are rendered in it alike.
    world = grading.World(settings.ACCOUNT_ID, settings.region(), tuple(sorted(sources)))
    model.region, model.account = world.region, world.account
    wanted = STAGE_POLICIES[reference]()
    wanted.region, wanted.account = world.region, world.account
    mine = grading.effect(world, grading.policies([("yours", model.document())]))
    theirs = grading.effect(world, grading.policies([("reference", wanted.document())]))
    return not grading.differences(mine, theirs)


def _declares(text: str, address: str) -> bool:
    parsed = _parsed(text) or {}
    kind, name = address.split(".")
    return any(kind == t.strip('"') and name in {n.strip('"') for n in named}
               for entry in parsed.get("resource", []) for t, named in entry.items())


def _policy_change(current: str | None, stage: Stage) -> tuple[Change | None, str]:
    from . import references

    name = policy_file.FILE_NAME
    if stage.policy is None:
        if current is None or name in stage.own_files:
            return None, (f"your {name} (lesson 03's exercise)" if current is not None else "")
        return Change(name, "the lesson starts before any custom policy", None), ""
    reference = references.REFERENCES[stage.policy].files[name]
    if current is None:
        return Change(name, f"the lesson starts from {stage.policy}'s custom policy", reference, backup=False), ""
    if not (_declares(current, CUSTOM_POLICY) and _declares(current, CUSTOM_ATTACHMENT)):
        return Change(name, f"it does not declare both {CUSTOM_POLICY} and {CUSTOM_ATTACHMENT}; the lesson starts "
                            f"from {stage.policy}'s", reference), ""
    if stage.policy_is_exercise:
        return None, f"your {name} (this lesson's exercise edits it)"
    same = _policy_effect_matches(current, stage.policy)
    if same is False:
        return Change(name, f"it allows something other than {stage.policy}'s policy, which this lesson assumes", reference), ""
    if same is None:
        return None, f"your {name} (written in a way the course cannot judge offline; it is yours to keep)"
    return None, f"your {name} (it has the effect the lesson assumes)"


def plan(lesson: str, directory: Path | None = None) -> GotoPlan:
    """What it takes for the working copy to reach ``lesson``'s start. Changes nothing."""
    if lesson not in STAGES:
        raise KeyError(f"There is no lesson {lesson!r}; choose one of {', '.join(STAGES)}.")
    stage = STAGES[lesson]
    directory = Path(directory) if directory else workspace.ensure()
    changes, kept = [], []
    course_names = sorted(p.name for p in paths.course_tf_dir().glob("*.tf"))
    for name in course_names:
        current = (directory / name).read_text() if (directory / name).exists() else None
        change = _course_file_change(name, current, stage)
        if change:
            changes.append(change)
    current_policy = policy_file.read(directory)
    change, note = _policy_change(current_policy, stage)
    changes += [change] if change else []
    kept += [note] if note else []
    legacy = directory / policy_file.LEGACY_FILE_NAME
    if legacy.exists():
        changes.append(Change(legacy.name, "the policy editor's old file, now custom_policy.tf", None))
    for path in sorted(directory.glob("*.tf")):
        if path.name in course_names or path.name == policy_file.FILE_NAME or path.name.endswith("_override.tf"):
            continue
        if stage.keep_extra or path.name in stage.own_files:
            kept.append(f"your {path.name}")
        else:
            changes.append(Change(path.name, f"lesson {lesson} starts without it", None))
    backup_dir = paths.backups_dir() / time.strftime(f"goto-{lesson}-%Y%m%d-%H%M%S")
    return GotoPlan(lesson, changes, backup_dir, stage.apply, kept)


def carry_out(goto_plan: GotoPlan, directory: Path | None = None) -> GotoPlan:
    """Make the plan's file changes (each replaced file copied to the backup folder first)."""
    directory = Path(directory) if directory else workspace.ensure()
    for change in goto_plan.changes:
        target = directory / change.file
        if change.backup and target.exists():
            goto_plan.backup_dir.mkdir(parents=True, exist_ok=True)
            shutil.copy2(target, goto_plan.backup_dir / change.file)
        if change.new_text is None:
            target.unlink(missing_ok=True)
        else:
            target.write_text(change.new_text)
        goto_plan.done.append(change.sentence(goto_plan.backup_dir))
    goto_plan.carried_out = True
    return goto_plan


SETTLED = ("no apply needed: your files, your state and the account are as your last apply left them, "
           "so Terraform would find nothing to change")


def goto(lab, lesson: str, apply: bool | None = None, announce: Callable[[GotoPlan], None] | None = None) -> GotoPlan:
    """Plan, announce the plan (before any change), carry it out, then apply (``lab.apply`` shows its own
    progress line, and Terraform's output stays with that call). Returns the plan, done."""
    goto_plan = plan(lesson, lab.directory)
    if apply is not None:
        goto_plan.apply = apply
    if apply is None and goto_plan.apply and goto_plan.keeps_everything and lab.settled():
        goto_plan.apply = False
        goto_plan.applied = SETTLED
    if announce is not None:
        announce(goto_plan)
    carry_out(goto_plan, lab.directory)
    if goto_plan.apply:
        result = lab.apply()
        counts = ", ".join(f"{n} {k}" for k, n in result.summary.items() if n)
        goto_plan.applied = f"applied: {counts}" if counts else "applied: the account already matched"
    return goto_plan
