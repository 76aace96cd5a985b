"""The one door between the course and moto's internals.

moto gives the sandbox its AWS APIs. Everything the course needs from moto's
insides (its WSGI app, its backends, the gaps it leaves) goes through this module,
so a moto upgrade is a change in one file. The version is pinned here and in
``requirements.txt``; a different moto refuses to start with a clear message.
"""

from __future__ import annotations

import os

MOTO_VERSION = "5.2.1"

# AWS managed policies (AmazonEC2ContainerRegistryReadOnly and friends) must exist
# in the account, exactly as on AWS. moto reads this switch when a backend is made.
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

import moto  # noqa: E402

if moto.__version__ != MOTO_VERSION:  # pragma: no cover - guards an install mistake
    raise ImportError(
        f"iamlab's sandbox is built for moto {MOTO_VERSION}, but moto {moto.__version__} "
        "is installed. Run: pip install -r requirements.txt"
    )

from moto.core import DEFAULT_ACCOUNT_ID  # noqa: E402
from moto.ec2.models import ec2_backends  # noqa: E402
from moto.ecr.models import ecr_backends  # noqa: E402
from moto.iam.models import iam_backends  # noqa: E402
from moto.moto_api._internal.models import moto_api_backend  # noqa: E402
from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    create_backend_app,
)

ACCOUNT_ID = DEFAULT_ACCOUNT_ID


def make_wsgi_app() -> DomainDispatcherApplication:
    """moto's server application: every AWS service on one port."""
    return DomainDispatcherApplication(create_backend_app)


def reset_all() -> None:
    """Forget every resource in every service (moto's own reset)."""
    moto_api_backend.reset()


def iam(account_id: str = ACCOUNT_ID):
    return iam_backends[account_id]["global"]


def ecr(region: str, account_id: str = ACCOUNT_ID):
    return ecr_backends[account_id][region]


def ec2(region: str, account_id: str = ACCOUNT_ID):
    return ec2_backends[account_id][region]


def create_repository(region: str, name: str, tags: dict[str, str] | None = None):
    return ecr(region).create_repository(
        repository_name=name,
        registry_id=None,
        encryption_config={"encryptionType": "AES256"},
        image_scan_config={"scanOnPush": False},
        image_tag_mutability="MUTABLE",
        tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    )


def put_image(region: str, repository: str, manifest: str, media_type: str, tag: str):
    return ecr(region).put_image(repository, manifest, tag, image_manifest_mediatype=media_type)


def managed_policy_count() -> int:
    return len(iam().aws_managed_policies)
