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
import io
import json
import logging
import os
import re
import secrets
import signal
import sys
import threading
import time
from pathlib import Path

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from . import moto_ext, settings, simulator
from .enforcement import Enforcer, denial_response, expired_response, invalid_token_response, parse_call, request_access_key
from .identity import InstanceCredentials, NoCredentials, principal_for_access_key, session_expired
from .images import BlobStore
from .registry import Registry, Tokens
from .seed import seed_account
from .state import StateFile

OPEN_ROUTES = {"/iamlab/health"}
_INSTANCE_CREDENTIALS = re.compile(r"^/iamlab/instances/(?P<id>[^/]+)/credentials$")
_PRESIGNED_LAYER = re.compile(r"^/iamlab/layers/(?P<repository>.+)/(?P<digest>sha256:[0-9a-f]{64})$")


class SandboxApp:
    """WSGI app: the course's routes and registry, the access engine, then moto."""

    def __init__(self, region: str, blobs: BlobStore, learner_key_id: str = ""):
        self.region = region
        self.learner_key_id = learner_key_id
        self.blobs = blobs
        self.moto = moto_ext.make_wsgi_app()
        self.enforcer = Enforcer(region)
        self.credentials = InstanceCredentials(region)
        self.tokens = Tokens()
        self.registry = Registry(region, blobs, self.tokens, self.enforcer, secrets.token_bytes(32))
        moto_ext.install_ecr_extensions(moto_ext.EcrHooks(issue_token=self.registry.issue_token,
                                                          layer_url=self.registry.layer_url))
        self._reset_lock = threading.Lock()
        self.started = time.time()

    def reset(self) -> None:
        """A fresh account, seeded as the lesson expects."""
        with self._reset_lock:
            moto_ext.reset_all()
            self.credentials.forget()
            self.tokens.forget()
            self.enforcer.activity.clear()
            seed_account(self.region, self.blobs)

    # -- dispatch ------------------------------------------------------------
    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/iamlab/"):
            request = Request(environ)
            if path not in OPEN_ROUTES and not path.startswith("/iamlab/layers/") \
                    and request.headers.get("X-Iamlab-Key") != self.learner_key_id:
                return _json({"error": "This sandbox belongs to another user (or the X-Iamlab-Key header is missing)."},
                             status=403)(environ, start_response)
            return self._course_route(request)(environ, start_response)
        if path == "/v2" or path.startswith("/v2/"):
            request = Request(environ)
            return self.registry.handle(request, request.host)(environ, start_response)
        body = _read_body(environ)
        access_key = request_access_key(environ)
        if access_key != self.learner_key_id and principal_for_access_key(access_key) is None:
            # Unsigned, or signed with keys this sandbox never issued: on a shared host, another
            # user's request. Refused as AWS refuses unknown keys.
            return invalid_token_response(environ)(environ, start_response)
        call = parse_call(environ, body)
        if call is not None:
            principal = principal_for_access_key(call.access_key)
            if principal is not None:
                if session_expired(call.access_key):
                    return expired_response(call)(environ, start_response)
                denial = self.enforcer.authorize(call, principal)
                if denial is not None:
                    return denial_response(call, denial)(environ, start_response)
            if call.service == "iam" and call.operation in simulator.OPERATIONS:
                return simulator.respond(call)(environ, start_response)
        return self.moto(environ, start_response)

    def _course_route(self, request: Request) -> Response:
        path = request.path
        if path == "/iamlab/health":
            return _json({"ok": True, "pid": os.getpid(), "region": self.region, "uptime": time.time() - self.started,
                          "enforcement": self.enforcer.enabled})
        if path == "/iamlab/reset" and request.method == "POST":
            self.reset()
            return _json({"ok": True, "reset": True})
        if path == "/iamlab/enforcement" and request.method == "POST":
            self.enforcer.enabled = bool(json.loads(request.get_data() or b"{}").get("enabled", True))
            return _json({"enforcement": self.enforcer.enabled})
        if path == "/iamlab/activity":
            if request.method == "DELETE":
                self.enforcer.activity.clear()
                return _json({"cleared": True})
            who = request.args.get("principal")
            records = [r.as_dict() for r in self.enforcer.activity if not who or r.principal.startswith(who)]
            return _json({"activity": records})
        match = _INSTANCE_CREDENTIALS.match(path)
        if match:
            try:
                return _json(self.credentials.issue(match["id"]))
            except NoCredentials as reason:
                return _json({"Code": reason.code, "Message": reason.message}, status=reason.status)
        match = _PRESIGNED_LAYER.match(path)
        if match:
            return self.registry.serve_presigned_layer(request, match["repository"], match["digest"])
        return _json({"error": f"no such sandbox route: {request.method} {path}"}, status=404)


def _read_body(environ) -> bytes:
    """Read the request body for the authorizer, and put it back for moto."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _json(body, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def serve(home: Path, port: int) -> None:
    state = StateFile(home)
    blobs = BlobStore(home / "blobs")
    key_id, secret = settings.new_learner_keys()
    app = SandboxApp(settings.region(), blobs, key_id)
    try:
        server = make_server(settings.HOST, port, app, threaded=True)
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
