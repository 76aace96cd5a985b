"""Signature Version 4, checked as AWS checks it, with the secrets the sandbox issued.

moto reads only the key id of a request. The sandbox recomputes the signature with
botocore's own signer (the code boto3 signs with), over exactly the headers the
client says it signed, and refuses: an Authorization header it cannot parse in one
way (two key ids, stray text), a wrong secret, a date more than 15 minutes away
from now, and a body whose hash is not the one signed.

A presigned URL (the signature in X-Amz-* query parameters) is checked the same way,
and lives from X-Amz-Date for X-Amz-Expires seconds (at most a week; S3 says "Request
has expired" after). Other services give a presigned request 15 minutes whatever it
asks, as STS does; the sandbox also holds them to a shorter X-Amz-Expires.
Signature Version 2 is refused, as S3 refuses it for buckets made since 2020.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, quote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials
from botocore.utils import normalize_url_path

from . import errors

MAX_SKEW = timedelta(minutes=15)
MAX_EXPIRES = 604800  # a week: the signing key's own life
_HEADER = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[A-Z0-9]{16,128})/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)/"
    r"(?P<service>[a-z0-9-]+)/aws4_request,\s*SignedHeaders=(?P<headers>[a-z0-9;\-]+),\s*Signature=(?P<signature>[0-9a-f]{64})")
_KEY = re.compile(r"[A-Z0-9]{16,128}")
_PRESIGN_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders")
_UNSIGNED = {"UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}


@dataclass(frozen=True)
class Signed:
    """What a request claims: who signed it, when, for which region and service."""

    access_key: str
    date: str  # YYYYMMDD of the credential scope
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    timestamp: str  # X-Amz-Date, YYYYMMDDTHHMMSSZ
    session_token: str | None
    presigned: bool
    expires: str | None = None  # X-Amz-Expires of a presigned URL, as sent


def claim(environ: dict) -> Signed | None:
    """The signature a request carries, or None when unsigned. Raises on a header that does
    not parse as exactly one SigV4 signature (``IncompleteSignature``)."""
    header = environ.get("HTTP_AUTHORIZATION")
    query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    if header is not None and header.startswith("AWS "):  # S3's Signature Version 2: "AWS key:signature"
        raise errors.UnsupportedSignature(service="s3", protocol="rest-xml")
    if header is not None:
        match = _HEADER.fullmatch(header.strip())
        if not match:
            raise errors.IncompleteSignature(
                "Authorization header requires exactly one 'Credential', 'SignedHeaders' and 'Signature' "
                "in AWS Signature Version 4 form.")
        timestamp = environ.get("HTTP_X_AMZ_DATE", "")
        return Signed(match["key"], match["date"], match["region"], match["service"],
                      tuple(match["headers"].split(";")), match["signature"], timestamp,
                      environ.get("HTTP_X_AMZ_SECURITY_TOKEN"), presigned=False)
    if any(name in query for name in _PRESIGN_PARAMS):
        parts = query.get("X-Amz-Credential", "").split("/")
        if query.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or len(parts) != 5 or parts[4] != "aws4_request" \
                or not _KEY.fullmatch(parts[0]) or not all(query.get(name) for name in _PRESIGN_PARAMS):
            error = errors.AuthorizationQueryParametersError(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
                "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
            raise error.speaking(parts[3], errors.protocol_of(parts[3])) if len(parts) == 5 else error
        return Signed(parts[0], parts[1], parts[2], parts[3], tuple(query["X-Amz-SignedHeaders"].split(";")),
                      query["X-Amz-Signature"], query["X-Amz-Date"], query.get("X-Amz-Security-Token"),
                      presigned=True, expires=query.get("X-Amz-Expires"))
    if "AWSAccessKeyId" in query or "SignatureVersion" in query:
        s3_style = "Expires" in query  # S3's SigV2 presigned URL; the query APIs name SignatureVersion=2
        raise errors.UnsupportedSignature(service="s3" if s3_style else "", protocol="rest-xml" if s3_style else "query")
    return None


class _Recompute(SigV4Auth):
    """botocore's signer, told which headers were signed and how the path travelled."""

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
        if self._signed.service == "s3":  # S3 signs the path exactly as sent
            return self._raw_path or "/"
        return quote(normalize_url_path(self._raw_path or "/"), safe="/~")

    def canonical_query_string(self, request):
        query = request.url.partition("?")[2]
        if self._signed.presigned:
            query = "&".join(p for p in query.split("&") if not p.startswith("X-Amz-Signature="))
        pairs = sorted(tuple(p.partition("=")[::2]) for p in query.split("&") if p)
        return "&".join(f"{_requote(k)}={_requote(v)}" for k, v in pairs)


