"""Shutdown and the `--event-log-file` `.v2` file: streams end with UNAVAILABLE, the process
exits 0, the file holds one compact lowerCamel JSON event per line and is appended to."""

from __future__ import annotations

import json
import signal
import time

import pytest

from skiff_e2e import (
    EOF, GrpcStream, HttpStream, assert_shape, get_state, go_compact, http_request, log_event,
    marker, port_accepts, post_event_ok, ts_nanos,
)


def read_v2(path):
    v2 = path.with_name(path.name + ".v2")
    assert v2.is_file(), f"{v2} was not written (dir has {sorted(p.name for p in path.parent.iterdir()) if path.parent.exists() else 'no dir'})"
    text = v2.read_text(encoding="utf-8")
    assert text.endswith("\n"), "the .v2 file must end with a newline"
    return text.splitlines()


def test_sigterm_ends_streams_and_exits_0(launch, pb):
    srv = launch.start()
    h = HttpStream(srv.http_port)
    al = HttpStream(srv.http_port, "/v2/applicationLogs")
    g = GrpcStream(pb.grpc.SkaffoldV2ServiceStub(srv.channel()).Events, pb.empty())
    try:
        assert "metaEvent" in h.next()["result"]
        assert g.next().WhichOneof("event_type") == "metaEvent"
        t0 = time.monotonic()
        srv.send_signal(signal.SIGTERM)
        rc = srv.wait(timeout=10)
        elapsed = time.monotonic() - t0
        assert rc == 0, f"exit code {rc}\n{srv.describe()}"
        assert elapsed < 5, f"shutdown took {elapsed:.1f}s"

        rest = h.drain(quiet=2)
        assert rest and rest[-1] is EOF, f"HTTP events stream did not end: {rest!r}"
        lines = [x for x in rest if x is not EOF]
        assert lines, "HTTP stream ended without the error line"
        last = json.loads(lines[-1])
        assert set(last) == {"error"}, lines[-1]
        err = last["error"]
        assert err["code"] == 14 and err["details"] == [] and isinstance(err["message"], str), err

        rest = al.drain(quiet=2)
        assert rest and rest[-1] is EOF, f"HTTP applicationLogs stream did not end: {rest!r}"
        al_lines = [x for x in rest if x is not EOF]
        if al_lines:  # the stream may have had no chunk yet; if it did, it ends with the error
            assert json.loads(al_lines[-1])["error"]["code"] == 14, al_lines[-1]

        g.wait_end(timeout=5)
        grpc = pb.grpc_mod
        assert g.error is not None and g.error.code() == grpc.StatusCode.UNAVAILABLE, g.error
    finally:
        h.close()
        al.close()
        g.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_event_log_file_written_at_shutdown(launch, pb, sig):
    srv = launch.start(event_log=True, artifacts=["img"])
    assert not srv.event_log.parent.exists() or not srv.event_log.with_name("events.json.v2").exists()
    port = srv.http_port
    m = marker("evlog")
    run_id = get_state(port)["metadata"]["runID"]
    stub = pb.grpc.SkaffoldV2ServiceStub(srv.channel())

    posted = [
        log_event(f"{m}-0 <tag> & more", "task_id"),
        {"taskEvent": {"id": "Build-0", "task": "Build", "description": f"{m}-1", "iteration": 0,
                       "status": "InProgress"}},
        {"buildSubtaskEvent": {"id": "img", "taskId": "Build-0", "artifact": "img", "step": "Build",
                               "status": "Succeeded", "hostPlatform": "", "targetPlatforms": f"{m}-2"}},
        {"portEvent": {"id": f"{m}-3", "task_id": "PortForward-0", "localPort": 9000,
                       "namespace": "default", "resourceType": "service", "resourceName": "web",
                       "address": "127.0.0.1", "targetPort": {"type": 0, "intVal": 8080, "strVal": ""}}},
        {"skaffoldLogEvent": {"task_id": "DevLoop-0", "subtask_id": "-1", "level": "DEBUG",
                              "message": f"{m}-4"}},
    ]
    for ev in posted:
        post_event_ok(port, ev)
    grpc_ev = pb.skaffold.Event()
    grpc_ev.cloudRunReadyEvent.id = f"{m}-5"
    grpc_ev.cloudRunReadyEvent.task_id = "Deploy-0"
    grpc_ev.cloudRunReadyEvent.ready_revision = "rev"
    stub.Handle(grpc_ev, timeout=10)
    post_event_ok(port, {"applicationLogEvent": {"containerName": "c", "message": f"{m}-applog"}})
    post_event_ok(port, log_event(f"{m}-6"))

    rc = srv.stop(sig)
    assert rc == 0, f"exit code {rc}\n{srv.describe()}"
    lines = read_v2(srv.event_log)
    objs = []
    for i, line in enumerate(lines):
        assert line, f"empty line {i}"
        obj = json.loads(line)
        objs.append(obj)
        assert go_compact(obj) == line, f"line {i} is not compact Go-style JSON:\n{line}"
        assert_shape(obj, pb.skaffold.Event.DESCRIPTOR, "jsonpb", f"line{i}")
        assert '"task_id"' not in line and '"subtask_id"' not in line and '"ready_revision"' not in line
        assert "timestamp" in obj, line
    assert "metaEvent" in objs[0], lines[0]
    assert objs[0]["metaEvent"]["entry"].startswith("Starting Skaffold: ")
    assert objs[0]["metaEvent"]["metadata"]["runID"] == run_id
    assert m + "-applog" not in "\n".join(lines), "application logs must not be in the event log"

    ours = [(i, o) for i, o in enumerate(objs) if m in json.dumps(o)]
    assert len(ours) == 7, f"expected 7 of our events, got {len(ours)}:\n" + "\n".join(lines)
    o = [x for _, x in ours]
    assert o[0] == {"timestamp": o[0]["timestamp"], "skaffoldLogEvent": {
        "taskId": "DevLoop-0", "subtaskId": "-1", "level": "INFO", "message": f"{m}-0 <tag> & more"}}
    assert "\\u003ctag\\u003e \\u0026 more" in lines[ours[0][0]]
    assert o[1]["taskEvent"] == {"id": "Build-0", "task": "Build", "description": f"{m}-1",
                                 "status": "InProgress"}, "zero iteration must be omitted"
    assert o[2]["buildSubtaskEvent"] == {"id": "img", "taskId": "Build-0", "artifact": "img",
                                         "step": "Build", "status": "Succeeded",
                                         "targetPlatforms": f"{m}-2"}
    assert o[3]["portEvent"] == {"id": f"{m}-3", "taskId": "PortForward-0", "localPort": 9000,
                                 "namespace": "default", "resourceType": "service",
                                 "resourceName": "web", "address": "127.0.0.1",
                                 "targetPort": {"intVal": 8080}}
    assert o[4]["skaffoldLogEvent"] == {"taskId": "DevLoop-0", "subtaskId": "-1",
                                        "message": f"{m}-4"}, "zero enum (DEBUG) must be omitted"
    assert o[5]["cloudRunReadyEvent"] == {"id": f"{m}-5", "taskId": "Deploy-0", "readyRevision": "rev"}
    assert o[6]["skaffoldLogEvent"]["message"] == f"{m}-6"
    stamps = [ts_nanos(x["timestamp"]) for x in objs]
    assert stamps == sorted(stamps)


