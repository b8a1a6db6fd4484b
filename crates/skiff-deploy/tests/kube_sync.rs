//! File sync into pods against the fake API server: the exec'd `tar`/`rm` run locally with a
//! directory per pod standing for its filesystem, so a sync lands in (or removes from) the
//! directories of exactly the pods running the image, and a replacement pod gets the synced
//! files by catch-up; an artifact's sync hooks run around the copy, on the host and in every
//! pod synced.

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use serde_json::{Value, json};
use skiff_build::builder::BuiltImage;
use skiff_build::hooks::StaticHookEnv;
use skiff_config::model::{ContainerHook, HostHook, SyncHookItem, SyncHooks};
use skiff_deploy::Background;
use skiff_deploy::kubernetes::sync::{ArtifactSyncHooks, PodSyncer};
use skiff_deploy::sync::SyncPlan;
use skiff_events::{Output, Stream};
use skiff_kube_fake::{ExecHandler, ExecOutput, FakeCluster, PodTarget};
use skiff_proto::enums::StatusCode;
use skiff_proto::v2::event::EventType;
use skiff_testenv::{recorded_events, recorded_output};
use tempfile::TempDir;

/// How long a test waits for something it expects.
const PATIENCE: Duration = Duration::from_secs(10);

const RUN_ID: &str = "run-sync";

/// A pod template of the run running `image` in container `app`.
fn template(app: &str, image: &str) -> Value {
    json!({
        "metadata": {"labels": {"app": app, "skaffold.dev/run-id": RUN_ID}},
        "spec": {"containers": [{"name": "app", "image": image}]},
    })
}

/// Creates the Deployment `name` of `replicas` pods running `image`.
async fn deploy(fake: &FakeCluster, name: &str, image: &str, replicas: i32) {
    let deployment = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": template(name, image),
        },
    });
    fake.create(deployment).unwrap();
}

/// The names of `count` running pods whose names start with `prefix`.
async fn running_pods(fake: &FakeCluster, prefix: &str, count: usize) -> Vec<String> {
    let mut found = Vec::new();
    for _ in 0..count {
        let seen = found.clone();
        let accept = |name: &str| name.starts_with(prefix) && !seen.iter().any(|s| s == name);
        let pod = fake.running_pod("default", PATIENCE, accept).await;
        found.push(pod.unwrap_or_else(|| panic!("no running pod {prefix}*")));
    }
    found
}

/// A directory standing for the filesystem of pod `pod` (exec into it runs there).
/// A standalone running pod `solo` of image `solo:1` (no controller re-creates it), with the
/// directory standing for its container's file system.
async fn solo_pod(fake: &FakeCluster) -> TempDir {
    let mut pod = template("solo", "solo:1");
    pod["apiVersion"] = json!("v1");
    pod["kind"] = json!("Pod");
    pod["metadata"]["name"] = json!("solo");
    pod["metadata"]["namespace"] = json!("default");
    fake.create(pod).unwrap();
    running_pods(fake, "solo", 1).await;
    pod_root(fake, "solo")
}

fn pod_root(fake: &FakeCluster, pod: &str) -> TempDir {
    let root = tempfile::tempdir().unwrap();
    fake.on_exec(
        PodTarget::pod("default", pod),
        ExecHandler::local(root.path()),
    );
    root
}

fn built(image_name: &str, reference: &str) -> BuiltImage {
    BuiltImage {
        image_name: image_name.to_owned(),
        reference: reference.to_owned(),
    }
}

fn plan(copy: &[(&Path, &str)], delete: &[(&Path, &str)]) -> SyncPlan {
    let pairs = |list: &[(&Path, &str)]| {
        list.iter()
            .map(|(local, dest)| (local.to_path_buf(), (*dest).to_owned()))
            .collect()
    };
    SyncPlan {
        copy: pairs(copy),
        delete: pairs(delete),
    }
}

/// The file sync events so far: image, file count, status.
fn file_sync_events(output: &Output) -> Vec<(String, i32, String)> {
    recorded_events(output.hub(), Stream::Events, |e| match e {
        EventType::FileSyncEvent(f) => Some((f.image.clone(), f.file_count, f.status.clone())),
        _ => None,
    })
}

fn events(image: &str, count: i32, statuses: &[&str]) -> Vec<(String, i32, String)> {
    statuses
        .iter()
        .map(|s| (image.to_owned(), count, (*s).to_owned()))
        .collect()
}

fn file_sync_state(output: &Output) -> String {
    output.hub().state().file_sync_state.unwrap().status
}

