//! Helpers shared by skiff's tests (a dev-dependency only, never published).
//!
//! The test environment is the one `scripts/test-env` brings up and describes with
//! `eval "$(scripts/test-env env)"`: dockerd and Podman's compatible socket (`DOCKER_HOST`,
//! `PODMAN_DOCKER_HOST`), a registry (`TEST_REGISTRY`) and a base image
//! (`SKIFF_TEST_BASE_IMAGE`). The shared reference corpus lives outside the repository, in
//! `../shared/reference` beside the workspace. A test whose environment or corpus is missing is
//! skipped with a note on stderr, except under `CI=true`, where it must be there and the test
//! panics.
//!
//! Features: `engine` adds `engine()` (a connected `skiff_docker::Engine`) and [`Scratch`] (what
//! a test creates on it, removed at the end); `events` adds `recorded_output()` and
//! `recorded_events()` (an `Output` whose text and events a test reads); `build` adds the
//! builder-test helpers `Collect`, `custom_artifact()` and `build_request()`. Without a
//! feature, [`on_both_engines!`] runs a test on dockerd and on Podman.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

#[cfg(feature = "build")]
mod build;
#[cfg(feature = "http")]
mod http;
#[cfg(feature = "local-run")]
mod local_run;
#[cfg(feature = "events")]
mod output;
#[cfg(feature = "engine")]
mod scratch;
#[cfg(feature = "build")]
pub use build::{Collect, build_request, custom_artifact};
#[cfg(feature = "http")]
pub use http::http_server;
#[cfg(feature = "local-run")]
pub use local_run::{EventLogText, LocalSession, Progress, skaffold_config};
#[cfg(feature = "events")]
pub use output::{Printed, recorded_events, recorded_output};
#[cfg(feature = "engine")]
pub use scratch::Scratch;

/// Runs async tests on both test engines. For each `async fn name(host_var: &str)` named, it
/// adds a module `name` with the tests `on_dockerd` (`name("DOCKER_HOST")`) and `on_podman`
/// (`name("PODMAN_DOCKER_HOST")`). The calling crate needs tokio for `#[tokio::test]`.
#[macro_export]
macro_rules! on_both_engines {
    ($($test:ident),+ $(,)?) => {
        $(
            mod $test {
                #[tokio::test]
                async fn on_dockerd() {
                    super::$test("DOCKER_HOST").await;
                }

                #[tokio::test]
                async fn on_podman() {
                    super::$test("PODMAN_DOCKER_HOST").await;
                }
            }
        )+
    };
}

/// Whether the tests run under CI (`CI=true`), where a missing environment is a failure.
fn under_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// The address of the test engine named by the env var `var` (`DOCKER_HOST` or
/// `PODMAN_DOCKER_HOST`). Without it: `None` after a skip note, or a panic under `CI=true`.
pub fn engine_host(var: &str) -> Option<String> {
    let Ok(host) = std::env::var(var) else {
        assert!(
            !under_ci(),
            "{var} is not set under CI: run the tests through scripts/test"
        );
        eprintln!("skipping: {var} is not set (run `eval \"$(scripts/test-env env)\"`)");
        return None;
    };
    Some(host)
}

/// The test engine named by the env var `var`, connected; `None` (or a panic) as for
/// [`engine_host`]. Panics when the engine does not answer.
#[cfg(feature = "engine")]
pub async fn engine(var: &str) -> Option<skiff_docker::Engine> {
    let host = engine_host(var)?;
    Some(
        skiff_docker::Engine::connect(Some(&host))
            .await
            .expect("the test engine answers"),
    )
}

/// The test registry's `host:port` (`TEST_REGISTRY`, default `127.0.0.1:5000`).
pub fn registry() -> String {
    std::env::var("TEST_REGISTRY").unwrap_or_else(|_| "127.0.0.1:5000".into())
}

/// Whether the test registry has `repo:reference` (a `HEAD` of its manifest).
pub fn registry_has(repo: &str, reference: &str) -> bool {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(registry()).unwrap();
    write!(
        stream,
        "HEAD /v2/{repo}/manifests/{reference} HTTP/1.1\r\nHost: {}\r\nAccept: application/vnd.docker.distribution.manifest.v2+json\r\nConnection: close\r\n\r\n",
        registry()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.starts_with("HTTP/1.1 200")
}

/// A tool the test environment puts on PATH (`helm`, `kubectl`; `eval "$(scripts/test-env env)"`),
/// or `None` after a skip note when it is missing. Under `CI=true` a missing tool fails the
/// test instead: a suite that silently skips its real-tool tests proves nothing.
pub fn test_tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file());
    if found.is_none() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "{name} is not on PATH (run scripts/test-env up and eval its env)"
        );
        eprintln!("skipping: {name} is not on PATH (run `eval \"$(scripts/test-env env)\"`)");
    }
    found
}

/// The base image present in the test engines (`SKIFF_TEST_BASE_IMAGE`, default
/// `localhost/skiff-base:busybox`).
pub fn base_image() -> String {
    std::env::var("SKIFF_TEST_BASE_IMAGE").unwrap_or_else(|_| "localhost/skiff-base:busybox".into())
}

/// `prefix-<nanoseconds since the epoch>`: a name or tag no earlier test run has used.
pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{nanos}")
}

/// Asserts that `text` contains `part`, showing both when it does not.
#[track_caller]
pub fn assert_contains(text: &str, part: &str) {
    assert!(text.contains(part), "{part:?} is not in:\n{text}");
}

/// A local TCP port nothing listens on right now.
pub fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap().port()
}

/// `relative` (a file or directory) in the shared reference corpus, `../shared/reference` beside
/// the workspace. When it is absent: `None` after a note, or a panic under `CI=true`.
pub fn reference_path(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference")
        .join(relative);
    if path.exists() {
        return Some(path);
    }
    assert!(
        !under_ci(),
        "{} is missing (required under CI=true)",
        path.display()
    );
    eprintln!("note: {} is absent; skipping", path.display());
    None
}

/// Every file under `dir`, recursively, in sorted order (each directory's entries sorted by
/// path, a subdirectory's files where the subdirectory sorts).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    collect_files(dir, &mut out);
    out
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Whether process `pid` is gone (or a zombie waiting to be reaped), from `/proc/<pid>/stat`.
pub fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.trim_start().starts_with('Z'))
            .unwrap_or(false),
    }
}

/// The process id written in the file at `path`, once it is there and complete.
pub fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Runs `program` (a test's `env!("CARGO_BIN_EXE_skiff")`) in `dir` with `args` and the
/// variables `env`, and no `SKAFFOLD_*` variable inherited from the test's environment.
pub fn run_isolated(program: &str, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir).args(args);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("SKAFFOLD_") {
            cmd.env_remove(key);
        }
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("run skiff")
}

/// A finished process's stdout, as (lossy) UTF-8.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A finished process's stderr, as (lossy) UTF-8.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A finished process's exit code; panics when a signal ended it.
pub fn code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}
