"""The one door between the course and moto's internals.

moto gives the sandbox its AWS APIs. Everything the course needs from moto's
insides (its WSGI app, its backends, the gaps it leaves) goes through this module,
so a moto upgrade is a change in one file. The version is pinned here and in
``requirements.txt``; a different moto refuses to start with a clear message.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from typing import Callable

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
from moto.core.base_backend import AccountSpecificBackend  # noqa: E402
from moto.ec2.models import ec2_backends  # noqa: E402
from moto.ec2.models.subnets import Subnet  # noqa: E402
from moto.core.exceptions import ServiceException  # noqa: E402
from moto.ecr.exceptions import RepositoryNotFoundException  # noqa: E402
from moto.ecr.models import ECRBackend, ecr_backends  # noqa: E402
from moto.ecr.responses import ECRResponse  # noqa: E402
from moto.sts.models import sts_backends  # noqa: E402
from moto.iam.models import iam_backends  # noqa: E402
from moto.moto_api._internal.models import moto_api_backend  # noqa: E402
from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    create_backend_app,
)

ACCOUNT_ID = DEFAULT_ACCOUNT_ID


class _Dispatcher(DomainDispatcherApplication):
    """moto picks the service from the Authorization header's credential scope. A presigned
    URL has none (moto would guess S3 for ``GET /?Action=...``): the server names the verified
    scope in ``environ["iamlab.scope"]`` (region, service), and moto dispatches on that."""

    def infer_service_region_host(self, environ, path):
        scope = environ.get("iamlab.scope")
        if scope and not environ.get("HTTP_AUTHORIZATION"):
            region, service = scope
            environ = dict(environ, HTTP_AUTHORIZATION=f"AWS4-HMAC-SHA256 Credential=presigned/date/{region}/{service}/aws4_request")
        return super().infer_service_region_host(environ, path)


def make_wsgi_app() -> DomainDispatcherApplication:
    """moto's server application: every AWS service on one port."""
    return _Dispatcher(create_backend_app)


def reset_all() -> None:
    """Forget every resource in every service (moto's own reset), and let the old account go.

    Two of moto's caches sit on methods, so they hold every object a reset replaced:
    ``AccountSpecificBackend._generate_regions`` (the old account objects) and
    ``Subnet._base_avail_ip_iterator`` (every subnet, each holding its EC2 backend with
    ~1,200 AMIs, snapshots and volumes). Uncleared, every reset kept the old EC2 backend
    alive; clearing both lets it be freed (docs/benchmarks.md, "Memory per part")."""
    moto_api_backend.reset()
    AccountSpecificBackend._generate_regions.cache_clear()
    Subnet._base_avail_ip_iterator.cache_clear()


def service_model(service: str):
    """botocore's model of a service's API, as moto reads requests with it.

    Loaded once per process and shared with moto's own parser. (``botocore.session.get_session()``
    makes a new session each time: asking it per operation read EC2's 15 MiB model again for
    every new operation, and left the sandbox about 80 MiB larger after one apply.)
    """
    from moto.core.utils import get_service_model

    return get_service_model(service)


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
    # moto derives a digest from the layer list; a registry client checks the real
    # one (sha256 of the manifest bytes), so we give it.
    digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    return ecr(region).put_image(repository, manifest, tag, image_manifest_mediatype=media_type, digest=digest)


# ---------------------------------------------------------------------------
# Reading the account: what the access engine needs to decide a request.
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RoleView:
    name: str
    arn: str
    path: str
    trust_policy: str
    inline_policies: dict[str, str]  # name -> document
    managed_policies: list[tuple[str, str, bool]]  # (arn, default document, is AWS managed)
    tags: dict[str, str]


def _document_text(document) -> str:
    return document if isinstance(document, str) else json.dumps(document)


