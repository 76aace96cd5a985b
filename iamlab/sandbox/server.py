"""The sandbox process: moto, wrapped by the course, on 127.0.0.1.

Run as ``python -m iamlab.sandbox.server --home DIR``. It lives in its own process
group so it outlives notebook kernels, binds loopback only, seeds the account, and
announces itself by writing a state file that clients read (see ``manager``).

A request flows through ``SandboxApp``:

    /iamlab/...   the course's own routes (health, reset, instance credentials, activity)
    /v2/...       the container registry (registry.py)
    AWS API       signed by a role session? -> the access engine decides (enforcement.py)
                  IAM's policy simulator    -> answered by the engine (simulator.py)
                  everything else           -> moto
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import re
import secrets
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import errors, moto_ext, settings, sigv4, simulator, unoffered
from .changes import AccountVersion
from .enforcement import Caller, Enforcer, current, serving
from .identity import InstanceCredentials, Learner, NoCredentials, signer_for, signer_keys
from .images import BlobStore
from .registry import Registry, Tokens
from .seed import seed_account
from .state import StateFile

OPEN_ROUTES = {"/iamlab/health"}
_INSTANCE = re.compile(r"^/iamlab/instances/(?P<id>[^/]+)/(?P<rest>.+)$")
_ROLE_CREDENTIALS = re.compile(r"^latest/meta-data/iam/security-credentials/(?P<role>[^/]*)$")
_PRESIGNED_LAYER = re.compile(r"^/iamlab/layers/(?P<repository>.+)/(?P<digest>sha256:[0-9a-f]{64})$")


class ResetGate:
    """Requests share the account; a reset has it alone: no request sees half a reset (its key
    checked in the old account, its call run in the new). The first requests after a reset
    build nothing big: ``reset`` builds IAM, EC2 and ECR, and moto no longer builds the
    other partitions' IAM on the first request (``moto_ext``: the one account)."""

    def __init__(self):
        self._condition = threading.Condition()
        self._readers = 0
        self._resetting = False

    @contextmanager
    def request(self):
        with self._condition:
            while self._resetting:
                self._condition.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._condition:
                self._readers -= 1
                self._condition.notify_all()

    @contextmanager
    def reset(self):
        with self._condition:
            while self._resetting:
                self._condition.wait()
            self._resetting = True
            while self._readers:
                self._condition.wait()
        try:
            yield
        finally:
            with self._condition:
                self._resetting = False
                self._condition.notify_all()


