"""The sandbox's container registry: the Docker Registry HTTP API v2, as ECR serves it.

``docker pull`` and ``skopeo`` speak this protocol. As on ECR:

* ``aws ecr get-login-password`` (GetAuthorizationToken) gives a token; the
  registry login is user ``AWS`` with that token as password, and the token
  carries the identity that asked for it;
* ``GET /v2/`` checks the login;
* a manifest needs ``ecr:BatchGetImage`` on the repository, a layer download
  ``ecr:GetDownloadUrlForLayer``, a layer ``HEAD`` ``ecr:BatchCheckLayerAvailability``,
  each decided by the access engine as the token's principal.
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
from dataclasses import dataclass

from werkzeug.wrappers import Request, Response

from ..policy import Principal
from . import moto_ext, settings
from .enforcement import AwsCall, Enforcer
from .identity import credentials_expiry, principal_for_access_key
from .images import BlobStore

TOKEN_LIFETIME = 12 * 3600  # as ECR's
API_VERSION = {"Docker-Distribution-API-Version": "registry/2.0"}
_PATH = re.compile(r"^/v2/(?P<name>.+)/(?P<kind>manifests|blobs)/(?P<reference>[^/]+)$")


@dataclass(frozen=True)
class Login:
    principal: Principal | None  # None: the learner, with full access
    expires: float


class Tokens:
    """Registry passwords handed out by GetAuthorizationToken, and whose they are."""

    def __init__(self):
        self._logins: dict[str, Login] = {}
        self._lock = threading.Lock()

    def issue(self, access_key: str | None) -> tuple[str, float]:
        password = "iamlab." + secrets.token_urlsafe(32)
        # Never longer than the credentials that asked for it (ECR: the token expires with them).
        expires = min(time.time() + TOKEN_LIFETIME, credentials_expiry(access_key) or float("inf"))
        with self._lock:
            self._logins[password] = Login(principal_for_access_key(access_key), expires)
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


def _errors(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    body = json.dumps({"errors": [{"code": code, "message": message, "detail": None}]})
    return Response(body, status=status, content_type="application/json; charset=utf-8", headers={**API_VERSION, **(headers or {})})


class Registry:
    def __init__(self, region: str, blobs: BlobStore, tokens: Tokens, enforcer: Enforcer, secret: bytes):
        self.region, self.blobs, self.tokens, self.enforcer, self.secret = region, blobs, tokens, enforcer, secret

    # -- ECR API hooks (see moto_ext.install_ecr_extensions) -------------------
    def issue_token(self, access_key: str | None, host: str) -> tuple[str, str, float]:
        """GetAuthorizationToken: (token, proxyEndpoint, expiresAt) for whoever signed the call."""
        token, expires = self.tokens.issue(access_key)
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
            return Response("<Error><Code>AccessDenied</Code><Message>Request has expired or the signature does not match</Message></Error>",
                            status=403, content_type="application/xml")
        return self._blob(digest, request.method == "HEAD")

    # -- the registry protocol ---------------------------------------------------
    def handle(self, request: Request, host: str) -> Response:
        realm = {"WWW-Authenticate": f'Basic realm="http://{host}/",service="ecr.amazonaws.com"'}
        login = self.tokens.login(request.headers.get("Authorization"))
        if login is None:
            message = "Your authorization token has expired. Reauthenticate and try again." \
                if request.headers.get("Authorization") else "Not Authorized"
            return _errors(401, "DENIED" if request.headers.get("Authorization") else "UNAUTHORIZED", message, realm)
        if request.path in ("/v2", "/v2/"):
            return Response("{}", content_type="application/json", headers=API_VERSION)
        match = _PATH.match(request.path)
        if not match or request.method not in ("GET", "HEAD"):
            return _errors(405, "UNSUPPORTED", "The sandbox registry serves pulls only (GET and HEAD).")
        name, kind, reference = match["name"], match["kind"], match["reference"]
        if moto_ext.repository(self.region, name) is None:
            return _errors(404, "NAME_UNKNOWN", f"The repository with name '{name}' does not exist in the registry "
                                                f"with id '{settings.ACCOUNT_ID}'")
        if kind == "manifests":
            action = "ecr:BatchGetImage"
        else:
            action = "ecr:BatchCheckLayerAvailability" if request.method == "HEAD" else "ecr:GetDownloadUrlForLayer"
        denied = self._authorize(login, action, name, request)
        if denied:
            return denied
        if kind == "manifests":
            return self._manifest(name, reference, request.method == "HEAD")
        if reference not in moto_ext.layers_of(self.region, name):
            return _errors(404, "BLOB_UNKNOWN", f"blob unknown to registry: {reference}")
        return self._blob(reference, request.method == "HEAD")

    def _authorize(self, login: Login, action: str, repository: str, request: Request) -> Response | None:
        if login.principal is None or not self.enforcer.enabled:
            return None
        call = AwsCall("ecr", action.split(":")[1], self.region, None, {"repositoryName": repository}, "registry",
                       request.remote_addr or "127.0.0.1")
        arn = f"arn:aws:ecr:{self.region}:{settings.ACCOUNT_ID}:repository/{repository}"
        decision = self.enforcer.decide(login.principal, action, arn, call)
        if decision.allowed:
            return None
        return _errors(403, "DENIED", decision.denial_message())

    def _manifest(self, repository: str, reference: str, head: bool) -> Response:
        found = moto_ext.find_manifest(self.region, repository, reference)
        if found is None:
            return _errors(404, "MANIFEST_UNKNOWN", f"Requested image not found: {repository}:{reference}")
        manifest, media_type, digest = found
        body = manifest.encode()
        headers = {**API_VERSION, "Docker-Content-Digest": digest, "Content-Length": str(len(body))}
        return Response(b"" if head else body, content_type=media_type, headers=headers)

    def _blob(self, digest: str, head: bool) -> Response:
        try:
            data = self.blobs.get(digest)
        except KeyError:
            return _errors(404, "BLOB_UNKNOWN", f"blob unknown to registry: {digest}")
        headers = {**API_VERSION, "Docker-Content-Digest": digest, "Content-Length": str(len(data))}
        return Response(b"" if head else data, content_type="application/octet-stream", headers=headers)
