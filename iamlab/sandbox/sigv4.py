"""Signature Version 4, checked as AWS checks it, with the secrets the sandbox issued.

moto reads only the key id of a request. The sandbox recomputes the signature over
exactly the headers the client says it signed, and refuses: an Authorization header it
cannot parse in one way (two key ids, stray text), a wrong secret, a date more than 15
minutes away from now, and a body whose hash is not the one signed.

A presigned URL (the signature in X-Amz-* query parameters) is checked the same way,
and lives from X-Amz-Date for X-Amz-Expires seconds (at most a week; S3 says "Request
has expired" after). Other services give a presigned request 15 minutes whatever it
asks, as STS does; the sandbox also holds them to a shorter X-Amz-Expires.
Signature Version 2 is refused, as S3 refuses it for buckets made since 2020.

``canonical_request`` builds the canonical request directly from the WSGI environ
(botocore's ``normalize_url_path`` for the path, the rest as SigV4 and botocore's
``SigV4Auth`` define it). tests/test_sigv4.py proves it equal to what botocore's own
signer computes on every kind of request the sandbox serves (query, JSON, REST with odd
paths, S3 with a signed payload hash, unsigned and streaming payloads, presigned URLs,
folded header whitespace). The signing key, derived by four HMACs from the secret, is
cached per (secret, date, region, service), as the SDKs do.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote

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
_SIGNED_HEADERS = re.compile(r"[a-z0-9;\-]+")  # as in the Authorization header: SigV4 names are lower case
_TIMESTAMP = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z", re.ASCII)


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
    if header is not None and header.startswith("AWS "):  # S3's Signature Version 2: "AWS key:signature"
        raise errors.UnsupportedSignature(service="s3", protocol="rest-xml")
    if header is not None:
        match = _HEADER.fullmatch(header.strip())
        if not match:
            raise errors.IncompleteSignature(
                "Authorization header requires exactly one 'Credential', 'SignedHeaders' and 'Signature' "
                "in AWS Signature Version 4 form.")
        timestamp = environ.get("HTTP_X_AMZ_DATE", "")
        _host_signed(match["headers"].split(";"))
        return Signed(match["key"], match["date"], match["region"], match["service"],
                      tuple(match["headers"].split(";")), match["signature"], timestamp,
                      environ.get("HTTP_X_AMZ_SECURITY_TOKEN"), presigned=False)
    query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    if any(name in query for name in _PRESIGN_PARAMS):
        parts = query.get("X-Amz-Credential", "").split("/")
        if query.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or len(parts) != 5 or parts[4] != "aws4_request" \
                or not _KEY.fullmatch(parts[0]) or not all(query.get(name) for name in _PRESIGN_PARAMS):
            error = errors.AuthorizationQueryParametersError(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
                "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
            raise error.speaking(parts[3], errors.protocol_of(parts[3])) if len(parts) == 5 else error
        if not _SIGNED_HEADERS.fullmatch(query["X-Amz-SignedHeaders"]):
            raise errors.IncompleteSignature("The presigned URL's X-Amz-SignedHeaders must list lower-case header names.")
        _host_signed(query["X-Amz-SignedHeaders"].split(";"), parts[3])
        return Signed(parts[0], parts[1], parts[2], parts[3], tuple(query["X-Amz-SignedHeaders"].split(";")),
                      query["X-Amz-Signature"], query["X-Amz-Date"], query.get("X-Amz-Security-Token"),
                      presigned=True, expires=query.get("X-Amz-Expires"))
    if "AWSAccessKeyId" in query or "SignatureVersion" in query:
        s3_style = "Expires" in query  # S3's SigV2 presigned URL; the query APIs name SignatureVersion=2
        raise errors.UnsupportedSignature(service="s3" if s3_style else "", protocol="rest-xml" if s3_style else "query")
    return None


def _host_signed(names: list[str], service: str = "") -> None:
    """SigV4 signs the Host header always: without it a signature could be replayed at another endpoint."""
    if "host" not in names:
        error = errors.IncompleteSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
        raise error.speaking(service, errors.protocol_of(service)) if service else error


_HOST_REGION = re.compile(r"\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?(?::\d+)?$")


def check_region(signed: Signed, environ: dict) -> None:
    """The region served is the region signed: a Host naming another region's endpoint is refused,
    as that endpoint refuses a signature scoped to a different region."""
    match = _HOST_REGION.search(environ.get("HTTP_HOST", ""))
    if match and match["region"] != signed.region:
        raise errors.SignatureDoesNotMatch(f"Credential should be scoped to a valid region, not '{signed.region}'. ")


def _requote(text: str) -> str:
    """AWS's canonical form: percent-encode everything but unreserved characters, once."""
    return quote(unquote(text.replace("+", "%20")), safe="-_.~")


