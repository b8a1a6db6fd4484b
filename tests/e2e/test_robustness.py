"""Robustness: garbage, huge, deeply nested and mistyped bodies, broken connections, clients
leaving mid-stream or mid-replay. The server must keep serving everyone else."""

from __future__ import annotations

import json
import random
import socket
import struct
import threading
import time

import pytest

from skiff_e2e import (
    EOF, GrpcStream, HttpStream, get_state, http_request, log_event, log_message, marker,
    post_event, post_event_ok,
)

ROUTES = [("POST", "/v2/execute"), ("PUT", "/v2/build/auto_execute"),
          ("PUT", "/v2/sync/auto_execute"), ("PUT", "/v2/deploy/auto_execute"),
          ("POST", "/v2/events/handle")]
ROUTE_IDS = ["execute", "autobuild", "autosync", "autodeploy", "handle"]


@pytest.fixture(autouse=True)
def server_still_serves(server):
    yield
    assert server.alive(), f"skiff died\n{server.describe()}"
    r = http_request(server.http_port, "GET", "/v2/state")
    assert r.status == 200, f"GetState after the test: {r.status} {r.body[:200]!r}"


def assert_400(r, what):
    assert r.status == 400, f"{what}: {r.status} {r.body[:300]!r}"
    body = r.json()
    assert body.get("code") == 3 and body.get("details") == [] and isinstance(body.get("message"), str), body


@pytest.mark.parametrize("method,path", ROUTES, ids=ROUTE_IDS)
def test_random_bytes(server, method, path):
    rnd = random.Random(f"{method}{path}")
    for size in (1, 7, 64, 4096, 65536):
        payload = bytes(rnd.getrandbits(8) for _ in range(size))
        if payload.strip() == b"":
            continue
        r = http_request(server.http_port, method, path, payload,
                         headers={"Content-Type": "application/octet-stream"})
        assert_400(r, f"{size} random bytes")


