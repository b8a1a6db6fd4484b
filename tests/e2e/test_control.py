"""The control routes: Execute, AutoBuild/AutoSync/AutoDeploy, Handle — status codes, bodies,
State effects — over HTTP and gRPC; routing errors (404/501) and invalid JSON (400)."""

from __future__ import annotations

import json

import pytest

from conftest import MODULE_ARTIFACTS
from skiff_e2e import assert_shape, get_state, http_request, post_event_ok

PHASES = {  # route segment -> (message phase name, state key)
    "build": ("Build", "buildState"),
    "sync": ("Sync", "fileSyncState"),
    "deploy": ("Deploy", "deployState"),
}


def expect_ok(r, what):
    assert r.status == 200, f"{what} -> {r.status} {r.body[:300]!r}"
    assert (r.header("content-type") or "").startswith("application/json"), f"{what}: {r.headers}"
    assert r.json() == {}, f"{what}: body {r.body!r}"


def expect_error(r, status, code, message=None, what=""):
    assert r.status == status, f"{what} -> {r.status} (want {status}) {r.body[:300]!r}"
    assert (r.header("content-type") or "").startswith("application/json"), f"{what}: {r.headers}"
    body = r.json()
    assert set(body) == {"code", "message", "details"}, f"{what}: error body {body!r}"
    assert body["code"] == code, f"{what}: {body!r}"
    assert body["details"] == []
    assert isinstance(body["message"], str) and body["message"], body
    if message is not None:
        assert body["message"] == message, f"{what}: {body!r}"
    return body


def put_auto(port, phase, body):
    return http_request(port, "PUT", f"/v2/{phase}/auto_execute", body)


def set_auto(port, phase, value: bool):
    """Bring an auto trigger to `value` whatever it is now."""
    r = put_auto(port, phase, {"enabled": value})
    assert r.status in (200, 409), r.body
    assert get_state(port)[PHASES[phase][1]]["autoTrigger"] is value


def build_event(artifact, status, step="Build"):
    return {"buildSubtaskEvent": {"id": artifact, "task_id": "Build-1", "artifact": artifact,
                                  "step": step, "status": status}}


@pytest.fixture
def port(server):
    return server.http_port


@pytest.fixture(autouse=True)
def restore_auto_triggers(server):
    yield
    for phase in PHASES:
        if server.alive():
            set_auto(server.http_port, phase, True)


# ---------------------------------------------------------------------------------------------
# Execute
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    {"build": True}, {"sync": True}, {"deploy": True}, {"devloop": True},
    {"build": True, "deploy": True}, {}, "", {"build": False, "unknownField": "x"},
], ids=["build", "sync", "deploy", "devloop", "build+deploy", "empty-object", "empty-body", "unknown-field"])
def test_execute_returns_empty_object(port, body):
    expect_ok(http_request(port, "POST", "/v2/execute", body), f"POST /v2/execute {body!r}")


def test_execute_build_resets_the_whole_state_but_keeps_triggers(port):
    set_auto(port, "sync", False)
    post_event_ok(port, build_event("leeroy-web", "Succeeded"))
    post_event_ok(port, {"deploySubtaskEvent": {"id": "0", "task_id": "Deploy-1", "status": "Succeeded"}})
    post_event_ok(port, {"testEvent": {"id": "0", "task_id": "Test-1", "status": "Failed"}})
    s = get_state(port)
    assert s["buildState"]["artifacts"]["leeroy-web"] == "Succeeded"
    run_id = s["metadata"]["runID"]
    expect_ok(http_request(port, "POST", "/v2/execute", {"build": True}), "execute build")
    s = get_state(port)
    assert s["buildState"]["artifacts"] == {a: "NotStarted" for a in MODULE_ARTIFACTS}
    assert s["deployState"]["status"] == "NotStarted"
    assert s["testState"]["status"] == "NotStarted"
    assert s["fileSyncState"]["autoTrigger"] is False, "reset on build must keep the auto triggers"
    assert s["buildState"]["autoTrigger"] is True and s["deployState"]["autoTrigger"] is True
    assert s["metadata"]["runID"] == run_id


