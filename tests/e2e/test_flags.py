"""Server flags: taken ports, random gRPC port, deprecated --enable-rpc, SKAFFOLD_* variables,
auto-trigger flags and --wait-for-connection."""

from __future__ import annotations

import json
import signal
import socket
import time

import pytest

from skiff_e2e import (
    GrpcStream, HttpStream, UUID_RE, free_port, get_state, port_accepts, wait_until,
)


@pytest.fixture
def taken_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    try:
        yield s.getsockname()[1]
    finally:
        s.close()


def test_taken_grpc_port_exits_1(launch, taken_port):
    srv = launch.start(["--rpc-port", str(taken_port)], grpc=False, http=False, wait=False)
    rc = srv.wait(timeout=10)
    assert rc == 1, f"exit code {rc}\n{srv.describe()}"
    msg = (f"starting gRPC server: creating listener: listen tcp 127.0.0.1:{taken_port}: "
           f"bind: address already in use")
    assert msg in srv.stderr(), srv.describe()


def test_taken_http_port_exits_1(launch, taken_port):
    grpc_port = free_port()
    srv = launch.start(["--rpc-port", str(grpc_port), "--rpc-http-port", str(taken_port)],
                       grpc=False, http=False, wait=False)
    rc = srv.wait(timeout=10)
    assert rc == 1, f"exit code {rc}\n{srv.describe()}"
    msg = (f"starting HTTP server: creating listener: listen tcp 127.0.0.1:{taken_port}: "
           f"bind: address already in use")
    assert msg in srv.stderr(), srv.describe()
    assert not port_accepts(grpc_port), "the gRPC port stays open after a failed start"


def test_only_http_port_starts_grpc_on_a_random_port(launch, pb):
    srv = launch.start(["-v", "info"], grpc=False, http=True)
    m = srv.wait_for_log(r"starting gRPC server on port (\d+)")
    grpc_port = int(m.group(1))
    assert grpc_port not in (0, srv.http_port)
    srv.wait_for_log(rf"starting gRPC HTTP server on port {srv.http_port} \(proxying to {grpc_port}\)")
    info_line = next(x for x in srv.stderr().splitlines() if "starting gRPC server on port" in x)
    assert info_line.startswith("INFO"), f"not logged at info level: {info_line!r}"
    srv.grpc_port = grpc_port
    st = pb.grpc.SkaffoldV2ServiceStub(srv.channel()).GetState(pb.empty(), timeout=10)
    assert st.metadata.runID == get_state(srv.http_port)["metadata"]["runID"]


def test_info_lines_hidden_at_default_verbosity(launch):
    srv = launch.start()
    get_state(srv.http_port)
    assert srv.stop() == 0
    assert "starting gRPC server on port" not in srv.stderr(), srv.stderr()


def test_enable_rpc_alone_uses_a_random_grpc_port(launch, pb):
    srv = launch.start(["--enable-rpc"], grpc=False, http=False, wait=False)
    m = srv.wait_for_log(r"started skaffold gRPC API on random port (\d+)")
    grpc_port = int(m.group(1))
    err = srv.stderr()
    line = next(x for x in err.splitlines() if "started skaffold gRPC API on random port" in x)
    assert line.startswith("WARN"), f"not logged at warn level: {line!r}"
    assert "Flag --enable-rpc has been deprecated" in err, err
    srv.grpc_port = grpc_port
    st = pb.grpc.SkaffoldV2ServiceStub(srv.channel()).GetState(pb.empty(), timeout=10)
    assert UUID_RE.match(st.metadata.runID)
    assert srv.stop() == 0


def test_env_vars_set_the_flags(launch, pb):
    grpc_port, http_port = free_port(), free_port()
    while http_port == grpc_port:
        http_port = free_port()
    env = {"SKAFFOLD_RPC_PORT": str(grpc_port), "SKAFFOLD_RPC_HTTP_PORT": str(http_port),
           "SKAFFOLD_AUTO_SYNC": "false", "SKAFFOLD_AUTO_DEPLOY": "false"}
    srv = launch.start(["--auto-deploy=true"], grpc=False, http=False, env=env, wait=False)
    srv.grpc_port, srv.http_port = grpc_port, http_port
    srv.wait_ports()
    s = get_state(http_port)
    assert s["fileSyncState"]["autoTrigger"] is False, "SKAFFOLD_AUTO_SYNC=false ignored"
    assert s["deployState"]["autoTrigger"] is True, "the command line must beat SKAFFOLD_AUTO_DEPLOY"
    assert s["buildState"]["autoTrigger"] is True
    st = pb.grpc.SkaffoldV2ServiceStub(srv.channel()).GetState(pb.empty(), timeout=10)
    assert st.fileSyncState.autoTrigger is False