@pytest.mark.parametrize("method,path", ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize("payload", [b"\xff\xfe\x00{", b"[]", b"123", b'"a string"', b"[{}]",
                                     b"{\"a\":1,}", b"{\"build\":true} {\"build\":true}"],
                         ids=["bad-utf8", "array", "number", "string", "array-of-object",
                              "trailing-comma", "two-documents"])
def test_non_object_json(server, method, path, payload):
    assert_400(http_request(server.http_port, method, path, payload), repr(payload))


@pytest.mark.parametrize("method,path,body", [
    ("POST", "/v2/execute", {"build": "yes"}),
    ("POST", "/v2/execute", {"build": 1}),
    ("POST", "/v2/execute", {"devloop": [True]}),
    ("PUT", "/v2/build/auto_execute", {"enabled": "true"}),
    ("PUT", "/v2/sync/auto_execute", {"enabled": 0}),
    ("PUT", "/v2/deploy/auto_execute", {"enabled": {}}),
    ("POST", "/v2/events/handle", {"skaffoldLogEvent": "x"}),
    ("POST", "/v2/events/handle", {"skaffoldLogEvent": {"task_id": 5}}),
    ("POST", "/v2/events/handle", {"timestamp": "yesterday", "skaffoldLogEvent": {}}),
    ("POST", "/v2/events/handle", {"portEvent": {"localPort": "abc"}}),
    ("POST", "/v2/events/handle", {"portEvent": {"localPort": 99999999999}}),
    ("POST", "/v2/events/handle", {"portEvent": {"localPort": 1.5}}),
    ("POST", "/v2/events/handle", {"debuggingContainerEvent": {"debugPorts": {"dlv": -1}}}),
    ("POST", "/v2/events/handle", {"skaffoldLogEvent": {"message": "a"}, "taskEvent": {"id": "b"}}),
    ("POST", "/v2/events/handle", {"buildSubtaskEvent": {"artifact": ["x"]}}),
], ids=lambda v: json.dumps(v) if isinstance(v, dict) else str(v).strip("/").replace("/", "_"))
def test_wrong_types_are_400(server, method, path, body):
    before = get_state(server.http_port)
    assert_400(http_request(server.http_port, method, path, body), json.dumps(body))
    assert get_state(server.http_port) == before


def test_unknown_enum_name_is_ignored_like_discard_unknown(server):
    """protojson's DiscardUnknown also ignores unknown enum *names* (the field stays unset)."""
    m = marker("enum")
    with HttpStream(server.http_port) as s:
        r = post_event(server.http_port, {"skaffoldLogEvent": {"task_id": "x", "level": "NOPE",
                                                               "message": m}})
        assert r.status == 200, (r.status, r.body)
        got = s.read_until(lambda o: log_message(o["result"]) == m)[-1]
    assert got["result"]["skaffoldLogEvent"]["level"] == "DEBUG"


def test_huge_event_roundtrips(server):
    m = marker("huge")
    big = m + ("x" * (1024 * 1024))
    with HttpStream(server.http_port) as s:
        post_event_ok(server.http_port, log_event(big))
        got = s.read_until(lambda o: (log_message(o["result"]) or "").startswith(m), timeout=20)[-1]
    assert log_message(got["result"]) == big


def test_three_mib_event_is_accepted(server):
    """Skaffold's gateway reads any body and forwards it to the gRPC server, whose default
    receive limit is 4 MiB: a 3 MiB event is accepted and recorded."""
    m = marker("3mib")
    big = m + ("z" * (3 * 1024 * 1024))
    with HttpStream(server.http_port) as s:
        r = post_event(server.http_port, log_event(big))
        assert r.status == 200, f"{r.status} {r.header('content-type')} {r.body[:200]!r}"
        got = s.read_until(lambda o: (log_message(o["result"]) or "").startswith(m), timeout=20)[-1]
    assert log_message(got["result"]) == big


def test_oversized_body_gets_a_json_error(server):
    """Above the limit the answer is still a google.rpc.Status JSON body (Skaffold: HTTP 429
    {"code":8,"message":"grpc: received message larger than max (… vs. 4194304)",…}),
    delivered to a client that sends the whole body."""
    body = json.dumps(log_event("y" * (6 * 1024 * 1024))).encode()
    try:
        r = http_request(server.http_port, "POST", "/v2/events/handle", body, timeout=30)
    except (ConnectionError, OSError) as e:
        pytest.fail(f"the server dropped the connection instead of answering: {e!r}")
    assert 400 <= r.status < 500, (r.status, r.body[:300])
    assert (r.header("content-type") or "").startswith("application/json"), \
        f"{r.status} {r.header('content-type')} {r.body[:200]!r}"
    err = r.json()
    assert set(err) == {"code", "message", "details"} and err["details"] == [], err


def test_grpc_message_size_limit(server, pb, stub):
    """gRPC: a 3 MiB event is accepted; above the 4 MiB receive limit the call fails and the
    server keeps serving. grpc-go (Skaffold) says RESOURCE_EXHAUSTED, tonic (skiff)
    OUT_OF_RANGE; docs/api.md lists the difference."""
    grpc = pb.grpc_mod
    m = marker("grpc3mib")
    ev = pb.skaffold.Event()
    ev.skaffoldLogEvent.message = m + "w" * (3 * 1024 * 1024)
    assert stub.Handle(ev, timeout=20) == pb.empty()
    ev.skaffoldLogEvent.message = "v" * (5 * 1024 * 1024)
    with pytest.raises(grpc.RpcError) as ei:
        stub.Handle(ev, timeout=20)
    assert ei.value.code() in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.OUT_OF_RANGE), ei.value
    with GrpcStream(stub.Events, pb.empty()) as g:
        g.read_until(lambda e: e.skaffoldLogEvent.message.startswith(m), timeout=20)


def test_many_unknown_fields(server):
    obj = {f"unknown{i}": [i, {"x": str(i)}] for i in range(30000)}
    obj["build"] = False
    r = http_request(server.http_port, "POST", "/v2/execute", obj)
    assert r.status == 200, (r.status, r.body[:300])


def test_moderately_nested_unknown_field_is_ignored(server):
    depth = 40
    body = '{"unknown":' + "[" * depth + "]" * depth + ',"build":false}'
    r = http_request(server.http_port, "POST", "/v2/execute", body)
    assert r.status == 200, (r.status, r.body[:300])


@pytest.mark.parametrize("depth", [1000, 200000])
@pytest.mark.parametrize("method,path", [("POST", "/v2/execute"), ("POST", "/v2/events/handle")],
                         ids=["execute", "handle"])
def test_deeply_nested_json_does_not_crash(server, depth, method, path):
    for body in ('{"unknown":' + "[" * depth + "]" * depth + "}",
                 '{"x":' * depth + "1" + "}" * depth,
                 "[" * depth):
        r = http_request(server.http_port, method, path, body, timeout=20)
        assert r.status in (200, 400), (r.status, r.body[:300])
        if r.status == 400:
            assert r.json()["code"] == 3


def test_raw_socket_garbage(server):
    rnd = random.Random(7)
    for port in (server.http_port, server.grpc_port):
        for size in (0, 1, 100, 10000):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
                c.settimeout(2)
                try:
                    c.sendall(bytes(rnd.getrandbits(8) for _ in range(size)))
                    c.shutdown(socket.SHUT_WR)
                    while c.recv(65536):
                        pass
                except OSError:
                    pass
    # HTTP/2 preface then garbage on the gRPC port
    with socket.create_connection(("127.0.0.1", server.grpc_port), timeout=5) as c:
        c.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x10\x99\xff" * 100)
        time.sleep(0.1)


