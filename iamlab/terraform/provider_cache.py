"""The warm provider's answers to questions that never change, kept between commands.

Every Terraform command asks the AWS provider for its schema (about 1.4 s here) and asks
it to validate the provider block (about 2.9 s, twice per apply: the provider's SDK checks
all of its ~1,500 resource types again each time). That was 5-6 s of a 7.9 s no-change
apply with the provider warm, while the refresh itself took 0.3 s (docs/benchmarks.md).
With the provider warm, those questions and their answers are the same from one command
to the next: the same binary, the same provider block.

This relay sits between Terraform and the warm provider (Terraform reattaches to the
relay's socket instead of the provider's), passes every call through, and keeps the
answers to those pure calls, keyed by the exact bytes of the request: a changed provider
block is a new question, asked of the provider. Reads, plans, applies and the plugin
streams go through untouched.

Run inside the keeper process (``provider_keeper.py``) when ``grpcio`` is installed;
without it, Terraform reattaches to the provider itself, as before.
"""

from __future__ import annotations

import json
import os
import threading
from concurrent import futures

import grpc

# Calls whose answer depends only on the request and the provider binary.
PURE = frozenset({
    "/tfplugin5.Provider/GetSchema",
    "/tfplugin5.Provider/GetMetadata",
    "/tfplugin5.Provider/PrepareProviderConfig",
})
# go-plugin's streams; every other call of the protocol (version 5) is unary.
STREAMS = {"/plugin.GRPCBroker/StartStream": "stream_stream", "/plugin.GRPCStdio/StreamStdio": "unary_stream"}
GONE = "the warm provider behind the relay is gone"
_LARGE = [("grpc.max_receive_message_length", 256 << 20), ("grpc.max_send_message_length", 256 << 20)]


class Relay(grpc.GenericRpcHandler):
    def __init__(self, upstream: str):
        self.channel = grpc.insecure_channel(upstream, options=_LARGE)
        self.answers: dict[tuple[str, bytes], bytes] = {}
        self.hits = 0  # answers given from memory (the questions asked of the provider: len(answers))
        self._lock = threading.Lock()

    def service(self, details):
        method = details.method
        kind = STREAMS.get(method)
        if kind == "stream_stream":
            return grpc.stream_stream_rpc_method_handler(self._stream(self.channel.stream_stream(method)))
        if kind == "unary_stream":
            return grpc.unary_stream_rpc_method_handler(self._stream(self.channel.unary_stream(method)))
        return grpc.unary_unary_rpc_method_handler(self._unary(method, self.channel.unary_unary(method)))

    def _unary(self, method: str, call):
        def answer(request: bytes, context) -> bytes:
            key = (method, request)
            if method in PURE:
                with self._lock:
                    if key in self.answers:
                        self.hits += 1
                        return self.answers[key]
            try:
                reply = call(request)
            except grpc.RpcError as error:
                details = error.details() or ""
                if error.code() == grpc.StatusCode.UNAVAILABLE:
                    details = f"{GONE}: {details}"  # warm_provider.lost() knows this sentence
                context.abort(error.code(), details)
            if method in PURE:
                with self._lock:
                    self.answers[key] = reply
            return reply

        return answer

    @staticmethod
    def _stream(call):
        def relay(request, context):
            upstream = call(request)
            context.add_callback(upstream.cancel)  # Terraform went: end the provider's side too
            try:
                yield from upstream
            except grpc.RpcError:
                return

        return relay


def start(reattach: str, socket_path: str):
    """Serve a relay to the provider named in ``reattach`` (its TF_REATTACH_PROVIDERS JSON)
    on ``socket_path``; return (server, relay, the reattach value that points at the relay)."""
    providers = json.loads(reattach)
    [(name, entry)] = providers.items()
    if entry.get("Addr", {}).get("Network") != "unix":
        raise ValueError("the provider does not listen on a unix socket")
    relay = Relay("unix:" + entry["Addr"]["String"])
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32), handlers=[relay], options=_LARGE)
    if not server.add_insecure_port("unix:" + socket_path):
        raise OSError(f"cannot listen on {socket_path}")
    server.start()
    os.chmod(socket_path, 0o600)  # the learner's, as the provider's own socket
    return server, relay, json.dumps({name: dict(entry, Addr={"Network": "unix", "String": socket_path})})
