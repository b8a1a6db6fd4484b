"""/v2/events and gRPC Events: framing, replay then live order across subscribers and
channels, Handle in both JSON spellings, and ApplicationLogs."""

from __future__ import annotations

import http.client
import json
import random
import re
import threading
import time

import pytest

from skiff_e2e import (
    EOF, TIMEOUT, GrpcStream, HttpStream, assert_shape, canonical_grpc_event,
    canonical_http_event, event_type, go_compact, http_request, log_event, log_message, marker,
    post_event_ok, ts_nanos,
)


def event_desc(pb):
    return pb.skaffold.Event.DESCRIPTOR


def handle_grpc(pb, stub, event: dict) -> None:
    msg = pb.json_format.ParseDict(event, pb.skaffold.Event())
    resp = stub.Handle(msg, timeout=10)
    assert resp == pb.empty()


def sync_point(server, stream_list, pb=None):
    """Posts a unique log event and reads every given stream up to it. Returns the marker."""
    m = marker("sync")
    post_event_ok(server.http_port, log_event(m))
    for s in stream_list:
        if isinstance(s, HttpStream):
            s.read_until(lambda o: "result" in o and log_message(o["result"]) == m)
        else:
            s.read_until(lambda e: e.WhichOneof("event_type") == "skaffoldLogEvent"
                         and e.skaffoldLogEvent.message == m)
    return m


def test_http_stream_framing_and_meta_event_first(server, pb):
    with HttpStream(server.http_port) as s:
        s.wait_headers()
        assert s.status == 200
        assert s.version == 11, "expected HTTP/1.1"
        assert (s.headers.get("content-type") or "").startswith("application/json"), s.headers
        assert s.headers.get("transfer-encoding", "").lower() == "chunked", s.raw_headers
        assert "content-length" not in s.headers
        raw = s.next_raw()
        assert raw is not EOF
        assert raw.startswith(b'{"result":{'), raw[:100]
        assert raw.endswith(b"}}\n"), raw[-50:]
        # grpc-gateway's wrapper is compacted and HTML-escaped (facts §3.2)
        for ch in (b"&", b"<", b">"):
            assert ch not in raw, f"raw {ch!r} in stream line (Go's encoding/json escapes it): {raw[:300]!r}"
        obj = json.loads(raw)
        ev = obj["result"]
        assert_shape(ev, event_desc(pb), "gateway", "result")
        assert event_type(ev) == "metaEvent"
        assert ev["metaEvent"]["entry"].startswith("Starting Skaffold: ")
        assert isinstance(ev["timestamp"], str)


def _order_events(prefix: str, n: int) -> list[tuple[str, dict]]:
    """n events of several kinds, each identifiable by `prefix-NNN`, with a posting channel."""
    out = []
    for i in range(n):
        tag = f"{prefix}-{i:03d}"
        kind = i % 5
        if kind == 0:
            ev = log_event(tag, "task_id")
        elif kind == 1:
            ev = log_event(tag, "taskId")
        elif kind == 2:
            ev = {"taskEvent": {"id": tag, "task": "Build", "description": "Build containers",
                                "iteration": 1, "status": "InProgress"}}
        elif kind == 3:
            ev = {"buildSubtaskEvent": {"id": tag, "taskId": "Build-1", "artifact": tag,
                                        "step": "Cache", "status": "Succeeded",
                                        "hostPlatform": "linux/amd64"}}
        else:
            ev = {"execEvent": {"id": tag, "task_id": "Exec-0", "status": "InProgress"}}
        channel = "grpc" if i % 3 == 2 else "http"
        out.append((channel, ev))
    return out


def _tag_of(obj_json: str, prefix: str):
    m = re.search(re.escape(prefix) + r"-\d{3}", obj_json)
    return m.group(0) if m else None