def test_stalled_and_truncated_requests_do_not_block_others(server):
    stalled = socket.create_connection(("127.0.0.1", server.http_port), timeout=5)
    stalled.sendall(b"POST /v2/events/handle HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"sk")
    half = socket.create_connection(("127.0.0.1", server.http_port), timeout=5)
    half.sendall(b"GET /v2/sta")
    try:
        t0 = time.monotonic()
        for _ in range(5):
            get_state(server.http_port)
        assert time.monotonic() - t0 < 5
        truncated = socket.create_connection(("127.0.0.1", server.http_port), timeout=5)
        truncated.sendall(b"POST /v2/execute HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"bu")
        truncated.close()
        get_state(server.http_port)
    finally:
        stalled.close()
        half.close()


def test_concurrent_requests(server):
    errors = []

    def worker(i):
        try:
            for j in range(10):
                if j % 2:
                    post_event_ok(server.http_port, log_event(f"conc-{i}-{j}"))
                else:
                    get_state(server.http_port)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors[:3]


def _abort(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_client_disconnecting_mid_stream_does_not_affect_others(server, pb, stub):
    s1, s2, s3 = HttpStream(server.http_port), HttpStream(server.http_port), HttpStream(server.http_port)
    g1, g2 = GrpcStream(stub.Events, pb.empty()), GrpcStream(stub.Events, pb.empty())
    try:
        m0 = marker("before")
        post_event_ok(server.http_port, log_event(m0))
        for s in (s1, s2, s3):
            s.read_until(lambda o: log_message(o["result"]) == m0)
        for g in (g1, g2):
            g.read_until(lambda e: e.skaffoldLogEvent.message == m0)
        s1.close(abort=True)   # RST
        s2.close()             # FIN
        g1.close()             # cancel
        ms = [marker("after") for _ in range(20)]
        for m in ms:
            post_event_ok(server.http_port, log_event(m))
        got = s3.read_until(lambda o: log_message(o["result"]) == ms[-1])
        assert [log_message(o["result"]) for o in got] == ms
        got = g2.read_until(lambda e: e.skaffoldLogEvent.message == ms[-1])
        assert [e.skaffoldLogEvent.message for e in got] == ms
        with HttpStream(server.http_port) as late:
            replay = late.read_until(lambda o: log_message(o["result"]) == ms[-1])
        assert [log_message(o["result"]) for o in replay][-21:] == [m0] + ms
    finally:
        for s in (s1, s2, s3, g1, g2):
            s.close()


def test_clients_leaving_during_replay_do_not_stall_the_server(server, pb, stub):
    """Skaffold's hazard (facts §2.2): a client leaving during the replay can block event
    delivery forever. Build a history of a few MiB, then connect-and-drop repeatedly."""
    pad = "p" * 16384
    for i in range(200):
        post_event_ok(server.http_port, log_event(f"pad-{i}-{pad}"))
    request = f"GET /v2/events HTTP/1.1\r\nHost: 127.0.0.1:{server.http_port}\r\n\r\n".encode()
    for i in range(30):
        c = socket.create_connection(("127.0.0.1", server.http_port), timeout=5)
        c.sendall(request)
        c.recv(1 + (i * 997) % 50000)
        if i % 2:
            _abort(c)
        else:
            c.close()
    for i in range(10):
        call = stub.Events(pb.empty(), timeout=10)
        next(iter(call))
        call.cancel()
    # live delivery still works for a new subscriber, promptly
    m = marker("alive")
    with HttpStream(server.http_port) as s:
        t0 = time.monotonic()
        post_event_ok(server.http_port, log_event(m))
        s.read_until(lambda o: log_message(o["result"]) == m, timeout=20)
    with GrpcStream(stub.Events, pb.empty()) as g:
        g.read_until(lambda e: e.skaffoldLogEvent.message == m, timeout=20)
    m2 = marker("alive2")
    t0 = time.monotonic()
    post_event_ok(server.http_port, log_event(m2))
    assert time.monotonic() - t0 < 2, "Handle became slow after clients left mid-replay"


def test_slow_reader_does_not_block_handle(server):
    """A subscriber that never reads must not make Handle block for everyone else."""
    c = socket.create_connection(("127.0.0.1", server.http_port), timeout=5)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.sendall(f"GET /v2/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    try:
        pad = "q" * 8192
        t0 = time.monotonic()
        for i in range(400):   # ~3 MiB the reader never consumes
            post_event_ok(server.http_port, log_event(f"slow-{i}-{pad}"))
        elapsed = time.monotonic() - t0
        assert elapsed < 20, f"posting took {elapsed:.1f}s with a stalled subscriber"
        get_state(server.http_port)
    finally:
        _abort(c)