def test_execute_devloop_resets_build_state(port):
    post_event_ok(port, build_event("leeroy-app", "Failed"))
    expect_ok(http_request(port, "POST", "/v2/execute", {"devloop": True}), "execute devloop")
    assert get_state(port)["buildState"]["artifacts"]["leeroy-app"] == "NotStarted"


def test_execute_deploy_resets_only_deploy_state(port):
    post_event_ok(port, build_event("leeroy-app", "InProgress"))
    post_event_ok(port, {"deploySubtaskEvent": {"id": "0", "task_id": "Deploy-1", "status": "InProgress"}})
    post_event_ok(port, {"statusCheckSubtaskEvent": {"id": "deployment/x", "task_id": "Deploy-1",
                                                      "resource": "deployment/x", "status": "InProgress"}})
    expect_ok(http_request(port, "POST", "/v2/execute", {"deploy": True}), "execute deploy")
    s = get_state(port)
    assert s["deployState"]["status"] == "NotStarted"
    assert s["statusCheckState"] == {"status": "NotStarted", "resources": {}, "statusCode": "OK"}
    assert s["buildState"]["artifacts"]["leeroy-app"] == "InProgress", "deploy must not reset build state"


def test_execute_sync_changes_no_state(port):
    post_event_ok(port, build_event("leeroy-web", "InProgress"))
    before = get_state(port)
    expect_ok(http_request(port, "POST", "/v2/execute", {"sync": True}), "execute sync")
    assert get_state(port) == before


# ---------------------------------------------------------------------------------------------
# Auto triggers
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("phase", list(PHASES))
def test_auto_execute_conflicts_and_toggles(port, phase):
    name, key = PHASES[phase]
    set_auto(port, phase, True)
    r = put_auto(port, phase, {"enabled": True})
    assert r.status == 409, (r.status, r.body)
    assert r.json() == {"code": 6, "message": f"auto {name} is already set to true", "details": []}
    assert (r.header("content-type") or "").startswith("application/json")

    expect_ok(put_auto(port, phase, {"enabled": False}), f"{phase} -> false")
    assert get_state(port)[key]["autoTrigger"] is False

    r = put_auto(port, phase, {"enabled": False})
    assert r.json() == {"code": 6, "message": f"auto {name} is already set to false", "details": []}
    assert r.status == 409
    # a missing `enabled` counts as false (v2 semantics, facts §2.7)
    for body in ({}, "", {"other": True}):
        r = put_auto(port, phase, body)
        assert r.status == 409, (body, r.status, r.body)
        assert r.json() == {"code": 6, "message": f"auto {name} is already set to false", "details": []}

    expect_ok(put_auto(port, phase, {"enabled": True}), f"{phase} -> true")
    assert get_state(port)[key]["autoTrigger"] is True
    # the other phases' triggers are untouched
    s = get_state(port)
    for other, (_, okey) in PHASES.items():
        assert s[okey]["autoTrigger"] is True, other


def test_enabling_auto_build_resets_build_state(port):
    set_auto(port, "build", False)
    post_event_ok(port, build_event("leeroy-web", "InProgress"))
    post_event_ok(port, {"renderEvent": {"id": "0", "task_id": "Render-1", "status": "Succeeded"}})
    s = get_state(port)
    assert s["buildState"]["artifacts"]["leeroy-web"] == "InProgress"
    assert s["buildState"]["autoTrigger"] is False
    expect_ok(put_auto(port, "build", {"enabled": True}), "build -> true")
    s = get_state(port)
    assert s["buildState"]["artifacts"] == {a: "NotStarted" for a in MODULE_ARTIFACTS}
    assert s["buildState"]["autoTrigger"] is True
    assert s["renderState"]["status"] == "NotStarted"


def test_disabling_auto_build_keeps_build_state(port):
    post_event_ok(port, build_event("leeroy-web", "InProgress"))
    expect_ok(put_auto(port, "build", {"enabled": False}), "build -> false")
    assert get_state(port)["buildState"]["artifacts"]["leeroy-web"] == "InProgress"


