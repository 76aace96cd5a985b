"""The sandbox's fast SigV4 check computes exactly what botocore's signer computes (issue 10).

``sigv4.canonical_request`` builds the canonical request straight from the WSGI environ;
``sigv4_reference.botocore_canonical_request`` builds it with botocore's ``SigV4Auth`` and request
objects (the reference). Each request here is signed by botocore as a client would sign it,
turned into the environ a WSGI server hands the sandbox, and then checked three ways: the
two canonical requests are equal, the two signatures are equal, and ``verify`` accepts it
(and refuses it under a wrong secret or a changed body).
"""

from __future__ import annotations

import hashlib
import random
from urllib.parse import quote, unquote, urlsplit

import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from iamlab.sandbox import errors, sigv4

from . import sigv4_reference

KEY, SECRET, TOKEN = "ASIAEXAMPLEKEY123456", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "token/with+odd=chars"
HOST = "127.0.0.1:4599"


def environ_of(request: AWSRequest) -> tuple[dict, bytes]:
    """What a WSGI server (werkzeug) makes of the signed request on the wire."""
    prepared = request.prepare()
    url = urlsplit(prepared.url)
    body = prepared.body or b""
    body = body.encode() if isinstance(body, str) else body
    environ = {"REQUEST_METHOD": prepared.method, "RAW_URI": url.path + (f"?{url.query}" if url.query else ""),
               "PATH_INFO": unquote(url.path), "QUERY_STRING": url.query, "HTTP_HOST": url.netloc,
               "wsgi.url_scheme": "http"}
    for name, value in prepared.headers.items():
        value = value.decode() if isinstance(value, bytes) else value
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    return environ, body


def sign(method: str, path: str, *, service: str, body: bytes = b"", headers: dict | None = None, query: str = "",
         signer=SigV4Auth, presign: bool = False) -> tuple[dict, bytes]:
    url = f"http://{HOST}{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    credentials = Credentials(KEY, SECRET, TOKEN)
    if presign:
        signer(credentials, service, "us-east-1", expires=300).add_auth(request)
    else:
        signer(credentials, service, "us-east-1").add_auth(request)
    return environ_of(request)