def test_event_log_file_is_appended(launch, skiff_bin, tmp_path):
    path = tmp_path / "nested" / "dir" / "log.json"
    seen = []
    for run in range(2):
        srv = launch.start(["--event-log-file", str(path)])
        m = marker(f"run{run}")
        seen.append((m, get_state(srv.http_port)["metadata"]["runID"]))
        post_event_ok(srv.http_port, log_event(m))
        assert srv.stop() == 0, srv.describe()
        if run == 0:
            first = path.with_name("log.json.v2").read_text()
    lines = read_v2(path)
    text = "\n".join(lines) + "\n"
    assert text.startswith(first), "the second run must append, not rewrite"
    metas = [json.loads(x) for x in lines if '"metaEvent"' in x]
    assert [x["metaEvent"]["metadata"]["runID"] for x in metas] == [seen[0][1], seen[1][1]]
    assert seen[0][1] != seen[1][1], "each run must get its own runID"
    i0 = next(i for i, x in enumerate(lines) if seen[0][0] in x)
    i1 = next(i for i, x in enumerate(lines) if seen[1][0] in x)
    assert i0 < i1


def test_no_event_log_flag_writes_nothing(launch):
    srv = launch.start()
    post_event_ok(srv.http_port, log_event(marker("nolog")))
    assert srv.stop() == 0
    assert not list(srv.workdir.glob("*.v2")) and not list(srv.workdir.rglob("*.v2"))


def test_posted_termination_event_does_not_stop_the_server(launch, pb):
    srv = launch.start(event_log=True)
    stub = pb.grpc.SkaffoldV2ServiceStub(srv.channel())
    m = marker("after-term")
    with HttpStream(srv.http_port) as s:
        post_event_ok(srv.http_port, {"terminationEvent": {"status": "Completed"}})
        ev = pb.skaffold.Event()
        ev.terminationEvent.status = "Failed"
        ev.terminationEvent.err.message = "boom"
        stub.Handle(ev, timeout=10)
        post_event_ok(srv.http_port, log_event(m))
        got = s.read_until(lambda o: (o.get("result") or {}).get("skaffoldLogEvent", {}).get("message") == m)
    kinds = [next(k for k in o["result"] if k != "timestamp") for o in got]
    assert kinds.count("terminationEvent") == 2, kinds
    assert got[-2]["result"]["terminationEvent"] == {
        "status": "Failed", "err": {"errCode": "OK", "message": "boom", "suggestions": []}}
    time.sleep(0.3)
    assert srv.alive(), srv.describe()
    assert get_state(srv.http_port)["buildState"]["autoTrigger"] is True
    assert srv.stop() == 0
    lines = read_v2(srv.event_log)
    assert sum('"terminationEvent"' in x for x in lines) == 2
    assert m in lines[-1]


def test_sigterm_right_after_the_ports_open(launch):
    """Once the API accepts connections, SIGTERM must mean a graceful shutdown (exit 0, event
    log written) — Skaffold installs its signal handlers before starting the servers. Race
    for the first moments after the ports open, a few times."""
    for attempt in range(12):
        srv = launch.start(event_log=True, wait=False)
        deadline = time.monotonic() + 10
        while not port_accepts(srv.grpc_port, timeout=0.05):
            assert srv.alive(), srv.describe()
            assert time.monotonic() < deadline, f"ports never opened\n{srv.describe()}"
            time.sleep(0.0005)
        srv.send_signal(signal.SIGTERM)
        rc = srv.wait(timeout=10)
        assert rc == 0, (f"attempt {attempt}: SIGTERM right after the gRPC port opened -> exit "
                         f"status {rc} (negative = killed by that signal: no handler installed yet)\n"
                         f"{srv.describe()}")
        lines = read_v2(srv.event_log)
        assert '"metaEvent"' in lines[0]