@pytest.mark.parametrize("args,expected", [
    (["--auto-build=false", "--auto-sync=false", "--auto-deploy=false"], (False, False, False)),
    (["--auto-build", "--auto-sync=false", "--auto-deploy=true"], (True, False, True)),
    ([], (True, True, True)),
], ids=["all-false", "mixed", "defaults"])
def test_auto_trigger_flags(launch, pb, args, expected):
    srv = launch.start(args)
    s = get_state(srv.http_port)
    got = (s["buildState"]["autoTrigger"], s["fileSyncState"]["autoTrigger"],
           s["deployState"]["autoTrigger"])
    assert got == expected
    assert s["buildState"]["artifacts"] == {}, "no --artifact -> empty artifacts map"
    grpc = pb.grpc_mod
    stub = pb.grpc.SkaffoldV2ServiceStub(srv.channel())
    with pytest.raises(grpc.RpcError) as ei:
        stub.AutoBuild(pb.skaffold.TriggerRequest(state=pb.skaffold.TriggerState(enabled=expected[0])),
                       timeout=10)
    assert ei.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert ei.value.details() == f"auto Build is already set to {str(expected[0]).lower()}"


def test_artifacts_flag(launch):
    srv = launch.start(["--artifact", "a", "--artifact", "gcr.io/k8s-skaffold/b"])
    assert get_state(srv.http_port)["buildState"]["artifacts"] == {
        "a": "NotStarted", "gcr.io/k8s-skaffold/b": "NotStarted"}


@pytest.mark.parametrize("client", ["http", "grpc"])
def test_wait_for_connection_blocks_shutdown_until_an_events_client(launch, pb, client):
    srv = launch.start(["--wait-for-connection"])
    srv.send_signal(signal.SIGTERM)
    time.sleep(1.5)
    assert srv.alive(), f"exited without waiting for an Events client\n{srv.describe()}"
    # the API is still served while waiting
    assert get_state(srv.http_port)["buildState"]["autoTrigger"] is True
    t0 = time.monotonic()
    if client == "http":
        stream = HttpStream(srv.http_port)
        first = stream.next()
        assert "metaEvent" in first["result"]
    else:
        stream = GrpcStream(pb.grpc.SkaffoldV2ServiceStub(srv.channel()).Events, pb.empty())
        assert stream.next().WhichOneof("event_type") == "metaEvent"
    try:
        rc = srv.wait(timeout=10)
        assert rc == 0, srv.describe()
        assert time.monotonic() - t0 < 5
    finally:
        stream.close()


def test_wait_for_connection_already_satisfied(launch):
    srv = launch.start(["--wait-for-connection"])
    with HttpStream(srv.http_port) as s:
        s.next()
    t0 = time.monotonic()
    assert srv.stop() == 0
    assert time.monotonic() - t0 < 5


def test_application_logs_client_does_not_release_wait_for_connection(launch):
    srv = launch.start(["--wait-for-connection"])
    with HttpStream(srv.http_port, "/v2/applicationLogs"):
        time.sleep(0.2)
        srv.send_signal(signal.SIGTERM)
        time.sleep(1.2)
        assert srv.alive(), "an ApplicationLogs client must not count as an Events connection"
    with HttpStream(srv.http_port) as s:
        s.next()
        assert srv.wait(timeout=10) == 0


def listening_ports(pid: int) -> set[int]:
    """TCP ports the process listens on (from /proc)."""
    return {port for _, port in listening_sockets(pid)}


def listening_sockets(pid: int) -> set[tuple[str, int]]:
    """(local address hex as in /proc/net/tcp*, port) of the process's listening sockets."""
    import os
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            f = row.split()
            if f[3] == "0A" and f[9] in inodes:
                addr, port = f[1].split(":")
                ports.add((addr, int(port, 16)))
    return ports


def test_without_rpc_flags_no_api_is_served(launch):
    """Like Skaffold: without --rpc-port/--rpc-http-port/--enable-rpc no API server starts,
    and the event log (written only when the API server is enabled) is not written."""
    srv = launch.start([], grpc=False, http=False, wait=False, event_log=True)
    time.sleep(0.5)
    assert srv.alive(), srv.describe()
    assert listening_ports(srv.proc.pid) == set()
    assert srv.stop() == 0, srv.describe()
    assert not srv.event_log.with_name(srv.event_log.name + ".v2").exists(), \
        "the .v2 event log is written although the API server was not enabled"


def test_enable_rpc_listens_only_on_the_grpc_port(launch):
    srv = launch.start(["--enable-rpc"], grpc=False, http=False, wait=False)
    port = int(srv.wait_for_log(r"started skaffold gRPC API on random port (\d+)").group(1))
    assert listening_ports(srv.proc.pid) == {port}


def test_api_listens_on_loopback_only(launch):
    srv = launch.start()
    socks = listening_sockets(srv.proc.pid)
    assert socks == {("0100007F", srv.grpc_port), ("0100007F", srv.http_port)}, \
        f"expected 127.0.0.1:{srv.grpc_port} and 127.0.0.1:{srv.http_port}, got {socks}"
