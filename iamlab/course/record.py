"""What one lesson declares, in one place (``iamlab/course/lessons/lNN_*.py``): its manifest entry,
where it starts (``Stage``), its exercises (grader, typed answer or reference solution), and the
predictions it asks for before a reveal (``PredictionGate``). Hints are ``hints.LADDERS``: they
climb from the effect to the reading, never to the answer.
The engine (``manifest``, ``stages``, ``checks``, ``magic``) reads the records; a record imports
nothing of the engine, so adding a lesson is its notebook, its reading and its record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..editor.model import PolicyModel, terraform_block
from ..terraform import policy_file
from .slips import Slip


@dataclass(frozen=True)
class Lesson:
    """The manifest entry: number, title, files and objectives."""

    number: str
    slug: str
    title: str
    objectives: tuple[str, ...]
    stage: str | None  # the starting point `lab.goto(stage)` brings; None: the lesson needs none
    in_sequence: bool = True  # part of the course run in order (run-all); False for side notebooks
    summary: str = ""  # "You will ..." in the start-here reading's table of lessons

    @property
    def name(self) -> str:
        return f"{self.number}-{self.slug}"

    @property
    def notebook(self) -> str:
        return f"notebooks/{self.name}.ipynb"

    @property
    def reading(self) -> str:
        return f"lessons/{self.name}.md"

    @property
    def heading(self) -> str:
        return f"{self.number} · {self.title}"


@dataclass(frozen=True)
class Reference:
    """An exercise's reference solution, as the learner's own files: ``custom_policy.tf`` written
    from ``policy`` (the same text the policy editor writes, so the two cannot drift apart), other
    files as typed, the hand edits of main.tf, or a destroy."""

    explanation: str = ""
    policy: Callable[[], PolicyModel] | None = None
    other_files: tuple[tuple[str, str], ...] = ()  # (file name, text)
    comment_out: tuple[str, ...] = ()  # blocks of main.tf the learner comments out by hand
    destroy: bool = False

    @property
    def files(self) -> dict[str, str]:
        """Learner files, name -> text."""
        own = {policy_file.FILE_NAME: terraform_block(self.policy())} if self.policy else {}
        return {**own, **dict(self.other_files)}

    def markdown(self) -> str:
        parts = [self.explanation] if self.explanation else []
        for address in self.comment_out:
            kind, name = address.split(".")
            parts.append(f"In `main.tf`, comment out `{address}` by hand (put `#` before each of its lines):\n\n"
                         f"```hcl\n# resource \"{kind}\" \"{name}\" {{\n#   ...\n# }}\n```")
        for name, text in self.files.items():
            parts.append(f"In your own file `{name}`:\n\n```hcl\n{text.rstrip()}\n```")
        if self.destroy:
            parts.append("```python\nlab.terraform.destroy()\n```")
        return "\n\n".join(parts)


@dataclass
class Grade:
    """What a grader found: the items (ok, sentence), one counterexample (the first rung of the
    exercise's hints says it), the classic mistakes (``slips``) it recognised."""

    items: list[tuple[bool, str]]
    hint: str = ""  # a counterexample: "your policy still lets the instance run ecr:ListImages on reports_app"
    slips: list[Slip] = field(default_factory=list)


@dataclass(frozen=True)
class Exercise:
    """``grade(account, answer)``: the account is an ``iamlab.account.Account`` (clients, id,
    region, working copy). An exercise has a typed ``answer`` or a ``reference`` solution."""

    name: str
    grade: Callable[[object, object], Grade]
    answer: object = None  # for exercises with a typed answer
    reference: Reference | None = None


@dataclass(frozen=True)
class PredictionGate:
    """A prediction the lesson asks for before ``reveal`` (``"apply"``: the ``lab.apply()`` that shows
    the answer; ``"access"``: ``lab.access()``) runs, in a round started by ``goto`` to the lesson.
    ``due(account)``: this reveal is the one the prediction is about (default: any). ``exercise``:
    the exercise ``check`` grades from the recorded prediction, if any."""

    name: str  # the name the learner passes to predict()
    reveal: str
    due: Callable[[object], bool] | None = None
    exercise: str | None = None


@dataclass(frozen=True)
class Stage:
    """Where a lesson starts (what ``goto`` brings the working copy to)."""

    managed_attached: bool
    policy: Exercise | None  # the exercise whose reference custom_policy.tf the lesson starts from (None: none yet)
    apply: bool = True
    own_files: tuple[str, ...] = ()  # the lesson's exercise files: the learner's, kept whatever they hold
    policy_is_exercise: bool = False  # the lesson itself edits custom_policy.tf: any content is kept
    keep_extra: bool = False  # keep every other file of the learner's (07 destroys whatever there is)
    hand_edit_is_exercise: bool = False  # the lesson asks for the hand edit: main.tf with or without it is kept
    # What the lesson assumes of the account at its start, judged by effect after goto's apply
    # (``premise(account) -> Grade``, from course/graders.py). None: the files are the whole start.
    premise: Callable[[object], Grade] | None = None


@dataclass(frozen=True)
class Record:
    """One lesson, declared once."""

    lesson: Lesson
    stage: Stage | None = None  # None: the lesson needs no starting point (the review)
    exercises: tuple[Exercise, ...] = ()
    predictions: tuple[PredictionGate, ...] = ()
