//! File sync into the docker target's containers on the real engines: files planned by manual
//! and inferred rules land where busybox httpd serves them, deletions remove them, one session
//! per container serves many syncs and is replaced with its container, restarted or recreated
//! containers catch up, and images without a shell are synced through skiff's helper (or the archive API).

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use skiff_build::builder::BuiltImage;
use skiff_config::model::{Artifact, ArtifactType, DockerArtifact, Sync, SyncMode, SyncRule};
use skiff_deploy::Background;
use skiff_deploy::docker::sync::{SyncPlan, Syncer, plan_sync};
use skiff_deploy::docker::{IMAGE_LABEL, RUN_ID_LABEL};
use skiff_docker::{ContainerSpec, Engine, PublishedPort};
use skiff_events::{Output, Stream};
use skiff_proto::enums::{StatusCode, SuggestionCode};
use skiff_proto::v2::FileSyncEvent;
use skiff_proto::v2::event::EventType;
use skiff_testenv::{
    Printed, Scratch, assert_contains, base_image, engine, free_port, on_both_engines,
    recorded_events, recorded_output, unique,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long a test waits for something that happens in the background (a catch-up).
const PATIENCE: Duration = Duration::from_secs(15);

/// The command of a container serving `/www` over HTTP on port 8080, whose index page says
/// `original` each time it starts.
const SERVE: &str =
    "mkdir -p /www && echo original > /www/index.html && exec httpd -f -p 8080 -h /www";

/// One test's world: a run whose containers are removed at the end, an artifact workspace,
/// and a syncer.
struct World {
    engine: Engine,
    run_id: String,
    image: BuiltImage,
    workspace: tempfile::TempDir,
    syncer: Syncer,
    output: Output,
    printed: Printed,
    scratch: Scratch,
}

impl World {
    async fn new(host_var: &str) -> Option<World> {
        let engine = engine(host_var).await?;
        let run_id = unique("skiff-sync-run");
        let mut scratch = Scratch::new(&engine);
        scratch.label(format!("{RUN_ID_LABEL}={run_id}"));
        let image_name = unique("skiff-sync-app");
        let (output, printed) = recorded_output();
        Some(World {
            syncer: Syncer::new(engine.clone()),
            engine,
            run_id,
            image: BuiltImage {
                reference: format!("{image_name}:1"),
                image_name,
            },
            workspace: tempfile::tempdir().unwrap(),
            output,
            printed,
            scratch,
        })
    }

    /// Starts a container of the run for the image, running `image` (the base image when
    /// `None`) with `cmd`, its port 8080 published; returns its id and host port once it
    /// answers HTTP requests there.
    async fn start(&self, image: Option<&str>, cmd: Option<Vec<String>>) -> (String, u16) {
        let port = free_port();
        let spec = ContainerSpec {
            image: image.map_or_else(base_image, str::to_owned),
            name: Some(unique("skiff-sync")),
            cmd,
            labels: HashMap::from([
                (RUN_ID_LABEL.to_owned(), self.run_id.clone()),
                (IMAGE_LABEL.to_owned(), self.image.image_name.clone()),
            ]),
            ports: vec![PublishedPort {
                container_port: 8080,
                protocol: "tcp".into(),
                host_ip: "127.0.0.1".into(),
                host_port: port,
            }],
            init: true,
            ..Default::default()
        };
        let id = self.engine.create_container(&spec).await.unwrap();
        self.engine.start_container(&id).await.unwrap();
        http_get(port, "/").await;
        (id, port)
    }

    /// Starts the usual httpd container and waits for its `original` index page.
    async fn serve(&self) -> (String, u16) {
        let cmd = vec!["sh".into(), "-c".into(), SERVE.into()];
        let (id, port) = self.start(None, Some(cmd)).await;
        wait_for(port, "/", "original").await;
        (id, port)
    }

    /// Writes `text` to the workspace file `rel`, returning its absolute path.
    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.workspace.path().join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }

    fn ws(&self) -> &Path {
        self.workspace.path()
    }

    async fn sync(&self, container: &str, plan: &SyncPlan) -> usize {
        self.syncer
            .sync(container, plan, &self.output, &self.image)
            .await
            .unwrap()
    }

    fn file_sync_events(&self) -> Vec<FileSyncEvent> {
        recorded_events(self.output.hub(), Stream::Events, |e| match e {
            EventType::FileSyncEvent(f) => Some(f.clone()),
            _ => None,
        })
    }
}

