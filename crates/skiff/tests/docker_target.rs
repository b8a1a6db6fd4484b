//! `skiff run`, `deploy`, `delete`, `exec` and `verify` end to end on the docker target: the
//! binary against the real engine of the test environment, on the projects under `testdata/`
//! (Skaffold's Docker-only integration scenarios, rebuilt on the local busybox base image).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use skiff_testenv::{code, stderr, stdout};

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
