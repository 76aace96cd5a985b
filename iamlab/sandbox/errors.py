"""AWS errors the sandbox itself raises, each rendering itself in the caller's protocol.

Modelled on moto's ``core/exceptions.py`` (``RESTError`` / ``JsonRESTError``): an
error is a werkzeug ``HTTPException`` holding a code and a message; the protocol
of the request decides its body. One class per error, so the words live in one place:

    json      ``{"__type": ..., "message": ...}`` (ECR, and any X-Amz-Target call)
    rest-json the same body, the type in ``x-amzn-ErrorType`` (Lambda...)
    query     ``<ErrorResponse><Error>...`` (IAM, STS, SNS...)
    ec2       ``<Response><Errors><Error>...`` (EC2)
    rest-xml  ``<Error>...`` (S3)
"""

from __future__ import annotations

import json
import uuid
from functools import lru_cache
from xml.sax.saxutils import escape

from werkzeug.exceptions import HTTPException

NAMESPACES = {"iam": "https://iam.amazonaws.com/doc/2010-05-08/", "sts": "https://sts.amazonaws.com/doc/2011-06-15/"}


@lru_cache(maxsize=None)
def _model_protocol(service: str) -> str:
    try:
        from . import moto_ext

        return moto_ext.service_model(service).metadata.get("protocol", "query")
    except Exception:  # a service botocore does not know: answer in XML, as most of AWS does
        return "query"


def protocol_of(service: str, environ: dict | None = None) -> str:
    """The wire protocol a request speaks: its X-Amz-Target header, else the service's model."""
    if environ is not None and environ.get("HTTP_X_AMZ_TARGET"):
        return "json"
    protocol = _model_protocol({"lambda": "lambda", "monitoring": "cloudwatch", "email": "ses"}.get(service, service))
    return {"smithy-rpc-v2-cbor": "json"}.get(protocol, protocol)


