//! `skiff run`, `deploy`, `delete`, `exec` and `verify` end to end on the docker target: the
//! binary against the real engine of the test environment, on the projects under `testdata/`
//! (Skaffold's Docker-only integration scenarios, rebuilt on the local busybox base image).
//!
//! The tests deploy containers with fixed names (as Skaffold names them) and check that no
//! labelled container is left, so they take turns.

use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use skiff_docker::Engine;
use skiff_testenv::{code, engine, free_port, run_isolated, stderr, stdout};
use tokio::sync::Mutex;

/// One deploying test at a time: they share container names.
static ENGINE_TURN: Mutex<()> = Mutex::const_new(());

/// A test's turn on the engine, with the engine to check what skiff left on it.
struct Turn {
    engine: Engine,
    _guard: tokio::sync::MutexGuard<'static, ()>,
}

/// Waits for this test's turn; `None` (the test is skipped) without a test engine.
async fn take_turn() -> Option<Turn> {
    let engine = engine("DOCKER_HOST").await?;
    Some(Turn {
        engine,
        _guard: ENGINE_TURN.lock().await,
    })
}

/// A copy of `testdata/<name>` in a temporary directory, which is also skiff's `HOME`.
fn project(name: &str) -> tempfile::TempDir {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name);
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&source, dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
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

fn skiff(dir: &Path, args: &[&str]) -> Output {
    let home = dir.to_str().unwrap();
    run_isolated(env!("CARGO_BIN_EXE_skiff"), dir, args, &[("HOME", home)])
}

/// Runs skiff in `dir` with the API on and its event log written to `<dir>/events.v2`;
/// returns the output and the event log.
fn skiff_logged(dir: &Path, args: &[&str]) -> (Output, String) {
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
fn assert_logged(log: &str, expected: &[&str]) {
    for line in expected {
        assert!(log.contains(line), "{line} not in:\n{log}");
    }
}

/// A copy of a deploying test project that `skiff delete` (with `delete_args`) cleans up when
/// dropped, so a failed assertion does not leave containers behind for the next test.
struct Project {
    dir: tempfile::TempDir,
    delete_args: &'static [&'static str],
}