def test_replay_then_live_order_http_and_grpc(server, pb, stub):
    prefix = marker("order")
    a = HttpStream(server.http_port)
    g = GrpcStream(stub.Events, pb.empty())
    try:
        sync_point(server, [a, g])
        events = _order_events(prefix, 15)
        for channel, ev in events:
            if channel == "http":
                post_event_ok(server.http_port, ev)
            else:
                handle_grpc(pb, stub, ev)
        last = f"{prefix}-{len(events) - 1:03d}"
        expected = [f"{prefix}-{i:03d}" for i in range(len(events))]

        a_new = a.read_until(lambda o: _tag_of(json.dumps(o), prefix) == last)
        g_new = g.read_until(lambda e: _tag_of(str(e), prefix) == last)

        a_tags = [_tag_of(json.dumps(o), prefix) for o in a_new]
        assert [t for t in a_tags if t] == expected, "HTTP live order differs from posting order"
        g_tags = [_tag_of(str(e), prefix) for e in g_new]
        assert [t for t in g_tags if t] == expected, "gRPC live order differs from posting order"

        # Same events (same recorded timestamps) on both channels, in the same order.
        a_ours = [canonical_http_event(o["result"]) for o, t in zip(a_new, a_tags) if t]
        g_ours = [canonical_grpc_event(e, pb.json_format) for e, t in zip(g_new, g_tags) if t]
        assert a_ours == g_ours

        # Proto names on the HTTP side, whatever spelling was posted.
        for o, t in zip(a_new, a_tags):
            if t:
                assert_shape(o["result"], event_desc(pb), "gateway", t)
                text = json.dumps(o)
                assert '"taskId"' not in text and '"subtaskId"' not in text, text

        # Timestamps are set by the server, in recording order.
        stamps = [ts_nanos(o["result"]["timestamp"]) for o, t in zip(a_new, a_tags) if t]
        assert stamps == sorted(stamps), "timestamps go backwards"

        # A subscriber opened later replays the whole history, identical, no duplicates.
        with HttpStream(server.http_port) as b:
            b_all = b.read_until(lambda o: _tag_of(json.dumps(o), prefix) == last)
        b_tags = [_tag_of(json.dumps(o), prefix) for o in b_all]
        assert [t for t in b_tags if t] == expected, "replay order / duplicates"
        b_ours = [canonical_http_event(o["result"]) for o, t in zip(b_all, b_tags) if t]
        assert b_ours == a_ours, "replayed events differ from the live ones"
        assert event_type(b_all[0]["result"]) == "metaEvent"
        canon = [canonical_http_event(o["result"]) for o in b_all]
        assert len(canon) == len(set(canon)), "duplicate events in the replay"
    finally:
        a.close()
        g.close()


def test_late_grpc_subscriber_replay_matches_http_replay(server, pb, stub):
    m = marker("late")
    post_event_ok(server.http_port, log_event(m))
    with HttpStream(server.http_port) as h:
        h_all = h.read_until(lambda o: log_message(o["result"]) == m)
    with GrpcStream(stub.Events, pb.empty()) as g:
        g_all = g.read_until(lambda e: e.skaffoldLogEvent.message == m)
    assert [canonical_http_event(o["result"]) for o in h_all] == \
        [canonical_grpc_event(e, pb.json_format) for e in g_all]


def test_every_replayed_line_is_gateway_json(server, pb):
    m = marker("shape")
    post_event_ok(server.http_port, log_event(m))
    with HttpStream(server.http_port) as h:
        lines = []
        while True:
            raw = h.next_raw()
            assert raw is not EOF
            lines.append(raw)
            if m.encode() in raw:
                break
    for raw in lines:
        obj = json.loads(raw)
        assert set(obj) == {"result"}, raw[:200]
        assert go_compact(obj) == raw[:-1].decode(), f"line is not compact Go-style JSON: {raw[:300]!r}"
        assert_shape(obj["result"], event_desc(pb), "gateway", "result")
        assert obj["result"].get("timestamp"), f"event without timestamp: {raw[:200]!r}"