/// A docker artifact syncing with `rules` (`src`, `dest`, `strip`).
fn manual(rules: &[(&str, &str, &str)]) -> Artifact {
    with_mode(SyncMode::Manual(
        rules
            .iter()
            .map(|(src, dest, strip)| SyncRule {
                src: (*src).into(),
                dest: (*dest).into(),
                strip: (*strip).into(),
            })
            .collect(),
    ))
}

fn with_mode(mode: SyncMode) -> Artifact {
    Artifact {
        image: "app".into(),
        sync: Some(Sync {
            mode: Some(mode),
            ..Default::default()
        }),
        artifact_type: Some(ArtifactType::Docker(DockerArtifact::default())),
        ..Default::default()
    }
}

/// The status and body of `GET <path>` on the local `port`, retried until something answers.
async fn http_get(port: u16, path: &str) -> (u16, String) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            let request = format!("GET {path} HTTP/1.0\r\n\r\n");
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut response = String::new();
            if stream.read_to_string(&mut response).await.is_ok()
                && let Some(rest) = response.strip_prefix("HTTP/1.")
            {
                let status = rest[2..5].parse().unwrap();
                let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
                return (status, body.to_owned());
            }
        }
        assert!(Instant::now() < deadline, "nothing answers on port {port}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The body of `GET <path>`, which must succeed.
async fn served(port: u16, path: &str) -> String {
    let (status, body) = http_get(port, path).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

/// Waits until `GET <path>` serves `text` (plus the newline `echo` adds, or not).
async fn wait_for(port: u16, path: &str, text: &str) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (status, body) = http_get(port, path).await;
        if status == 200 && body.trim_end() == text {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "GET {path} still answers {status} {body:?}, not {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn manual_rules_sync_a_served_file(host_var: &str) {
    let Some(w) = World::new(host_var).await else {
        return;
    };
    let (id, port) = w.serve().await;
    let workdir = w
        .engine
        .image_working_dir(&base_image())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(workdir, "/");
    let artifact = manual(&[("*.html", "/www", "")]);

    let page = w.write("index.html", "synced");
    let plan = plan_sync(
        &artifact,
        w.ws(),
        &workdir,
        std::slice::from_ref(&page),
        &[],
    )
    .unwrap()
    .unwrap();
    assert_eq!(plan.copy, [(page.clone(), "/www/index.html".to_owned())]);
    assert_eq!(w.sync(&id, &plan).await, 1);
    // The sync returns once the file is in place.
    assert_eq!(served(port, "/").await, "synced");

    assert_eq!(
        w.printed.text(),
        format!("Syncing 1 files for {}\n", w.image.reference)
    );
    let events: Vec<(String, i32, String)> = w
        .file_sync_events()
        .into_iter()
        .map(|e| (e.image, e.file_count, e.status))
        .collect();
    let reference = w.image.reference.clone();
    assert_eq!(
        events,
        [
            (reference.clone(), 1, "InProgress".to_owned()),
            (reference, 1, "Succeeded".to_owned()),
        ]
    );

    // A change the rules do not cover means a rebuild: nothing is synced.
    let source = w.write("main.go", "package main");
    let plan = plan_sync(&artifact, w.ws(), &workdir, &[page, source], &[]).unwrap();
    assert_eq!(plan, None);
}

async fn nested_destinations_with_strip(host_var: &str) {
    let Some(w) = World::new(host_var).await else {
        return;
    };
    let (id, port) = w.serve().await;
    let artifact = manual(&[("web/**", "site", "web/")]);
    let deep = w.write("web/a/b/page.html", "deep");
    let other = w.write("web/top.txt", "top");
    let plan = plan_sync(&artifact, w.ws(), "/www", &[deep, other], &[])
        .unwrap()
        .unwrap();
    assert_eq!(w.sync(&id, &plan).await, 2);
    assert_eq!(served(port, "/site/a/b/page.html").await, "deep");
    assert_eq!(served(port, "/site/top.txt").await, "top");
}

async fn deletions_remove_files(host_var: &str) {
    let Some(w) = World::new(host_var).await else {
        return;
    };
    let (id, port) = w.serve().await;
    let artifact = manual(&[("**/*.txt", "/www", "")]);
    let keep = w.write("keep.txt", "kept");
    let gone = w.write("dir/gone.txt", "doomed");
    let plan = plan_sync(&artifact, w.ws(), "/", &[keep, gone.clone()], &[])
        .unwrap()
        .unwrap();
    w.sync(&id, &plan).await;
    assert_eq!(served(port, "/dir/gone.txt").await, "doomed");

    fs::remove_file(&gone).unwrap();
    let plan = plan_sync(&artifact, w.ws(), "/", &[], &[gone])
        .unwrap()
        .unwrap();
    assert_eq!(plan.delete.len(), 1);
    assert_eq!(w.sync(&id, &plan).await, 1);
    assert_eq!(http_get(port, "/dir/gone.txt").await.0, 404);
    assert_eq!(served(port, "/keep.txt").await, "kept");
}

async fn infer_follows_the_dockerfile(host_var: &str) {
    let Some(w) = World::new(host_var).await else {
        return;
    };
    let (id, port) = w.serve().await;
    w.write(
        "Dockerfile",
        "FROM base\nWORKDIR /www\nCOPY index.html .\nCOPY assets/ static/\n",
    );
    let artifact = with_mode(SyncMode::Infer(vec!["**/*".into()]));
    let page = w.write("index.html", "inferred");
    let style = w.write("assets/site.css", "body{}");
    let plan = plan_sync(&artifact, w.ws(), "/", &[page, style], &[])
        .unwrap()
        .unwrap();
    assert_eq!(w.sync(&id, &plan).await, 2);
    assert_eq!(served(port, "/").await, "inferred");
    assert_eq!(served(port, "/static/site.css").await, "body{}");

    // Editing the Dockerfile itself is not syncable.
    let dockerfile = w.ws().join("Dockerfile");
    assert_eq!(
        plan_sync(&artifact, w.ws(), "/", &[dockerfile], &[]).unwrap(),
        None
    );
}

/// Syncs 50 saves into one container over one session and reports save → served timings.
async fn one_session_serves_many_syncs(host_var: &str) {
    let Some(w) = World::new(host_var).await else {
        return;
    };
    let (id, port) = w.serve().await;
    let artifact = manual(&[("*.html", "/www", "")]);
    let mut total = Vec::new();
    let mut syncing = Vec::new();
    for i in 0..50 {
        let text = format!("save {i}");
        let saved = Instant::now();
        let page = w.write("index.html", &text);
        let plan = plan_sync(&artifact, w.ws(), "/", &[page], &[])
            .unwrap()
            .unwrap();
        w.sync(&id, &plan).await;
        let synced = saved.elapsed();
        assert_eq!(served(port, "/").await, text);
        total.push(saved.elapsed());
        syncing.push(synced);
    }
    assert_eq!(w.syncer.sessions_opened(), 1);
    eprintln!(
        "{host_var}: 50 one-file syncs (the first opens the session): save -> synced {}; \
         save -> served over HTTP {}",
        spread(&mut syncing),
        spread(&mut total),
    );
}

/// `median M, p90 P, max X` of `timings`.
fn spread(timings: &mut [Duration]) -> String {
    timings.sort();
    let at = |q: usize| timings[(timings.len() - 1) * q / 100];
    format!("median {:?}, p90 {:?}, max {:?}", at(50), at(90), at(100))
}

async fn a_replaced_container_gets_a_new_session(host_var: &str) {
    let Some(w) = World::new(host_var).await else {
        return;
    };
    let artifact = manual(&[("*.html", "/www", "")]);
    let (first, _) = w.serve().await;
    let page = w.write("index.html", "one");
    let plan = plan_sync(&artifact, w.ws(), "/", std::slice::from_ref(&page), &[])
        .unwrap()
        .unwrap();
    w.sync(&first, &plan).await;
    w.engine.remove_container(&first).await.unwrap();

    let (second, port) = w.serve().await;
    w.write("index.html", "two");
    w.sync(&second, &plan).await;
    assert_eq!(served(port, "/").await, "two");
    assert_eq!(w.syncer.sessions_opened(), 2);

    // The same container again: the session is reused.
    w.write("index.html", "three");
    w.sync(&second, &plan).await;
    assert_eq!(served(port, "/").await, "three");
    assert_eq!(w.syncer.sessions_opened(), 2);
}

async fn restarted_and_recreated_containers_catch_up(host_var: &str) {
    let Some(w) = World::new(host_var).await else {
        return;
    };
    let catch_up = w.syncer.follow_restarts(&w.run_id, w.output.clone());
    let artifact = manual(&[("**/*", "/www", "")]);
    let (first, port) = w.serve().await;
    let page = w.write("index.html", "edited");
    let extra = w.write("extra.txt", "extra");
    let plan = plan_sync(&artifact, w.ws(), "/", &[page.clone(), extra], &[])
        .unwrap()
        .unwrap();
    w.sync(&first, &plan).await;

    // The container's command writes its index page again when it restarts.
    w.engine
        .client()
        .restart_container(&first, None)
        .await
        .unwrap();
    wait_for(port, "/", "edited").await;
    assert_eq!(served(port, "/extra.txt").await, "extra");

    // Recreated from the same build: the new container catches up too, with the current
    // content of the files.
    w.engine.remove_container(&first).await.unwrap();
    w.write("index.html", "edited again");
    let cmd = vec!["sh".into(), "-c".into(), SERVE.into()];
    let (_, port) = w.start(None, Some(cmd)).await;
    wait_for(port, "/", "edited again").await;

    // After a rebuild, new containers start from the image.
    w.syncer.image_rebuilt(&w.image.image_name);
    let (third, port) = w.serve().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(served(port, "/").await.trim_end(), "original");
    assert_eq!(http_get(port, "/extra.txt").await.0, 404);
    catch_up.stop().await;
    w.engine.remove_container(&third).await.unwrap();
    assert_contains(&w.printed.text(), "Syncing 2 files for");
}

/// An image without a shell: busybox's binary alone, as `/httpd`, serving `/www`; with
/// `extra`, more Dockerfile lines.
async fn shell_less(w: &mut World, extra: &str) -> (String, u16) {
    let image = w
        .scratch
        .image(
            &unique("skiff-sync-noshell"),
            &format!(
                "FROM scratch\nCOPY --from=0 /bin/busybox /httpd\n{extra}WORKDIR /www\n\
                 CMD [\"/httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]"
            ),
        )
        .await;
    w.start(Some(&image), None).await
}

/// Saves `www/index.html` with `text`, syncs it into `container` by the `/www` rule and checks
/// that it is served on `port`; returns the file.
async fn save_and_serve(w: &World, container: &str, port: u16, text: &str) -> PathBuf {
    let page = w.write("index.html", text);
    let plan = plan_sync(&www_rule(), w.ws(), "/", std::slice::from_ref(&page), &[])
        .unwrap()
        .unwrap();
    assert_eq!(w.sync(container, &plan).await, 1);
    assert_eq!(served(port, "/").await, text);
    page
}

/// Deletes the local `page` and returns the plan that deletes it in the container.
fn deletion(w: &World, page: PathBuf) -> SyncPlan {
    fs::remove_file(&page).unwrap();
    plan_sync(&www_rule(), w.ws(), "/", &[], &[page])
        .unwrap()
        .unwrap()
}

/// Every file synced under `/www`.
fn www_rule() -> Artifact {
    manual(&[("**/*", "/www", "")])
}

async fn shell_less_images_sync_through_skiffs_helper(host_var: &str) {
    let Some(mut w) = World::new(host_var).await else {
        return;
    };
    let (id, port) = shell_less(&mut w, "").await;
    save_and_serve(&w, &id, port, "no shell needed").await;
    assert_eq!(w.syncer.sessions_opened(), 1);
    let page = save_and_serve(&w, &id, port, "second save").await;
    w.sync(&id, &deletion(&w, page)).await;
    assert_eq!(http_get(port, "/").await.0, 404);
    assert_eq!(
        w.syncer.sessions_opened(),
        1,
        "one helper session served all"
    );
}

/// Where the helper cannot be put (here a volume is mounted at its path), copies go through the
/// archive API; deletions need `rm`, which the image lacks.
async fn without_the_helper_copies_go_through_the_archive_api(host_var: &str) {
    let Some(mut w) = World::new(host_var).await else {
        return;
    };
    let (id, port) = shell_less(&mut w, "VOLUME /.skiff-sync\n").await;
    let page = save_and_serve(&w, &id, port, "through the archive API").await;
    assert_eq!(w.syncer.sessions_opened(), 0);
    let plan = deletion(&w, page);
    let err = w
        .syncer
        .sync(&id, &plan, &w.output, &w.image)
        .await
        .unwrap_err();
    assert_eq!(err.code, StatusCode::SyncUnknown);
    assert_eq!(
        err.suggestion.map(|(code, _)| code),
        Some(SuggestionCode::CheckContainerImage)
    );
    let last = w.file_sync_events().pop().unwrap();
    assert_eq!(last.status, "Failed");
    assert!(last.actionable_err.is_some());
}

on_both_engines!(
    manual_rules_sync_a_served_file,
    nested_destinations_with_strip,
    deletions_remove_files,
    infer_follows_the_dockerfile,
    one_session_serves_many_syncs,
    a_replaced_container_gets_a_new_session,
    restarted_and_recreated_containers_catch_up,
    shell_less_images_sync_through_skiffs_helper,
    without_the_helper_copies_go_through_the_archive_api,
);
