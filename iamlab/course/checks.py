"""Exercises and their checks: what is right, what is missing, one hint; never the answer.

    check("04-scope")               # grades your own work: the account, the state, your files
    check("02-browse", my_answer)   # or an answer you typed
    solution("04-scope")            # the reference, collapsed; changes nothing
    solution("04-scope", apply=True)  # writes the reference into your files and applies it

Each exercise is declared in its lesson's record (``lessons/lNN_*.py``: grader, typed
answer or ``Reference``); this module is the engine that runs them against an ``Account``.
Terraform exercises are graded by effect (``grading``): what the instance may do with
your policies, over every ECR action and every repository, compared with what the
reference allows. Any policy with the same effect passes, however it is written. A failed
check names the classic mistakes it recognised (``slips``, one line per kind, at most
three) and shows the first rung of the exercise's hints (``hints``): the effect, with one
request where yours differs. No feedback writes the reference: only ``solution()`` does.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..terraform import edits
from . import hints, predictions, slips
from .lessons import EXERCISES, REFERENCES
from .record import Exercise
from .slips import Slip

__all__ = ["CheckResult", "SolutionView", "EXERCISES", "evaluate", "check", "solution", "apply_reference"]


@dataclass
class CheckResult:
    """One exercise's verdict; renders itself (HTML in a notebook, text elsewhere)."""

    name: str
    items: list[tuple[bool, str]] = field(default_factory=list)
    hint: str = ""  # the first rung of the exercise's hints, with the grader's counterexample
    slips: list[Slip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.items) and all(ok for ok, _ in self.items) and not self.slips

    def __bool__(self) -> bool:
        return self.passed

    def _slip_lines(self) -> list[tuple[str, str]]:
        """(slip id, line): one per kind of slip, at most three."""
        kinds = list(dict.fromkeys(s.id for s in slips.ordered(self.slips)))
        return list(zip(kinds, slips.shown(self.slips)))

    def __str__(self) -> str:
        head = f"{'✅ passed' if self.passed else '❌ not yet'}: {self.name}"
        lines = [f"  {'✔' if ok else '✘'} {text}" for ok, text in self.items]
        lines += [f"  ✘ classic mistake: {line}" for _, line in self._slip_lines()]
        tail = [f"  hint: {self.hint}"] if not self.passed and self.hint else []
        return "\n".join([*self.notes, head, *lines, *tail])

    def _repr_html_(self) -> str:
        colour = "#e3f6e5" if self.passed else "#fde4e4"
        items = "".join(f"<li>{'✔' if ok else '✘'} {html.escape(text)}</li>" for ok, text in self.items)
        items += "".join(f'<li class="iamlab-mistake" data-mistake="{kind}">✘ <b>classic mistake</b>: {html.escape(line)}</li>'
                         for kind, line in self._slip_lines())
        hint = f"<p><b>Hint:</b> {html.escape(self.hint)}</p>" if not self.passed and self.hint else ""
        notes = "".join(f"<p><i>{html.escape(n)}</i></p>" for n in self.notes)
        verdict = "passed" if self.passed else "not yet"
        return (f'{notes}<div class="iamlab-check" data-passed="{str(self.passed).lower()}" role="status" '
                f'style="background:{colour};padding:6px 10px;border-radius:4px"><b>{verdict}: {html.escape(self.name)}</b>'
                f"<ul>{items}</ul>{hint}</div>")

    html = _repr_html_  # the editor and older notebooks call .html()


def _exercise(name: str) -> Exercise:
    if name not in EXERCISES:
        raise KeyError(f"There is no exercise {name!r}; the exercises are {', '.join(EXERCISES)}.")
    return EXERCISES[name]


def evaluate(name: str, answer, account) -> CheckResult:
    """Grade, with no side effect at all (``account``: an ``iamlab.account.Account``). A failed grade
    shows the first rung of the exercise's hints, with the grader's counterexample when it has one."""
    item = _exercise(name)
    try:
        grade = item.grade(account, answer)
    except Exception as error:  # noqa: BLE001 - the learner gets a sentence, not a traceback
        from ..policy.document import PolicyError

        if not isinstance(error, (PolicyError, ValueError, OSError)) and not type(error).__module__.startswith("botocore"):
            raise  # a bug of the course's: its tests must see it
        return CheckResult(name, [(False, f"the check could not read what it grades: {error}. Fix what this names "
                                          "(or lab.goto this lesson to start again from its beginning), then check again.")])
    passed = bool(grade.items) and all(ok for ok, _ in grade.items) and not grade.slips
    hint = "" if passed or name not in hints.LADDERS else hints.LADDERS[name].rung(1, grade.hint or None).text
    return CheckResult(name, grade.items, hint, grade.slips)


def _predicted_here(name: str) -> bool:
    """The exercise is graded from a prediction recorded with ``predict`` (its lesson declares the gate)."""
    from .lessons import GATES

    return any(gate.exercise == name for gates in GATES.values() for gate in gates)


