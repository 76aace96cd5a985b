"""The sandbox, with every request timed from its own side (for benchmarks only).

    python benchmarks/timed_sandbox.py --home HOME/.sandbox --log requests.jsonl

Runs ``iamlab.sandbox.server`` unchanged, with its WSGI app wrapped: each request
appends one line to the log (start time, seconds spent in the sandbox, service and
operation). A benchmark starts this instead of the usual sandbox; the course finds it
through the same state file, so Terraform's provider talks to it as usual.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import urllib.parse
from pathlib import Path


def operation(environ, body: bytes) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.split(".")[-1]
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    form = urllib.parse.parse_qs(body.decode(errors="replace")) if body[:200].find(b"Action=") >= 0 else {}
    return (form.get("Action") or query.get("Action") or [environ.get("PATH_INFO", "")])[0]


def service(environ) -> str:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    parts = auth.split("Credential=")[-1].split("/") if "Credential=" in auth else []
    return parts[3] if len(parts) > 3 else "-"


def wrap(app_class, log_path: Path) -> None:
    original = app_class.__call__
    lock = threading.Lock()

    def timed(self, environ, start_response):
        import io

        started, wall = time.perf_counter(), time.time()
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        reply = b"".join(original(self, environ, start_response))
        record = {"t": round(wall, 4), "s": round(time.perf_counter() - started, 5),
                  "service": service(environ), "op": operation(environ, body)}
        with lock, open(log_path, "a") as log:
            log.write(json.dumps(record) + "\n")
        return [reply]

    app_class.__call__ = timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", type=Path, required=True)
    args = parser.parse_args()
    from iamlab.sandbox import server

    wrap(server.SandboxApp, args.log)
    server.serve(args.home, args.port)


if __name__ == "__main__":
    main()