CASES = {
    "query protocol (IAM form POST)": lambda: sign(
        "POST", "/", service="iam", body=b"Action=CreateRole&RoleName=r&AssumeRolePolicyDocument=%7B%22a%22%3A+1%7D",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}),
    "JSON protocol (ECR)": lambda: sign(
        "POST", "/", service="ecr", body=b'{"repositoryName": "flask_app", "imageIds": [{"imageTag": "latest"}]}',
        headers={"Content-Type": "application/x-amz-json-1.1",
                 "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.BatchGetImage"}),
    "EC2 query GET with odd parameters": lambda: sign(
        "GET", "/", service="ec2", query="Action=DescribeInstances&Filter.1.Name=tag%3AName&Filter.1.Value.1=a%20b%2Fc~d%2Ae"
                                         "&Version=2016-11-15&Empty="),
    "REST-JSON path with spaces, dots and doubled slashes": lambda: sign(
        "GET", "/2015-03-31/functions/my%20fn/./a//b/../invocations", service="lambda",
        query="Qualifier=%24LATEST&z=1&a=%E2%9C%93"),
    "headers with folded whitespace": lambda: sign(
        "POST", "/", service="ecr", body=b"{}",
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.ListImages",
                 "X-Amz-Meta-Note": "  several   spaces\there  "}),
    "S3 PUT with a signed payload hash and an odd key": lambda: sign(
        "PUT", "/bucket/dir//a%20b/..%2Fc%2Bd~e.txt", service="s3", body=b"hello world", signer=S3SigV4Auth,
        headers={"Content-Type": "text/plain"}),
    "S3 GET with a query": lambda: sign(
        "GET", "/bucket", service="s3", query="list-type=2&prefix=a%2Fb&delimiter=%2F", signer=S3SigV4Auth),
    "S3 unsigned payload": lambda: sign(
        "PUT", "/bucket/key", service="s3", body=b"data", signer=S3SigV4Auth,
        headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}),
    "S3 streaming (aws-chunked) payload": lambda: sign(
        "PUT", "/bucket/key", service="s3", body=b"4;chunk-signature=00\r\ndata\r\n0;chunk-signature=00\r\n\r\n",
        signer=S3SigV4Auth, headers={"X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                                     "Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": "4"}),
    "presigned S3 GET": lambda: sign(
        "GET", "/bucket/a%20b.txt", service="s3", signer=S3SigV4QueryAuth, presign=True,
        query="response-content-type=text%2Fplain"),
    "presigned STS query": lambda: sign(
        "GET", "/", service="sts", signer=SigV4QueryAuth, presign=True, query="Action=GetCallerIdentity&Version=2011-06-15"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_fast_canonical_request_is_botocores(case):
    environ, body = CASES[case]()
    signed = sigv4.claim(environ)
    assert signed is not None and signed.presigned == ("presigned" in case)
    fast = sigv4.canonical_request(signed, environ, body)
    assert fast == sigv4_reference.botocore_canonical_request(signed, environ, body)
    assert sigv4.signature(signed, SECRET, fast) == sigv4_reference.botocore_signature(signed, SECRET, environ, body)
    sigv4.verify(signed, SECRET, environ, body)  # the client's own signature (botocore's) checks out


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_wrong_secret_or_a_changed_request_is_refused(case):
    environ, body = CASES[case]()
    signed = sigv4.claim(environ)
    with pytest.raises(errors.SignatureDoesNotMatch):
        sigv4.verify(signed, SECRET[:-1] + "X", environ, body)
    changed = dict(environ, REQUEST_METHOD="DELETE")
    with pytest.raises(errors.SignatureDoesNotMatch):
        sigv4.verify(signed, SECRET, changed, body)
    if body and not environ.get("HTTP_X_AMZ_CONTENT_SHA256", "").startswith(("UNSIGNED", "STREAMING")):
        with pytest.raises(errors.SignatureDoesNotMatch):
            sigv4.verify(signed, SECRET, environ, body + b" ")


def test_random_requests_canonicalise_as_botocore_does():
    """Paths, queries and header values drawn at random (reserved and non-ASCII characters,
    dot segments, empty values, folded whitespace), signed headers in any order, repeated."""
    rng = random.Random(10)
    alphabet = "aZ09-_.~ /+=&?%:;,!*'()@$\u00e9\u2713\t"

    def text(n):
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, n)))

    for _ in range(1000):
        service = rng.choice(["s3", "ecr", "iam", "lambda", "sts"])
        segments = [rng.choice([".", "..", "", quote(text(6), safe="")]) for _ in range(rng.randint(0, 5))]
        path = "/" + "/".join(segments)
        query = "&".join(f"{quote(text(5), safe='')}" + rng.choice(["", "=", f"={quote(text(6), safe='+')}"])
                         for _ in range(rng.randint(0, 4)))
        names = ["host", "x-amz-date", "content-type", "content-length", "x-amz-meta-a", "x-amz-security-token",
                 "x-amz-content-sha256", "absent", "x_amz_meta_a"]
        signed_names = sorted(rng.sample(names, rng.randint(1, len(names)))) + (["host"] if rng.random() < 0.1 else [])
        environ = {"REQUEST_METHOD": rng.choice(["GET", "post", "PUT"]), "RAW_URI": path + (f"?{query}" if query else ""),
                   "QUERY_STRING": query, "HTTP_HOST": HOST, "HTTP_X_AMZ_DATE": "20261130T120000Z",
                   "HTTP_X_AMZ_META_A": text(12), "HTTP_X_AMZ_SECURITY_TOKEN": TOKEN, "CONTENT_TYPE": text(8).strip()}
        for key in ("HTTP_CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_CONTENT_LENGTH"):  # odd servers, empty values
            if rng.random() < 0.2:
                environ[key] = rng.choice(["", "12", "text/plain"])
        if rng.random() < 0.2:
            environ["CONTENT_TYPE"] = ""
        if rng.random() < 0.5:
            environ["HTTP_X_AMZ_CONTENT_SHA256"] = rng.choice(["UNSIGNED-PAYLOAD", hashlib.sha256(b"x").hexdigest(), ""])
        presigned = rng.random() < 0.3
        body = text(20).encode()
        signed = sigv4.Signed(KEY, "20261130", "us-east-1", service, tuple(signed_names), "0" * 64, "20261130T120000Z",
                              TOKEN, presigned)
        fast = sigv4.canonical_request(signed, environ, body)
        assert fast == sigv4_reference.botocore_canonical_request(signed, environ, body), environ
        assert sigv4.signature(signed, SECRET, fast) == sigv4_reference.botocore_signature(signed, SECRET, environ, body)


def test_the_signing_key_is_cached_per_scope():
    sigv4.signing_key.cache_clear()
    environ, body = CASES["JSON protocol (ECR)"]()
    signed = sigv4.claim(environ)
    for _ in range(3):
        sigv4.verify(signed, SECRET, environ, body)
    info = sigv4.signing_key.cache_info()
    assert (info.misses, info.hits) == (1, 2)
    with pytest.raises(errors.SignatureDoesNotMatch):  # another secret is another key, never the cached one
        sigv4.verify(signed, SECRET + "x", environ, body)


def test_a_presigned_url_must_name_its_signed_headers_in_lower_case():
    environ, _ = CASES["presigned S3 GET"]()
    environ = dict(environ, QUERY_STRING=environ["QUERY_STRING"].replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=Host"))
    with pytest.raises(errors.IncompleteSignature):
        sigv4.claim(environ)


def test_a_malformed_date_is_refused():
    environ, body = CASES["JSON protocol (ECR)"]()
    for bad in ("2026113T120000Z", "20261130T120000", "20261330T120000Z", "２０２６1130T120000Z"):
        signed = sigv4.claim(dict(environ, HTTP_X_AMZ_DATE=bad))
        with pytest.raises((errors.IncompleteSignature, errors.SignatureDoesNotMatch)):
            sigv4.verify(signed, SECRET, environ, body)
