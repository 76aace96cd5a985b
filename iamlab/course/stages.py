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
3. carries the plan out, then applies (with the apply's own progress line);
4. judges the account by effect against what the lesson assumes (``Stage.premise``, the
   course's own grader: before 05 the instance must not be able to pull reports_app).
   Only then does it say "Ready". Where the learner's kept files contradict the premise it
   says so, keeps them, and offers the reference: ``goto(lesson, reference=True)`` puts the
   start's reference files in place (the learner's go to ``backups/`` first).

Each lesson's start is declared in its record (``lessons/lNN_*.py``, a ``Stage``). The
stages that need a custom policy start from an exercise's reference files, the same
files ``solution(name, apply=True)`` writes.
"""

from __future__ import annotations

import html
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import paths
from ..editor.model import PolicyModel
from ..facts import CUSTOM_ATTACHMENT, CUSTOM_POLICY, MANAGED_ATTACHMENT
from ..sandbox import settings
from ..terraform import edits, policy_file, workspace
from .lessons import STAGES
from .record import Stage

__all__ = ["STAGES", "MANAGED_ATTACHMENT", "GotoPlan", "plan", "carry_out", "judge", "goto"]


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
    reference: bool = False  # asked for the start's reference files, whatever the learner's hold
    premise: list[tuple[bool, str]] = field(default_factory=list)  # the account judged against the lesson's start
    judged: bool = False  # the premise was checked (False: the lesson has none, or the check could not run)
    not_judged: str = ""  # why the account could not be checked

    @property
    def ready(self) -> bool:
        """True only when the account was judged (or the lesson assumes nothing of it) and holds the premise."""
        assumes = STAGES[self.lesson].premise is not None
        return self.carried_out and (self.judged or not assumes) and all(ok for ok, _ in self.premise)

    def _not_ready(self) -> list[str]:
        failed = [sentence for ok, sentence in self.premise if not ok]
        if self.not_judged:
            return [f"Your files are at lesson {self.lesson}'s start, but the account could not be checked: {self.not_judged}",
                    f"- Next step: make sure the sandbox runs (python -m iamlab sandbox start), then lab.goto({self.lesson!r}) again."]
        lines = [f"Not ready for lesson {self.lesson}: {failed[0]}.", *(f"- also: {s}" for s in failed[1:])]
        if not self.apply and self.changes:
            lines.append("- Nothing was applied (apply=False): run lab.apply(), then judge again with "
                         f"lab.goto({self.lesson!r}).")
        elif self.reference:
            lines.append("- The lesson's reference files are in place, so something outside them holds this (a change made "
                         "by hand in the account, or a file of yours the lesson keeps). Next step: "
                         "`python -m iamlab sandbox reset`, then lab.goto(" f"{self.lesson!r}, reference=True).")
        else:
            lines.append(f"- The lesson assumes otherwise, and your files were kept as they are. Next step: fix them and "
                         f"lab.apply(), or start from the lesson's reference with lab.goto({self.lesson!r}, reference=True) "
                         "(your files go to backups/ first).")
        return lines

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
        if self.ready:
            lines = [f"Ready for lesson {self.lesson}."]
        elif not self.judged and not self.not_judged:
            lines = [f"Your files are at lesson {self.lesson}'s start (the account was not checked)."]
        else:
            lines = self._not_ready()
        lines += [f"- {d}" for d in self.done] or ["- no file changed"]
        lines += [f"- kept: {k}" for k in self.kept]
        if self.applied:
            lines.append(f"- {self.applied}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head, *items = str(self).splitlines()
        lis = "".join(f"<li>{html.escape(i.removeprefix('- '))}</li>" for i in items if i.startswith("- "))
        rest = "".join(f"<p>{html.escape(i)}</p>" for i in items if not i.startswith("- "))
        warn = self.carried_out and not self.ready
        style = ' style="background:#fff4d6;padding:6px 10px;border-radius:4px"' if warn else ""
        return (f'<div class="iamlab-goto" data-ready="{str(self.ready).lower()}"{style}><b>{"⚠️ " if warn else ""}'
                f"{html.escape(head)}</b><ul>{lis}</ul>{rest}</div>")


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


def _course_file_change(name: str, current: str | None, stage: Stage, reference: bool = False) -> Change | None:
    """None when the learner's course file has the start's structure (layout and comments are theirs)."""
    original = (paths.course_tf_dir() / name).read_text()
    expected = original if stage.managed_attached else edits.commented_out(original, MANAGED_ATTACHMENT)
    if current is None:
        return Change(name, "restored from the course's tf/", expected, backup=False)
    shape = _parsed(expected)
    if _parsed(current) == shape:
        return None
    if stage.hand_edit_is_exercise and not reference and \
            _parsed(current) == _parsed(edits.commented_out(original, MANAGED_ATTACHMENT)):
        return None
    # the smallest edit first: the lesson's hand edit, made or undone
    for candidate, why in ((edits.commented_out(current, MANAGED_ATTACHMENT), f"{MANAGED_ATTACHMENT} commented out"),
                           (edits.uncommented(current, MANAGED_ATTACHMENT), f"{MANAGED_ATTACHMENT} active again")):
        if _parsed(candidate) == shape:
            return Change(name, why, candidate)
    return Change(name, "replaced by the course's version: yours differs in more than the lesson's hand edit", expected)


def _policy_effect_matches(text: str, stage: Stage) -> bool | None:
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
    wanted = stage.policy.reference.policy()
    wanted.region, wanted.account = world.region, world.account
    mine = grading.effect(world, grading.policies([("yours", model.document())]))
    theirs = grading.effect(world, grading.policies([("reference", wanted.document())]))
    return not grading.differences(mine, theirs)


def _declares(text: str, address: str) -> bool:
    parsed = _parsed(text) or {}
    kind, name = address.split(".")
    return any(kind == t.strip('"') and name in {n.strip('"') for n in named}
               for entry in parsed.get("resource", []) for t, named in entry.items())


def _policy_change(current: str | None, stage: Stage, reference: bool = False) -> tuple[Change | None, str]:
    name = policy_file.FILE_NAME
    if reference and current is not None:
        wanted = stage.policy.reference.files[name] if stage.policy else None
        if current == wanted:
            return None, ""
        if wanted is None:
            return Change(name, "the lesson's start has no custom policy (reference=True)", None), ""
        return Change(name, f"replaced by {stage.policy.name}'s reference, as asked (reference=True)", wanted), ""
    if stage.policy is None:
        if current is None or name in stage.own_files:
            return None, (f"your {name} (lesson 03's exercise)" if current is not None else "")
        return Change(name, "the lesson starts before any custom policy", None), ""
    start = stage.policy.name
    reference = stage.policy.reference.files[name]
    if current is None:
        return Change(name, f"the lesson starts from {start}'s custom policy", reference, backup=False), ""
    if not (_declares(current, CUSTOM_POLICY) and _declares(current, CUSTOM_ATTACHMENT)):
        return Change(name, f"it does not declare both {CUSTOM_POLICY} and {CUSTOM_ATTACHMENT}; the lesson starts "
                            f"from {start}'s", reference), ""
    if stage.policy_is_exercise:
        return None, f"your {name} (this lesson's exercise edits it)"
    same = _policy_effect_matches(current, stage)
    if same is False:
        return Change(name, f"it allows something other than {start}'s policy, which this lesson assumes", reference), ""
    if same is None:
        return None, (f"your {name} (written in a way the course cannot judge offline; it is yours to keep, "
                      "and the account is judged after the apply)")
    return None, f"your {name} (it has the effect the lesson assumes)"


def plan(lesson: str, directory: Path | None = None, reference: bool = False) -> GotoPlan:
    """What it takes for the working copy to reach ``lesson``'s start. Changes nothing.
    ``reference``: the start's reference files replace the learner's (kept in backups/)."""
    if lesson not in STAGES:
        raise KeyError(f"There is no lesson {lesson!r}; choose one of {', '.join(STAGES)}.")
    stage = STAGES[lesson]
    directory = Path(directory) if directory else workspace.ensure()
    changes, kept = [], []
    course_names = sorted(p.name for p in paths.course_tf_dir().glob("*.tf"))
    for name in course_names:
        current = (directory / name).read_text() if (directory / name).exists() else None
        change = _course_file_change(name, current, stage, reference)
        if change:
            changes.append(change)
    current_policy = policy_file.read(directory)
    change, note = _policy_change(current_policy, stage, reference)
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
    return GotoPlan(lesson, changes, backup_dir, stage.apply, kept, reference=reference)


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


def judge(goto_plan: GotoPlan, account) -> GotoPlan:
    """The account against the lesson's premise, with the course's grader (by effect, as the instance)."""
    premise = STAGES[goto_plan.lesson].premise
    if premise is None or account is None:
        return goto_plan
    try:
        goto_plan.premise = premise(account).items
        goto_plan.judged = True
    except Exception as error:  # noqa: BLE001 - never "Ready" on an account nobody could read
        goto_plan.not_judged = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}".rstrip(": ")
    return goto_plan


def goto(lesson: str, directory: Path, apply: bool | None = None, *, run_apply: Callable[[], object],
         settled: Callable[[], bool], announce: Callable[[GotoPlan], None] | None = None,
         account=None, reference: bool = False, progress: Callable[[str], None] | None = None) -> GotoPlan:
    """Plan, announce the plan (before any change), carry it out in the working copy ``directory``,
    then ``run_apply()`` (``lab.apply``, which shows its own progress line and keeps Terraform's output
    to that call; its result has a ``summary``). ``settled()``: would an apply change nothing?
    Then judge ``account`` against the lesson's premise. ``progress(line)`` hears each step as it
    starts. Returns the plan, done."""
    say = progress or (lambda line: None)
    say(f"Comparing your working copy with lesson {lesson}'s start…")
    goto_plan = plan(lesson, directory, reference)
    if apply is not None:
        goto_plan.apply = apply
    if apply is None and goto_plan.apply and goto_plan.keeps_everything:
        say("Asking Terraform whether the account already matches your files…")
    if apply is None and goto_plan.apply and goto_plan.keeps_everything and settled():
        goto_plan.apply = False
        goto_plan.applied = SETTLED
    if announce is not None:
        announce(goto_plan)
    carry_out(goto_plan, directory)
    if goto_plan.apply:
        say("Terraform applies your working copy (its progress is below)…")
        result = run_apply()
        counts = ", ".join(f"{n} {k}" for k, n in result.summary.items() if n)
        goto_plan.applied = f"applied: {counts}" if counts else "applied: the account already matched"
    if account is not None and STAGES[lesson].premise is not None:
        say(f"Checking the account against what lesson {lesson} assumes, as the instance…")
    return judge(goto_plan, account)
