"""The sandbox's container registry: the Docker Registry HTTP API v2, as ECR serves it.

``docker pull``/``push`` and ``skopeo`` speak this protocol. As on ECR:

* ``aws ecr get-login-password`` (GetAuthorizationToken) gives a token; the
  registry login is user ``AWS`` with that token as password, and the token
  carries the identity that asked for it;
* ``GET /v2/`` checks the login;
* every other request is one ECR action, decided by the access engine as the
  token's principal on the repository's ARN:

  ==========================================  ===================================
  registry request                            ECR action
  ==========================================  ===================================
  GET/HEAD /v2/NAME/manifests/REF             ecr:BatchGetImage
  GET /v2/NAME/blobs/DIGEST                   ecr:GetDownloadUrlForLayer
  HEAD /v2/NAME/blobs/DIGEST                  ecr:BatchCheckLayerAvailability
  GET /v2/NAME/tags/list                      ecr:ListImages
  POST /v2/NAME/blobs/uploads/                ecr:InitiateLayerUpload
  PATCH /v2/NAME/blobs/uploads/ID             ecr:UploadLayerPart
  PUT /v2/NAME/blobs/uploads/ID?digest=D      ecr:CompleteLayerUpload
  PUT /v2/NAME/manifests/TAG                  ecr:PutImage
  ==========================================  ===================================

Errors are the registry's JSON (``{"errors": [{"code": "DENIED", "message": ...}]}``)
with ECR's words; ``HEAD`` answers with the ``GET``'s headers, and a blob ``GET``
honours ``Range`` (206, or 416 when the range lies outside the blob).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field

from werkzeug.wrappers import Request, Response

from .. import facts
from ..policy import Principal
from . import ecr_uploads, errors, moto_ext, settings
from .enforcement import AwsCall, Enforcer, current
from .identity import credentials_expiry
from .images import BlobStore, digest_of

TOKEN_LIFETIME = 12 * 3600  # as ECR's
MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # ECR's limit for an image manifest
API_VERSION = {"Docker-Distribution-API-Version": "registry/2.0"}
_PATH = re.compile(r"^/v2/(?P<name>.+)/(?P<kind>manifests|blobs)/(?P<reference>[^/]+)$")  # pulls


@dataclass(frozen=True)
class Login:
    principal: Principal | None  # None: the learner, with full access
    expires: float
    keys: dict = field(default_factory=dict)  # the credentials' context keys (aws:TokenIssueTime...), as AWS keeps them


class Tokens:
    """Registry passwords handed out by GetAuthorizationToken, and whose they are."""

    def __init__(self):
        self._logins: dict[str, Login] = {}
        self._lock = threading.Lock()

    def issue(self, access_key: str | None, principal: Principal | None, keys: dict | None = None) -> tuple[str, float]:
        """A password for ``principal`` (None: the learner), who signed with ``access_key``."""
        password = "iamlab." + secrets.token_urlsafe(32)
        # Never longer than the credentials that asked for it (ECR: the token expires with them).
        expires = min(time.time() + TOKEN_LIFETIME, credentials_expiry(access_key) or float("inf"))
        with self._lock:
            self._logins[password] = Login(principal, expires, dict(keys or {}))
        return base64.b64encode(f"AWS:{password}".encode()).decode(), expires

    def login(self, authorization: str | None) -> Login | None:
        if not authorization or not authorization.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
        except ValueError:
            return None
        with self._lock:
            found = self._logins.get(password)
        if user != "AWS" or found is None or found.expires < time.time():
            return None
        return found

    def forget(self) -> None:
        with self._lock:
            self._logins.clear()


class RegistryError(Exception):
    """A registry error, rendered as the distribution spec's JSON with ECR's words."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}

    def response(self) -> Response:
        body = json.dumps({"errors": [{"code": self.code, "message": self.message}]})
        return Response(body, status=self.status, content_type="application/json; charset=utf-8",
                        headers={**API_VERSION, **self.headers})