class SandboxApp:
    """WSGI app: the course's routes and registry, then AWS APIs: signature, then moto with the engine's hook."""

    def __init__(self, region: str, blobs: BlobStore, learner_key_id: str = "", learner_secret: str = ""):
        self.region = region
        self.learner = Learner(learner_key_id, learner_secret or secrets.token_urlsafe(30))
        self.blobs = blobs
        self.moto = moto_ext.make_wsgi_app()
        self.enforcer = Enforcer(region)
        self.enforcer.simulate = simulator.respond
        self.credentials = InstanceCredentials(region)
        self.tokens = Tokens()
        self.registry = Registry(region, blobs, self.tokens, self.enforcer, secrets.token_bytes(32))
        moto_ext.install_ecr_extensions(moto_ext.EcrHooks(issue_token=self.registry.issue_token,
                                                          layer_url=self.registry.layer_url))
        moto_ext.install_dispatch_hooks(moto_ext.DispatchHooks(
            on_parsed=self.enforcer.on_parsed, on_s3=self.enforcer.on_s3,
            access_key=lambda: current().access_key if current() else None,
            region=lambda: current().region if current() else None))
        self.gate = ResetGate()
        self._keys_of: dict[tuple[str, str], dict] = {}  # (access key, region) -> the credentials' context keys
        self.version = AccountVersion()
        self.started = time.time()

    @property
    def learner_key_id(self) -> str:
        return self.learner.key_id

    def reset(self) -> None:
        """A fresh account, seeded as the lesson expects."""
        with self.gate.reset():
            moto_ext.reset_all()
            self.credentials.forget()
            self._keys_of.clear()
            self.tokens.forget()
            self.registry.forget()  # uploads in progress belong to the old account
            self.enforcer.activity.clear()
            self.version.renew()
            self.learner.create(self.region)
            moto_ext.ec2(self.region)  # build EC2 (AMIs, instance types) now, not inside a learner's request
            seed_account(self.region, self.blobs)

    def owner(self, request: Request) -> bool:
        return secrets.compare_digest(request.headers.get("X-Iamlab-Key", ""), self.learner.secret)

    # -- dispatch ------------------------------------------------------------
    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/iamlab/"):
            request = Request(environ)
            if path not in OPEN_ROUTES and not path.startswith("/iamlab/layers/") and not self.owner(request):
                return _json({"error": "This sandbox belongs to another user (or the X-Iamlab-Key header is missing)."},
                             status=403)(environ, start_response)
            if path == "/iamlab/reset" and request.method == "POST":
                self.reset()  # takes the account alone: outside the requests' shared gate
                return _json({"ok": True, "reset": True})(environ, start_response)
            with self.gate.request():
                return self._course_route(request)(environ, start_response)
        if path == "/v2" or path.startswith("/v2/"):
            request = Request(environ)
            try:
                with self.gate.request():
                    return self.registry.handle(request, request.host)(environ, start_response)
            finally:
                if request.method not in ("GET", "HEAD"):
                    self.version.changed()
        if path.startswith("/moto-api"):
            if not self.owner(Request(environ)):
                return _json({"error": "moto's management API is for the sandbox's owner only."}, status=403)(
                    environ, start_response)
            try:
                return self.moto(environ, start_response)
            finally:
                self.version.changed()
        try:
            with self.gate.request():
                response = self._aws(environ)
        except errors.AwsError as error:
            response = error.get_response(environ)
            if not environ.get("iamlab.body_read") and environ.get("CONTENT_LENGTH", "0") not in ("", "0"):
                response.headers["Connection"] = "close"  # an unread body must not become the next request
        return response(environ, start_response)

    def _aws(self, environ) -> Response | _Answer:
        """An AWS API call: who signed it, is the signature theirs, then moto with the engine's hook."""
        target = environ.get("HTTP_X_AMZ_TARGET")
        protocol = "json" if target else "query"
        claim = sigv4.claim(environ)
        if claim is None:
            raise errors.MissingAuthenticationToken("Request is missing Authentication Token", protocol=protocol)
        protocol = errors.protocol_of(claim.service, environ)
        signer = signer_for(claim.access_key, self.learner)
        if signer is None:
            raise errors.InvalidClientTokenId(protocol=protocol)
        if not signer.active:
            raise errors.InvalidClientTokenId(errors.InvalidClientTokenId.INACTIVE, protocol=protocol)
        body = _read_body(environ, protocol)
        try:
            sigv4.check_region(claim, environ)
            sigv4.verify(claim, signer.secret, environ, body)
        except errors.AwsError as error:
            raise error.speaking(claim.service, protocol)
        if signer.session_token is not None and not secrets.compare_digest(claim.session_token or "", signer.session_token):
            raise errors.InvalidClientTokenId("The security token included in the request is invalid.", protocol=protocol)
        if signer.expired:
            raise errors.ExpiredToken(service=claim.service, protocol=protocol)
        if target:
            _check_json_request(environ, body, claim.service)
        environ["iamlab.scope"] = (claim.region, claim.service)  # moto serves the service that was signed for
        unoffered.check(self.moto, environ, claim.service, protocol)
        keys = self._signer_keys(claim.access_key, claim.region, signer)
        if environ.get("HTTP_USER_AGENT"):
            keys["aws:UserAgent"] = environ["HTTP_USER_AGENT"]
        caller = Caller(claim.access_key, signer.principal, signer.admin, claim.region, protocol,
                        environ.get("REMOTE_ADDR", "127.0.0.1"), keys)
        with serving(caller):
            try:
                response = _Answer.run(self.moto, environ)
            except errors.AwsError:  # raised by the hook where a service lets it through
                response = None
            except NotImplementedError as missing:
                raise errors.InvalidAction(f"The sandbox (moto) does not implement this operation: {missing}",
                                           claim.service, protocol) from None
            except Exception as error:  # moto failed: an AWS error, never an HTML page
                logging.getLogger(__name__).exception("moto failed")
                raise errors.InternalFailure(f"The sandbox (moto) failed on this request: {type(error).__name__}.",
                                             claim.service, protocol) from None
        self.version.after_call(caller.action, response.status_code if response is not None else 500,
                                refused=caller.refusal is not None)
        if caller.refusal is not None or (not caller.admin and not caller.decided):
            if response is not None:
                response.close()  # moto's answer is never sent
        if caller.refusal is not None:
            refusal = caller.refusal
            if isinstance(refusal, errors.AwsError):
                return refusal.speaking(refusal.service or claim.service, protocol).get_response(environ)
            return refusal.get_response(environ)
        if not caller.admin and not caller.decided:
            # moto ran something the hook never saw: never allowed for a role session.
            raise errors.AccessDenied.for_protocol(
                f"User: {caller.principal.arn} is not authorized to perform this request: the sandbox could not "
                "tell which action it is", claim.service, protocol)
        if response is None or (response.status_code >= 500 and "html" in response.content_type):
            if response is not None:
                response.close()
            raise errors.InternalFailure(
                "The sandbox (moto) failed on this request; it is not a valid call of this API, or moto lacks it.",
                claim.service, protocol)
        return response

    def _signer_keys(self, access_key: str, region: str, signer) -> dict:
        """The credentials' context keys (``identity.signer_keys``), worked out once per key and region:
        they do not change while the credentials live (a reset forgets them)."""
        found = self._keys_of.get((access_key, region))
        if found is None:
            found = signer_keys(signer, region, self.credentials.instance_of(access_key) if signer.issued else None)
            if len(self._keys_of) > 10000:
                self._keys_of.clear()
            self._keys_of[(access_key, region)] = found
        return dict(found)

    def _course_route(self, request: Request) -> Response:
        path = request.path
        if path == "/iamlab/health":
            return _json({"ok": True, "pid": os.getpid(), "region": self.region, "uptime": time.time() - self.started,
                          "enforcement": self.enforcer.enabled, "account_version": str(self.version)})
        if path == "/iamlab/enforcement" and request.method == "POST":
            try:
                self.enforcer.enabled = bool(json.loads(request.get_data() or b"{}").get("enabled", True))
            except (ValueError, AttributeError):
                return _json({"error": 'Send {"enabled": true|false}.'}, status=400)
            return _json({"enforcement": self.enforcer.enabled})
        if path == "/iamlab/activity":
            if request.method == "DELETE":
                self.enforcer.activity.clear()
                return _json({"cleared": True})
            who = request.args.get("principal")
            records = [r.as_dict() for r in self.enforcer.activity if not who or r.principal.startswith(who)]
            return _json({"activity": records})
        match = _INSTANCE.match(path)
        if match:
            return self._metadata(request, match["id"], match["rest"])
        match = _PRESIGNED_LAYER.match(path)
        if match:
            return self.registry.serve_presigned_layer(request, match["repository"], match["digest"])
        return _json({"error": f"no such sandbox route: {request.method} {path}"}, status=404)

    def _metadata(self, request: Request, instance_id: str, rest: str) -> Response:
        """The instance metadata service, per instance: IMDSv2 tokens, then the role's credentials."""
        try:
            if rest == "latest/api/token":
                if request.method != "PUT":
                    return Response("", status=405)
                if "X-Forwarded-For" in request.headers:  # IMDSv2 refuses proxied token requests (SSRF)
                    return Response("", status=403)
                return Response(self.credentials.token(instance_id, request.headers.get("X-aws-ec2-metadata-token-ttl-seconds")),
                                content_type="text/plain")
            role_route = _ROLE_CREDENTIALS.match(rest)
            if rest != "credentials" and not role_route:
                return _json({"error": f"no such metadata path: {rest}"}, status=404)
            self.credentials.check_token(instance_id, request.headers.get("X-aws-ec2-metadata-token"))
            if role_route and not role_route["role"]:
                return Response(self.credentials.role_for(instance_id).name, content_type="text/plain")
            if role_route and role_route["role"] != self.credentials.role_for(instance_id).name:
                return Response("", status=404)  # only the instance's own role has credentials here
            return _json(self.credentials.issue(instance_id))
        except NoCredentials as reason:
            return _json({"Code": reason.code, "Message": reason.message}, status=reason.status)


