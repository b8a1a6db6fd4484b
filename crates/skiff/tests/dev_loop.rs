//! `skiff dev` end to end on the docker target: a busybox web server (`testdata/dev-web`) whose
//! `www/` files are synced into the running container and whose other changes rebuild it,
//! driven by file changes, by API intents and by the manual trigger; and sync hooks around its
//! syncs (`testdata/dev-sync-hooks`).

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use skiff_docker::LabeledContainer;
use skiff_testenv::free_port;

/// A copy of `testdata/<name>`, whose container port is forwarded to a free host port instead
/// of 19090; and that port.
fn project_on_free_port(name: &str) -> (Project, u16) {
    let project = Project::new(name, &[]);
    let port = free_port();
    let config = project.path().join("skaffold.yaml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("localPort: 19090", &format!("localPort: {port}"));
    std::fs::write(&config, text).unwrap();
    (project, port)
}

/// A `skiff dev` session on a copy of a `testdata` project serving on a free host port.
struct DevSession {
    project: Project,
    port: u16,
    http_port: u16,
    dev: Background,
}

impl DevSession {
    /// A session on `testdata/dev-web`.
    fn start(extra: &[&str]) -> DevSession {
        DevSession::start_on("dev-web", extra)
    }

    /// A session on `testdata/<name>`, once it serves `version 1` and watches.
    fn start_on(name: &str, extra: &[&str]) -> DevSession {
        DevSession::start_prepared(name, extra, |_| {})
    }

    /// A session on `testdata/<name>` after `prepare` has changed the copy.
    fn start_prepared(name: &str, extra: &[&str], prepare: impl FnOnce(&Path)) -> DevSession {
        let (project, port) = project_on_free_port(name);
        prepare(project.path());
        let http_port = free_port();
        let http = http_port.to_string();
        let mut args = vec!["dev", "--rpc-http-port", &http];
        args.extend(extra);
        let dev = Background::start(project.path(), &args);
        let session = DevSession {
            project,
            port,
            http_port,
            dev,
        };
        session.wait_until_served("version 1", Duration::from_secs(120));
        session
            .dev
            .wait_for_output("atching for changes", Duration::from_secs(10));
        session
    }

    fn write(&self, relative: &str, text: &str) {
        std::fs::write(self.project.path().join(relative), text).unwrap();
    }

    fn path(&self) -> &Path {
        self.project.path()
    }

    /// Waits until `GET /` answers with `needle` in the body.
    fn wait_until_served(&self, needle: &str, limit: Duration) {
        self.wait_until_page("", needle, limit);
    }

    fn wait_until_page(&self, page: &str, needle: &str, limit: Duration) {
        wait_until_page(self.port, page, needle, limit);
    }

    /// Sends an API request to the HTTP gateway.
    fn api(&self, method: &str, path: &str, body: &str) -> String {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.http_port)).unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }
}

