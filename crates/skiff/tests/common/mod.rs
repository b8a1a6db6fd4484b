//! Helpers of the end-to-end tests of the binary on the projects of `testdata/`: copies of the
//! projects, running skiff (in the foreground, with an event log, or in the background), and
//! checks of what it left on the engine.
//!
//! Tests deploy containers with fixed names (as Skaffold names them) and check that no
//! labelled container is left, so they take turns ([`take_turn`]).

#![allow(dead_code)]

use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub use skiff_docker::Engine;
use skiff_testenv::{code, engine, free_port, run_isolated, stderr, stdout};
use tokio::sync::Mutex;

/// One deploying test at a time: they share container names.
static ENGINE_TURN: Mutex<()> = Mutex::const_new(());

/// A test's turn on the engine, with the engine to check what skiff left on it.
pub struct Turn {
    pub engine: Engine,
    _guard: tokio::sync::MutexGuard<'static, ()>,
}

/// Waits for this test's turn; `None` (the test is skipped) without a test engine.
pub async fn take_turn() -> Option<Turn> {
    let engine = engine("DOCKER_HOST").await?;
    Some(Turn {
        engine,
        _guard: ENGINE_TURN.lock().await,
    })
}

/// A copy of `testdata/<name>` in a temporary directory, which is also skiff's `HOME`.
pub fn project(name: &str) -> tempfile::TempDir {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name);
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&source, dir.path());
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

pub fn skiff(dir: &Path, args: &[&str]) -> Output {
    let home = dir.to_str().unwrap();
    run_isolated(env!("CARGO_BIN_EXE_skiff"), dir, args, &[("HOME", home)])
}

/// Runs skiff in `dir` with the API on and its event log written to `<dir>/events.v2`;
/// returns the output and the event log.
pub fn skiff_logged(dir: &Path, args: &[&str]) -> (Output, String) {
    let port = free_port().to_string();
    let log_file = dir.join("events");
    let _ = std::fs::remove_file(dir.join("events.v2"));
    let mut all = args.to_vec();
    all.extend([
        "--rpc-port",
        &port,
        "--event-log-file",
        log_file.to_str().unwrap(),
    ]);
    let out = skiff(dir, &all);
    (out, event_log(dir))
}

/// Checks that every one of `expected` is in the event log `log`.
pub fn assert_logged(log: &str, expected: &[&str]) {
    for line in expected {
        assert!(log.contains(line), "{line} not in:\n{log}");
    }
}

/// A copy of a deploying test project that `skiff delete` (with `delete_args`) cleans up when
/// dropped, so a failed assertion does not leave containers behind for the next test.
pub struct Project {
    dir: tempfile::TempDir,
    delete_args: &'static [&'static str],
}

impl Project {
    pub fn new(name: &str, delete_args: &'static [&'static str]) -> Project {
        Project {
            dir: project(name),
            delete_args,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Makes the `bert` image's build take a minute, after printing `building slowly`.
    pub fn slow_build(&self) {
        let dockerfile = self.path().join("bert/Dockerfile");
        let slow = format!(
            "{}RUN echo building slowly && sleep 60\n",
            std::fs::read_to_string(&dockerfile).unwrap()
        );
        std::fs::write(&dockerfile, slow).unwrap();
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let mut args = vec!["delete"];
        args.extend(self.delete_args);
        let _ = skiff(self.path(), &args);
    }
}

/// The lines of `<dir>/events.v2`.
pub fn event_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("events.v2")).unwrap_or_default()
}

pub fn events(dir: &Path) -> Vec<serde_json::Value> {
    event_log(dir)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The host port each container's port 8080 was forwarded to, from the `portEvent`s.
pub fn forwarded_port(dir: &Path, resource: &str) -> u16 {
    events(dir)
        .iter()
        .filter_map(|e| e.get("portEvent"))
        .find(|p| p["resourceName"] == resource)
        .and_then(|p| p["localPort"].as_i64())
        .unwrap_or_else(|| panic!("no portEvent for {resource} in:\n{}", event_log(dir))) as u16
}

/// `GET /` on a host port, returning the body.
pub fn http_get(port: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            use std::io::Write;
            let _ = write!(stream, "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n");
            let mut response = String::new();
            if stream.read_to_string(&mut response).is_ok() && !response.is_empty() {
                return response;
            }
        }
        assert!(Instant::now() < deadline, "nothing answers on port {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn names(containers: &[skiff_docker::LabeledContainer]) -> Vec<String> {
    let mut names: Vec<String> = containers.iter().map(|c| c.name.clone()).collect();
    names.sort();
    names
}

/// The containers skiff deployed (carrying the run-id label), by name.
pub async fn deployed(engine: &Engine) -> Vec<String> {
    names(
        &engine
            .containers_with_label("skaffold.dev/run-id")
            .await
            .unwrap(),
    )
}

/// The networks skiff created.
pub async fn networks(engine: &Engine) -> Vec<String> {
    engine
        .networks_with_label(Some("skaffold.dev/run-id"))
        .await
        .unwrap()
}

pub async fn assert_nothing_deployed(engine: &Engine) {
    assert_eq!(deployed(engine).await, Vec::<String>::new());
    assert_eq!(networks(engine).await, Vec::<String>::new());
}

pub fn assert_success(out: &Output) {
    assert_eq!(
        code(out),
        0,
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

/// `skiff run --tail` in the background, with its output in files.
pub struct Background {
    child: Child,
    stdout: PathBuf,
}

impl Background {
    pub fn start(dir: &Path, args: &[&str]) -> Background {
        Background::start_with_env(dir, args, &[])
    }

    pub fn start_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Background {
        let stdout = dir.join("stdout.txt");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_skiff"));
        cmd.current_dir(dir)
            .args(args)
            .env("HOME", dir)
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(dir.join("stderr.txt")).unwrap())
            .stdin(Stdio::null());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("SKAFFOLD_") {
                cmd.env_remove(key);
            }
        }
        cmd.envs(env.iter().copied());
        Background {
            child: cmd.spawn().unwrap(),
            stdout,
        }
    }

    pub fn wait_for_output(&self, needle: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            let text = std::fs::read_to_string(&self.stdout).unwrap_or_default();
            if text.contains(needle) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{needle:?} never appeared in:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn interrupt(&self) {
        let pid = i32::try_from(self.child.id()).unwrap();
        // SAFETY: sending a signal to a child process we own.
        unsafe {
            libc::kill(pid, libc::SIGINT);
        }
    }

    pub fn wait(&mut self, limit: Duration) -> i32 {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("skiff did not exit within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Background {
    /// A test that fails half-way does not leave skiff running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