class _Answer:
    """moto's answer, passed on as moto made it: status, headers and body iterable, with no
    response object built around it. Refusals are known before anything is sent: moto
    has run the request (and the engine's hook, at its parsed dispatch) by the time its
    WSGI app returns; an app that starts its response only while its body is read is run
    to the end first."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status: str, headers: list[tuple[str, str]], body):
        self.status, self.headers, self.body = status, headers, body

    @classmethod
    def run(cls, app, environ) -> _Answer:
        started: list = []
        written: list[bytes] = []

        def start_response(status, headers, exc_info=None):
            if exc_info is not None and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, headers]
            return written.append

        body = app(environ, start_response)
        if not started or written:  # a lazy app, or one using write(): run it to the end now
            try:
                chunks = written + list(body)
            finally:
                if hasattr(body, "close"):
                    body.close()
            if not started:
                raise RuntimeError("moto's WSGI app returned without starting a response")
            body = chunks
        answer = cls(started[0], list(started[1]), body)
        if environ.get("REQUEST_METHOD") == "HEAD" or answer.status_code in (204, 304) or 100 <= answer.status_code < 200:
            answer.close()  # no body, as werkzeug's Response sends none for these
            answer.body = ()
        return answer

    @property
    def status_code(self) -> int:
        try:
            return int(self.status.split(None, 1)[0])
        except (ValueError, IndexError):
            return 500

    @property
    def content_type(self) -> str:
        return next((value for name, value in self.headers if name.lower() == "content-type"), "")

    def close(self) -> None:
        if hasattr(self.body, "close"):
            self.body.close()

    def __call__(self, environ, start_response):
        start_response(self.status, self.headers)
        return self.body


def _read_body(environ, protocol: str) -> bytes:
    """Read the request body (at most ``settings.MAX_BODY``), and put it back for moto."""
    import io

    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise errors.SerializationError("Content-Length is not a number.", protocol=protocol) from None
    if length > settings.MAX_BODY:
        raise errors.RequestTooLarge(f"The request body is {length} bytes; the sandbox accepts at most "
                                     f"{settings.MAX_BODY}.", protocol=protocol)
    stream = environ["wsgi.input"]
    if length > 0:
        body = stream.read(length)
    elif environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        body = stream.read(settings.MAX_BODY + 1)
        if len(body) > settings.MAX_BODY:
            raise errors.RequestTooLarge(f"The request body is larger than {settings.MAX_BODY} bytes.", protocol=protocol)
        environ["CONTENT_LENGTH"] = str(len(body))
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["iamlab.body_read"] = True
    return body


def _check_json_request(environ, body: bytes, service: str = "") -> None:
    """The JSON protocol: one operation (X-Amz-Target), parameters only in a JSON object body, each
    of the type the API's model gives it (AWS answers a list sent as a string with a 400
    SerializationException, never by running the call)."""
    if environ.get("QUERY_STRING"):
        raise errors.SerializationError(
            "A JSON-protocol request (X-Amz-Target) takes its parameters from its body only, not the query string.",
            protocol="json")
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise errors.SerializationError("The request body is not a JSON object.", protocol="json")
    shape = _input_shape(service, environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2])
    if shape is not None:
        mismatch = _mismatch(document, shape, "")
        if mismatch:
            raise errors.SerializationError(mismatch, protocol="json")


_JSON_TYPES = {"structure": dict, "map": dict, "list": list, "string": str, "blob": str, "boolean": bool,
               "integer": int, "long": int, "float": (int, float), "double": (int, float), "timestamp": (int, float, str)}


@functools.lru_cache(maxsize=None)
def _input_shape(service: str, operation: str):
    try:
        return moto_ext.service_model(service).operation_model(operation).input_shape
    except Exception:
        return None  # an operation the model does not know: moto and the engine refuse it


def _mismatch(value, shape, path: str) -> str | None:
    """Where ``value`` is not of the type ``shape`` (botocore's model) asks for, in words; None if it is."""
    if value is None:
        return None
    expected = _JSON_TYPES.get(shape.type_name)
    if expected is not None and (not isinstance(value, expected) or (isinstance(value, bool) and shape.type_name
                                                                       not in ("boolean",))):
        found = type(value).__name__.replace("dict", "object").replace("str", "string")
        return f"Unexpected {found} at '{path or '$'}': the API expects a {shape.type_name} there."
    if shape.type_name == "structure":
        for name, item in value.items():
            member = shape.members.get(name)
            problem = _mismatch(item, member, f"{path}.{name}" if path else name) if member is not None else None
            if problem:
                return problem
    elif shape.type_name == "list":
        for index, item in enumerate(value):
            problem = _mismatch(item, shape.member, f"{path}[{index}]")
            if problem:
                return problem
    elif shape.type_name == "map":
        for name, item in value.items():
            problem = _mismatch(item, shape.value, f"{path}.{name}")
            if problem:
                return problem
    return None


def _json(body, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


class ResponseHandler(WSGIRequestHandler):
    """werkzeug's request handler, but an answer leaves in one write: its head with its body.

    werkzeug sends the status line and headers with one ``send`` and the body with the next;
    a thread that waits for the GIL between the two leaves the client holding the head
    without the body (0.2 ms at the median of an apply, up to 33 ms). Terraform's AWS
    provider (Go's net/http under aws-sdk-go-v2) sometimes closes its connection just after
    the head of a quick answer has come, and then the body that follows is refused with a
    reset: the SDK saw no answer and sends the request again. The sandbox has run it: a read
    is answered twice, and a ``CreateRole`` or ``CreateInstanceProfile`` gets
    ``EntityAlreadyExists`` (issue 10). Buffered, the head
    waits for the body's first bytes, and werkzeug flushes after each chunk: an answer that
    fits the buffer (every API answer of the course) is one write, so the client has all of
    it the moment it has the head."""

    wbufsize = 64 * 1024

    def handle_expect_100(self) -> bool:
        answered = super().handle_expect_100()
        self.wfile.flush()  # an interim answer goes now: the client waits for it before sending its body
        return answered


def make_sandbox_server(app, port: int = 0):
    """The sandbox's HTTP server on loopback: a thread per connection, answers in one write."""
    return make_server(settings.HOST, port, app, threaded=True, request_handler=ResponseHandler)


def _hold_lock(home: Path):
    """One sandbox per course home: the server holds ``server.lock`` (with its pid) while it
    lives, so clients find it even when the state file is corrupt or gone."""
    import fcntl

    handle = open(home / "server.lock", "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        print(f"IAMLAB-ERROR: another sandbox already runs for {home}", flush=True)
        sys.exit(4)
    handle.truncate(0)
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def serve(home: Path, port: int) -> None:
    lock = _hold_lock(home)  # noqa: F841 - held for the process's life
    state = StateFile(home)
    blobs = BlobStore(home / "blobs")
    key_id, secret = settings.new_learner_keys()
    app = SandboxApp(settings.region(), blobs, key_id, secret)
    try:
        server = make_sandbox_server(app, port)
    except (OSError, SystemExit):  # werkzeug reports "address in use" by exiting
        # The client recognises this line and explains it to the learner.
        print(f"IAMLAB-ERROR: cannot listen on {settings.HOST}:{port}", flush=True)
        sys.exit(3)
    app.reset()
    actual_port = server.server_address[1]

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    state.write(pid=os.getpid(), port=actual_port, region=app.region, started=app.started,
                learner_key_id=key_id, learner_secret=secret)
    print(f"iamlab sandbox listening on http://{settings.HOST}:{actual_port}", flush=True)
    try:
        server.serve_forever()
    finally:
        state.remove_if_mine(os.getpid())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, required=True, help="the sandbox's runtime folder")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    serve(args.home, args.port)


if __name__ == "__main__":
    main()