impl Project {
    fn new(name: &str, delete_args: &'static [&'static str]) -> Project {
        Project {
            dir: project(name),
            delete_args,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Makes the `bert` image's build take a minute, after printing `building slowly`.
    fn slow_build(&self) {
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
fn event_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("events.v2")).unwrap_or_default()
}

fn events(dir: &Path) -> Vec<serde_json::Value> {
    event_log(dir)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The host port each container's port 8080 was forwarded to, from the `portEvent`s.
fn forwarded_port(dir: &Path, resource: &str) -> u16 {
    events(dir)
        .iter()
        .filter_map(|e| e.get("portEvent"))
        .find(|p| p["resourceName"] == resource)
        .and_then(|p| p["localPort"].as_i64())
        .unwrap_or_else(|| panic!("no portEvent for {resource} in:\n{}", event_log(dir))) as u16
}

/// `GET /` on a host port, returning the body.
fn http_get(port: u16) -> String {
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

fn names(containers: &[skiff_docker::LabeledContainer]) -> Vec<String> {
    let mut names: Vec<String> = containers.iter().map(|c| c.name.clone()).collect();
    names.sort();
    names
}

/// The containers skiff deployed (carrying the run-id label), by name.
async fn deployed(engine: &Engine) -> Vec<String> {
    names(
        &engine
            .containers_with_label("skaffold.dev/run-id")
            .await
            .unwrap(),
    )
}

/// The networks skiff created.
async fn networks(engine: &Engine) -> Vec<String> {
    engine
        .networks_with_label(Some("skaffold.dev/run-id"))
        .await
        .unwrap()
}

async fn assert_nothing_deployed(engine: &Engine) {
    assert_eq!(deployed(engine).await, Vec::<String>::new());
    assert_eq!(networks(engine).await, Vec::<String>::new());
}

fn assert_success(out: &Output) {
    assert_eq!(
        code(out),
        0,
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn run_deploys_two_reachable_containers_and_delete_removes_them() {
    let Some(turn) = take_turn().await else {
        return;
    };
    let dir = Project::new("docker-deploy", &[]);
    let (out, log) = skiff_logged(dir.path(), &["run"]);
    assert_success(&out);

    assert_eq!(deployed(&turn.engine).await, ["bert", "ernie"]);
    assert!(http_get(forwarded_port(dir.path(), "bert")).contains("hello from bert"));
    assert!(http_get(forwarded_port(dir.path(), "ernie")).contains("hello from ernie"));
    assert_logged(
        &log,
        &[
            r#""taskEvent":{"id":"Deploy-0","task":"Deploy","description":"Deploy to cluster","status":"InProgress"}"#,
            r#""deploySubtaskEvent":{"id":"0","taskId":"Deploy-0","status":"Succeeded"}"#,
            r#""taskEvent":{"id":"Deploy-0","task":"Deploy","status":"Succeeded"}"#,
        ],
    );

    let dry = skiff(dir.path(), &["delete", "--dry-run"]);
    assert_success(&dry);
    assert_eq!(deployed(&turn.engine).await, ["bert", "ernie"]);

    let out = skiff(dir.path(), &["delete"]);
    assert_success(&out);
    assert_nothing_deployed(&turn.engine).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_removes_the_profile_container() {
    let Some(turn) = take_turn().await else {
        return;
    };
    let dir = Project::new("docker-deploy", &["-p", "one-container"]);
    assert_success(&skiff(dir.path(), &["run", "-p", "one-container"]));
    assert_eq!(deployed(&turn.engine).await, ["docker-bert-img-1"]);
    assert_success(&skiff(dir.path(), &["delete", "-p", "one-container"]));
    assert_nothing_deployed(&turn.engine).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_taken_host_port_is_replaced_by_a_free_one() {
    let Some(turn) = take_turn().await else {
        return;
    };
    let dir = Project::new("docker-deploy", &["-p", "one-container"]);
    let Ok(_taken) = std::net::TcpListener::bind("127.0.0.1:19082") else {
        panic!("port 19082 is in use by something else on this machine");
    };
    let (out, _) = skiff_logged(dir.path(), &["run", "-p", "one-container"]);
    assert_success(&out);
    let port = forwarded_port(dir.path(), "docker-bert-img-1");
    assert_ne!(port, 19082);
    assert!(http_get(port).contains("hello from bert"));
    assert_success(&skiff(dir.path(), &["delete", "-p", "one-container"]));
    assert_nothing_deployed(&turn.engine).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_container_that_crashes_on_start_fails_the_run_and_is_removed() {
    let Some(turn) = take_turn().await else {
        return;
    };
    let dir = Project::new("crash-on-start", &[]);
    let (out, log) = skiff_logged(dir.path(), &["run"]);
    assert_eq!(code(&out), 1, "stdout:\n{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("exit code 3"), "{err}");
    assert!(err.contains("fatal: no config found"), "{err}");
    assert!(
        log.contains(r#""errCode":"STATUSCHECK_CONTAINER_TERMINATED""#),
        "{log}"
    );
    assert_nothing_deployed(&turn.engine).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn build_args_see_the_image_repo_name_and_tag() {
    let Some(turn) = take_turn().await else {
        return;
    };
    let dir = Project::new("docker-run-with-build-args/artifact-with-dependency", &[]);
    assert_success(&skiff(dir.path(), &["run"]));
    let mut lines = Vec::new();
    let spec = skiff_docker::ContainerSpec {
        image: "child:latest".into(),
        ..Default::default()
    };
    turn.engine
        .run_to_completion(&spec, Some(Duration::from_secs(30)), |l| lines.push(l.text))
        .await
        .unwrap();
    assert_eq!(
        lines.concat().trim(),
        "IMAGE_REPO: gcr.io/k8s-skaffold, IMAGE_NAME: skaffold, IMAGE_TAG:latest"
    );
    assert_success(&skiff(dir.path(), &["delete"]));
    assert_nothing_deployed(&turn.engine).await;

    let dir = project("docker-run-with-build-args/single-artifact");
    assert_success(&skiff(dir.path(), &["build"]));
    let mut lines = Vec::new();
    let spec = skiff_docker::ContainerSpec {
        image: "example:latest".into(),
        ..Default::default()
    };
    turn.engine
        .run_to_completion(&spec, Some(Duration::from_secs(30)), |l| lines.push(l.text))
        .await
        .unwrap();
    assert_eq!(lines.concat().trim(), "HELLO WORLD");
}

/// `skiff run --tail` in the background, with its output in files.
struct Background {
    child: Child,
    stdout: PathBuf,
}

impl Background {
    fn start(dir: &Path, args: &[&str]) -> Background {
        Background::start_with_env(dir, args, &[])
    }

    fn start_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Background {
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

    fn wait_for_output(&self, needle: &str, limit: Duration) {
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

    fn interrupt(&self) {
        let pid = i32::try_from(self.child.id()).unwrap();
        // SAFETY: sending a signal to a child process we own.
        unsafe {
            libc::kill(pid, libc::SIGINT);
        }
    }

    fn wait(&mut self, limit: Duration) -> i32 {
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

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_while_tailing_removes_the_containers() {
    let Some(turn) = take_turn().await else {
        return;
    };
    let dir = Project::new("docker-deploy", &[]);
    let mut run = Background::start(dir.path(), &["run", "--tail"]);
    // The application's log lines, prefixed with the image name (the build output also
    // contains the command's text).
    run.wait_for_output("[bert] bert is serving", Duration::from_secs(120));
    run.wait_for_output("[ernie] ernie is serving", Duration::from_secs(10));
    assert_eq!(deployed(&turn.engine).await, ["bert", "ernie"]);
    run.interrupt();
    assert_eq!(run.wait(Duration::from_secs(30)), 0);
    assert_nothing_deployed(&turn.engine).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_the_build_deploys_nothing() {
    let Some(turn) = take_turn().await else {
        return;
    };
    let dir = Project::new("docker-deploy", &[]);
    dir.slow_build();
    let started = Instant::now();
    let mut run = Background::start(dir.path(), &["run", "--tail", "--cache-artifacts=false"]);
    run.wait_for_output("building slowly", Duration::from_secs(60));
    run.interrupt();
    assert_ne!(run.wait(Duration::from_secs(30)), 0);
    assert!(started.elapsed() < Duration::from_secs(55));
    assert_nothing_deployed(&turn.engine).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn exec_actions_report_exec_events() {
    let Some(_turn) = take_turn().await else {
        return;
    };
    let dir = project("custom-actions-local");
    let exec = |action: &str| skiff_logged(dir.path(), &["exec", action]);

    let (out, log) = exec("action-succeeded");
    assert_success(&out);
    assert_logged(
        &log,
        &[
            r#""taskEvent":{"id":"Exec-0","task":"Exec","description":"Executing custom action action-succeeded","status":"InProgress"}}"#,
            r#""execEvent":{"id":"task7","taskId":"Exec-0","status":"InProgress"}}"#,
            r#""execEvent":{"id":"task7","taskId":"Exec-0","status":"Succeeded"}}"#,
            r#""execEvent":{"id":"task8","taskId":"Exec-0","status":"Succeeded"}}"#,
        ],
    );

    let (out, log) = exec("action-fail-fast");
    assert_eq!(code(&out), 1);
    assert_logged(
        &log,
        &[
            r#""execEvent":{"id":"task4","taskId":"Exec-0","status":"Failed","actionableErr":{"errCode":"UNKNOWN_ERROR","message":"\"task4\" running container image \"localhost/skiff-base:busybox\" errored during run with status code: 1""#,
        ],
    );

    let (out, log) = exec("action-fail-safe");
    assert_eq!(code(&out), 1);
    assert_logged(
        &log,
        &[
            r#""taskEvent":{"id":"Exec-0","task":"Exec","status":"Failed","actionableErr":{"errCode":"UNKNOWN_ERROR","message":"1 error(s) occurred:\n* \"task6\" running container image \"localhost/skiff-base:busybox\" errored during run with status code: 1""#,
            r#""execEvent":{"id":"task5","taskId":"Exec-0","status":"Succeeded"}}"#,
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_reports_container_output_and_failures() {
    let Some(_turn) = take_turn().await else {
        return;
    };
    let verify = |dir: &Path| skiff_logged(dir, &["verify", "--env-file", "verify.env"]);
    let dir = project("verify-succeed");
    let (out, log) = verify(dir.path());
    assert_success(&out);
    assert_logged(
        &log,
        &[
            "Hello from Docker!",
            "foo-var",
            r#""verifyEvent":{"id":"hello-docker","taskId":"Verify-0","status":"Succeeded"}"#,
        ],
    );

    let dir = project("verify-fail");
    let (out, log) = verify(dir.path());
    assert_eq!(code(&out), 1);
    assert_logged(
        &log,
        &[
            "foo-var",
            r#""verifyEvent":{"id":"failing","taskId":"Verify-0","status":"Failed""#,
        ],
    );
}

/// A stand-in engine socket that forwards to the real one until it is stopped, when every
/// connection is cut and new ones are refused: the engine going away mid-run.
struct EngineProxy {
    socket: PathBuf,
    tasks: tokio::task::JoinSet<()>,
}

impl EngineProxy {
    fn start(dir: &Path, engine_socket: PathBuf) -> EngineProxy {
        let socket = dir.join("engine.sock");
        let listener = tokio::net::UnixListener::bind(&socket).unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        tasks.spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                let engine_socket = engine_socket.clone();
                connections.spawn(async move {
                    if let Ok(mut engine) = tokio::net::UnixStream::connect(engine_socket).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut engine).await;
                    }
                });
            }
        });
        EngineProxy { socket, tasks }
    }

    fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// Cuts every connection and stops answering.
    async fn stop(mut self) {
        self.tasks.shutdown().await;
        let _ = std::fs::remove_file(&self.socket);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_engine_going_away_mid_build_fails_with_a_clear_error() {
    let Some(turn) = take_turn().await else {
        return;
    };
    let real = turn
        .engine
        .host()
        .strip_prefix("unix://")
        .expect("a unix socket")
        .to_owned();
    let dir = Project::new("docker-deploy", &[]);
    dir.slow_build();
    let proxy = EngineProxy::start(dir.path(), PathBuf::from(real));
    let host = proxy.host();
    let mut run = Background::start_with_env(
        dir.path(),
        &["run", "--cache-artifacts=false"],
        &[("DOCKER_HOST", &host)],
    );
    run.wait_for_output("building slowly", Duration::from_secs(60));
    proxy.stop().await;
    assert_eq!(run.wait(Duration::from_secs(30)), 1);
    let err = std::fs::read_to_string(dir.path().join("stderr.txt")).unwrap();
    assert!(
        err.contains("docker") || err.contains("engine"),
        "the error does not say what failed:\n{err}"
    );
    assert_nothing_deployed(&turn.engine).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_the_deploy_removes_what_was_started() {
    let Some(turn) = take_turn().await else {
        return;
    };
    let dir = Project::new("docker-deploy", &[]);
    let mut run = Background::start(dir.path(), &["run"]);
    run.wait_for_output(
        "Waiting for deployments to stabilize",
        Duration::from_secs(120),
    );
    run.interrupt();
    assert_ne!(run.wait(Duration::from_secs(30)), 0);
    assert_nothing_deployed(&turn.engine).await;
}

/// Runs skiff in `dir` with `input` on its stdin.
fn skiff_with_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_skiff"));
    cmd.current_dir(dir)
        .args(args)
        .env("HOME", dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_takes_the_images_of_an_earlier_build() {
    let Some(turn) = take_turn().await else {
        return;
    };
    let dir = Project::new("docker-deploy", &["-p", "one-container"]);
    let built = skiff(
        dir.path(),
        &[
            "build",
            "-p",
            "one-container",
            "-t",
            "v1",
            "--file-output",
            "builds.json",
        ],
    );
    assert_success(&built);
    let builds: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("builds.json")).unwrap())
            .unwrap();
    let reference = builds["builds"][0]["tag"].as_str().unwrap().to_owned();
    let out = skiff(
        dir.path(),
        &["deploy", "-p", "one-container", "-a", "builds.json"],
    );
    assert_success(&out);
    let containers = turn
        .engine
        .containers_with_label("skaffold.dev/run-id")
        .await
        .unwrap();
    assert_eq!(names(&containers), ["docker-bert-img-1"]);
    assert_eq!(containers[0].image, reference);

    // `skiff build -q | skiff deploy -a -`: a second deploy, from another run, takes the next
    // name, as in Skaffold.
    let built = skiff(
        dir.path(),
        &["build", "-q", "-p", "one-container", "-t", "v2"],
    );
    assert_success(&built);
    let out = skiff_with_stdin(
        dir.path(),
        &["deploy", "-p", "one-container", "--build-artifacts", "-"],
        &built.stdout,
    );
    assert_success(&out);
    assert_eq!(
        deployed(&turn.engine).await,
        ["docker-bert-img-1", "docker-bert-img-1-1"]
    );

    // Without a tag for an image, deploy says what is missing.
    let out = skiff(dir.path(), &["deploy", "-p", "one-container"]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("no tag provided for image [docker-bert-img-1]"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn test_runs_custom_and_structure_tests_on_built_images() {
    let Some(_turn) = take_turn().await else {
        return;
    };
    let dir = Project::new("structure-tests", &[]);
    assert_success(&skiff(
        dir.path(),
        &["build", "-t", "t1", "--file-output", "builds.json"],
    ));
    let (out, log) = skiff_logged(dir.path(), &["test", "-a", "builds.json"]);
    assert_success(&out);
    let printed = stdout(&out);
    assert!(printed.contains("custom test saw tested-app:"), "{printed}");
    assert_logged(
        &log,
        &[
            r#""taskEvent":{"id":"Test-0","task":"Test","description":"Test","status":"InProgress"}"#,
            r#""testEvent":{"id":"0","taskId":"Test-0","status":"Succeeded"}"#,
            r#""testEvent":{"id":"1","taskId":"Test-0","status":"Succeeded"}"#,
            r#""taskEvent":{"id":"Test-0","task":"Test","status":"Succeeded"}"#,
        ],
    );

    let (out, log) = skiff_logged(dir.path(), &["test", "-p", "failing", "-a", "builds.json"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("/etc/app/config.yaml"),
        "{}",
        stdout(&out)
    );
    assert_logged(
        &log,
        &[r#""taskEvent":{"id":"Test-0","task":"Test","status":"Failed""#],
    );
}