def test_enabling_auto_deploy_resets_deploy_state_only(port):
    set_auto(port, "deploy", False)
    post_event_ok(port, build_event("leeroy-app", "Succeeded"))
    post_event_ok(port, {"deploySubtaskEvent": {"id": "0", "task_id": "Deploy-1", "status": "Failed"}})
    post_event_ok(port, {"statusCheckSubtaskEvent": {"id": "pod/p", "task_id": "Deploy-1",
                                                      "resource": "pod/p", "status": "Failed"}})
    post_event_ok(port, {"portEvent": {"task_id": "PortForward-1", "localPort": 9000,
                                       "resourceType": "deployment", "resourceName": "web",
                                       "address": "127.0.0.1", "targetPort": {"intVal": 8080}}})
    post_event_ok(port, {"debuggingContainerEvent": {"task_id": "Deploy-1", "status": "Started",
                                                      "podName": "p", "containerName": "c",
                                                      "namespace": "default"}})
    s = get_state(port)
    assert s["deployState"]["status"] == "Failed"
    assert "9000" in s["forwardedPorts"] and len(s["debuggingContainers"]) == 1
    expect_ok(put_auto(port, "deploy", {"enabled": True}), "deploy -> true")
    s = get_state(port)
    assert s["deployState"] == {"status": "NotStarted", "autoTrigger": True, "statusCode": "OK"}
    assert s["statusCheckState"] == {"status": "NotStarted", "resources": {}, "statusCode": "OK"}
    assert s["forwardedPorts"] == {}
    assert s["debuggingContainers"] == []
    assert s["buildState"]["artifacts"]["leeroy-app"] == "Succeeded", "deploy reset must keep build state"


def test_enabling_auto_sync_resets_nothing(port):
    post_event_ok(port, build_event("leeroy-app", "InProgress"))
    set_auto(port, "sync", False)
    before = get_state(port)
    expect_ok(put_auto(port, "sync", {"enabled": True}), "sync -> true")
    after = get_state(port)
    before["fileSyncState"]["autoTrigger"] = True
    assert after == before


# ---------------------------------------------------------------------------------------------
# Handle -> State
# ---------------------------------------------------------------------------------------------

def test_handle_returns_empty_object(port):
    expect_ok(http_request(port, "POST", "/v2/events/handle",
                           {"skaffoldLogEvent": {"task_id": "DevLoop-0", "message": "x"}}), "handle")


