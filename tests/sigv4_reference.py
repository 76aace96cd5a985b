"""botocore's own SigV4 signer, applied to a request as the sandbox received it: the
reference that ``iamlab.sandbox.sigv4.canonical_request`` (the sandbox's fast path) must
equal. Test code only: the sandbox itself never builds botocore request objects."""

from __future__ import annotations

from urllib.parse import quote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials
from botocore.utils import normalize_url_path

from iamlab.sandbox.sigv4 import Signed, _raw_target, _requote, _unsigned_presigned


def _headers(environ: dict) -> dict[str, str]:
    """The request's headers as the client sent them, by lower-case name (WSGI joins repeats)."""
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").lower()] = value
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    if environ.get("CONTENT_LENGTH"):
        headers["content-length"] = environ["CONTENT_LENGTH"]
    return headers


class _Recompute(SigV4Auth):
    """botocore's signer, told which headers were signed and how the path travelled (the reference)."""

    def __init__(self, secret: str, signed: Signed, raw_path: str):
        super().__init__(Credentials(signed.access_key, secret), signed.service, signed.region)
        self._signed, self._raw_path = signed, raw_path

    def headers_to_sign(self, request):
        chosen = HTTPHeaders()
        for name in self._signed.signed_headers:
            for value in request.headers.get_all(name) or []:
                chosen[name] = value
        return chosen

    def _normalize_url_path(self, path):
        if self._signed.service == "s3":
            return self._raw_path or "/"
        return quote(normalize_url_path(self._raw_path or "/"), safe="/~")

    def canonical_query_string(self, request):
        query = request.url.partition("?")[2]
        if self._signed.presigned:
            query = "&".join(p for p in query.split("&") if not p.startswith("X-Amz-Signature="))
        pairs = sorted(tuple(p.partition("=")[::2]) for p in query.split("&") if p)
        return "&".join(f"{_requote(k)}={_requote(v)}" for k, v in pairs)


def _botocore_request(signed: Signed, secret: str, environ: dict, body: bytes) -> tuple[_Recompute, AWSRequest]:
    headers = _headers(environ)
    raw_path, raw_query = _raw_target(environ)
    request = AWSRequest(method=environ.get("REQUEST_METHOD", "GET"),
                         url=f"http://{environ.get('HTTP_HOST', '')}{raw_path}?{raw_query}", headers=headers, data=body)
    request.context["timestamp"] = signed.timestamp
    if _unsigned_presigned(signed, headers):
        request.headers["X-Amz-Content-SHA256"] = "UNSIGNED-PAYLOAD"
    return _Recompute(secret, signed, raw_path), request


def botocore_canonical_request(signed: Signed, environ: dict, body: bytes) -> str:
    """The canonical request as botocore's ``SigV4Auth`` computes it (the reference for the fast path)."""
    signer, request = _botocore_request(signed, "unused", environ, body)
    return signer.canonical_request(request)


def botocore_signature(signed: Signed, secret: str, environ: dict, body: bytes) -> str:
    """The signature as botocore's ``SigV4Auth`` computes it, end to end (the reference)."""
    signer, request = _botocore_request(signed, secret, environ, body)
    return signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
