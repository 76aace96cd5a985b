"""Small reads of the account through boto3, shared by the checks, the editor, the matrix and
the picture (so they work the same against the sandbox and against real AWS)."""

from __future__ import annotations

import json


def as_dict(document) -> dict:
    """boto3 returns policy documents parsed, but some callers hand in JSON text."""
    return json.loads(document) if isinstance(document, str) else document


def policy_document(iam, arn: str) -> dict | None:
    """The default version's document of a managed policy, or None if there is no such policy."""
    try:
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    except iam.exceptions.NoSuchEntityException:
        return None
    return as_dict(iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"])