def test_handle_updates_state(server, pb, port):
    expect_ok(http_request(port, "POST", "/v2/execute", {"build": True}), "reset")
    post_event_ok(port, build_event("leeroy-web", "InProgress"))
    post_event_ok(port, {"buildSubtaskEvent": {"id": "leeroy-app", "taskId": "Build-1",
                                                "artifact": "leeroy-app", "step": "Build",
                                                "status": "Failed"}})  # JSON-name spelling
    post_event_ok(port, build_event("leeroy-web", "Failed", step="Cache"))  # Cache: no effect
    post_event_ok(port, build_event("brand-new-image", "Succeeded"))
    post_event_ok(port, {"testEvent": {"id": "0", "task_id": "Test-1", "status": "Succeeded"}})
    post_event_ok(port, {"renderEvent": {"id": "0", "task_id": "Render-1", "status": "InProgress"}})
    post_event_ok(port, {"deploySubtaskEvent": {"id": "0", "task_id": "Deploy-1", "status": "Failed"}})
    post_event_ok(port, {"verifyEvent": {"id": "t", "task_id": "Verify-1", "status": "Succeeded"}})
    post_event_ok(port, {"execEvent": {"id": "t", "task_id": "Exec-1", "status": "Failed"}})
    post_event_ok(port, {"statusCheckSubtaskEvent": {"id": "deployment/web", "task_id": "Deploy-1",
                                                      "resource": "deployment/web", "status": "InProgress",
                                                      "statusCode": "STATUSCHECK_SUCCESS"}})
    port_event = {"id": "", "task_id": "PortForward-1", "localPort": 9001, "podName": "",
                  "containerName": "", "namespace": "default", "portName": "",
                  "resourceType": "service", "resourceName": "leeroy-web", "address": "127.0.0.1",
                  "targetPort": {"type": 0, "intVal": 8080, "strVal": ""}}
    post_event_ok(port, {"portEvent": port_event})
    dbg = {"id": "", "task_id": "Deploy-1", "status": "Started", "podName": "p1",
           "containerName": "c1", "namespace": "ns", "artifact": "leeroy-web", "runtime": "go",
           "workingDir": "/app", "debugPorts": {"dlv": 56268}}
    post_event_ok(port, {"debuggingContainerEvent": dbg})
    post_event_ok(port, {"debuggingContainerEvent": dict(dbg, podName="p2")})
    post_event_ok(port, {"debuggingContainerEvent": dict(dbg, status="Terminated", debugPorts={})})

    s = get_state(port)
    assert_shape(s, pb.skaffold.State.DESCRIPTOR, "gateway", "state")
    assert s["buildState"]["artifacts"] == {"leeroy-web": "InProgress", "leeroy-app": "Failed",
                                            "brand-new-image": "Succeeded"}
    assert s["testState"]["status"] == "Succeeded"
    assert s["renderState"]["status"] == "InProgress"
    assert s["deployState"]["status"] == "Failed"
    assert s["verifyState"]["status"] == "Succeeded"
    assert s["execState"]["status"] == "Failed"
    assert s["statusCheckState"]["resources"] == {"deployment/web": "InProgress"}
    assert s["forwardedPorts"] == {"9001": port_event}
    assert s["debuggingContainers"] == [dict(dbg, podName="p2")]
    # no v2 code changes the statusCode fields
    for key in ("buildState", "deployState", "testState", "renderState", "verifyState", "execState"):
        assert s[key]["statusCode"] == "OK", key


# ---------------------------------------------------------------------------------------------
# Routing and decoding errors
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [
    ("GET", "/v2/nope"), ("GET", "/"), ("POST", "/v2/nope"), ("GET", "/v2"),
    ("GET", "/v2/states"), ("PUT", "/v2/build/auto_executes"), ("GET", "/v3/state"),
])
def test_unknown_path_is_404(port, method, path):
    r = http_request(port, method, path, "{}" if method != "GET" else None)
    assert r.status == 404, (r.status, r.body)
    assert r.json() == {"code": 5, "message": "Not Found", "details": []}
    assert (r.header("content-type") or "").startswith("application/json")


@pytest.mark.parametrize("method,path", [
    ("POST", "/v2/state"), ("PUT", "/v2/events"), ("DELETE", "/v2/applicationLogs"),
    ("GET", "/v2/execute"), ("PUT", "/v2/execute"), ("POST", "/v2/build/auto_execute"),
    ("GET", "/v2/sync/auto_execute"), ("DELETE", "/v2/deploy/auto_execute"),
    ("GET", "/v2/events/handle"), ("PATCH", "/v2/events/handle"),
])
def test_wrong_method_is_501(port, method, path):
    r = http_request(port, method, path, "{}" if method not in ("GET", "DELETE") else None)
    assert r.status == 501, (r.status, r.body)
    assert r.json() == {"code": 12, "message": "Method Not Allowed", "details": []}
    assert (r.header("content-type") or "").startswith("application/json")


@pytest.mark.parametrize("method,path", [
    ("POST", "/v2/execute"), ("PUT", "/v2/build/auto_execute"), ("PUT", "/v2/sync/auto_execute"),
    ("PUT", "/v2/deploy/auto_execute"), ("POST", "/v2/events/handle"),
])
@pytest.mark.parametrize("body", ['{"build":', "not json", "{'single': 'quotes'}", "{}}"],
                         ids=["truncated", "bare-word", "single-quotes", "trailing"])