def _managed(entity) -> list[tuple[str, str, bool]]:
    """(arn, default version's document, is AWS managed) of the policies attached to a role, user or group."""
    managed = []
    for arn, policy in entity.managed_policies.items():
        version = next(v for v in policy.versions if v.version_id == policy.default_version_id)
        managed.append((arn, _document_text(version.document), arn.startswith("arn:aws:iam::aws:policy/")))
    return managed


def _tags_of(found) -> dict[str, str]:
    """A role's tags as a dict (moto keeps them as a dict or as a list, by version)."""
    return {t["Key"]: t["Value"] for t in (found.tags.values() if isinstance(found.tags, dict) else found.tags or [])}


def role(name: str) -> RoleView | None:
    try:
        found = iam().get_role(name)
    except Exception:
        return None
    managed = _managed(found)
    tags = _tags_of(found)
    return RoleView(found.name, found.arn, found.path, _document_text(found.assume_role_policy_document),
                    {k: _document_text(v) for k, v in found.policies.items()}, managed, tags)


def role_tags(name: str) -> dict[str, str]:
    """A role's tags (``aws:PrincipalTag/...``), without reading its policies."""
    try:
        found = iam().get_role(name)
    except Exception:
        return {}
    return _tags_of(found)


@dataclass(frozen=True)
class GroupView:
    name: str
    inline_policies: dict[str, str]
    managed_policies: list[tuple[str, str, bool]]


@dataclass(frozen=True)
class UserView:
    name: str
    arn: str
    inline_policies: dict[str, str]  # name -> document
    managed_policies: list[tuple[str, str, bool]]
    groups: list[GroupView]
    tags: dict[str, str]


def _user_tags(backend, found) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in backend.tagger.list_tags_for_resource(found.arn)["Tags"]}


def user_tags(name: str) -> dict[str, str]:
    """A user's tags (``aws:PrincipalTag/...``), without collecting its and its groups' policies."""
    backend = iam()
    found = backend.users.get(name)
    return _user_tags(backend, found) if found is not None else {}


def user(name: str) -> UserView | None:
    """An IAM user and every policy that applies to it (its own, its groups'), or None."""
    backend = iam()
    found = backend.users.get(name)
    if found is None:
        return None
    groups = [GroupView(g.name, {k: _document_text(v) for k, v in g.policies.items()}, _managed(g))
              for g in backend.get_groups_for_user(name)]
    tags = _user_tags(backend, found)
    return UserView(found.name, found.arn, {k: _document_text(v) for k, v in found.policies.items()},
                    _managed(found), groups, tags)


@dataclass(frozen=True)
class AccessKeyView:
    access_key_id: str
    secret_access_key: str
    status: str  # "Active" or "Inactive"
    user_name: str
    user_arn: str


def user_access_key(access_key_id: str) -> AccessKeyView | None:
    """An access key of an existing IAM user (moto stores its secret), or None: moto keeps the keys
    of a deleted user in its index, so the user's own list is what counts."""
    for found in list(iam().users.values()):
        for key in found.access_keys:
            if key.access_key_id == access_key_id:
                return AccessKeyView(key.access_key_id, key.secret_access_key, key.status, found.name, found.arn)
    return None


@dataclass(frozen=True)
class InstanceView:
    id: str
    state: str
    profile_arn: str | None
    role_names: list[str]
    http_tokens: str = "optional"  # "required": IMDSv2 only, credentials need a session token


def instance(region: str, instance_id: str) -> InstanceView | None:
    backend = ec2(region)
    try:
        found = backend.get_instance(instance_id)
    except Exception:
        return None
    association = backend.iam_instance_profile_associations.get(instance_id)
    profile = association.iam_instance_profile if association else None
    options = getattr(found, "metadata_options", None)
    return InstanceView(found.id, found.state, profile.arn if profile else None,
                        [r.name for r in profile.roles] if profile else [],
                        getattr(options, "http_tokens", "optional") or "optional")