_UPLOAD = re.compile(r"^/v2/(?P<name>.+)/blobs/uploads/(?P<upload>[^/]*)$")
_TAGS = re.compile(r"^/v2/(?P<name>.+)/tags/list$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _route(method: str, path: str) -> tuple[str, str, str] | None:
    """(ECR action, repository, reference) for a registry request, or None if there is no such route."""
    match = _UPLOAD.match(path)
    if match:
        action = {"POST": "ecr:InitiateLayerUpload", "PATCH": "ecr:UploadLayerPart", "PUT": "ecr:CompleteLayerUpload",
                  "GET": "ecr:UploadLayerPart", "DELETE": "ecr:UploadLayerPart"}.get(method)
        if action is None or (method == "POST") != (match["upload"] == ""):
            return None
        return action, match["name"], match["upload"]
    match = _TAGS.match(path)
    if match:
        return ("ecr:ListImages", match["name"], "") if method == "GET" else None
    match = _PATH.match(path)
    if not match:
        return None
    if match["kind"] == "manifests":
        action = {"GET": "ecr:BatchGetImage", "HEAD": "ecr:BatchGetImage", "PUT": "ecr:PutImage"}.get(method)
    else:
        action = {"GET": "ecr:GetDownloadUrlForLayer", "HEAD": "ecr:BatchCheckLayerAvailability"}.get(method)
    return (action, match["name"], match["reference"]) if action else None


class Registry:
    def __init__(self, region: str, blobs: BlobStore, tokens: Tokens, enforcer: Enforcer, secret: bytes):
        self.region, self.blobs, self.tokens, self.enforcer, self.secret = region, blobs, tokens, enforcer, secret
        self.uploads = ecr_uploads.Uploads(blobs)
        ecr_uploads.install(self.uploads)  # ECR's InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload

    # -- ECR API hooks (see moto_ext.install_ecr_extensions) -------------------
    def issue_token(self, access_key: str | None, host: str) -> tuple[str, str, float]:
        """GetAuthorizationToken: (token, proxyEndpoint, expiresAt) for whoever signed the call."""
        caller = current()  # who signed GetAuthorizationToken, as the server verified it
        principal = None if caller is not None and caller.admin else caller.principal if caller else Principal()
        token, expires = self.tokens.issue(access_key, principal, caller.keys if caller is not None else None)
        return token, f"http://{host}", expires

    def layer_url(self, repository: str, digest: str, host: str) -> str:
        """GetDownloadUrlForLayer: a short-lived signed URL, like ECR's presigned S3 URL."""
        expires = int(time.time()) + 3600
        signature = self._sign(repository, digest, expires)
        return f"http://{host}/iamlab/layers/{repository}/{digest}?expires={expires}&signature={signature}"

    def _sign(self, repository: str, digest: str, expires: int) -> str:
        return hmac.new(self.secret, f"{repository}|{digest}|{expires}".encode(), hashlib.sha256).hexdigest()

    def serve_presigned_layer(self, request: Request, repository: str, digest: str) -> Response:
        """The URL GetDownloadUrlForLayer returns: like an S3 presigned URL, no further auth."""
        try:
            expires = int(request.args.get("expires", "0"))
        except ValueError:
            expires = 0
        expected = self._sign(repository, digest, expires)
        if expires < time.time() or not hmac.compare_digest(expected, request.args.get("signature", "")):
            return errors.RequestExpired("Request has expired or the signature does not match", "s3", "rest-xml").get_response()
        return self._blob(digest, request)

    def forget(self) -> None:
        self.uploads.forget()

    # -- the registry protocol ---------------------------------------------------
    def handle(self, request: Request, host: str) -> Response:
        try:
            return self._handle(request, host)
        except RegistryError as error:
            return error.response()

    def _handle(self, request: Request, host: str) -> Response:
        realm = {"WWW-Authenticate": f'Basic realm="http://{host}/",service="ecr.amazonaws.com"'}
        login = self.tokens.login(request.headers.get("Authorization"))
        if login is None:
            if request.headers.get("Authorization"):
                raise RegistryError(401, "DENIED", "Your authorization token has expired. Reauthenticate and try again.", realm)
            raise RegistryError(401, "UNAUTHORIZED", "Not Authorized", realm)
        if request.path in ("/v2", "/v2/"):
            return Response("{}", content_type="application/json", headers=API_VERSION)
        route = _route(request.method, request.path)
        if route is None:
            raise RegistryError(405, "UNSUPPORTED", f"The operation is unsupported: {request.method} {request.path}")
        action, name, reference = route
        self._authorize(login, action, name, request)
        if moto_ext.repository(self.region, name) is None:
            raise RegistryError(404, "NAME_UNKNOWN", f"The repository with name '{name}' does not exist in the registry "
                                                     f"with id '{settings.ACCOUNT_ID}'")
        handler = {
            "ecr:BatchGetImage": self._manifest, "ecr:PutImage": self._put_manifest, "ecr:ListImages": self._tags,
            "ecr:GetDownloadUrlForLayer": self._layer, "ecr:BatchCheckLayerAvailability": self._layer,
            "ecr:InitiateLayerUpload": self._initiate, "ecr:UploadLayerPart": self._upload_part,
            "ecr:CompleteLayerUpload": self._complete,
        }[action]
        return handler(request, name, reference)

    def _authorize(self, login: Login, action: str, repository: str, request: Request) -> None:
        if login.principal is None or not self.enforcer.enabled:
            return
        call = AwsCall("ecr", action.split(":")[1], self.region, None, {"repositoryName": repository}, "registry",
                       request.remote_addr or "127.0.0.1", login.keys)
        arn = facts.repository_arn(self.region, settings.ACCOUNT_ID, repository)
        decision = self.enforcer.decide(login.principal, action, arn, call)
        if not decision.allowed:
            raise RegistryError(403, "DENIED", decision.denial_message())

    # -- pulls -------------------------------------------------------------------------
    def _manifest(self, request: Request, repository: str, reference: str) -> Response:
        found = moto_ext.find_manifest(self.region, repository, reference)
        if found is None:
            raise RegistryError(404, "MANIFEST_UNKNOWN", f"Requested image not found: {repository}:{reference}")
        manifest, media_type, digest = found
        # A HEAD gets the GET's headers (Content-Length included); werkzeug sends no body for HEAD.
        return Response(manifest.encode(), content_type=media_type, headers={**API_VERSION, "Docker-Content-Digest": digest})

    def _layer(self, request: Request, repository: str, digest: str) -> Response:
        if digest not in moto_ext.layers_of(self.region, repository) and not self.uploads.has_layer(repository, digest):
            raise RegistryError(404, "BLOB_UNKNOWN", f"blob unknown to registry: {digest}")
        return self._blob(digest, request)

    def _blob(self, digest: str, request: Request) -> Response:
        try:
            data = self.blobs.get(digest)
        except KeyError:
            raise RegistryError(404, "BLOB_UNKNOWN", f"blob unknown to registry: {digest}") from None
        headers = {**API_VERSION, "Docker-Content-Digest": digest, "Accept-Ranges": "bytes"}
        wanted = request.headers.get("Range")
        if wanted and request.method == "GET":
            span = _byte_range(wanted, len(data))
            if span is None:
                return Response(b"", status=416, headers={**headers, "Content-Range": f"bytes */{len(data)}"})
            first, last = span
            return Response(data[first:last + 1], status=206, content_type="application/octet-stream",
                            headers={**headers, "Content-Range": f"bytes {first}-{last}/{len(data)}"})
        return Response(data, content_type="application/octet-stream", headers=headers)

    def _tags(self, request: Request, repository: str, _reference: str) -> Response:
        tags = sorted(ecr_uploads.image_tags(self.region, repository))
        last = request.args.get("last")
        if last:
            tags = [t for t in tags if t > last]
        try:
            limit = int(request.args["n"]) if "n" in request.args else None
        except ValueError:
            raise RegistryError(400, "PAGINATION_NUMBER_INVALID", "invalid number of results requested") from None
        headers = dict(API_VERSION)
        if limit is not None and len(tags) > limit:
            tags = tags[:limit]
            headers["Link"] = f'</v2/{repository}/tags/list?last={tags[-1]}&n={limit}>; rel="next"'
        return Response(json.dumps({"name": repository, "tags": tags}), content_type="application/json", headers=headers)

    # -- pushes ------------------------------------------------------------------------
    def _upload_headers(self, repository: str, upload_id: str, size: int) -> dict:
        return {**API_VERSION, "Location": f"/v2/{repository}/blobs/uploads/{upload_id}", "Docker-Upload-UUID": upload_id,
                "Range": f"0-{max(size - 1, 0)}", "Content-Length": "0"}

    def _initiate(self, request: Request, repository: str, _reference: str) -> Response:
        upload_id = self.uploads.initiate(repository)  # ECR mounts nothing across repositories: ?mount= starts an upload
        digest = request.args.get("digest")
        if digest:  # a monolithic upload: POST with the whole blob
            self._receive(repository, upload_id, request)
            return self._finish(repository, upload_id, digest)
        return Response(b"", status=202, headers=self._upload_headers(repository, upload_id, 0))

    def _upload_part(self, request: Request, repository: str, upload_id: str) -> Response:
        if request.method == "DELETE":
            self._call(self.uploads.size, repository, upload_id)
            return Response(b"", status=204, headers=API_VERSION)
        if request.method == "PATCH":
            self._receive(repository, upload_id, request)
        size = self._call(self.uploads.size, repository, upload_id)
        return Response(b"", status=202 if request.method == "PATCH" else 204,
                        headers=self._upload_headers(repository, upload_id, size))

    def _complete(self, request: Request, repository: str, upload_id: str) -> Response:
        digest = request.args.get("digest")
        if not digest:
            raise RegistryError(400, "DIGEST_INVALID", "provided digest did not match uploaded content: no digest given")
        self._receive(repository, upload_id, request)
        return self._finish(repository, upload_id, digest)

    def _receive(self, repository: str, upload_id: str, request: Request) -> None:
        data = _body(request, ecr_uploads.MAX_UPLOAD_BYTES)
        if data:
            self._call(self.uploads.append, repository, upload_id, data)

    def _finish(self, repository: str, upload_id: str, digest: str) -> Response:
        self._call(self.uploads.complete, repository, upload_id, [digest], invalid="DIGEST_INVALID")
        return Response(b"", status=201, headers={**API_VERSION, "Location": f"/v2/{repository}/blobs/{digest}",
                                                   "Docker-Content-Digest": digest, "Content-Length": "0"})

    def _call(self, method, repository: str, upload_id: str, *args, invalid: str = "BLOB_UPLOAD_INVALID"):
        """An upload step, its ECR exception turned into the registry's error."""
        try:
            return method(repository, upload_id, *args, settings.ACCOUNT_ID)
        except ecr_uploads.UploadNotFoundException as error:
            raise RegistryError(404, "BLOB_UPLOAD_UNKNOWN", error.message) from None
        except ecr_uploads.LayerPartTooLargeException as error:
            raise RegistryError(413, "SIZE_INVALID", error.message) from None
        except (ecr_uploads.InvalidLayerException, ecr_uploads.InvalidLayerPartException) as error:
            raise RegistryError(400, invalid, error.message) from None

    def _put_manifest(self, request: Request, repository: str, reference: str) -> Response:
        body = _body(request, MAX_MANIFEST_BYTES)
        try:
            manifest = json.loads(body)
        except ValueError:
            raise RegistryError(400, "MANIFEST_INVALID", "manifest invalid: the body is not JSON") from None
        if not isinstance(manifest, dict):
            raise RegistryError(400, "MANIFEST_INVALID", "manifest invalid: the body is not a manifest")
        media_type = (request.headers.get("Content-Type") or manifest.get("mediaType") or "").split(";")[0].strip()
        known = moto_ext.layers_of(self.region, repository)
        for descriptor in [manifest.get("config") or {}] + list(manifest.get("layers") or []):
            digest = descriptor.get("digest") if isinstance(descriptor, dict) else None
            if digest and digest not in known and not self.uploads.has_layer(repository, digest):
                raise RegistryError(400, "MANIFEST_BLOB_UNKNOWN", f"blob unknown to registry: {digest}")
        digest = digest_of(body)
        tag = None if reference.startswith("sha256:") else reference
        if tag is None and reference != digest:
            raise RegistryError(400, "DIGEST_INVALID", f"provided digest did not match uploaded content: {reference}")
        ecr_uploads.put_image(self.region, repository, body.decode(), media_type, tag)
        return Response(b"", status=201, headers={**API_VERSION, "Location": f"/v2/{repository}/manifests/{digest}",
                                                   "Docker-Content-Digest": digest, "Content-Length": "0"})


def _body(request: Request, limit: int) -> bytes:
    """The request body, refused past ``limit`` bytes before it is all in memory."""
    if request.content_length is not None and request.content_length > limit:
        raise RegistryError(413, "SIZE_INVALID", f"The request body is larger than the sandbox accepts ({limit} bytes).")
    data = request.stream.read(limit + 1)
    if len(data) > limit:
        raise RegistryError(413, "SIZE_INVALID", f"The request body is larger than the sandbox accepts ({limit} bytes).")
    return data


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """``bytes=first-last`` (one range) as inclusive offsets inside the blob, or None if unsatisfiable."""
    match = _RANGE.match(header.strip())
    if not match or match[1] == match[2] == "":
        return None
    if match[1] == "":  # the last N bytes
        count = int(match[2])
        return (max(size - count, 0), size - 1) if count and size else None
    first = int(match[1])
    last = min(int(match[2]), size - 1) if match[2] else size - 1
    return (first, last) if first < size and first <= last else None