def _header(environ: dict, name: str) -> str | None:
    """One header by lower-case name, as ``_headers`` would give it, without reading them all."""
    if "_" in name or name != name.lower():
        return None  # WSGI names never hold these: ``_headers`` cannot produce such a name
    if name in ("content-type", "content-length"):
        key = name.upper().replace("-", "_")
        return environ[key] if environ.get(key) else environ.get(f"HTTP_{key}")
    return environ.get("HTTP_" + name.upper().replace("-", "_"))


def _raw_target(environ: dict) -> tuple[str, str]:
    """(path, query) exactly as they travelled on the request line."""
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "/"))
    raw_path, _, raw_query = raw_uri.partition("?")
    return raw_path, raw_query


def _unsigned_presigned(signed: Signed, headers: dict[str, str]) -> bool:
    """An S3 presigned URL signs no payload (botocore's ``S3SigV4QueryAuth``); other services'
    presigned URLs sign the body's hash, as their Authorization headers do (``SigV4QueryAuth``)."""
    return signed.presigned and signed.service == "s3" and "x-amz-content-sha256" not in headers


def _payload_hash(signed: Signed, headers: dict[str, str], body: bytes) -> str:
    """The payload line of the canonical request: the declared hash, else the body's SHA-256."""
    declared = headers.get("x-amz-content-sha256")
    if declared is not None:
        return declared
    return hashlib.sha256(body).hexdigest()


def canonical_request(signed: Signed, environ: dict, body: bytes) -> str:
    """The SigV4 canonical request of this WSGI request, computed directly (the fast path)."""
    headers = {}
    for name in signed.signed_headers + ("x-amz-content-sha256",):
        value = _header(environ, name)
        if value is not None:
            headers[name] = value
    raw_path, raw_query = _raw_target(environ)
    if signed.service == "s3":  # S3 signs the path exactly as sent
        path = raw_path or "/"
    else:
        path = quote(normalize_url_path(raw_path or "/"), safe="/~")
    query = raw_query
    if signed.presigned:
        query = "&".join(p for p in query.split("&") if not p.startswith("X-Amz-Signature="))
    pairs = sorted(tuple(p.partition("=")[::2]) for p in query.split("&") if p)
    canonical_query = "&".join(f"{_requote(k)}={_requote(v)}" for k, v in pairs)
    if _unsigned_presigned(signed, headers):
        headers = {**headers, "x-amz-content-sha256": "UNSIGNED-PAYLOAD"}  # as the reference sets it
    values: dict[str, list[str]] = {}
    for name in signed.signed_headers:  # as botocore's headers_to_sign, over the signed names only
        if name in headers:
            values.setdefault(name, []).append(headers[name])
    names = sorted(values)
    canonical_headers = "\n".join(f"{name}:{','.join(' '.join(v.split()) for v in values[name])}" for name in names) + "\n"
    return "\n".join([environ.get("REQUEST_METHOD", "GET").upper(), path, canonical_query, canonical_headers,
                      ";".join(names), _payload_hash(signed, headers, body)])


@lru_cache(maxsize=1024)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """SigV4's derived key: HMAC chain over the credential scope (valid for the whole day)."""
    key = hmac.digest(f"AWS4{secret}".encode(), date.encode(), "sha256")
    for part in (region, service, "aws4_request"):
        key = hmac.digest(key, part.encode(), "sha256")
    return key


def signature(signed: Signed, secret: str, canonical: str) -> str:
    """The signature of a canonical request under ``signed``'s credential scope."""
    scope = f"{signed.timestamp[:8]}/{signed.region}/{signed.service}/aws4_request"
    string_to_sign = f"AWS4-HMAC-SHA256\n{signed.timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = signing_key(secret, signed.timestamp[:8], signed.region, signed.service)
    return hmac.digest(key, string_to_sign.encode(), "sha256").hex()


def _parse_timestamp(timestamp: str) -> datetime:
    match = _TIMESTAMP.fullmatch(timestamp)
    if not match:
        raise ValueError(timestamp)
    return datetime(*(int(part) for part in match.groups()), tzinfo=timezone.utc)


def verify(signed: Signed, secret: str, environ: dict, body: bytes, now: datetime | None = None) -> None:
    """Raise ``SignatureDoesNotMatch`` unless ``secret`` produced this request's signature now."""
    now = now or datetime.now(timezone.utc)
    try:
        when = _parse_timestamp(signed.timestamp)
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
    declared = _header(environ, "x-amz-content-sha256")
    if declared and declared not in _UNSIGNED and not declared.startswith("STREAMING-"):
        if declared != hashlib.sha256(body).hexdigest():
            raise errors.SignatureDoesNotMatch("The provided 'x-amz-content-sha256' header does not match what was computed.")
    expected = signature(signed, secret, canonical_request(signed, environ, body))
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