def instance_network(region: str, instance_id: str) -> tuple[str, str] | None:
    """(VPC id, private IPv4) of an instance: ``aws:Ec2InstanceSourceVPC`` and
    ``aws:Ec2InstanceSourcePrivateIPv4`` of requests made with its role's credentials."""
    try:
        found = ec2(region).get_instance(instance_id)
    except Exception:
        return None
    return (getattr(found, "vpc_id", None) or "", getattr(found, "private_ip", None) or "")


def instance_profile_role_arns(name: str | None = None, arn: str | None = None) -> list[str] | None:
    """The role ARNs an instance profile (by name or ARN) holds, or None when there is no such profile."""
    for profile in list(iam().instance_profiles.values()):
        if (arn and profile.arn == arn) or (name and not arn and profile.name == name):
            return [r.arn for r in profile.roles]
    return None


@dataclass(frozen=True)
class SessionView:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: object  # datetime
    role_arn: str
    session_name: str
    arn: str
    issued: object = None  # datetime: when STS made the credentials (aws:TokenIssueTime)


def _session_view(assumed) -> SessionView:
    return SessionView(assumed.access_key_id, assumed.secret_access_key, assumed.session_token,
                       assumed.expiration, assumed.role_arn, assumed.session_name, assumed.arn,
                       getattr(assumed.access_key, "create_date", None))


def assume_role(region: str, role_arn: str, session_name: str, duration: int = 6 * 3600) -> SessionView:
    """Temporary credentials for a role, recorded by moto's STS (so GetCallerIdentity knows them)."""
    assumed = sts_backends[ACCOUNT_ID]["aws"].assume_role(
        region_name=region, role_session_name=session_name, role_arn=role_arn,
        policy="", duration=duration, external_id="",
    )
    return _session_view(assumed)


def session_for_access_key(access_key_id: str) -> SessionView | None:
    assumed = sts_backends[ACCOUNT_ID]["aws"].get_assumed_role_from_access_key(access_key_id)
    return _session_view(assumed) if assumed else None


@dataclass(frozen=True)
class RepositoryView:
    name: str
    arn: str
    policy: str | None
    tags: dict[str, str]


def repository(region: str, name: str) -> RepositoryView | None:
    backend = ecr(region)
    found = backend.repositories.get(name)
    if found is None:
        return None
    tags = backend.tagger.get_tag_dict_for_resource(found.arn)
    return RepositoryView(found.name, found.arn, found.policy, tags)


def repository_names(region: str) -> list[str]:
    return sorted(ecr(region).repositories)


def find_manifest(region: str, repository_name: str, reference: str) -> tuple[str, str, str] | None:
    """(manifest, media type, digest) of an image by tag or digest, or None."""
    found = ecr(region).repositories.get(repository_name)
    for image in found.images if found else []:
        if reference in image.image_tags or image.get_image_digest() == reference:
            manifest = image.image_manifest
            media_type = image.image_manifest_media_type or json.loads(manifest).get("mediaType", "")
            return manifest, media_type, image.get_image_digest()
    return None


def layers_of(region: str, repository_name: str) -> dict[str, dict]:
    """Every blob (config and layers) the repository's images refer to: digest -> descriptor."""
    found = ecr(region).repositories.get(repository_name)
    blobs = {}
    for image in found.images if found else []:
        manifest = json.loads(image.image_manifest)
        for descriptor in [manifest.get("config", {})] + manifest.get("layers", []):
            if "digest" in descriptor:
                blobs[descriptor["digest"]] = descriptor
    return blobs


# ---------------------------------------------------------------------------
# Closing ECR's gaps, in moto's style (a backend method and a response method):
# GetAuthorizationToken hands out tokens the sandbox's registry accepts, and
# BatchCheckLayerAvailability and GetDownloadUrlForLayer exist.
# ---------------------------------------------------------------------------
@dataclass
class EcrHooks:
    """Set by the sandbox server: how tokens and layer URLs are made."""

    issue_token: Callable[[str | None, str], tuple[str, str, float]] | None = None  # (access key, host) -> (token, proxy, expiry)
    layer_url: Callable[[str, str, str], str] | None = None  # (repository, digest, host) -> download URL


