"""Regenerate the lesson figures in images/ from the pictures described here.

    python images/make_images.py

Each figure is drawn by the same code that draws the live diagram in the
notebooks (iamlab.diagram), so the lessons and the notebooks look alike.
The .svg files are outputs: edit this file, not them.
"""

from pathlib import Path

from iamlab.diagram import AccessPicture, PolicyNode, render

HERE = Path(__file__).resolve().parent
REPOS = ["flask_app", "reports_app"]
PULL = ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer"]
READ_ONLY = PULL + ["ecr:DescribeRepositories", "ecr:ListImages", "ecr:DescribeImages", "ecr:GetRepositoryPolicy"]
PUSH = ["ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"]
# Lesson 04's answer, one node per statement: the login belongs to no repository (no arrow),
# the pull actions reach flask_app only.
LEAST_PRIVILEGE = [
    PolicyNode('ecr_custom_read_only: Login, Resource "*"', "customer managed", [], PULL[:1]),
    PolicyNode("ecr_custom_read_only: PullOneRepository", "customer managed", ["flask_app"], PULL[1:]),
]

FIGURES = {
    "00-course-map": (
        "What you will build",
        AccessPicture("i-0123 (t2.micro)", "ec2-ecr-instance-profile", "ec2-ecr-role", ["ec2.amazonaws.com"],
                      LEAST_PRIVILEGE, REPOS),
    ),
    "01-keycard": (
        "The keycard: a role EC2 may assume, worn through an instance profile",
        AccessPicture("i-0123 (t2.micro)", "ec2-ecr-instance-profile", "ec2-ecr-role", ["ec2.amazonaws.com"], [], []),
    ),
    "02-managed-policy": (
        "An AWS managed policy opens every repository for reading",
        AccessPicture("i-0123 (t2.micro)", "ec2-ecr-instance-profile", "ec2-ecr-role", ["ec2.amazonaws.com"],
                      [PolicyNode("AmazonEC2ContainerRegistryReadOnly", "AWS managed", ["*"], READ_ONLY)], REPOS),
    ),
    "03-custom-policy": (
        "A custom policy next to the managed one: access adds up",
        AccessPicture("i-0123 (t2.micro)", "ec2-ecr-instance-profile", "ec2-ecr-role", ["ec2.amazonaws.com"],
                      [PolicyNode("AmazonEC2ContainerRegistryReadOnly", "AWS managed", ["*"], READ_ONLY),
                       PolicyNode("ecr_custom_read_only", "customer managed", ["*"], PULL)], REPOS),
    ),
    "04-least-privilege": (
        "Least privilege: log in anywhere, pull one repository",
        AccessPicture("i-0123 (t2.micro)", "ec2-ecr-instance-profile", "ec2-ecr-role", ["ec2.amazonaws.com"],
                      LEAST_PRIVILEGE, REPOS),
    ),
    "06-beyond": (
        "An explicit Deny, and a repository policy that grants on its own",
        AccessPicture("i-0123 (t2.micro)", "ec2-ecr-instance-profile", "ec2-ecr-role", ["ec2.amazonaws.com"],
                      [*LEAST_PRIVILEGE,
                       PolicyNode("deny-push", "inline", ["*"], PUSH, denies=True),
                       PolicyNode("on reports_app", "repository policy", ["reports_app"], PULL[1:])], REPOS),
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
