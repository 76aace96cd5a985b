"""Regenerate the lesson figures in images/ from the pictures described here.

    python images/make_images.py

Each figure is drawn by the same code that draws the live diagram in the
notebooks (iamlab.diagram), so the lessons and the notebooks look alike.
The .svg files are outputs: edit this file, not them.
"""

from pathlib import Path

from iamlab.diagram import AccessPicture, PolicyNode, StatementNode, render
from iamlab.facts import LOGIN, PULL_CHECKS

HERE = Path(__file__).resolve().parent
REPOS = ["flask_app", "reports_app"]


def managed_actions(name: str) -> list[str]:
    """The actions of an AWS managed policy, from moto's copy of AWS's documents (one fact, one place)."""
    import json

    from moto.iam.aws_managed_policies import aws_managed_policies_data

    document = json.loads(aws_managed_policies_data)[name]["Document"]
    statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
    return [a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]


READ_ONLY = managed_actions("AmazonEC2ContainerRegistryReadOnly")  # twelve actions, on "*"
MANAGED = PolicyNode("AmazonEC2ContainerRegistryReadOnly", "AWS managed", ["*"], READ_ONLY)
# Figures shown above an exercise draw the goal, never the answer: the learner's policy is a box
# reaching what it should reach, its statements left to them.
YOURS = "ecr_custom_read_only"
# Lesson 04's answer, for the readings after it (05): one policy, two statements; the login
# belongs to no repository (no arrow), the pull actions reach flask_app only.
LEAST_PRIVILEGE = PolicyNode(YOURS, "customer managed", statements=[
    StatementNode("Login", [], [LOGIN]),
    StatementNode("PullOneRepository", ["flask_app"], list(PULL_CHECKS)),
])

FIGURES = {
    "00-course-map": (
        "What you will build",
        AccessPicture("i-0123 (t2.micro)", "ec2-ecr-instance-profile", "ec2-ecr-role", ["who? (lesson 01)"],
                      [PolicyNode(YOURS, "customer managed", ["flask_app"], note="you write it in lessons 03-04")], REPOS),
    ),
    "01-keycard": (
        "The keycard: a role, worn by the instance through an instance profile",
        AccessPicture("i-0123 (t2.micro)", "ec2-ecr-instance-profile", "ec2-ecr-role", ["who? (the trust policy says)"], [], []),
    ),
    "02-managed-policy": (
        "An AWS managed policy opens every repository for reading",
        AccessPicture("i-0123 (t2.micro)", "ec2-ecr-instance-profile", "ec2-ecr-role", ["ec2.amazonaws.com"],
                      [MANAGED], REPOS),
    ),
    "03-custom-policy": (
        "A custom policy next to the managed one: access adds up",
        AccessPicture("i-0123 (t2.micro)", "ec2-ecr-instance-profile", "ec2-ecr-role", ["ec2.amazonaws.com"],
                      [MANAGED, PolicyNode(YOURS, "customer managed", ["*"], note="your actions")], REPOS),
    ),
    "04-least-privilege": (
        "The goal: the instance pulls one repository, and nothing else",
        AccessPicture("i-0123 (t2.micro)", "ec2-ecr-instance-profile", "ec2-ecr-role", ["ec2.amazonaws.com"],
                      [PolicyNode(YOURS, "customer managed", ["flask_app"], note="your statements")], REPOS),
    ),
    "05-least-privilege": (
        "Least privilege: log in anywhere, pull one repository",
        AccessPicture("i-0123 (t2.micro)", "ec2-ecr-instance-profile", "ec2-ecr-role", ["ec2.amazonaws.com"],
                      [LEAST_PRIVILEGE], REPOS),
    ),
    "06-beyond": (
        "An explicit Deny, and a repository policy that grants on its own",
        AccessPicture("i-0123 (t2.micro)", "ec2-ecr-instance-profile", "ec2-ecr-role", ["ec2.amazonaws.com"],
                      [LEAST_PRIVILEGE,
                       PolicyNode("deny-push", "inline", ["*"], denies=True, note="yours: what must a push never do?"),
                       PolicyNode("on reports_app", "repository policy", ["reports_app"], note="yours: who may pull it?")],
                      REPOS),
    ),
    # The course's result, with its answers (the trust, the two statements): only for the lessons
    # after the learner built it (07, 08); 00 shows the map above, which leaves them to find.
    "08-what-you-built": (
        "What you built: the instance logs in anywhere and pulls one repository",
        AccessPicture("i-0123 (t2.micro)", "ec2-ecr-instance-profile", "ec2-ecr-role", ["ec2.amazonaws.com"],
                      [LEAST_PRIVILEGE], REPOS),
    ),
}


def main(target: Path = HERE) -> None:
    for name, (title, picture) in FIGURES.items():
        graph = render(picture, title)
        (target / f"{name}.svg").write_text(graph.pipe(format="svg", encoding="utf-8"))
        (target / f"{name}.gv").write_text(graph.source)
        print(f"{target.name}/{name}.svg")


if __name__ == "__main__":
    import sys

    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
