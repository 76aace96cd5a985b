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


class Account:
    """One AWS account as the course sees it: boto3 clients as the learner, the account id, the
    region, and the learner's working copy (``directory``). The checks, ``goto``, the picture, the
    matrix and the editor take one of these, not the facade, so each works (and is tested) alone:
    against the sandbox, real AWS, or moto in-process.

    ``session``: makes the boto3 session, when the first client is asked for. ``id``: the account
    id, or None to ask ``ask_id`` when first needed (real AWS asks STS). ``outputs``: Terraform's
    outputs of the working copy (the picture and the editor read the role and the instance there).
    """

    def __init__(self, session, region: str, directory, *, id: str | None = None, ask_id=None, outputs=None):
        self._session, self.region, self.directory = session, region, directory
        self._id, self._ask_id = id, ask_id
        self._outputs = outputs or dict
        self._clients: dict = {}

    @property
    def id(self) -> str:
        if self._id is None:
            self._id = self._ask_id()
        return self._id

    @property
    def known_id(self) -> str | None:
        """The id if it is known already (a ``repr`` must not call STS)."""
        return self._id

    def client(self, service: str):
        """A boto3 client as the learner (made once per service: clients are thread-safe, sessions are not)."""
        if service not in self._clients:
            from .progress import Ticker

            with Ticker(f"Making a {service} client (botocore reads the service's model once)…"):
                self._clients[service] = self._session().client(service)
        return self._clients[service]

    def outputs(self) -> dict:
        return self._outputs()

    def repositories(self) -> list[str]:
        return sorted(r["repositoryName"] for r in self.client("ecr").describe_repositories()["repositories"])

    def __repr__(self) -> str:
        return f"Account({self._id or '(asked of STS when first needed)'}, region={self.region}, working_copy={self.directory})"