def _requote(text: str) -> str:
    """AWS's canonical form: percent-encode everything but unreserved characters, once."""
    from urllib.parse import unquote

    return quote(unquote(text.replace("+", "%20")), safe="-_.~")


def verify(signed: Signed, secret: str, environ: dict, body: bytes, now: datetime | None = None) -> None:
    """Raise ``SignatureDoesNotMatch`` unless ``secret`` produced this request's signature now."""
    now = now or datetime.now(timezone.utc)
    try:
        when = datetime.strptime(signed.timestamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise errors.IncompleteSignature("The request must carry an X-Amz-Date header in ISO 8601 basic format.") from None
    if signed.timestamp[:8] != signed.date:
        raise errors.SignatureDoesNotMatch("The credential scope's date does not match X-Amz-Date.")
    if signed.presigned:
        _presigned_window(signed, when, now)
    elif abs(now - when) > MAX_SKEW:
        earliest, latest = (now - MAX_SKEW).strftime("%Y%m%dT%H%M%SZ"), (now + MAX_SKEW).strftime("%Y%m%dT%H%M%SZ")
        raise errors.SignatureDoesNotMatch(
            f"Signature expired: {signed.timestamp} is now earlier than {earliest} or later than {latest} "
            "(the request's clock is more than 15 minutes from the sandbox's).")
    host = environ.get("HTTP_HOST", "")
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "/"))
    raw_path, _, raw_query = raw_uri.partition("?")
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").lower()] = value
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    if environ.get("CONTENT_LENGTH"):
        headers["content-length"] = environ["CONTENT_LENGTH"]
    request = AWSRequest(method=environ.get("REQUEST_METHOD", "GET"), url=f"http://{host}{raw_path}?{raw_query}",
                         headers=headers, data=body)
    request.context["timestamp"] = signed.timestamp
    declared = headers.get("x-amz-content-sha256")
    if signed.presigned and signed.service == "s3":  # S3 presigns no payload; other services sign the (empty) body
        request.headers["X-Amz-Content-SHA256"] = declared or "UNSIGNED-PAYLOAD"
    elif declared and declared not in _UNSIGNED and not declared.startswith("STREAMING-"):
        if declared != hashlib.sha256(body).hexdigest():
            raise errors.SignatureDoesNotMatch("The provided 'x-amz-content-sha256' header does not match what was computed.")
    signer = _Recompute(secret, signed, raw_path)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, signed.signature):
        raise errors.SignatureDoesNotMatch(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.")


def _presigned_window(signed: Signed, when: datetime, now: datetime) -> None:
    """A presigned URL is good from X-Amz-Date (give or take the clock skew) for X-Amz-Expires seconds."""
    s3 = signed.service == "s3"
    try:
        expires = int(signed.expires) if signed.expires is not None else None
    except ValueError:
        raise errors.AuthorizationQueryParametersError("X-Amz-Expires should be a number") from None
    if expires is None and s3:
        raise errors.AuthorizationQueryParametersError(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
            "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
    if expires is not None and expires < 0:
        raise errors.AuthorizationQueryParametersError("X-Amz-Expires must be non-negative")
    if expires is not None and expires > MAX_EXPIRES:
        raise errors.AuthorizationQueryParametersError(
            f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_EXPIRES}")
    if when - now > MAX_SKEW:
        raise errors.SignatureDoesNotMatch(
            f"Signature not yet current: {signed.timestamp} is still later than "
            f"{(now + MAX_SKEW).strftime('%Y%m%dT%H%M%SZ')} (the request's clock is ahead of the sandbox's).")
    lifetime = timedelta(seconds=expires) if s3 else min(MAX_SKEW, timedelta(seconds=expires if expires is not None else 900))
    if now > when + lifetime:
        if s3:
            raise errors.RequestExpired()
        raise errors.SignatureDoesNotMatch(
            f"Signature expired: {signed.timestamp} is now earlier than "
            f"{(now - lifetime).strftime('%Y%m%dT%H%M%SZ')} ({now.strftime('%Y%m%dT%H%M%SZ')} - "
            f"{int(lifetime.total_seconds())} s.)")