def _unanswered(answer) -> bool:
    if isinstance(answer, dict):
        return all(value in (None, "", "?") for value in answer.values())
    return not answer


def check(name: str, answer, account, *, apply: Callable[[], object], destroy: Callable[[], object]) -> CheckResult:
    """Grade an exercise and return the result (it renders itself). In solutions mode the
    reference is filled in (or written, then ``apply()``-ed or ``destroy()``-ed) first, and the
    result says so."""
    from . import solutions_mode

    item = _exercise(name)
    notes = []
    if solutions_mode.enabled():
        if _predicted_here(name) and predictions.for_check(name) is None:
            predictions.predict(name, item.answer)  # graded from the record, like a learner's
            notes.append("Solutions mode: the reference prediction was recorded.")
        elif item.reference is None and _unanswered(answer):
            answer = item.answer
            notes.append("Solutions mode: the reference answer was filled in.")
        elif item.reference is not None and not evaluate(name, answer, account).passed:
            apply_reference(name, account.directory, apply=apply, destroy=destroy)
            notes.append("Solutions mode: the reference solution was written and applied.")
    result = evaluate(name, answer, account)
    result.notes = notes
    if result.hint:
        hints.HINTS.shown(name, 1)  # the check showed the first rung: hint(name) now climbs to the next
    from ..classroom import record

    record.check_result(result)  # for the instructor's view on a hub; nothing without IAMLAB_CLASS_SPOOL
    return result


# -- solutions ------------------------------------------------------------------------
@dataclass
class SolutionView:
    """An exercise's reference, collapsed until the learner opens it; and what was done, if anything."""

    name: str
    markdown: str
    done: list[str] = field(default_factory=list)
    applied: bool = False
    answer: object = None  # the reference answer, for an exercise answered by typing
    typed: bool = False  # an answer you type: there is nothing to write or apply, and none is offered

    @property
    def _status(self) -> str:
        """What was not done, and (for a change to the account, never a typed answer) how to do it."""
        if self.typed or self.answer is not None:
            return "Nothing was changed: this exercise is an answer you type; compare it with yours."
        return f"Nothing was changed. solution({self.name!r}, apply=True) writes it into your working copy and applies it."

    def __str__(self) -> str:
        tail = ["", *self.done] if self.done else ["", f"({self._status})"]
        return "\n".join([f"Reference solution for {self.name}:", self.markdown, *tail])

    def _repr_html_(self) -> str:
        from markdown_it import MarkdownIt

        body = MarkdownIt().render(self.markdown)
        done = "".join(f"<li>{html.escape(d)}</li>" for d in self.done)
        status = f"<ul>{done}</ul>" if done else f"<p><i>{html.escape(self._status)}</i></p>"
        return (f'<details class="iamlab-solution"><summary>Show the reference solution for {html.escape(self.name)}'
                f"</summary>{body}</details>{status}")


def _typed_answer_markdown(item: Exercise) -> str:
    import json

    return "```python\n" + json.dumps(item.answer, indent=4) + "\n```"


def solution(name: str, account=None, *, apply: Callable[[], object] | None = None,
             destroy: Callable[[], object] | None = None) -> SolutionView:
    """The reference, collapsed. Only given ``apply`` (and ``destroy``) does it change anything:
    it writes the reference files into the account's working copy (yours go to backups/), makes
    the hand edit, and applies."""
    item = _exercise(name)
    markdown = item.reference.markdown() if item.reference else _typed_answer_markdown(item)
    view = SolutionView(name, markdown, answer=item.answer, typed=item.reference is None)
    if apply and item.reference is not None:
        view.done = apply_reference(name, account.directory, apply=apply, destroy=destroy)
        view.applied = True
    elif apply:
        view.done = ["This exercise is an answer you type, not a change to the account: nothing to apply."]
    return view


def apply_reference(name: str, directory: Path, *, apply: Callable[[], object], destroy: Callable[[], object]) -> list[str]:
    """Write the reference's files into the working copy ``directory``, make its hand edits, then
    ``apply()`` (or ``destroy()``; each returns a report with a ``summary``). Returns what was done."""
    from .magic import write_cell

    reference = REFERENCES[name]
    done = []
    for file_name, text in reference.files.items():
        written = write_cell(file_name, text, validate=False, directory=directory)
        if not written.written:
            raise RuntimeError(f"The reference for {name} could not be written: {written.message}")
        done += [f"wrote {file_name}", *written.notes]
    for address in reference.comment_out:
        edit = edits.comment_out(directory, address)
        if edit.changed:
            done.append(f"commented out {address} in {edit.file.name} (a copy is in {edit.backup})")
    result = destroy() if reference.destroy else apply()  # a progress line of its own, no log
    done.append(("destroyed: " if reference.destroy else "applied: ")
                + (", ".join(f"{n} {k}" for k, n in result.summary.items() if n) or "no changes"))
    return done