ecr_hooks = EcrHooks()


class LayersNotFoundException(ServiceException):
    code = "LayersNotFoundException"


def _batch_check_layer_availability(self: ECRBackend, repository_name: str, layer_digests: list[str], registry_id=None) -> dict:
    if repository_name not in self.repositories:
        raise RepositoryNotFoundException(repository_name, registry_id or self.account_id)
    known = layers_of(self.region_name, repository_name)
    layers, failures = [], []
    for digest in layer_digests:
        if digest in known:
            layers.append({"layerDigest": digest, "layerAvailability": "AVAILABLE",
                           "layerSize": known[digest].get("size", 0), "mediaType": known[digest].get("mediaType", "")})
        else:
            failures.append({"layerDigest": digest, "failureCode": "MissingLayerDigest",
                             "failureReason": "The specified layer digest is not in the repository."})
    return {"layers": layers, "failures": failures}


def _get_download_url_for_layer(self: ECRBackend, repository_name: str, layer_digest: str, registry_id=None, host: str = "") -> dict:
    if repository_name not in self.repositories:
        raise RepositoryNotFoundException(repository_name, registry_id or self.account_id)
    if layer_digest not in layers_of(self.region_name, repository_name):
        raise LayersNotFoundException(f"The specified layers {layer_digest} do not exist in the repository {repository_name}.")
    return {"downloadUrl": ecr_hooks.layer_url(repository_name, layer_digest, host), "layerDigest": layer_digest}


def _response_batch_check_layer_availability(self: ECRResponse):
    from moto.core.responses import ActionResult

    return ActionResult(self.ecr_backend.batch_check_layer_availability(
        self._get_param("repositoryName"), self._get_param("layerDigests"), self._get_param("registryId")))


def _response_get_download_url_for_layer(self: ECRResponse):
    from moto.core.responses import ActionResult

    return ActionResult(self.ecr_backend.get_download_url_for_layer(
        self._get_param("repositoryName"), self._get_param("layerDigest"), self._get_param("registryId"),
        host=self.headers.get("Host", "")))


def _response_get_authorization_token(self: ECRResponse):
    from moto.core.responses import ActionResult

    token, proxy, expires = ecr_hooks.issue_token(self.get_access_key(), self.headers.get("Host", ""))
    return ActionResult({"authorizationData": [{"authorizationToken": token, "expiresAt": expires, "proxyEndpoint": proxy}]})


def install_ecr_extensions(hooks: EcrHooks) -> None:
    ecr_hooks.issue_token, ecr_hooks.layer_url = hooks.issue_token, hooks.layer_url
    ECRBackend.batch_check_layer_availability = _batch_check_layer_availability
    ECRBackend.get_download_url_for_layer = _get_download_url_for_layer
    ECRResponse.batch_check_layer_availability = _response_batch_check_layer_availability
    ECRResponse.get_download_url_for_layer = _response_get_download_url_for_layer
    ECRResponse.get_authorization_token = _response_get_authorization_token


# ---------------------------------------------------------------------------
# The learner: a real IAM user whose access key is the sandbox's admin key.
# ---------------------------------------------------------------------------
def create_learner(region: str, user_name: str, key_id: str, secret: str) -> str:
    """Make the learner an IAM user holding the sandbox's keys (with AdministratorAccess), so
    GetCallerIdentity answers ``arn:aws:iam::ACCOUNT:user/NAME`` as AWS would. Returns the ARN."""
    backend = iam()
    user = backend.users.get(user_name) or backend.create_user(region, user_name)
    key = backend.create_access_key(user_name)
    del backend.access_keys[key.physical_resource_id]
    key.access_key_id, key.secret_access_key = key_id, secret
    backend.access_keys[key.physical_resource_id] = key
    backend.attach_user_policy("arn:aws:iam::aws:policy/AdministratorAccess", user_name)
    return user.arn


