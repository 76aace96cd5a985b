"""The account as the lesson finds it.

The seed lesson assumes the learner already pushed their apps to ECR. So a fresh
sandbox holds two repositories, each with a real ``latest`` image: ``flask_app``
(the one the instance is meant to pull) and a second app the instance should
*not* be able to pull once the policy is tightened.

Once seeded, the sandbox gives back the memory moto took for data this account
never uses (``lean.py``): a reset rebuilds the account, not moto's tables.
"""

from __future__ import annotations

from ..facts import REPOSITORIES
from . import lean, moto_ext
from .images import MANIFEST_MEDIA_TYPE, BlobStore, build_image


def seed_account(region: str, blobs: BlobStore) -> None:
    for name in REPOSITORIES:
        moto_ext.create_repository(region, name, tags={"course": "iamlab", "app": name})
        image = build_image(name)
        for data in image.blobs.values():
            blobs.put(data)
        moto_ext.put_image(region, name, image.manifest.decode(), MANIFEST_MEDIA_TYPE, "latest")
    lean.release_unused(region)
