"""The lesson's facts: the names its Terraform creates, the repositories it pulls, the actions a
pull and a push are made of, and how their ARNs are built.

One fact, one place: every layer reads these (the sandbox, the driver, the course, the
widgets), so this module imports nothing of the package. An ECR repository's ARN is built
here and nowhere else (``repository_arn``), the way the Service Authorization Reference gives it:
``arn:${Partition}:ecr:${Region}:${Account}:repository/${RepositoryName}``.
"""

from __future__ import annotations

# -- what the learner's Terraform creates (tf/main.tf) ------------------------------------
ROLE = "ec2-ecr-role"
PROFILE = "ec2-ecr-instance-profile"
POLICY = "ecr_custom_read_only"  # the custom policy the learner writes (lessons 03-04)
MANAGED_POLICY = "AmazonEC2ContainerRegistryReadOnly"  # AWS's broad one, attached by main.tf until lesson 04
MANAGED_POLICY_ARN = f"arn:aws:iam::aws:policy/{MANAGED_POLICY}"
# Terraform addresses of tf/main.tf's blocks and of the learner's custom_policy.tf
MANAGED_ATTACHMENT = "aws_iam_role_policy_attachment.ecr_read_only"  # lesson 04 comments it out by hand
CUSTOM_POLICY = f"aws_iam_policy.{POLICY}"
CUSTOM_ATTACHMENT = f"aws_iam_role_policy_attachment.{POLICY}"

# -- the account's repositories (seeded by the sandbox; read by main.tf's data sources) ------
PULL_REPOSITORY = "flask_app"  # the one the instance's job needs
OTHER_REPOSITORY = "reports_app"  # the one least privilege keeps it out of
REPOSITORIES = (PULL_REPOSITORY, OTHER_REPOSITORY)

# -- the ECR actions a pull and a push are made of ------------------------------------------
# The custom policy's pull actions. A pull itself is three permission checks (the login,
# BatchGetImage for the manifest, GetDownloadUrlForLayer for each layer); registry clients
# call BatchCheckLayerAvailability when they push, and the lesson's policy keeps it anyway.
PULL = ("ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer")
# What a pull needs from IAM, for every lesson, check and figure. A pull (docker pull, skopeo copy)
# makes three permission checks: the login (on no repository: only Resource "*" grants it), then
# BatchGetImage for the manifest and GetDownloadUrlForLayer for each blob, on the repository.
# BatchCheckLayerAvailability is what a push asks ("is this layer there already?"); some clients
# ask it on a pull too, so a pull works with or without it and graders accept both. This agrees
# with AWS's AmazonEC2ContainerRegistryPullOnly (Oct 2024), which adds BatchImportUpstreamImage
# for pull-through caches (the course has none).
LOGIN = "ecr:GetAuthorizationToken"
PULL_CHECKS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")  # a pull's checks after the login
PULL_NEEDS = (LOGIN, *PULL_CHECKS)  # every check a pull makes
PULL_ACCEPTED = (*PULL_NEEDS, "ecr:BatchCheckLayerAvailability")  # what a pull-only policy may grant
PULL_ONLY_MANAGED = (*PULL_NEEDS, "ecr:BatchImportUpstreamImage")  # AWS's AmazonEC2ContainerRegistryPullOnly
PUSH = ("ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage")

# -- ARNs ---------------------------------------------------------------------------------
_REPOSITORY = ":repository/"


def repository_arn(region: str, account: str, name: str) -> str:
    """An ECR repository's ARN (``name="*"``: every repository of the account in the region)."""
    return f"arn:aws:ecr:{region}:{account}{_REPOSITORY}{name}"


def repository_of(arn: str) -> str | None:
    """``arn:aws:ecr:R:A:repository/team/app`` -> ``team/app`` (names may hold slashes); None if not one."""
    return arn.split(_REPOSITORY, 1)[1] if arn.startswith("arn:aws:ecr:") and _REPOSITORY in arn else None


REPOSITORY_ARN_PATTERN = repository_arn("[a-z0-9-]+", r"\d{12}", "[A-Za-z0-9._/-]+")  # a regex: a pasted repository ARN


def role_arn(account: str, name: str = ROLE) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def account_root_arn(account: str) -> str:
    """The account as a principal (``"AWS": "arn:aws:iam::ACCOUNT:root"``): it delegates to the account's IAM policies."""
    return f"arn:aws:iam::{account}:root"


def instance_profile_arn(account: str, name: str = PROFILE) -> str:
    return f"arn:aws:iam::{account}:instance-profile/{name}"


def policy_arn(account: str, name: str = POLICY) -> str:
    """A customer managed policy's ARN."""
    return f"arn:aws:iam::{account}:policy/{name}"


def assumed_role_arn(account: str, role: str = ROLE, session: str = "") -> str:
    """What an instance's calls are signed as (``session``: the instance id; empty: the prefix of every session)."""
    return f"arn:aws:sts::{account}:assumed-role/{role}/{session}"
