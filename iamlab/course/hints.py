"""Hints that climb, one rung per request, and never to the answer.

For each exercise a ``Ladder``:

1. **the effect**, with one counterexample the learner can try ("the instance can still
   run ecr:ListImages on reports_app"): what the result should do, not how to write it;
2. **the concept**, and where the reading explains it (``lessons/04-least-privilege.md#...``).

There is no third rung: the reference is shown only by ``solution()``. Asking again at
the top repeats the last rung and says so. ``Hints`` remembers how far each exercise
has climbed (in memory: a new kernel starts at the bottom again).

Wiring: ``HINTS.next("04-scope", counterexample=difference.sentence())`` returns a ``Hint``
that renders itself; a failed ``check()`` shows rung 1 with the grader's counterexample and
marks it shown, so ``hint(name)`` asked after it is the next rung (``iamlab.hint``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field


def anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@dataclass(frozen=True)
class Hint:
    exercise: str
    level: int
    text: str
    link: str = ""  # "lessons/NN-slug.md#anchor" (level 2)
    top: bool = False  # the highest rung: the next step is solution()

    def __str__(self) -> str:
        lines = [f"Hint {self.level} for {self.exercise}: {self.text}"]
        if self.link:
            lines.append(f"Read: {self.link}")
        if self.top:
            lines.append(f'That is the last hint. To see a reference answer: solution("{self.exercise}").')
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        link = f"\n\nRead: [{self.link}](../{self.link})" if self.link else ""
        top = (f'\n\n*That is the last hint. To see a reference answer: `solution("{self.exercise}")`.*'
               if self.top else "")
        return f"**Hint {self.level}** ({self.exercise}): {self.text}{link}{top}"

    def _repr_html_(self) -> str:
        link = (f'<br>Read: <a href="../{html.escape(self.link)}" target="_blank">{html.escape(self.link)}</a>'
                if self.link else "")
        top = (f'<br><i>That is the last hint. To see a reference answer: <code>solution("{html.escape(self.exercise)}")'
               "</code>.</i>" if self.top else "")
        return (f'<div class="iamlab-hint" data-level="{self.level}"><b>Hint {self.level}</b> '
                f"({html.escape(self.exercise)}): {html.escape(self.text)}{link}{top}</div>")


@dataclass(frozen=True)
class Ladder:
    """One exercise's hints: ``effect`` (rung 1, with a counterexample when one is known),
    ``concept`` and the reading's section (rung 2)."""

    exercise: str
    effect: str
    example: str  # rung 1's counterexample when the grader has none to give
    concept: str
    reading: str  # "lessons/04-least-privilege.md"
    heading: str  # the section's heading, exactly as in the reading

    @property
    def link(self) -> str:
        return f"{self.reading}#{anchor(self.heading)}"

    LEVELS = 2

    def rung(self, level: int, counterexample: str | None = None) -> Hint:
        level = max(1, min(level, self.LEVELS))
        if level == 1:
            example = counterexample or self.example
            return Hint(self.exercise, 1, f"{self.effect} For instance: {example}.")
        return Hint(self.exercise, 2, self.concept, self.link, top=True)