# ---------------------------------------------------------------------------
# The hook where moto has parsed a request: the place of moto's own IAM checks.
# ``on_parsed(response)`` runs after ``setup_class`` (every service parses there),
# ``on_s3(response, bucket, key)`` where S3 checks access with its bucket and key.
# ``access_key()`` replaces moto's regex reading of the Authorization header with
# the key the sandbox verified. Every request is served from the one account: moto
# would take another from an ``x-moto-account-id`` header, and finds it by looking
# the key up in the IAM backend of every partition, building the five it does not
# use (each loads all AWS managed policies: ~1.5 s and ~25 MiB on the first request
# after every reset, under moto's global backend lock).
# ---------------------------------------------------------------------------
@dataclass
class DispatchHooks:
    on_parsed: Callable[[object], None] | None = None
    on_s3: Callable[[object, str | None, str | None], None] | None = None
    access_key: Callable[[], str | None] | None = None
    region: Callable[[], str | None] | None = None  # the verified signature's region: the one served


dispatch_hooks = DispatchHooks()


def install_dispatch_hooks(hooks: DispatchHooks) -> None:
    from moto.core.responses import BaseResponse

    dispatch_hooks.on_parsed, dispatch_hooks.on_s3, dispatch_hooks.access_key = hooks.on_parsed, hooks.on_s3, hooks.access_key
    dispatch_hooks.region = hooks.region
    if getattr(BaseResponse, "_iamlab_hooked", False):
        return
    original_setup, original_key = BaseResponse.setup_class, BaseResponse.get_access_key
    original_region = BaseResponse.get_region_from_url

    def setup_class(self, request, full_url, headers, use_raw_body=False):
        original_setup(self, request, full_url, headers, use_raw_body)
        if dispatch_hooks.on_parsed:
            dispatch_hooks.on_parsed(self)

    def get_access_key(self):
        verified = dispatch_hooks.access_key() if dispatch_hooks.access_key else None
        return verified or original_key(self)

    def get_current_account(self):
        return ACCOUNT_ID

    def get_region_from_url(self, request, full_url):
        # moto would take the region from the Host, then the User-Agent: the signature's scope decides
        signed = dispatch_hooks.region() if dispatch_hooks.region else None
        return signed or original_region(self, request, full_url)

    def authorize_s3(self, bucket_name=None, key_name=None):
        if dispatch_hooks.on_s3:
            dispatch_hooks.on_s3(self, bucket_name, key_name)

    BaseResponse.setup_class = setup_class
    BaseResponse.get_access_key = get_access_key
    BaseResponse.get_current_account = get_current_account
    BaseResponse.get_region_from_url = get_region_from_url
    BaseResponse._authenticate_and_authorize_s3_action = authorize_s3
    BaseResponse._iamlab_hooked = True


def operation_of(response) -> str | None:
    """The operation moto will run for a parsed request (its own ``_get_action``)."""
    try:
        return response._get_action()
    except Exception:
        return None


def service_of(response) -> str:
    from moto.core.responses import boto3_service_name

    return boto3_service_name.get(response.service_name, response.service_name) if response.service_name else ""


# ---------------------------------------------------------------------------
# Policy uploads pass the engine's grammar first: see policy_uploads.py.
# ---------------------------------------------------------------------------
from . import policy_uploads  # noqa: E402

policy_uploads.install()

# ---------------------------------------------------------------------------
# Gaps real configurations hit (issue 20): see iam_gaps.py and ec2_gaps.py.
# ---------------------------------------------------------------------------
from . import ec2_gaps, iam_gaps  # noqa: E402

iam_gaps.install()
ec2_gaps.install()