/// Waits until `GET /<page>` on the host port `port` answers with `needle` in the response.
fn wait_until_page(port: u16, page: &str, needle: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let body = http_get_path(port, page).unwrap_or_default();
        if body.contains(needle) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{needle:?} never served; last answer:\n{body}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `GET /<page>` on a host port: the response, or `None` when nothing answers.
fn http_get_path(port: u16, page: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(stream, "GET /{page} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

/// Waits until the session's container is another than `old` (a redeploy), and returns it.
async fn replaced(engine: &Engine, old: &str, what: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let containers = engine
            .containers_with_label("skaffold.dev/run-id")
            .await
            .unwrap();
        if let [only] = containers.as_slice()
            && only.id != old
        {
            return only.id.clone();
        }
        assert!(Instant::now() < deadline, "{what} redeployed nothing");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The one container of the session.
async fn the_container(engine: &Engine) -> LabeledContainer {
    let mut containers = engine
        .containers_with_label("skaffold.dev/run-id")
        .await
        .unwrap();
    assert_eq!(containers.len(), 1, "{containers:?}");
    containers.remove(0)
}

/// The id of the one container of the session.
async fn container_id(engine: &Engine) -> String {
    the_container(engine).await.id
}

/// Waits until the engine has no image `reference` any more (skiff removed it).
async fn wait_until_image_gone(engine: &Engine, reference: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while engine.image_id(reference).await.unwrap().is_some() {
        assert!(
            Instant::now() < deadline,
            "image {reference} was not removed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn saves_sync_or_rebuild_and_failures_keep_the_last_good_container() {
    let Some(turn) = take_turn().await else {
        return;
    };
    let mut session = DevSession::start(&[]);
    let first = the_container(&turn.engine).await;
    let (first, first_image) = (first.id, first.image);

    // A synced file: served without a rebuild.
    session.write("www/index.html", "version 2\n");
    session.wait_until_served("version 2", Duration::from_secs(10));
    assert_eq!(container_id(&turn.engine).await, first);

    // A new synced file, then its deletion.
    session.write("www/extra.html", "extra page\n");
    session.wait_until_page("extra.html", "extra page", Duration::from_secs(10));
    std::fs::remove_file(session.path().join("www/extra.html")).unwrap();
    session.wait_until_page("extra.html", "404", Duration::from_secs(10));

    // A test dependency: the tests run again, nothing is rebuilt.
    session.write("tests/expected.txt", "expectation 2\n");
    session
        .dev
        .wait_for_output("expectation 2", Duration::from_secs(20));
    assert_eq!(container_id(&turn.engine).await, first);

    // The container restarts: the synced edit is still there.
    turn.engine
        .client()
        .restart_container(
            &first,
            None::<bollard::query_parameters::RestartContainerOptions>,
        )
        .await
        .unwrap();
    session.wait_until_served("version 2", Duration::from_secs(20));

    // The Dockerfile: rebuilt and redeployed.
    let dockerfile = std::fs::read_to_string(session.path().join("Dockerfile")).unwrap();
    session.write("Dockerfile", &format!("{dockerfile}ENV REBUILT=1\n"));
    replaced(&turn.engine, &first, "the change of the Dockerfile").await;
    session.wait_until_served("version 2", Duration::from_secs(20));
    let second = container_id(&turn.engine).await;
    // The first image is the new one's parent (the engine's classic builder chains them), so
    // it stays; the second one is no parent of the fix below, which replaces it.
    let second_image = the_container(&turn.engine).await.image;
    assert_ne!(second_image, first_image);

    // A broken Dockerfile: the build fails, the last good container keeps serving.
    session.write("Dockerfile", &format!("{dockerfile}RUN exit 3\n"));
    session.dev.wait_for_output(
        "Skipping the rest of this iteration",
        Duration::from_secs(60),
    );
    assert_eq!(container_id(&turn.engine).await, second);
    session.wait_until_served("version 2", Duration::from_secs(5));

    // The fix recovers.
    session.write("Dockerfile", &format!("{dockerfile}ENV FIXED=1\n"));
    replaced(&turn.engine, &second, "the fix").await;
    session.wait_until_served("version 2", Duration::from_secs(20));

    let last_image = the_container(&turn.engine).await.image;
    // The image it replaced is removed, as Skaffold's dev loop does.
    wait_until_image_gone(&turn.engine, &second_image).await;

    session.dev.interrupt();
    assert_eq!(session.dev.wait(Duration::from_secs(30)), 0);
    assert_nothing_deployed(&turn.engine).await;
    // With the artifact cache on, the last image stays for the next session.
    assert!(turn.engine.image_id(&last_image).await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_artifact_cache_the_images_go_at_the_end_unless_no_prune() {
    let Some(turn) = take_turn().await else {
        return;
    };
    // An image of its own: no other build has it as a parent (the engine keeps parents).
    let unique = format!("ENV SESSION={}\n", skiff_testenv::unique("s"));
    let own_image = |dir: &Path| {
        let dockerfile = dir.join("Dockerfile");
        let text = std::fs::read_to_string(&dockerfile).unwrap();
        std::fs::write(&dockerfile, format!("{text}{unique}")).unwrap();
    };
    let no_prune = ["--cache-artifacts=false", "--no-prune"];
    let mut kept = DevSession::start_prepared("dev-web", &no_prune, own_image);
    let image = the_container(&turn.engine).await.image;
    kept.dev.interrupt();
    assert_eq!(kept.dev.wait(Duration::from_secs(30)), 0);
    assert!(turn.engine.image_id(&image).await.unwrap().is_some());

    let mut pruned = DevSession::start_prepared("dev-web", &no_prune[..1], own_image);
    assert_eq!(the_container(&turn.engine).await.image, image);
    pruned.dev.interrupt();
    assert_eq!(pruned.dev.wait(Duration::from_secs(30)), 0);
    assert_nothing_deployed(&turn.engine).await;
    assert_eq!(turn.engine.image_id(&image).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn with_auto_triggers_off_only_api_intents_act() {
    let Some(turn) = take_turn().await else {
        return;
    };
    let mut session = DevSession::start(&[
        "--auto-build=false",
        "--auto-sync=false",
        "--auto-deploy=false",
    ]);
    session
        .dev
        .wait_for_output("Not watching for changes", Duration::from_secs(10));

    session.write("www/index.html", "version 2\n");
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        http_get_path(session.port, "")
            .unwrap()
            .contains("version 1")
    );

    let answer = session.api("POST", "/v2/execute", r#"{"sync":true}"#);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    session.wait_until_served("version 2", Duration::from_secs(10));

    // A rebuild needs a build intent and a deploy intent.
    let first = container_id(&turn.engine).await;
    let dockerfile = std::fs::read_to_string(session.path().join("Dockerfile")).unwrap();
    session.write("Dockerfile", &format!("{dockerfile}ENV REBUILT=1\n"));
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(container_id(&turn.engine).await, first);
    session.api("POST", "/v2/execute", r#"{"devloop":true}"#);
    replaced(&turn.engine, &first, "the devloop intent").await;

    session.dev.interrupt();
    assert_eq!(session.dev.wait(Duration::from_secs(30)), 0);
    assert_nothing_deployed(&turn.engine).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn editing_the_config_reloads_it() {
    let Some(turn) = take_turn().await else {
        return;
    };
    let mut session = DevSession::start(&[]);
    let new_port = free_port();
    let config = session.path().join("skaffold.yaml");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        &format!("localPort: {}", session.port),
        &format!("localPort: {new_port}"),
    );
    std::fs::write(&config, text).unwrap();
    session.port = new_port;
    session.wait_until_served("version 1", Duration::from_secs(60));

    session.dev.interrupt();
    assert_eq!(session.dev.wait(Duration::from_secs(30)), 0);
    assert_nothing_deployed(&turn.engine).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_hooks_run_on_the_host_and_in_the_container() {
    let Some(turn) = take_turn().await else {
        return;
    };
    let mut session = DevSession::start_on("dev-sync-hooks", &[]);
    let first = container_id(&turn.engine).await;

    session.write("www/index.html", "version 2\n");
    // The container hook ran after the copy: it saw the new page.
    session.wait_until_page("shout.html", "VERSION 2", Duration::from_secs(10));
    session.wait_until_served("version 2", Duration::from_secs(5));
    assert_eq!(container_id(&turn.engine).await, first);

    let log = std::fs::read_to_string(session.path().join("hooks.log")).unwrap();
    let page = session.path().join("www/index.html");
    assert!(
        log.starts_with("image=dev-sync-hooks:"),
        "the host hook saw no image: {log}"
    );
    assert!(
        log.ends_with(&format!(" added={} deleted=\n", page.display())),
        "the host hook saw other files: {log}"
    );
    session.dev.wait_for_output(
        "Completed post-sync hooks for artifact \"dev-sync-hooks\"",
        Duration::from_secs(5),
    );
    let output = std::fs::read_to_string(session.path().join("stdout.txt")).unwrap();
    let order: Vec<usize> = [
        "Syncing 1 files for dev-sync-hooks:",
        "Starting pre-sync hooks for artifact \"dev-sync-hooks\"...",
        "Completed pre-sync hooks for artifact \"dev-sync-hooks\"",
        "Starting post-sync hooks for artifact \"dev-sync-hooks\"...",
        "Completed post-sync hooks for artifact \"dev-sync-hooks\"",
    ]
    .iter()
    .map(|line| {
        output
            .find(line)
            .unwrap_or_else(|| panic!("{line:?} is not in:\n{output}"))
    })
    .collect();
    assert!(order.is_sorted(), "out of order:\n{output}");

    session.dev.interrupt();
    assert_eq!(session.dev.wait(Duration::from_secs(30)), 0);
    assert_nothing_deployed(&turn.engine).await;
}

/// `skiff dev --trigger manual` on a copy of `testdata/dev-web`, its standard input a pipe the
/// test writes to (a [`Background`] run gets no standard input). Dropping it kills skiff;
/// the project's drop then deletes what it deployed.
struct ManualDev {
    child: Child,
    stdin: ChildStdin,
    port: u16,
    project: Project,
}

impl ManualDev {
    fn start() -> ManualDev {
        let (project, port) = project_on_free_port("dev-web");
        let dir = project.path();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_skiff"));
        cmd.current_dir(dir)
            .args(["dev", "--trigger", "manual"])
            .env("HOME", dir)
            .stdin(Stdio::piped())
            .stdout(std::fs::File::create(dir.join("stdout.txt")).unwrap())
            .stderr(std::fs::File::create(dir.join("stderr.txt")).unwrap());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("SKAFFOLD_") {
                cmd.env_remove(key);
            }
        }
        let mut child = cmd.spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        ManualDev {
            child,
            stdin,
            port,
            project,
        }
    }

    /// Presses Enter.
    fn enter(&mut self) {
        self.stdin.write_all(b"\n").unwrap();
        self.stdin.flush().unwrap();
    }

    /// What skiff printed so far.
    fn printed(&self) -> String {
        std::fs::read_to_string(self.project.path().join("stdout.txt")).unwrap_or_default()
    }
}

impl Drop for ManualDev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn with_the_manual_trigger_a_line_on_stdin_applies_the_changes() {
    let Some(turn) = take_turn().await else {
        return;
    };
    let mut session = ManualDev::start();
    wait_until_page(session.port, "", "version 1", Duration::from_secs(120));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !session
        .printed()
        .contains("Press any key to rebuild/redeploy the changes")
    {
        assert!(Instant::now() < deadline, "{}", session.printed());
        std::thread::sleep(Duration::from_millis(50));
    }

    std::fs::write(session.project.path().join("www/index.html"), "version 2\n").unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let body = http_get_path(session.port, "").unwrap();
    assert!(body.contains("version 1"), "synced without a key: {body}");

    session.enter();
    wait_until_page(session.port, "", "version 2", Duration::from_secs(10));

    drop(session);
    assert_nothing_deployed(&turn.engine).await;
}