LADDERS: dict[str, Ladder] = {ladder.exercise: ladder for ladder in (
    Ladder("01-trust", "The answer names who may assume the role: whoever starts the instance and hands it the keys.",
           "the instance itself cannot be the answer: it is not a principal a trust policy can name",
           "A trust policy's Principal element names who may assume the role; for a role an instance uses, "
           "that is a service.", "lessons/01-roles-and-instance-profiles.md", "A keycard, not a key"),
    Ladder("02-browse", "Your list should hold what the managed policy lets the instance do beyond pulling.",
           "a pull's own checks are not part of the answer; something that lists or describes is",
           "Each action has an access level (List, Read, Write, ...); the policy's document says which it allows.",
           "lessons/02-the-managed-policy.md", "What this policy allows"),
    Ladder("03-custom-policy", "Your policy should let the instance log in and pull, and nothing else.",
           "without the login action no pull starts, however many pull actions the policy lists",
           "A pull is a login followed by reading a manifest and its layers; each is one permission check.",
           "lessons/02-the-managed-policy.md", "What a pull needs"),
    Ladder("04-reference", "Your policy should name one repository, without any ARN typed by hand.",
           "a typed ARN with a one-letter slip matches no repository, and nothing tells you",
           "Terraform fills a value in from a block that knows it: main.tf already reads the repository.",
           "lessons/04-least-privilege.md", 'Step 1: one repository instead of `"*"`'),
    Ladder("04-detach", "The role should hold only your policy: while another policy stays attached, it still allows "
           "what yours leaves out.", "with the managed policy attached the instance can still list every repository",
           "Policies attached to one role add up: an action is allowed if any of them allows it.",
           "lessons/04-least-privilege.md", "Step 2: detach the managed policy"),
    Ladder("04-scope", "The instance should pull the one repository, and log in, and nothing more.",
           "a login scoped to a repository is never allowed, so the pull fails before it starts",
           "Some actions act on no resource at all; only a statement covering every resource can allow them.",
           "lessons/04-least-privilege.md", "Step 3: give each action a resource it can match"),
    Ladder("05-predict", "Predict from the policy the role holds now, statement by statement.",
           "a repository your policy does not name is not allowed",
           "A request is allowed only when some statement allows it; nothing allowed means denied.",
           "lessons/05-verify-from-the-instance.md", "A pull is three permission checks"),
    Ladder("06-deny", "Pushing should be impossible for the instance, whatever another policy allows later.",
           "an Allow added tomorrow for ecr:PutImage must still lose",
           "An explicit Deny beats every Allow, wherever the Allow comes from.",
           "lessons/06-beyond-the-basics.md", "Part 1 · Explicit Deny"),
    Ladder("06-repository-policy", "reports_app itself should let the instance pull it, and no one else.",
           "a principal that names the whole account grants no one on its own",
           "A repository policy names a principal; which identity do the instance's requests come from?",
           "lessons/06-beyond-the-basics.md", "Part 2 · Repository policies"),
    Ladder("07-clean", "Nothing Terraform created should be left in the account.",
           "a role left behind can still be assumed by anything its trust policy names",
           "Terraform destroys what its state records, in reverse order of creation.",
           "lessons/07-clean-up.md", "One command, in reverse"),
)}


@dataclass
class Hints:
    """How far each exercise's ladder has been climbed (per kernel)."""

    ladders: dict[str, Ladder] = field(default_factory=lambda: dict(LADDERS))
    climbed: dict[str, int] = field(default_factory=dict)

    def ladder(self, exercise: str) -> Ladder:
        if exercise not in self.ladders:
            raise KeyError(f"There is no hint for {exercise!r}; hints exist for {', '.join(self.ladders)}.")
        return self.ladders[exercise]

    def next(self, exercise: str, counterexample: str | None = None) -> Hint:
        """The next rung up (the top one again once reached)."""
        ladder = self.ladder(exercise)
        level = min(self.climbed.get(exercise, 0) + 1, Ladder.LEVELS)
        self.climbed[exercise] = level
        return ladder.rung(level, counterexample)

    def shown(self, exercise: str, level: int) -> None:
        """Rung ``level`` was shown elsewhere (a failed ``check`` shows rung 1): the next ask climbs past it."""
        self.climbed[exercise] = max(self.climbed.get(exercise, 0), min(level, Ladder.LEVELS))

    def reset(self, exercise: str | None = None) -> None:
        if exercise is None:
            self.climbed.clear()
        else:
            self.climbed.pop(exercise, None)


HINTS = Hints()


def hint(exercise: str, counterexample: str | None = None) -> Hint:
    """``hint("04-scope")``: the next hint for an exercise (the course's shared ladder)."""
    return HINTS.next(exercise, counterexample)