class AwsError(HTTPException):
    """An AWS error: ``error_code`` and ``message``; ``code`` is the HTTP status."""

    code = 400
    error_code = "InternalFailure"
    json_code: str | None = None  # the JSON protocols' name, when it differs (AccessDeniedException)

    default_message = ""  # what the error says when the raiser gives no message

    def __init__(self, message: str | None = None, service: str = "", protocol: str = "query"):
        message = self.default_message if message is None else message
        super().__init__(message)
        self.message, self.service, self.protocol = message, service, protocol

    def speaking(self, service: str, protocol: str) -> "AwsError":
        self.service, self.protocol = service, protocol
        return self

    @property
    def wire_code(self) -> str:
        return self.json_code if self.protocol in ("json", "rest-json") and self.json_code else self.error_code

    def get_body(self, environ=None, scope=None) -> str:
        request_id = str(uuid.uuid4())
        code, message = self.wire_code, self.message
        if self.protocol in ("json", "rest-json"):
            return json.dumps({"__type": code, "message": message})
        if self.protocol == "ec2":
            return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{code}</Code>'
                    f"<Message>{escape(message)}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>")
        if self.protocol == "rest-xml":
            return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{escape(message)}</Message>'
                    f"<RequestId>{request_id}</RequestId></Error>")
        namespace = NAMESPACES.get(self.service, "")
        return (f'<ErrorResponse xmlns="{namespace}"><Error><Type>Sender</Type><Code>{code}</Code>'
                f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>")

    def get_headers(self, environ=None, scope=None) -> list[tuple[str, str]]:
        content_type = "application/x-amz-json-1.1" if self.protocol == "json" else \
            "application/json" if self.protocol == "rest-json" else "text/xml"
        return [("Content-Type", content_type), ("x-amzn-ErrorType", self.wire_code),
                ("x-amzn-RequestId", str(uuid.uuid4()))]


class AccessDenied(AwsError):
    code, error_code, json_code = 403, "AccessDenied", "AccessDeniedException"

    @property
    def wire_code(self) -> str:
        if self.protocol == "ec2":
            return "UnauthorizedOperation"
        return super().wire_code

    @classmethod
    def for_protocol(cls, message: str, service: str, protocol: str) -> "AccessDenied":
        if protocol == "ec2":
            message = f"You are not authorized to perform this operation. {message}"
        if protocol == "json":  # the JSON protocol answers AccessDeniedException with a 400, as ECR does
            error = cls(message, service, protocol)
            error.code = 400
            return error
        return cls(message, service, protocol)


class InvalidClientTokenId(AwsError):
    code, error_code, json_code = 403, "InvalidClientTokenId", "UnrecognizedClientException"
    HINT = ("The security token included in the request is invalid. (iamlab: no one in this sandbox holds this key: "
            "it never issued it, or the key or its user was deleted. If this shell exported `python -m iamlab sandbox env` before the sandbox restarted, its keys are gone: "
            'run `eval "$(python -m iamlab sandbox env)"` again, or fetch the instance\'s credentials again.)')

    INACTIVE = ("The security token included in the request is invalid. (iamlab: this access key is Inactive; "
                "`aws iam update-access-key --status Active` makes it sign again.)")

    default_message = HINT


class MissingAuthenticationToken(AwsError):
    code, error_code, json_code = 403, "MissingAuthenticationToken", "MissingAuthenticationTokenException"


class SignatureDoesNotMatch(AwsError):
    code, error_code, json_code = 403, "SignatureDoesNotMatch", "InvalidSignatureException"


class IncompleteSignature(AwsError):
    code, error_code, json_code = 400, "IncompleteSignature", "IncompleteSignatureException"


class UnsupportedSignature(AwsError):
    """Signature Version 2: S3 refuses it for buckets made since June 2020, as every sandbox bucket is."""

    code, error_code, json_code = 400, "InvalidRequest", "InvalidSignatureException"
    HINT = ("The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256. "
            "(iamlab: boto3 presigns S3 URLs with Signature Version 2 unless told otherwise: "
            "client('s3', config=botocore.config.Config(signature_version='s3v4')).)")

    default_message = HINT


class AuthorizationQueryParametersError(AwsError):
    """A presigned URL's X-Amz-* parameters are missing or out of range (S3's code)."""

    code, error_code, json_code = 400, "AuthorizationQueryParametersError", "IncompleteSignatureException"


class RequestExpired(AwsError):
    """A presigned S3 URL used after X-Amz-Date + X-Amz-Expires: S3's 403 AccessDenied."""

    code, error_code, json_code = 403, "AccessDenied", "AccessDeniedException"

    default_message = "Request has expired"


class ExpiredToken(AwsError):
    code, error_code, json_code = 403, "ExpiredToken", "ExpiredTokenException"

    default_message = "The security token included in the request is expired"


class RequestTooLarge(AwsError):
    code, error_code, json_code = 413, "RequestEntityTooLarge", "RequestEntityTooLargeException"


class InvalidAction(AwsError):
    code, error_code, json_code = 400, "InvalidAction", "UnknownOperationException"


class SerializationError(AwsError):
    code, error_code, json_code = 400, "MalformedInput", "SerializationException"


class InternalFailure(AwsError):
    code, error_code, json_code = 500, "InternalFailure", "InternalFailure"


class NotOffered(AwsError):
    """A service the sandbox does not serve (moto has no such service): said plainly, with where it is served."""

    code, error_code, json_code = 400, "NotOffered", "NotOfferedException"  # 4xx: an SDK does not retry it

    @classmethod
    def for_service(cls, name: str, offered: str, protocol: str) -> "NotOffered":
        return cls(f"The iamlab sandbox does not offer the {name} service: it is not part of the local AWS account "
                   f"the course runs (which serves {offered}), and nothing was sent to AWS. To use {name}, switch to "
                   "your own AWS account (IAMLAB_MODE=aws, or `python -m iamlab --aws ...`).", name, protocol)


class Named(AwsError):
    """An error whose code its raiser names: the policy simulator passes on its refusal
    (MalformedPolicyDocument, NoSuchEntity, InvalidInput...) with the status that goes with it."""

    def __init__(self, error_code: str, message: str, status: int = 400, service: str = "", protocol: str = "query"):
        super().__init__(message, service, protocol)
        self.error_code, self.code = error_code, status