def test_invalid_json_is_400(port, method, path, body):
    before = get_state(port)
    r = http_request(port, method, path, body)
    expect_error(r, 400, 3, what=f"{method} {path} {body!r}")
    assert get_state(port) == before, "a rejected request changed the state"


# ---------------------------------------------------------------------------------------------
# gRPC equivalents
# ---------------------------------------------------------------------------------------------

def _trigger(pb, enabled=None):
    if enabled is None:
        return pb.skaffold.TriggerRequest()
    return pb.skaffold.TriggerRequest(state=pb.skaffold.TriggerState(enabled=enabled))


@pytest.mark.parametrize("phase", list(PHASES))
def test_grpc_auto_triggers(server, pb, stub, phase):
    grpc = pb.grpc_mod
    name, key = PHASES[phase]
    call = getattr(stub, f"Auto{name}")
    set_auto(server.http_port, phase, True)
    with pytest.raises(grpc.RpcError) as ei:
        call(_trigger(pb, True), timeout=10)
    assert ei.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert ei.value.details() == f"auto {name} is already set to true"

    assert call(_trigger(pb, False), timeout=10) == pb.empty()
    st = stub.GetState(pb.empty(), timeout=10)
    assert getattr(st, key).autoTrigger is False
    for req in (_trigger(pb, None), pb.skaffold.TriggerRequest(state=pb.skaffold.TriggerState())):
        with pytest.raises(grpc.RpcError) as ei:
            call(req, timeout=10)
        assert ei.value.code() == grpc.StatusCode.ALREADY_EXISTS
        assert ei.value.details() == f"auto {name} is already set to false"
    assert call(_trigger(pb, True), timeout=10) == pb.empty()
    assert getattr(stub.GetState(pb.empty(), timeout=10), key).autoTrigger is True


def test_grpc_execute_and_handle(server, pb, stub):
    ev = pb.skaffold.Event()
    ev.buildSubtaskEvent.artifact = "leeroy-web"
    ev.buildSubtaskEvent.step = "Build"
    ev.buildSubtaskEvent.status = "Canceled"
    assert stub.Handle(ev, timeout=10) == pb.empty()
    assert stub.GetState(pb.empty(), timeout=10).buildState.artifacts["leeroy-web"] == "Canceled"
    req = pb.skaffold.UserIntentRequest(intent=pb.skaffold.Intent(build=True))
    assert stub.Execute(req, timeout=10) == pb.empty()
    assert stub.GetState(pb.empty(), timeout=10).buildState.artifacts["leeroy-web"] == "NotStarted"
    assert stub.Execute(pb.skaffold.UserIntentRequest(), timeout=10) == pb.empty()


# ---------------------------------------------------------------------------------------------
# Request framing variants a generic HTTP client may use
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-anything"])
def test_body_is_json_whatever_the_content_type(port, content_type):
    """grpc-gateway's wildcard marshaler decodes every body as JSON."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Content-Type": content_type} if content_type else {}
        conn.request("POST", "/v2/execute", body=b'{"sync":true}', headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        assert resp.status == 200, (resp.status, data)
        assert json.loads(data) == {}
    finally:
        conn.close()


def test_chunked_request_body(server, port):
    import http.client
    m = "chunked-" + str(id(port))
    body = [b'{"skaffoldLogEvent":', b'{"task_id":"DevLoop-0",', f'"message":"{m}"'.encode(), b"}}"]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/v2/events/handle", body=iter(body),
                     headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                     encode_chunked=True)
        resp = conn.getresponse()
        data = resp.read()
        assert resp.status == 200, (resp.status, data)
        assert json.loads(data) == {}
    finally:
        conn.close()


def test_keep_alive_connection_serves_many_requests(port):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for i in range(20):
            if i % 2:
                conn.request("GET", "/v2/state")
            else:
                conn.request("PUT", "/v2/build/auto_execute", body=b'{"enabled":true}')
            resp = conn.getresponse()
            data = resp.read()
            assert resp.status in (200, 409), (i, resp.status, data)
            json.loads(data)
    finally:
        conn.close()
