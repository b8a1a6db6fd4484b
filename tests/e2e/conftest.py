"""Fixtures of the skiff end-to-end suite.

Run from the repo root (after `cargo build -p skiff`):

    eval "$(scripts/test-env env)"
    $SKIFF_TEST_PYTHON -m pytest tests/e2e -q

With CI=true a missing prerequisite (grpcio/grpcio-tools/protobuf, the .proto files) fails the
tests instead of skipping them; a missing binary always fails.

* `skiff_bin`: the binary from `$SKIFF_BIN` or `target/debug/skiff` (never built here).
* `pb`: Python gRPC stubs generated once per session from `crates/skiff-proto/proto`.
* `launch`: starts `skiff serve` processes (free ports, isolated cwd/HOME) and always
  terminates them at the end of the test.
* `server`: one `skiff serve` with gRPC + HTTP per test module.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
import types
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from skiff_e2e import (  # noqa: E402
    PROTO_DIR, REPO_ROOT, IN_CI, SkiffProcess, free_port, need,
)

MODULE_ARTIFACTS = ["leeroy-web", "leeroy-app"]


# ---------------------------------------------------------------------------------------------
# binary and stubs
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def skiff_bin() -> Path:
    env = os.environ.get("SKIFF_BIN")
    path = Path(env) if env else REPO_ROOT / "target" / "debug" / "skiff"
    if not path.is_absolute():
        path = REPO_ROOT / path
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"skiff binary not found or not executable at {path} "
                    f"(build it with `cargo build -p skiff`, or point $SKIFF_BIN at it)")
    return path


@pytest.fixture(scope="session")
def pb(tmp_path_factory) -> types.SimpleNamespace:
    """Generated stubs: pb.skaffold (messages), pb.grpc (service stub), pb.empty, pb.json_format,
    pb.grpc_mod (the grpc package)."""
    try:
        import grpc  # noqa: F401
        from grpc_tools import protoc
        from google.protobuf import empty_pb2, json_format
    except ImportError as e:  # pragma: no cover - depends on the environment
        need(False, f"grpcio / grpcio-tools / protobuf not importable: {e}")
        raise
    need(PROTO_DIR.is_dir(), f"proto directory {PROTO_DIR} missing")
    import grpc_tools
    bundled = Path(grpc_tools.__file__).parent / "_proto"
    out = tmp_path_factory.mktemp("stubs")
    protos = ["v2/skaffold.proto", "enums/enums.proto",
              "google/api/annotations.proto", "google/api/http.proto"]
    for rel in protos:
        assert (PROTO_DIR / rel).is_file(), f"missing {PROTO_DIR / rel}"
    args = ["grpc_tools.protoc", f"-I{PROTO_DIR}", f"-I{bundled}",
            f"--python_out={out}", f"--grpc_python_out={out}", *protos]
    rc = protoc.main(args)
    assert rc == 0, f"protoc failed ({rc}): {' '.join(args)}"
    sys.path.insert(0, str(out))
    importlib.invalidate_caches()
    skaffold_pb2 = importlib.import_module("v2.skaffold_pb2")
    skaffold_pb2_grpc = importlib.import_module("v2.skaffold_pb2_grpc")
    enums_pb2 = importlib.import_module("enums.enums_pb2")
    return types.SimpleNamespace(
        skaffold=skaffold_pb2, grpc=skaffold_pb2_grpc, enums=enums_pb2,
        empty=empty_pb2.Empty, json_format=json_format, grpc_mod=grpc,
    )


# ---------------------------------------------------------------------------------------------
# processes
# ---------------------------------------------------------------------------------------------

def _clean_env(tmp: Path, extra: dict | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKAFFOLD_")}
    env["HOME"] = str(tmp / "home")
    (tmp / "home").mkdir(exist_ok=True)
    env.setdefault("NO_COLOR", "1")
    env.pop("RUST_LOG", None)
    env.update(extra or {})
    return env


class Launcher:
    def __init__(self, binary: Path, tmp_factory):
        self.binary = binary
        self.tmp_factory = tmp_factory
        self.procs: list[SkiffProcess] = []

    def start(self, args: list[str] | None = None, *, grpc: bool = True, http: bool = True,
              event_log: bool = False, env: dict | None = None, wait: bool = True,
              artifacts: list[str] | None = None) -> SkiffProcess:
        """Start `skiff serve`. With grpc/http True, free ports are chosen and passed as flags.
        With wait, returns once every chosen port accepts connections (retrying with other
        ports if a chosen one was taken in the meantime by an unrelated process)."""
        for attempt in range(3):
            proc = self._start_once(args, grpc=grpc, http=http, event_log=event_log, env=env,
                                    artifacts=artifacts)
            if not wait:
                return proc
            try:
                proc.wait_ports()
                # skiff installs its SIGINT/SIGTERM handlers only after the ports are open
                # (see test_lifecycle.py::test_sigterm_right_after_the_ports_open); give it a
                # moment so that tests about other things are not hit by that race.
                time.sleep(0.05)
                return proc
            except AssertionError:
                if attempt < 2 and (grpc or http) and not proc.alive() \
                        and "address already in use" in proc.stderr():
                    continue
                raise
        raise AssertionError("unreachable")

    def _start_once(self, args, *, grpc, http, event_log, env, artifacts) -> SkiffProcess:
        tmp = self.tmp_factory.mktemp("skiff")
        argv = []
        grpc_port = free_port() if grpc else None
        http_port = free_port() if http else None
        while http_port is not None and http_port == grpc_port:
            http_port = free_port()
        if grpc_port:
            argv += ["--rpc-port", str(grpc_port)]
        if http_port:
            argv += ["--rpc-http-port", str(http_port)]
        log_path = None
        if event_log:
            log_path = tmp / "logs" / "events.json"
            argv += ["--event-log-file", str(log_path)]
        for a in artifacts or []:
            argv += ["--artifact", a]
        argv += list(args or [])
        proc = SkiffProcess(self.binary, tmp, argv, _clean_env(tmp, env),
                            grpc_port, http_port, log_path)
        self.procs.append(proc)
        return proc

    def cleanup(self) -> list[str]:
        """Terminate every process; returns descriptions of those that panicked."""
        panicked = []
        for p in self.procs:
            p.kill()
            if "panicked at" in p.stderr():
                panicked.append(p.describe())
        self.procs.clear()
        return panicked


@pytest.fixture
def launch(skiff_bin, tmp_path_factory):
    """A per-test launcher; every process it started is terminated after the test."""
    launcher = Launcher(skiff_bin, tmp_path_factory)
    try:
        yield launcher
    finally:
        panicked = launcher.cleanup()
    if panicked:
        pytest.fail("skiff panicked:\n" + "\n".join(panicked))


@pytest.fixture(scope="module")
def server(skiff_bin, tmp_path_factory):
    """One `skiff serve --rpc-port P --rpc-http-port H --artifact leeroy-web --artifact leeroy-app`
    per test module (default auto triggers, event log enabled)."""
    launcher = Launcher(skiff_bin, tmp_path_factory)
    try:
        proc = launcher.start(artifacts=MODULE_ARTIFACTS, event_log=True)
        yield proc
        if not proc.alive():
            pytest.fail(f"the module's skiff server died during the module\n{proc.describe()}")
    finally:
        panicked = launcher.cleanup()
    if panicked:
        pytest.fail("skiff panicked:\n" + "\n".join(panicked))


@pytest.fixture
def stub(server, pb):
    return pb.grpc.SkaffoldV2ServiceStub(server.channel())


def pytest_report_header(config):
    return [f"skiff e2e: repo {REPO_ROOT}, binary {os.environ.get('SKIFF_BIN') or 'target/debug/skiff'}, "
            f"CI={'true' if IN_CI else 'false'}"]