/// A local source file with `content`.
fn source(dir: &TempDir, name: &str, content: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn read(root: &TempDir, path: &str) -> Option<String> {
    std::fs::read_to_string(root.path().join(path)).ok()
}

/// Waits until `root` holds `path` with `content`.
async fn lands(root: &TempDir, path: &str, content: &str) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while read(root, path).as_deref() != Some(content) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{path} never got {content:?} (has {:?})",
            read(root, path)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Two running pods of `web:1` and one of `other:1`, each with a root holding `path` with
/// `content`: the web pods' names and roots, and the other pod's root.
async fn web_and_other(
    fake: &FakeCluster,
    path: &str,
    content: &str,
) -> (Vec<String>, Vec<TempDir>, TempDir) {
    deploy(fake, "web", "web:1", 2).await;
    deploy(fake, "other", "other:1", 1).await;
    let web = running_pods(fake, "web-", 2).await;
    let other = running_pods(fake, "other-", 1).await;
    let roots: Vec<TempDir> = web.iter().map(|pod| pod_root(fake, pod)).collect();
    let other_root = pod_root(fake, &other[0]);
    for root in roots.iter().chain([&other_root]) {
        let file = root.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, content).unwrap();
    }
    (web, roots, other_root)
}

#[tokio::test]
async fn a_sync_reaches_every_pod_of_the_image_and_no_other() {
    let fake = FakeCluster::start().await.unwrap();
    let (_, roots, other_root) = web_and_other(&fake, "app/old.txt", "old").await;
    let local = tempfile::tempdir().unwrap();
    let index = source(&local, "index.html", "hello");
    let old = local.path().join("old.txt");

    let (output, printed) = recorded_output();
    let syncer = PodSyncer::new(fake.client(), &["default".to_owned()], RUN_ID);
    let image = built("web", "web:1");
    syncer
        .sync(&image, &plan(&[(&index, "/app/index.html")], &[]), &output)
        .await
        .unwrap();
    for root in &roots {
        assert_eq!(read(root, "app/index.html").as_deref(), Some("hello"));
    }
    assert_eq!(read(&other_root, "app/index.html"), None);

    syncer
        .sync(&image, &plan(&[], &[(&old, "/app/old.txt")]), &output)
        .await
        .unwrap();
    for root in &roots {
        assert_eq!(read(root, "app/old.txt"), None);
        assert_eq!(read(root, "app/index.html").as_deref(), Some("hello"));
    }
    assert_eq!(read(&other_root, "app/old.txt").as_deref(), Some("old"));

    assert_eq!(
        printed.text(),
        "Syncing 1 files for web:1\nSyncing 1 files for web:1\n"
    );
    let statuses = ["InProgress", "Succeeded", "InProgress", "Succeeded"];
    assert_eq!(file_sync_events(&output), events("web:1", 1, &statuses));
    assert_eq!(file_sync_state(&output), "Succeeded");
}

#[tokio::test]
async fn a_sync_without_a_pod_of_the_image_fails_as_skaffold_does() {
    let fake = FakeCluster::start().await.unwrap();
    deploy(&fake, "web", "web:1", 1).await;
    running_pods(&fake, "web-", 1).await;
    let local = tempfile::tempdir().unwrap();
    let index = source(&local, "index.html", "hello");

    let (output, _) = recorded_output();
    let syncer = PodSyncer::new(fake.client(), &["default".to_owned()], RUN_ID);
    let err = syncer
        .sync(
            &built("web", "web:2"),
            &plan(&[(&index, "/app/index.html")], &[]),
            &output,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, StatusCode::SyncUnknown);
    assert!(
        err.message.contains("didn't sync any files"),
        "{}",
        err.message
    );
    let statuses = ["InProgress", "Failed"];
    assert_eq!(file_sync_events(&output), events("web:2", 1, &statuses));
    assert_eq!(file_sync_state(&output), "Failed");
}

