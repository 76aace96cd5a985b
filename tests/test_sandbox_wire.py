"""The sandbox on the wire: how an answer leaves the server (issue 10).

Terraform's AWS provider (Go's net/http under aws-sdk-go-v2) was seen, in packet captures
of cold applies, closing its connection 0.2-0.5 ms after the head of a quick answer had
come; the body, sent by werkzeug with a second ``send`` after the thread had waited for the
GIL, met a closed socket and a reset. The SDK saw no answer and sent the request again,
which the sandbox had already run: ``EntityAlreadyExists`` on a ``CreateRole``. These tests
play that client on a raw socket: the request head and its body in two writes, as Go does,
then it keeps only what has come by the time the head is complete. The gap between
werkzeug's two sends is made wide on purpose, so the old server fails every time.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from iamlab.sandbox import settings
from iamlab.sandbox.images import BlobStore
from iamlab.sandbox.server import ResponseHandler, SandboxApp, make_sandbox_server

from . import waits

REGION = "us-east-1"
GIL_WAIT = 0.3  # seconds between werkzeug's send of the head and its send of the body


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    key_id, secret = settings.new_learner_keys()
    app = SandboxApp(REGION, BlobStore(tmp_path_factory.mktemp("wire") / "blobs"), key_id, secret)
    app.reset()
    httpd = make_sandbox_server(app)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, key_id, secret
    httpd.shutdown()


@pytest.fixture
def slow_between_head_and_body(monkeypatch):
    """The thread that has just finished the head waits for the GIL before the body (widened)."""
    finish_head = ResponseHandler.end_headers

    def end_headers(self):
        finish_head(self)
        if self.command == "POST":
            time.sleep(GIL_WAIT)

    monkeypatch.setattr(ResponseHandler, "end_headers", end_headers)


def signed(port: int, key_id: str, secret: str, body: bytes, extra: dict | None = None) -> tuple[bytes, bytes]:
    """A signed IAM query request, split as Go's net/http writes it: the head, then the body."""
    url = f"http://{settings.HOST}:{port}/"
    headers = {"Content-Type": "application/x-www-form-urlencoded", **(extra or {})}
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    SigV4Auth(Credentials(key_id, secret), "iam", REGION).add_auth(request)
    lines = ["POST / HTTP/1.1", f"Host: {settings.HOST}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in request.headers.items() if name.lower() != "content-length"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode(), body


def split_answer(data: bytes) -> tuple[bytes, bytes, int]:
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    return head, rest, length


def test_the_head_of_an_answer_never_comes_without_its_body(server, slow_between_head_and_body):
    """What the provider had when it closed: the head, and the body only if it came with it."""
    httpd, key_id, secret = server
    head, body = signed(httpd.server_address[1], key_id, secret, b"Action=GetUser&Version=2010-05-08")
    with socket.create_connection((settings.HOST, httpd.server_address[1]), timeout=waits.bound(waits.REQUEST)) as conn:
        conn.sendall(head)
        time.sleep(0.001)  # Go flushes the head, then writes the body
        conn.sendall(body)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = conn.recv(65536)
            assert chunk, f"the server closed before the head was complete: {received!r}"
            received += chunk
        # Here the provider closed its connection: whatever has not come is lost.
    status, rest, length = split_answer(received)
    assert status.startswith(b"HTTP/1.1 200"), status
    assert len(rest) == length, (
        f"the head came alone ({len(rest)} of {length} body bytes with it): a client that closes "
        "after the head loses the answer, and retries a request the sandbox has already run")
    assert b"<UserName>learner</UserName>" in rest


def test_every_answer_of_an_apply_leaves_in_one_write(server, monkeypatch):
    """No GIL wait needed: the head does not reach the socket before the body is written."""
    httpd, key_id, secret = server
    port = httpd.server_address[1]
    sends: list[int] = []
    client: dict[str, int] = {}

    def ours(sock) -> bool:  # the server's end of this test's connection
        try:
            return sock.getsockname()[1] == port and sock.getpeername()[1] == client.get("port")
        except OSError:
            return False

    def counting(name):
        real = getattr(socket.socket, name)

        def send(self, data, *args):
            if ours(self):
                sends.append(len(data))
            return real(self, data, *args)

        return send

    for name in ("send", "sendall"):
        monkeypatch.setattr(socket.socket, name, counting(name))
    head, body = signed(port, key_id, secret, b"Action=ListRoles&Version=2010-05-08")
    with socket.create_connection((settings.HOST, port), timeout=waits.bound(waits.REQUEST)) as conn:
        client["port"] = conn.getsockname()[1]
        conn.sendall(head + body)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    monkeypatch.undo()
    status, rest, length = split_answer(received)
    assert status.startswith(b"HTTP/1.1 200") and len(rest) == length
    assert sends == [len(received)], f"the answer left in {len(sends)} writes: {sends}"


def test_a_client_that_expects_100_continue_gets_it_at_once(server):
    """Buffered answers must not hold back the interim answer a client waits for before its body."""
    httpd, key_id, secret = server
    body = b"Action=GetUser&Version=2010-05-08"
    head, _ = signed(httpd.server_address[1], key_id, secret, body, {"Expect": "100-continue"})
    with socket.create_connection((settings.HOST, httpd.server_address[1]), timeout=waits.bound(waits.REQUEST)) as conn:
        conn.sendall(head)
        # botocore and Go wait about a second, then send the body anyway; here the body is held back
        # until the interim answer comes, so a server that waits for the body never sends one
        conn.settimeout(waits.bound(waits.REQUEST))
        interim = conn.recv(65536)
        assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), interim
        conn.settimeout(waits.bound(waits.REQUEST))
        conn.sendall(body)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    final = received[received.rfind(b"HTTP/1.1 2"):] if b"HTTP/1.1 2" in received else received
    status, rest, length = split_answer(final)
    assert status.startswith(b"HTTP/1.1 200") and len(rest) == length, received[:300]
