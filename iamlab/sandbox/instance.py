"""Act as the instance: its credentials, its shell environment, its boto3 session.

On a real instance the AWS CLI and SDKs find the role's credentials in the
instance metadata service. Here the sandbox plays that service:

    python -m iamlab instance credentials i-0123   # the metadata document (JSON)
    eval "$(python -m iamlab instance env i-0123)"  # this shell is now the instance
    iamlab.sandbox.instance.session("i-0123")      # boto3, as the instance
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from .aws_env import isolation
from .manager import SandboxError, SandboxInfo, course_headers, export_lines, require


class InstanceCredentialsError(SandboxError):
    """The instance gets no credentials (no profile, broken trust...); says why."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code


def _metadata(info: SandboxInfo, instance_id: str, path: str, method: str = "GET", headers: dict | None = None) -> bytes:
    url = f"{info.endpoint}/iamlab/instances/{instance_id}/{path}"
    request = urllib.request.Request(url, method=method, headers={**course_headers(info), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.read()
    except urllib.error.HTTPError as error:
        try:
            detail = json.loads(error.read() or b"{}")
        except ValueError:
            detail = {}
        raise InstanceCredentialsError(detail.get("Code", str(error.code)), detail.get("Message", "")) from None


def credentials(instance_id: str, info: SandboxInfo | None = None) -> dict:
    """The instance metadata credentials document for ``instance_id``, fetched as the SDKs do on
    EC2 with IMDSv2: a session token first (PUT /latest/api/token), then the credentials."""
    info = info or require()
    token = _metadata(info, instance_id, "latest/api/token", "PUT",
                      {"X-aws-ec2-metadata-token-ttl-seconds": "21600"}).decode()
    return json.loads(_metadata(info, instance_id, "credentials", headers={"X-aws-ec2-metadata-token": token}))


def environment(instance_id: str, info: SandboxInfo | None = None) -> dict[str, str]:
    info = info or require()
    document = credentials(instance_id, info)
    return {
        "AWS_ENDPOINT_URL": info.endpoint,
        "AWS_ACCESS_KEY_ID": document["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": document["SecretAccessKey"],
        "AWS_SESSION_TOKEN": document["Token"],
        "AWS_DEFAULT_REGION": info.region,
        "AWS_REGION": info.region,
        **isolation(),
        "REGISTRY": registry_host(info),  # what GetAuthorizationToken's proxyEndpoint names, without http://
    }


def registry_host(info: SandboxInfo) -> str:
    """The sandbox's registry, as a registry client names it (``127.0.0.1:PORT``): ECR's
    ``ACCOUNT.dkr.ecr.REGION.amazonaws.com`` stands here."""
    return info.endpoint.split("://", 1)[1]


def export(instance_id: str) -> str:
    return export_lines(environment(instance_id))


def session(instance_id: str, info: SandboxInfo | None = None):
    """A boto3 session holding the instance's role credentials, aimed at the sandbox."""
    from .manager import SandboxSession, boto3_session

    info = info or require()
    document = credentials(instance_id, info)
    return SandboxSession(info, boto3_session(
        aws_access_key_id=document["AccessKeyId"],
        aws_secret_access_key=document["SecretAccessKey"],
        aws_session_token=document["Token"],
        region_name=info.region,
    ))