class KeepAliveClient:
    """A persistent HTTP/1.1 connection for posting many events quickly."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)

    def post(self, path, obj):
        body = json.dumps(obj).encode()
        self.conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        resp = self.conn.getresponse()
        data = resp.read()
        assert resp.status == 200, (resp.status, data)
        return data

    def close(self):
        self.conn.close()


def test_subscribers_joining_during_a_burst_see_every_event_once_in_order(server, pb, stub):
    """Replay and live delivery must not reorder, drop or duplicate events, even when a
    subscriber joins while events are being recorded (Skaffold's own race, facts §2.2)."""
    prefix = marker("burst")
    n = 150
    subscribers = []
    errors = []

    def poster():
        try:
            c = KeepAliveClient(server.http_port)
            try:
                for i in range(n):
                    c.post("/v2/events/handle", log_event(f"{prefix}-{i:03d}"))
            finally:
                c.close()
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    t = threading.Thread(target=poster)
    rnd = random.Random(1234)
    t.start()
    try:
        for k in range(6):
            time.sleep(rnd.uniform(0.0, 0.03))
            if k % 3 == 2:
                subscribers.append(GrpcStream(stub.Events, pb.empty()))
            else:
                subscribers.append(HttpStream(server.http_port))
        t.join(timeout=30)
        assert not t.is_alive(), "posting 150 events took more than 30 s"
        assert not errors, errors
        last = f"{prefix}-{n - 1:03d}"
        expected = [f"{prefix}-{i:03d}" for i in range(n)]
        for idx, s in enumerate(subscribers):
            if isinstance(s, HttpStream):
                got = s.read_until(lambda o: log_message(o["result"]) == last)
                msgs = [log_message(o["result"]) for o in got]
            else:
                got = s.read_until(lambda e: e.skaffoldLogEvent.message == last)
                msgs = [e.skaffoldLogEvent.message for e in got]
            ours = [x for x in msgs if x and x.startswith(prefix + "-")]
            assert ours == expected, (
                f"subscriber {idx} ({type(s).__name__}): {len(ours)} events; first problems: "
                f"{[(i, a, b) for i, (a, b) in enumerate(zip(ours, expected)) if a != b][:5]}")
    finally:
        t.join(timeout=30)
        for s in subscribers:
            s.close()


def test_handle_accepts_both_spellings_and_ignores_unknown_fields(server, pb):
    m1, m2 = marker("snake"), marker("camel")
    with HttpStream(server.http_port) as s:
        sync_point(server, [s])
        post_event_ok(server.http_port, {"skaffoldLogEvent": {
            "task_id": "Build-7", "subtask_id": "img", "level": "WARN", "message": m1,
            "notAField": 1}, "alsoUnknown": {"x": [1, 2]}})
        post_event_ok(server.http_port, {"skaffoldLogEvent": {
            "taskId": "Deploy-3", "subtaskId": "0", "level": 2, "message": m2}})
        got = s.read_until(lambda o: log_message(o["result"]) == m2)
    first, second = got[-2]["result"]["skaffoldLogEvent"], got[-1]["result"]["skaffoldLogEvent"]
    assert first == {"task_id": "Build-7", "subtask_id": "img", "level": "WARN", "message": m1}
    assert second == {"task_id": "Deploy-3", "subtask_id": "0", "level": "WARN", "message": m2}


def test_handle_overwrites_the_timestamp(server):
    m = marker("ts")
    ev = log_event(m)
    ev["timestamp"] = "2001-02-03T04:05:06.789Z"
    with HttpStream(server.http_port) as s:
        sync_point(server, [s])
        before = time.time_ns()
        post_event_ok(server.http_port, ev)
        got = s.read_until(lambda o: log_message(o["result"]) == m)[-1]
        after = time.time_ns()
    ts = ts_nanos(got["result"]["timestamp"])
    assert before - 2_000_000_000 <= ts <= after + 2_000_000_000, \
        f"timestamp {got['result']['timestamp']} was not set by the server"


def test_stream_escapes_html_characters_like_go(server):
    m = marker("esc")
    text = f"{m} <b>&amp;</b> \u2028 ünïcödé \t tab"
    with HttpStream(server.http_port) as s:
        sync_point(server, [s])
        post_event_ok(server.http_port, log_event(text))
        while True:
            raw = s.next_raw()
            assert raw is not EOF
            if m.encode() in raw:
                break
    assert b"\\u003cb\\u003e\\u0026amp;\\u003c/b\\u003e" in raw, raw
    assert b"\\u2028" in raw, raw
    assert json.loads(raw)["result"]["skaffoldLogEvent"]["message"] == text


def test_posted_events_show_up_in_grpc_and_http(server, pb, stub):
    """Handle over gRPC with a JSON-name-free message, read over HTTP with proto names."""
    m = marker("portev")
    with HttpStream(server.http_port) as s:
        sync_point(server, [s])
        ev = pb.skaffold.Event()
        ev.cloudRunReadyEvent.id = m
        ev.cloudRunReadyEvent.task_id = "Deploy-1"
        ev.cloudRunReadyEvent.resource = "svc"
        ev.cloudRunReadyEvent.url = "https://example.invalid"
        ev.cloudRunReadyEvent.ready_revision = "rev-1"
        stub.Handle(ev, timeout=10)
        got = s.read_until(lambda o: (o["result"].get("cloudRunReadyEvent") or {}).get("id") == m)[-1]
    assert got["result"]["cloudRunReadyEvent"] == {
        "id": m, "task_id": "Deploy-1", "resource": "svc", "url": "https://example.invalid",
        "ready_revision": "rev-1"}


# ---------------------------------------------------------------------------------------------
# ApplicationLogs
# ---------------------------------------------------------------------------------------------

def app_log(msg: str, container="web", pod="web-123") -> dict:
    return {"applicationLogEvent": {"containerName": container, "podName": pod,
                                    "prefix": f"[{container}]", "message": msg + "\n",
                                    "richFormattedMessage": f"[{container}] {msg}\n"}}


def test_application_logs_stream_and_not_events(server, pb, stub):
    m = marker("applog")
    h_ev = HttpStream(server.http_port, "/v2/events")
    try:
        sync_point(server, [h_ev])
        with HttpStream(server.http_port, "/v2/applicationLogs") as h_al, \
                GrpcStream(stub.ApplicationLogs, pb.empty()) as g_al:
            post_event_ok(server.http_port, app_log(m + "-1"))
            handle_grpc(pb, stub, app_log(m + "-2", container="app", pod=""))
            post_event_ok(server.http_port, app_log(m + "-3"))

            def is_last(o):
                return (o["result"].get("applicationLogEvent") or {}).get("message") == m + "-3\n"

            got = h_al.read_until(is_last)
            h_al.wait_headers()
            assert (h_al.headers.get("content-type") or "").startswith("application/json")
            ours = [o["result"] for o in got if m in json.dumps(o)]
            assert [e["applicationLogEvent"]["message"] for e in ours] == \
                [m + "-1\n", m + "-2\n", m + "-3\n"]
            for o in got:
                assert event_type(o["result"]) == "applicationLogEvent", \
                    f"non-application-log event on /v2/applicationLogs: {o}"
                assert_shape(o["result"], event_desc(pb), "gateway", "applog")
            assert ours[1]["applicationLogEvent"] == {
                "containerName": "app", "podName": "", "prefix": "[app]",
                "message": m + "-2\n", "richFormattedMessage": f"[app] {m}-2\n"}

            g_got = g_al.read_until(lambda e: e.applicationLogEvent.message == m + "-3\n")
            assert [e.applicationLogEvent.message for e in g_got if m in e.applicationLogEvent.message] == \
                [m + "-1\n", m + "-2\n", m + "-3\n"]
            assert all(e.WhichOneof("event_type") == "applicationLogEvent" for e in g_got)

        # A later ApplicationLogs subscriber replays them.
        with HttpStream(server.http_port, "/v2/applicationLogs") as late:
            replay = late.read_until(is_last)
        assert [o["result"]["applicationLogEvent"]["message"] for o in replay if m in json.dumps(o)] == \
            [m + "-1\n", m + "-2\n", m + "-3\n"]

        # /v2/events saw none of them: neither live nor in a fresh replay.
        end = sync_point(server, [h_ev])
        with HttpStream(server.http_port, "/v2/events") as fresh:
            everything = fresh.read_until(lambda o: log_message(o["result"]) == end)
        for o in everything:
            assert event_type(o["result"]) != "applicationLogEvent", o
        assert m not in json.dumps(everything)
        leftovers = h_ev.drain(0.2)
        assert not any(x is not EOF and m.encode() in x for x in leftovers)
    finally:
        h_ev.close()


def test_application_logs_live_to_a_subscriber_that_joined_first(launch, pb):
    """On a fresh server (no application log yet) a subscriber gets nothing until one is
    posted, then exactly that one."""
    srv = launch.start()
    m = marker("first-applog")
    with HttpStream(srv.http_port, "/v2/applicationLogs") as s:
        time.sleep(0.3)
        assert s.drain(0.1) == [], "unexpected lines on an empty applicationLogs stream"
        post_event_ok(srv.http_port, app_log(m))
        got = s.next(timeout=5)
        assert got["result"]["applicationLogEvent"]["message"] == m + "\n"
        assert s.status == 200
        assert (s.headers.get("content-type") or "").startswith("application/json")
        assert s.drain(0.2) == []