#[tokio::test]
async fn a_failing_copy_fails_the_sync_with_what_tar_said() {
    let fake = FakeCluster::start().await.unwrap();
    deploy(&fake, "web", "web:1", 1).await;
    let pod = running_pods(&fake, "web-", 1).await.remove(0);
    fake.on_exec(
        PodTarget::pod("default", &pod),
        ExecHandler::from_fn(|_, _| ExecOutput {
            stdout: Vec::new(),
            stderr: b"tar: /app: Cannot open: Read-only file system\n".to_vec(),
            exit_code: 2,
        }),
    );
    let local = tempfile::tempdir().unwrap();
    let index = source(&local, "index.html", "hello");

    let (output, _) = recorded_output();
    let syncer = PodSyncer::new(fake.client(), &["default".to_owned()], RUN_ID);
    let err = syncer
        .sync(
            &built("web", "web:1"),
            &plan(&[(&index, "/app/index.html")], &[]),
            &output,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, StatusCode::SyncUnknown);
    for part in [
        format!("copying files into pod default/{pod} container app"),
        "exit code 2".to_owned(),
        "Read-only file system".to_owned(),
    ] {
        assert!(err.message.contains(&part), "{part:?} in {}", err.message);
    }
    assert_eq!(file_sync_state(&output), "Failed");
}

#[tokio::test]
async fn a_replacement_pod_catches_up_with_what_was_synced() {
    let fake = FakeCluster::start().await.unwrap();
    deploy(&fake, "web", "web:1", 1).await;
    let first = running_pods(&fake, "web-", 1).await.remove(0);
    // Pods without a root of their own (the replacement) exec into `fresh`.
    let fresh = tempfile::tempdir().unwrap();
    fake.on_exec(
        PodTarget::namespace("default"),
        ExecHandler::local(fresh.path()),
    );
    let first_root = pod_root(&fake, &first);
    // The image's own files, which the sync deleted.
    for root in [&fresh, &first_root] {
        std::fs::create_dir_all(root.path().join("app")).unwrap();
        std::fs::write(root.path().join("app/gone.txt"), "image").unwrap();
    }
    let local = tempfile::tempdir().unwrap();
    let index = source(&local, "index.html", "synced");
    let gone = local.path().join("gone.txt");

    let (output, printed) = recorded_output();
    let syncer = PodSyncer::new(fake.client(), &["default".to_owned()], RUN_ID);
    let catch_up = syncer.follow_restarts(output.clone());
    let image = built("web", "web:1");
    let synced = plan(&[(&index, "/app/index.html")], &[(&gone, "/app/gone.txt")]);
    syncer.sync(&image, &synced, &output).await.unwrap();
    assert_eq!(
        read(&first_root, "app/index.html").as_deref(),
        Some("synced")
    );
    assert_eq!(read(&fresh, "app/index.html"), None);

    let second = fake.pods().replace("default", &first).unwrap();
    assert_ne!(second, first);
    lands(&fresh, "app/index.html", "synced").await;
    assert_eq!(read(&fresh, "app/gone.txt"), None);
    catch_up.stop().await;

    assert_eq!(
        printed.text(),
        "Syncing 2 files for web:1\nSyncing 2 files for web:1\n"
    );
    let statuses = ["InProgress", "Succeeded", "InProgress", "Succeeded"];
    assert_eq!(file_sync_events(&output), events("web:1", 2, &statuses));
}

#[tokio::test]
async fn a_pod_recreated_under_its_name_catches_up_and_a_rebuild_ends_catching_up() {
    let fake = FakeCluster::start().await.unwrap();
    let root = solo_pod(&fake).await;
    let local = tempfile::tempdir().unwrap();
    let index = source(&local, "index.html", "v1");

    let (output, _) = recorded_output();
    let syncer = PodSyncer::new(fake.client(), &["default".to_owned()], RUN_ID);
    let _catch_up = syncer.follow_restarts(output.clone());
    let image = built("solo", "solo:1");
    let synced = plan(&[(&index, "/app/index.html")], &[]);
    syncer.sync(&image, &synced, &output).await.unwrap();
    // The content at catch-up time counts, not the content synced.
    std::fs::write(&index, "v2").unwrap();

    std::fs::remove_dir_all(root.path().join("app")).unwrap();
    assert_eq!(fake.pods().replace("default", "solo").unwrap(), "solo");
    lands(&root, "app/index.html", "v2").await;

    syncer.image_rebuilt("solo");
    std::fs::remove_dir_all(root.path().join("app")).unwrap();
    fake.pods().replace("default", "solo").unwrap();
    running_pods(&fake, "solo", 1).await;
    // Time for a wrong catch-up to land.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(read(&root, "app/index.html"), None);
}

