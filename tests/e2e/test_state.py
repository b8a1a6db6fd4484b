"""GetState: the initial State over HTTP (gateway JSON: proto names, unpopulated fields emitted)
and over gRPC. Read-only against the module's server."""

from __future__ import annotations

from conftest import MODULE_ARTIFACTS
from skiff_e2e import HttpStream, UUID_RE, _strip_nulls, assert_shape, event_type, http_request

TOP_KEYS = {
    "buildState", "deployState", "forwardedPorts", "statusCheckState", "fileSyncState",
    "debuggingContainers", "metadata", "testState", "renderState", "verifyState", "execState",
}
METADATA_KEYS = {"build", "deploy", "test", "runID", "render", "additional"}


def expected_initial(auto_build=True, auto_sync=True, auto_deploy=True, artifacts=MODULE_ARTIFACTS):
    """The initial state without `metadata` (facts §2.1, §3.3)."""
    ns_ok = {"status": "NotStarted", "statusCode": "OK"}
    return {
        "buildState": {"artifacts": {a: "NotStarted" for a in artifacts},
                       "autoTrigger": auto_build, "statusCode": "OK"},
        "deployState": {"status": "NotStarted", "autoTrigger": auto_deploy, "statusCode": "OK"},
        "forwardedPorts": {},
        "statusCheckState": {"status": "NotStarted", "resources": {}, "statusCode": "OK"},
        "fileSyncState": {"status": "NotStarted", "autoTrigger": auto_sync},
        "debuggingContainers": [],
        "testState": dict(ns_ok),
        "renderState": dict(ns_ok),
        "verifyState": dict(ns_ok),
        "execState": dict(ns_ok),
    }


def check_initial_state(state: dict, pb, **kw) -> None:
    assert set(state) == TOP_KEYS, f"top-level keys: {sorted(state)}"
    assert_shape(state, pb.skaffold.State.DESCRIPTOR, "gateway", "state")
    without_md = {k: v for k, v in state.items() if k != "metadata"}
    assert without_md == expected_initial(**kw)
    md = state["metadata"]
    assert isinstance(md, dict), f"metadata must be an object, got {md!r}"
    assert set(md) == METADATA_KEYS, f"metadata keys: {sorted(md)}"
    assert isinstance(md["runID"], str) and UUID_RE.match(md["runID"]), f"runID {md['runID']!r}"
    assert md["additional"] == {}


def test_get_state_http_initial(server, pb):
    r = http_request(server.http_port, "GET", "/v2/state")
    assert r.status == 200, r.body
    assert (r.header("content-type") or "").startswith("application/json"), r.headers
    check_initial_state(r.json(), pb)


def test_get_state_http_uses_proto_names_not_json_names(server):
    body = http_request(server.http_port, "GET", "/v2/state").body.decode()
    # every State field name equals its JSON name except none at this level, so check the
    # spellings that differ between the two dialects do not leak in either direction
    assert '"runID"' in body
    assert '"run_id"' not in body and '"runId"' not in body
    assert '"autoTrigger"' in body and '"auto_trigger"' not in body
    assert '"statusCode"' in body and '"status_code"' not in body


def test_get_state_http_is_stable(server):
    a = http_request(server.http_port, "GET", "/v2/state").json()
    b = http_request(server.http_port, "GET", "/v2/state").json()
    assert a == b, "two GetState calls without events in between differ"


def test_get_state_grpc_initial(server, pb, stub):
    st = stub.GetState(pb.empty(), timeout=10)
    assert isinstance(st, pb.skaffold.State)
    OK = pb.enums.StatusCode.Value("OK")
    assert dict(st.buildState.artifacts) == {a: "NotStarted" for a in MODULE_ARTIFACTS}
    assert st.buildState.autoTrigger is True
    assert st.buildState.statusCode == OK
    assert (st.deployState.status, st.deployState.autoTrigger, st.deployState.statusCode) == \
        ("NotStarted", True, OK)
    assert dict(st.forwardedPorts) == {}
    assert st.statusCheckState.status == "NotStarted"
    assert dict(st.statusCheckState.resources) == {}
    assert st.statusCheckState.statusCode == OK
    assert (st.fileSyncState.status, st.fileSyncState.autoTrigger) == ("NotStarted", True)
    assert list(st.debuggingContainers) == []
    for name in ("testState", "renderState", "verifyState", "execState"):
        sub = getattr(st, name)
        assert st.HasField(name), f"{name} unset over gRPC"
        assert (sub.status, sub.statusCode) == ("NotStarted", OK), name
    for name in ("buildState", "deployState", "statusCheckState", "fileSyncState", "metadata"):
        assert st.HasField(name), f"{name} unset over gRPC"
    assert UUID_RE.match(st.metadata.runID)


def test_get_state_grpc_matches_http(server, pb, stub):
    http_state = http_request(server.http_port, "GET", "/v2/state").json()
    grpc_state = stub.GetState(pb.empty(), timeout=10)
    as_dict = pb.json_format.MessageToDict(grpc_state, preserving_proto_field_name=True,
                                           always_print_fields_with_no_presence=True)
    assert _strip_nulls(http_state) == as_dict


def test_meta_event_carries_the_state_metadata(server, pb):
    state = http_request(server.http_port, "GET", "/v2/state").json()
    with HttpStream(server.http_port) as s:
        first = s.next()
    ev = first["result"]
    assert event_type(ev) == "metaEvent", first
    meta = ev["metaEvent"]
    assert meta["entry"].startswith("Starting Skaffold: "), meta["entry"]
    assert meta["metadata"] == state["metadata"]
    # and the same over gRPC
    call = pb.grpc.SkaffoldV2ServiceStub(server.channel()).Events(pb.empty(), timeout=10)
    try:
        msg = next(iter(call))
    finally:
        call.cancel()
    assert msg.WhichOneof("event_type") == "metaEvent"
    assert msg.metaEvent.metadata.runID == state["metadata"]["runID"]
    assert msg.metaEvent.entry == meta["entry"]
