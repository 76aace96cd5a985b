"""What an image pull needs from IAM: one fact, for every lesson, check and figure.

A pull (``docker pull``, ``skopeo copy``) makes three permission checks:

1. the login, ``ecr:GetAuthorizationToken``, which acts on no repository, so only a
   ``Resource: "*"`` statement grants it;
2. the manifest, ``ecr:BatchGetImage``, on the repository;
3. each blob (config and layers), ``ecr:GetDownloadUrlForLayer``, on the repository.

``ecr:BatchCheckLayerAvailability`` is what a *push* asks ("is this layer there
already?"); some clients ask it on a pull too. Granting it or not never decides
whether a pull works, so graders accept a pull policy with or without it.

This agrees with AWS's ``AmazonEC2ContainerRegistryPullOnly`` managed policy (Oct 2024):
GetAuthorizationToken, BatchGetImage, GetDownloadUrlForLayer, plus
BatchImportUpstreamImage, which only pull-through caches use. The course has no
pull-through cache, so granting that one is more than a pull here needs.
"""

from __future__ import annotations

LOGIN = "ecr:GetAuthorizationToken"
PULL = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")  # on the repository, after the login
NEEDED = (LOGIN, *PULL)  # every check a pull makes
OPTIONAL = ("ecr:BatchCheckLayerAvailability",)  # push asks it; a pull works with or without it
ACCEPTED = (*NEEDED, *OPTIONAL)  # what a pull-only policy may grant and still be least privilege
PULL_ONLY_MANAGED = (LOGIN, *PULL, "ecr:BatchImportUpstreamImage")  # AWS's AmazonEC2ContainerRegistryPullOnly


def needed(action: str) -> bool:
    """Is this action one a pull cannot do without? (case-insensitive, as IAM reads action names)"""
    return action.lower() in {a.lower() for a in NEEDED}


def accepted(action: str) -> bool:
    """May a pull-only policy grant this action?"""
    return action.lower() in {a.lower() for a in ACCEPTED}
