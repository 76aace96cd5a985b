"""The course's lesson list: one place for each lesson's number, title, files and objectives.

Everything else that lists lessons reads this module or is held to it by a test
(tests/test_manifest.py): `python -m iamlab run-all`, the fast-forward's stages, the
README's table, each notebook's objectives and "Next" link, each reading's objectives.
To change an objective, change it here and run ``python -m iamlab.course.manifest``,
which rewrites the objectives in the notebook and the reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .. import paths


@dataclass(frozen=True)
class Lesson:
    number: str
    slug: str
    title: str
    objectives: tuple[str, ...]
    stage: str | None  # the starting point `lab.goto(stage)` brings; None: the lesson needs none
    in_sequence: bool = True  # part of the course run in order (run-all); False for side notebooks

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


LESSONS: tuple[Lesson, ...] = (
    Lesson("00", "start-here", "Start here", (
        "start the course's sandbox and say what it stands in for;",
        "list the account's repositories with boto3, and say who you are in it (`sts get-caller-identity`);",
        "find the readings, the figures and your Terraform working copy (`workspace/tf/`) in JupyterLab.",
    ), "00"),
    Lesson("01", "roles-and-instance-profiles", "Roles and instance profiles", (
        "explain what an IAM role is, and why a machine should use one instead of access keys;",
        "read a trust policy and say who may assume the role;",
        "explain why EC2 needs an instance profile, and who may hand it to an instance (`iam:PassRole`);",
        "create the role, the profile and the instance with `terraform apply`, and find each in the account with boto3;",
        "see the role at work: the temporary credentials the instance gets from its metadata service (IMDSv2).",
    ), "01"),
    Lesson("02", "the-managed-policy", "The AWS managed policy", (
        "tell an AWS managed policy from a customer managed policy and an inline policy;",
        "find a managed policy by its ARN and read its document from the account;",
        "read a policy document: `Version`, `Statement`, `Effect`, `Action`, `Resource`;",
        "say which of its actions a pull needs (a login and two checks per repository) and which only let the instance look around;",
        "read the access matrix, and explain why `\"*\"` gives the instance more than its job needs.",
    ), "02"),
    Lesson("03", "a-custom-policy", "A custom policy", (
        "write a customer managed policy in Terraform (`aws_iam_policy` with `jsonencode`), and know "
        "`data \"aws_iam_policy_document\"` as the other way;",
        "attach it to the role by reference (`aws_iam_policy.ecr_custom_read_only.arn`), and say how a reference orders creation;",
        "explain *implicit deny*, and test a policy on its own with IAM's policy simulator;",
        "explain why adding a narrow policy next to a broad one takes nothing away;",
        "compare your policy with AWS's own narrow one, `AmazonEC2ContainerRegistryPullOnly`.",
    ), "03"),
    Lesson("04", "least-privilege", "Least privilege: one repository", (
        "state the principle of least privilege and apply it to the instance's role;",
        "scope a statement to one repository, referring to its ARN through a data source;",
        "detach the managed policy by hand, and read what `terraform plan` says about it;",
        "predict the instance's access before you apply, and compare with what happened;",
        "explain why `ecr:GetAuthorizationToken` must stay on `\"*\"`, and split a statement to allow it.",
    ), "04"),
    Lesson("05", "verify-from-the-instance", "Verify from the instance", (
        "say where a program on an instance gets its credentials (IMDSv2), and whose session they belong to;",
        "act as the instance: run commands with its role's credentials;",
        "take an `AccessDeniedException` apart: who, what, on which resource, and why;",
        "name the three permission checks of an image pull (login, manifest, layers), and what each guards;",
        "predict the instance's access, then check it with real calls and with IAM's policy simulator.",
    ), "05"),
    Lesson("06", "beyond-the-basics", "Beyond the basics", (
        "write an explicit `Deny`, and explain why it beats every `Allow`;",
        "grant access from the repository's side with an ECR repository policy;",
        "make a statement depend on a condition (a tag on the repository);",
        "place permissions boundaries and SCPs in the order AWS evaluates a request;",
        "generate a policy from what the instance really did, and review it before trusting it.",
    ), "06"),
    Lesson("07", "clean-up", "Clean up", (
        "remove everything a configuration created with `terraform destroy`, and say in what order it goes;",
        "tell what `destroy` deletes from what it leaves alone;",
        "prove, by asking the account, that nothing is left (each `NoSuchEntity`, the tag search);",
        "explain how a default tag helps you find leftovers.",
    ), "07"),
    Lesson("08", "review", "Review", (
        "trace a request from the instance to a decision: profile, role, policies, action, resource;",
        "say which policy answers \"who may assume?\" and which answers \"what may it do?\";",
        "name the Terraform resource for each piece, and what it does;",
        "recognise the mistakes that cost beginners the most time.",
    ), None),
    Lesson("90", "policy-playground", "The policy playground", (
        "change the instance's custom policy with widgets and apply it with Terraform;",
        "read the access matrix before and after an apply, and say what changed.",
    ), "playground", in_sequence=False),
)

SEQUENCE: tuple[Lesson, ...] = tuple(lesson for lesson in LESSONS if lesson.in_sequence)


def lesson(number_or_stage: str) -> Lesson:
    """The lesson with this number ("04") or stage ("playground")."""
    for candidate in LESSONS:
        if number_or_stage in (candidate.number, candidate.stage, candidate.name):
            return candidate
    raise KeyError(f"There is no lesson {number_or_stage!r}; choose one of {', '.join(l.number for l in LESSONS)}.")


def next_lesson(current: Lesson) -> Lesson | None:
    """The lesson after this one in the sequence (None after the last)."""
    order = list(SEQUENCE)
    if current not in order or current is order[-1]:
        return None
    return order[order.index(current) + 1]


def objectives_markdown(current: Lesson) -> str:
    """The numbered list both the notebook and the reading show."""
    return "\n".join(f"{i}. {text}" for i, text in enumerate(current.objectives, 1))


NOTEBOOK_INTRO = "**Learning objectives.** After this notebook you can\n"
READING_INTRO = "## Learning objectives\n\nAfter this lesson you can:\n\n"
_LIST = r"(?:\d+\. .*(?:\n(?!\d+\. |\n).*)*\n?)+"


def objectives_in(text: str) -> list[str]:
    """The numbered objectives written after a notebook's or reading's objectives intro."""
    match = re.search(r"(?:\*\*Learning objectives\.\*\* After this notebook you can\n|"
                      r"## Learning objectives\n\nAfter this lesson you can:\n\n)(" + _LIST + ")", text)
    if not match:
        return []
    items = re.split(r"^\d+\. ", match.group(1), flags=re.M)
    return [" ".join(item.split()) for item in items if item.strip()]


def _replace_objectives(text: str, intro: str, current: Lesson) -> str:
    pattern = re.escape(intro) + _LIST
    replacement = intro + objectives_markdown(current) + "\n"
    if re.search(pattern, text):
        return re.sub(pattern, lambda _: replacement, text, count=1)
    return text


README_HEADER = "| # | Notebook | Reading |\n|---|---|---|\n"


def readme_table() -> str:
    """The README's table of lessons."""
    return README_HEADER + "".join(
        f"| {l.number} | [{l.title}]({l.notebook}) | [{l.reading}]({l.reading}) |\n" for l in LESSONS)


def sync(root: Path | None = None) -> list[str]:
    """Rewrite the objectives in every notebook and reading, and the README's table, from this manifest.
    Returns the files changed."""
    import nbformat

    root = root or paths.PROJECT_DIR
    changed = []
    readme = root / "README.md"
    text = readme.read_text()
    new = re.sub(re.escape(README_HEADER) + r"(?:\|.*\n)+", lambda _: readme_table(), text, count=1)
    if new != text:
        readme.write_text(new)
        changed.append("README.md")
    for current in LESSONS:
        reading = root / current.reading
        text = reading.read_text()
        new = _replace_objectives(text, READING_INTRO, current)
        if new != text:
            reading.write_text(new)
            changed.append(current.reading)
        notebook_path = root / current.notebook
        notebook = nbformat.read(notebook_path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "markdown" and NOTEBOOK_INTRO in cell.source:
                new = _replace_objectives(cell.source + "\n", NOTEBOOK_INTRO, current).rstrip("\n")
                if new != cell.source:
                    cell.source = new
                    nbformat.write(notebook, notebook_path)
                    changed.append(current.notebook)
                break
    return changed


if __name__ == "__main__":
    for name in sync():
        print(f"rewrote the objectives in {name}")
