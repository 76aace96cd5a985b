"""The sandbox process: moto, wrapped by the course, on 127.0.0.1.

Run as ``python -m iamlab.sandbox.server --home DIR``. It lives in its own process
group so it outlives notebook kernels, binds loopback only, seeds the account, and
announces itself by writing a state file that clients read (see ``manager``).

Requests flow: client -> ``SandboxApp`` (course routes) -> moto.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from . import moto_ext, settings
from .images import BlobStore
from .seed import seed_account
from .state import StateFile


class SandboxApp:
    """WSGI app: the course's own routes under ``/iamlab/``, everything else to moto."""

    def __init__(self, region: str, blobs: BlobStore):
        self.region = region
        self.blobs = blobs
        self.moto = moto_ext.make_wsgi_app()
        self._reset_lock = threading.Lock()
        self.started = time.time()

    def reset(self) -> None:
        """A fresh account, seeded as the lesson expects."""
        with self._reset_lock:
            moto_ext.reset_all()
            seed_account(self.region, self.blobs)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/iamlab/"):
            return self._course_route(Request(environ))(environ, start_response)
        return self.moto(environ, start_response)

    def _course_route(self, request: Request) -> Response:
        if request.path == "/iamlab/health":
            return _json({"ok": True, "pid": os.getpid(), "region": self.region, "uptime": time.time() - self.started})
        if request.path == "/iamlab/reset" and request.method == "POST":
            self.reset()
            return _json({"ok": True, "reset": True})
        return _json({"error": f"no such sandbox route: {request.method} {request.path}"}, status=404)


def _json(body, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def serve(home: Path, port: int) -> None:
    state = StateFile(home)
    blobs = BlobStore(home / "blobs")
    app = SandboxApp(settings.region(), blobs)
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
    state.write(pid=os.getpid(), port=actual_port, region=app.region, started=app.started)
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
