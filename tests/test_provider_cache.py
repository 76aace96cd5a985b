"""The warm provider's relay keeps the answers to pure calls and passes everything else through.

A stand-in provider (a gRPC server on a unix socket) counts what reaches it; the real
provider behind the relay is exercised by the warm-provider runs of test_terraform_integration.py.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from concurrent import futures

import grpc
import pytest

from iamlab.terraform import provider_cache

from . import waits

SCHEMA, PREPARE, READ = "/tfplugin5.Provider/GetSchema", "/tfplugin5.Provider/PrepareProviderConfig", "/tfplugin5.Provider/ReadResource"
STDIO = "/plugin.GRPCStdio/StreamStdio"


class StandIn(grpc.GenericRpcHandler):
    def __init__(self):
        self.calls: list[tuple[str, bytes]] = []
        self.stream_ended = threading.Event()

    def service(self, details):
        method = details.method
        if method == STDIO:
            def stdio(request, context):
                context.add_callback(self.stream_ended.set)
                yield b"line 1"
                self.stream_ended.wait(waits.bound(waits.PROCESS_EXIT))  # until Terraform goes
            return grpc.unary_stream_rpc_method_handler(stdio)

        def unary(request, context):
            self.calls.append((method, request))
            if request == b"bad":
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "not a provider block")
            return request + f" #{len(self.calls)}".encode()
        return grpc.unary_unary_rpc_method_handler(unary)


@pytest.fixture
def relayed():
    folder = tempfile.mkdtemp(prefix="relay-")  # short: unix socket paths have a length limit
    provider = StandIn()
    upstream = grpc.server(futures.ThreadPoolExecutor(8), handlers=[provider])
    upstream.add_insecure_port(f"unix:{folder}/plugin1")
    upstream.start()
    reattach = json.dumps({"registry.terraform.io/hashicorp/aws": {
        "Protocol": "grpc", "ProtocolVersion": 5, "Pid": os.getpid(), "Test": True,
        "Addr": {"Network": "unix", "String": f"{folder}/plugin1"}}})
    server, relay, value = provider_cache.start(reattach, f"{folder}/relay.sock")
    entry = json.loads(value)["registry.terraform.io/hashicorp/aws"]
    assert entry["Addr"] == {"Network": "unix", "String": f"{folder}/relay.sock"} and entry["Pid"] == os.getpid()
    assert oct(os.stat(f"{folder}/relay.sock").st_mode & 0o777) == "0o600"
    channel = grpc.insecure_channel(f"unix:{folder}/relay.sock")
    yield provider, relay, channel
    channel.close()
    server.stop(0)
    upstream.stop(0)
    shutil.rmtree(folder, ignore_errors=True)


def test_pure_calls_are_asked_once_per_exact_question(relayed):
    provider, relay, channel = relayed
    prepare, schema = channel.unary_unary(PREPARE), channel.unary_unary(SCHEMA)
    first = prepare(b"provider block A")
    assert prepare(b"provider block A") == first  # the kept answer
    assert prepare(b"provider block B") != first  # another block: asked again
    schema(b"")
    schema(b"")
    assert [m for m, _ in provider.calls] == [PREPARE, PREPARE, SCHEMA]
    assert (relay.hits, len(relay.answers)) == (2, 3)


def test_everything_else_reaches_the_provider_every_time(relayed):
    provider, _, channel = relayed
    read = channel.unary_unary(READ)
    assert read(b"role") != read(b"role")
    assert [m for m, _ in provider.calls] == [READ, READ]


def test_errors_pass_through_and_are_not_kept(relayed):
    provider, relay, channel = relayed
    prepare = channel.unary_unary(PREPARE)
    for _ in range(2):
        with pytest.raises(grpc.RpcError) as raised:
            prepare(b"bad")
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT and raised.value.details() == "not a provider block"
    assert len(provider.calls) == 2 and relay.answers == {}


def test_a_stream_ends_at_the_provider_when_terraform_goes(relayed):
    provider, _, channel = relayed
    lines = channel.unary_stream(STDIO)(b"")
    assert next(lines) == b"line 1"
    lines.cancel()
    assert provider.stream_ended.wait(waits.bound(waits.PROCESS_EXIT)), "the provider's stream never ended"


def test_a_provider_that_died_is_named_so_the_driver_can_retry(relayed):
    from iamlab.terraform import warm_provider

    provider, relay, channel = relayed
    relay.channel.close()  # as if the provider's socket were gone
    relay.channel = grpc.insecure_channel("unix:/nonexistent/iamlab-provider-x/plugin1")
    with pytest.raises(grpc.RpcError) as raised:
        channel.unary_unary(READ)(b"role")
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert warm_provider.lost(f"Error: rpc error: code = Unavailable desc = {raised.value.details()}")