#[tokio::test]
async fn a_restarted_container_catches_up() {
    let fake = FakeCluster::start().await.unwrap();
    let root = solo_pod(&fake).await;
    let local = tempfile::tempdir().unwrap();
    let index = source(&local, "index.html", "synced");

    let (output, _) = recorded_output();
    let syncer = PodSyncer::new(fake.client(), &["default".to_owned()], RUN_ID);
    let _catch_up = syncer.follow_restarts(output.clone());
    let synced = plan(&[(&index, "/app/index.html")], &[]);
    syncer
        .sync(&built("solo", "solo:1"), &synced, &output)
        .await
        .unwrap();

    // The container restarts in its pod: its filesystem is the image's again.
    std::fs::remove_dir_all(root.path().join("app")).unwrap();
    fake.pods().set_phase("default", "solo", "Running").unwrap();
    let restarted = json!({"status": {"containerStatuses": [{
        "name": "app",
        "image": "solo:1",
        "imageID": "",
        "containerID": "fake://restarted",
        "ready": true,
        "restartCount": 1,
        "state": {"running": {"startedAt": "2025-01-01T00:00:00Z"}},
    }]}});
    let pods: Api<Pod> = Api::default_namespaced(fake.client());
    pods.patch_status(
        "solo",
        &kube::api::PatchParams::default(),
        &kube::api::Patch::Merge(&restarted),
    )
    .await
    .unwrap();
    lands(&root, "app/index.html", "synced").await;
}

fn host_hook(script: &str) -> SyncHookItem {
    SyncHookItem::Host(HostHook {
        command: vec!["sh".into(), "-c".into(), script.into()],
        ..Default::default()
    })
}

/// A container hook; it runs with the pod's root as its working directory.
fn container_hook(script: &str) -> SyncHookItem {
    SyncHookItem::Container(ContainerHook {
        command: vec!["sh".into(), "-c".into(), script.into()],
    })
}

/// A host hook writing what it sees of the sync to `file`.
fn env_to(file: &Path) -> SyncHookItem {
    host_hook(&format!(
        "printf '%s|%s|%s|%s|%s|%s' \"$SKAFFOLD_IMAGE\" \"$SKAFFOLD_FILES_ADDED_OR_MODIFIED\" \
         \"$SKAFFOLD_FILES_DELETED\" \"$SKAFFOLD_BUILD_CONTEXT\" \"$SKAFFOLD_KUBE_CONTEXT\" \
         \"$SKAFFOLD_NAMESPACES\" > {}",
        file.display()
    ))
}

/// Syncs `plan` for `image` with `hooks` from the workspace `local`.
async fn sync_with(
    syncer: &PodSyncer,
    image: &BuiltImage,
    plan: &SyncPlan,
    hooks: &SyncHooks,
    local: &TempDir,
    output: &Output,
) -> Result<(), skiff_deploy::DeployError> {
    let statics = StaticHookEnv::current();
    let artifact = ArtifactSyncHooks {
        hooks,
        workspace: local.path(),
        statics: &statics,
    };
    syncer.sync_with_hooks(image, plan, &artifact, output).await
}

/// The pods whose containers wrote application log lines, with the lines.
fn application_logs(output: &Output) -> Vec<(String, String)> {
    recorded_events(output.hub(), Stream::ApplicationLogs, |e| match e {
        EventType::ApplicationLogEvent(log) => Some((log.pod_name.clone(), log.message.clone())),
        _ => None,
    })
}

#[tokio::test]
async fn hooks_run_around_the_copy_on_the_host_and_in_every_pod_synced() {
    let fake = FakeCluster::start().await.unwrap();
    let (web, _roots, other_root) = web_and_other(&fake, "app/index.html", "image\n").await;
    let local = tempfile::tempdir().unwrap();
    let index = source(&local, "index.html", "synced\n");
    let gone = local.path().join("gone.txt");
    let seen = tempfile::tempdir().unwrap();
    let (before, after) = (seen.path().join("before"), seen.path().join("after"));
    let hooks = SyncHooks {
        before: vec![env_to(&before), container_hook("cat app/index.html")],
        after: vec![container_hook("cat app/index.html >&2"), env_to(&after)],
    };

    let (output, printed) = recorded_output();
    let syncer = PodSyncer::new(fake.client(), &["default".to_owned()], RUN_ID)
        .with_kube_context("kind-dev");
    let synced = plan(&[(&index, "/app/index.html")], &[(&gone, "/app/gone.txt")]);
    let image = built("web", "web:1");
    sync_with(&syncer, &image, &synced, &hooks, &local, &output)
        .await
        .unwrap();

    assert_eq!(
        printed.text(),
        "Syncing 2 files for web:1\n\
         Starting pre-sync hooks for artifact \"web\"...\n\
         [app] image\n[app] image\n\
         Completed pre-sync hooks for artifact \"web\"\n\
         Starting post-sync hooks for artifact \"web\"...\n\
         [app] synced\n[app] synced\n\
         Completed post-sync hooks for artifact \"web\"\n"
    );
    let mut logs = application_logs(&output);
    logs.sort();
    let mut expected: Vec<(String, String)> = ["image\n", "synced\n"]
        .iter()
        .flat_map(|line| web.iter().map(|pod| (pod.clone(), (*line).to_owned())))
        .collect();
    expected.sort();
    assert_eq!(logs, expected, "each web pod ran both container hooks");
    let workspace = local.path().display();
    let env =
        format!("web:1|{workspace}/index.html|{workspace}/gone.txt|{workspace}|kind-dev|default");
    assert_eq!(std::fs::read_to_string(&before).unwrap(), env);
    assert_eq!(std::fs::read_to_string(&after).unwrap(), env);
    assert_eq!(
        read(&other_root, "app/index.html").as_deref(),
        Some("image\n")
    );
    assert_eq!(
        file_sync_events(&output),
        events("web:1", 2, &["InProgress", "Succeeded"])
    );
}

/// A sync of `index.html` (`synced`) to `/app/index.html` with `hooks` into the one pod of
/// `web:1`, whose root is `root`.
struct OnePodSync {
    result: Result<(), skiff_deploy::DeployError>,
    pod: String,
    root: TempDir,
    output: Output,
    printed: String,
    _fake: FakeCluster,
}

impl OnePodSync {
    async fn run(hooks: SyncHooks) -> OnePodSync {
        let fake = FakeCluster::start().await.unwrap();
        deploy(&fake, "web", "web:1", 1).await;
        let pod = running_pods(&fake, "web-", 1).await.remove(0);
        let root = pod_root(&fake, &pod);
        let local = tempfile::tempdir().unwrap();
        let index = source(&local, "index.html", "synced");
        let (output, printed) = recorded_output();
        let syncer = PodSyncer::new(fake.client(), &["default".to_owned()], RUN_ID);
        let synced = plan(&[(&index, "/app/index.html")], &[]);
        let image = built("web", "web:1");
        let result = sync_with(&syncer, &image, &synced, &hooks, &local, &output).await;
        OnePodSync {
            result,
            pod,
            root,
            output,
            printed: printed.text(),
            _fake: fake,
        }
    }

    /// The sync's error, once its events say it failed.
    fn failure(&self) -> &skiff_deploy::DeployError {
        assert_eq!(
            file_sync_events(&self.output),
            events("web:1", 1, &["InProgress", "Failed"])
        );
        assert_eq!(file_sync_state(&self.output), "Failed");
        let err = self.result.as_ref().unwrap_err();
        assert_eq!(err.code, StatusCode::SyncUnknown);
        err
    }
}

#[tokio::test]
async fn a_failing_pre_sync_hook_skips_the_copy_and_fails_the_sync() {
    let sync = OnePodSync::run(SyncHooks {
        before: vec![host_hook("true"), container_hook("echo refusing; exit 3")],
        after: vec![container_hook("echo never")],
    })
    .await;

    assert_eq!(
        sync.failure().message,
        format!(
            "pre-sync hooks failed for artifact \"web\": failed to execute container pre-sync \
             hook 2 for artifact \"web\": hook execution failed for pod \"{}\" container \
             \"app\": exit status 3",
            sync.pod
        )
    );
    let printed = &sync.printed;
    assert!(printed.contains("[app] refusing\n"), "{printed}");
    assert!(!printed.contains("never"), "{printed}");
    assert!(!printed.contains("Completed"), "{printed}");
    assert_eq!(
        read(&sync.root, "app/index.html"),
        None,
        "the copy was skipped"
    );
}

#[tokio::test]
async fn a_failing_post_sync_host_hook_fails_the_sync_after_the_copy() {
    let sync = OnePodSync::run(SyncHooks {
        before: Vec::new(),
        after: vec![host_hook("echo broken; exit 1")],
    })
    .await;

    let message = &sync.failure().message;
    assert!(
        message.starts_with(
            "post-sync hooks failed for artifact \"web\": failed to execute host post-sync hook \
             1 for artifact \"web\": exit status 1"
        ),
        "{message}"
    );
    assert!(sync.printed.contains("broken\n"), "{}", sync.printed);
    assert_eq!(
        read(&sync.root, "app/index.html").as_deref(),
        Some("synced")
    );
}
