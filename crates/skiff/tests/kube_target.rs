//! `skiff deploy`, `run` and `delete` on the Kubernetes target end to end: the binary against
//! the fake API server of `skiff-kube-fake` (its controllers roll Deployments out, its kubelet
//! simulation runs pods as each test scripts their image), through a kubeconfig written for it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use common::*;
use serde_json::Value;
use skiff_kube_fake::{ExecHandler, FakeCluster, PodBehaviour, PodTarget};
use skiff_testenv::{code, http_server, registry_has, stderr, stdout};

/// The image the tests deploy without building it.
const IMAGE: &str = "registry.example/kube-web:v1";

/// A fake cluster and a copy of a test project with a kubeconfig for it.
struct Cluster {
    fake: FakeCluster,
    dir: tempfile::TempDir,
}

impl Cluster {
    async fn start() -> Cluster {
        Cluster::start_with("kube-web").await
    }

    /// A fake cluster and a copy of `testdata/<name>`.
    async fn start_with(name: &str) -> Cluster {
        let fake = FakeCluster::start().await.unwrap();
        let dir = project(name);
        fake.write_kubeconfig(&dir.path().join("kubeconfig"), "fake")
            .unwrap();
        Cluster { fake, dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn kubeconfig(&self) -> PathBuf {
        self.path().join("kubeconfig")
    }

    /// Runs skiff with `args` and `--kubeconfig`, off the runtime the fake serves on.
    async fn skiff(&self, args: &[&str]) -> Output {
        self.run(args, skiff).await
    }

    /// [`Cluster::skiff`] with the API on and its event log; returns the output and the log.
    async fn skiff_logged(&self, args: &[&str]) -> (Output, String) {
        self.run(args, skiff_logged).await
    }

    /// `run(dir, args + --kubeconfig)`, off the runtime the fake serves on.
    async fn run<T: Send + 'static>(&self, args: &[&str], run: fn(&Path, &[&str]) -> T) -> T {
        let dir = self.path().to_path_buf();
        let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        all.push(format!("--kubeconfig={}", self.kubeconfig().display()));
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = all.iter().map(String::as_str).collect();
            run(&dir, &args)
        })
        .await
        .unwrap()
    }

    /// Writes `line` to the log of the running `kube-web` pod's `web` container and waits
    /// until skiff (in the background) shows it.
    async fn shows_a_pod_log_line(&self, line: &str) {
        let pod = self
            .fake
            .running_pod("default", Duration::from_secs(10), |name| {
                name.starts_with("kube-web-")
            })
            .await
            .expect("a running pod");
        self.fake.append_log("default", &pod, "web", line).unwrap();
        wait_for_output(self.path(), line).await;
    }

    fn deployment(&self) -> Option<Value> {
        self.fake
            .get("apps/v1", "Deployment", Some("default"), "kube-web")
    }

    fn service(&self) -> Option<Value> {
        self.fake.get("v1", "Service", Some("default"), "kube-web")
    }
}

fn text(value: &Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_applies_the_rendered_manifests_and_delete_removes_them() {
    let cluster = Cluster::start().await;
    cluster.fake.on_image(IMAGE, PodBehaviour::Ready);

    let (out, log) = cluster
        .skiff_logged(&[
            "deploy",
            "-i",
            &format!("kube-web={IMAGE}"),
            "-l",
            "team=web",
        ])
        .await;
    assert_success(&out);
    assert_logged(
        &log,
        &[
            r#""taskEvent":{"id":"Render-0","task":"Render","description":"Render Manifests","status":"InProgress"}"#,
            r#""renderEvent":{"id":"0","taskId":"Render-0","status":"Succeeded"}"#,
            r#""taskEvent":{"id":"Deploy-0","task":"Deploy","description":"Deploy to cluster","status":"InProgress"}"#,
            r#""taskEvent":{"id":"StatusCheck-0","task":"StatusCheck","description":"Status Checking Deployed Artifacts","status":"InProgress"}"#,
            r#""statusCheckSubtaskEvent":{"id":"deployment/kube-web","taskId":"Deploy-0","resource":"deployment/kube-web","status":"Succeeded""#,
            r#""taskEvent":{"id":"StatusCheck-0","task":"StatusCheck","status":"Succeeded"}"#,
            r#""taskEvent":{"id":"Deploy-0","task":"Deploy","status":"Succeeded"}"#,
        ],
    );

    let deployment = cluster.deployment().expect("the Deployment was applied");
    assert_eq!(
        text(&deployment, "/spec/template/spec/containers/0/image"),
        IMAGE
    );
    let run_id = text(&deployment, "/metadata/labels/skaffold.dev~1run-id");
    assert!(!run_id.is_empty(), "{deployment}");
    assert_eq!(
        text(
            &deployment,
            "/spec/template/metadata/labels/skaffold.dev~1run-id"
        ),
        run_id
    );
    assert_eq!(text(&deployment, "/metadata/labels/team"), "web");
    assert!(cluster.service().is_some(), "the Service was applied");
    let printed = stdout(&out);
    for line in [
        "Tags used in deployment:\n - kube-web -> registry.example/kube-web:v1\n",
        "Starting deploy...\n",
        " - deployment.apps/kube-web serverside-applied\n",
        " - service/kube-web serverside-applied\n",
        "Waiting for deployments to stabilize...\n",
        " - deployment/kube-web is ready.",
    ] {
        assert!(printed.contains(line), "{line:?} not in:\n{printed}");
    }

    let dry = cluster.skiff(&["delete", "--dry-run"]).await;
    assert_success(&dry);
    let listed = stdout(&dry);
    assert!(
        listed.contains(" - deployment.apps/kube-web\n")
            && listed.contains(" - service/kube-web\n"),
        "{listed}"
    );
    assert!(cluster.deployment().is_some(), "--dry-run deletes nothing");

    let out = cluster.skiff(&["delete"]).await;
    assert_success(&out);
    assert!(cluster.deployment().is_none(), "{}", stdout(&out));
    assert!(cluster.service().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_that_cannot_pull_its_image_fails_the_deploy_with_skaffolds_code() {
    let cluster = Cluster::start().await;
    cluster.fake.on_image(IMAGE, PodBehaviour::ImagePullBackOff);

    let out = cluster
        .skiff(&["deploy", "-i", &format!("kube-web={IMAGE}")])
        .await;

    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("1/1 deployment(s) failed"), "{err}");
    // A failed deploy is removed again (nothing is left half-deployed).
    assert!(cluster.deployment().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_namespace_flag_places_objects_naming_none() {
    let cluster = Cluster::start().await;
    cluster.fake.on_image(IMAGE, PodBehaviour::Ready);
    let namespace = serde_json::json!({
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}
    });
    cluster.fake.create(namespace).unwrap();

    let out = cluster
        .skiff(&[
            "deploy",
            "-i",
            &format!("kube-web={IMAGE}"),
            "-n",
            "team",
            "--status-check=false",
        ])
        .await;
    assert_success(&out);
    assert!(
        cluster
            .fake
            .get("apps/v1", "Deployment", Some("team"), "kube-web")
            .is_some()
    );
    assert!(cluster.deployment().is_none());

    assert_success(&cluster.skiff(&["delete", "-n", "team"]).await);
    assert!(
        cluster
            .fake
            .get("apps/v1", "Deployment", Some("team"), "kube-web")
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_with_port_forward_and_tail_serves_and_shows_logs_until_interrupted() {
    let cluster = Cluster::start().await;
    cluster.fake.on_image(IMAGE, PodBehaviour::Ready);
    cluster.fake.forward_port(
        PodTarget::namespace("default"),
        8080,
        http_server("hello through the forward").await,
    );

    let kubeconfig = format!("--kubeconfig={}", cluster.kubeconfig().display());
    let image = format!("kube-web={IMAGE}");
    let skiff = Background::start(
        cluster.path(),
        &[
            "deploy",
            "-i",
            &image,
            "--port-forward",
            "--tail",
            &kubeconfig,
        ],
    );
    let forwarded = "Port forwarding service/kube-web in namespace default, remote port 80 -> http://127.0.0.1:";
    let printed = wait_for_output(cluster.path(), forwarded).await;
    let port: u16 = printed
        .split(forwarded)
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or_else(|| panic!("no forwarded port in:\n{printed}"));
    let body = tokio::task::spawn_blocking(move || http_get(port))
        .await
        .unwrap();
    assert!(body.contains("hello through the forward"), "{body}");

    cluster.shows_a_pod_log_line("served a request").await;

    assert_eq!(interrupt(skiff, Duration::from_secs(20)).await, 0);
    assert!(
        cluster.deployment().is_some(),
        "`deploy` leaves what it deployed running"
    );
}

/// Interrupts skiff in the background (Ctrl-C) and returns its exit code, waiting at most
/// `limit` off the runtime the fake serves on.
async fn interrupt(mut skiff: Background, limit: Duration) -> i32 {
    skiff.interrupt();
    tokio::task::spawn_blocking(move || skiff.wait(limit))
        .await
        .unwrap()
}

/// Waits until skiff's standard output (in `<dir>/stdout.txt`) contains `needle`, without
/// blocking the runtime the fake serves on.
async fn wait_for_output(dir: &Path, needle: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(dir.join("stdout.txt")).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{needle:?} never appeared in:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_builds_deploys_and_syncs_edits_into_the_pod_then_cleans_up() {
    let Some(_turn) = take_turn().await else {
        return;
    };
    let cluster = Cluster::start().await;
    let container_root = tempfile::tempdir().unwrap();
    cluster.fake.on_exec(
        PodTarget::namespace("default"),
        ExecHandler::local(container_root.path()),
    );

    let kubeconfig = format!("--kubeconfig={}", cluster.kubeconfig().display());
    let skiff = Background::start(cluster.path(), &["dev", &kubeconfig]);
    wait_for_output(cluster.path(), "Watching for changes...").await;
    let deployment = cluster.deployment().expect("the Deployment was applied");
    let image = text(&deployment, "/spec/template/spec/containers/0/image");
    assert!(image.starts_with("kube-web:"), "the built image: {image}");
    let forwarded = "Port forwarding service/kube-web in namespace default, remote port 80 -> http://127.0.0.1:";
    wait_for_output(cluster.path(), forwarded).await;

    cluster.shows_a_pod_log_line("dev tails the pod").await;

    std::fs::write(cluster.path().join("www/index.html"), "edited\n").unwrap();
    let synced = container_root.path().join("www/index.html");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(&synced).unwrap_or_default() != "edited\n" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the edit never reached the pod; skiff printed:\n{}",
            std::fs::read_to_string(cluster.path().join("stdout.txt")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let printed = wait_for_output(cluster.path(), "Syncing 1 files for kube-web:").await;
    assert_eq!(
        printed.matches("Building [kube-web]...").count(),
        1,
        "a synced edit rebuilds nothing:\n{printed}"
    );

    // A manifest edit redeploys; a resource dropped from the manifests is pruned.
    let manifests = cluster.path().join("k8s/web.yaml");
    let original = std::fs::read_to_string(&manifests).unwrap();
    let extra =
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kube-web-extra\ndata:\n  a: b\n";
    std::fs::write(&manifests, format!("{original}{extra}")).unwrap();
    let extra_config = |fake: &FakeCluster| {
        fake.get("v1", "ConfigMap", Some("default"), "kube-web-extra")
            .is_some()
    };
    assert!(
        cluster
            .fake
            .wait_until(Duration::from_secs(20), extra_config)
            .await,
        "the added ConfigMap was never applied:\n{}",
        std::fs::read_to_string(cluster.path().join("stdout.txt")).unwrap_or_default()
    );
    std::fs::write(&manifests, &original).unwrap();
    assert!(
        cluster
            .fake
            .wait_until(Duration::from_secs(20), |fake| !extra_config(fake))
            .await,
        "the dropped ConfigMap was never pruned:\n{}",
        std::fs::read_to_string(cluster.path().join("stdout.txt")).unwrap_or_default()
    );
    wait_for_output(cluster.path(), " - configmap/kube-web-extra pruned").await;

    assert_eq!(interrupt(skiff, Duration::from_secs(30)).await, 0);
    assert!(
        cluster.deployment().is_none(),
        "Ctrl-C removes what dev deployed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_helm_release_is_installed_with_the_image_and_uninstalled_by_delete() {
    let cluster = Cluster::start_with("kube-helm").await;
    cluster.fake.on_image(IMAGE, PodBehaviour::Ready);

    let out = cluster
        .skiff(&["deploy", "-i", &format!("kube-web={IMAGE}")])
        .await;
    assert_success(&out);
    let deployment = cluster
        .fake
        .get("apps/v1", "Deployment", Some("default"), "web")
        .expect("helm installed the release's Deployment");
    assert_eq!(
        text(&deployment, "/spec/template/spec/containers/0/image"),
        IMAGE
    );
    let config = cluster
        .fake
        .get("v1", "ConfigMap", Some("default"), "web-config")
        .expect("and its ConfigMap");
    assert_eq!(text(&config, "/data/greeting"), "from-skiff");
    // helm ran `skiff filter` as its post-renderer: the release carries the run labels, so the
    // status check found its Deployment.
    assert!(
        !text(
            &deployment,
            "/spec/template/metadata/labels/skaffold.dev~1run-id"
        )
        .is_empty(),
        "{deployment}"
    );
    assert!(
        stdout(&out).contains(" - deployment/web is ready."),
        "{}",
        stdout(&out)
    );

    let out = cluster.skiff(&["delete"]).await;
    assert_success(&out);
    assert!(
        cluster
            .fake
            .get("apps/v1", "Deployment", Some("default"), "web")
            .is_none(),
        "{}",
        stdout(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_flags_hand_the_manifests_to_kubectl() {
    let cluster = Cluster::start().await;
    cluster.fake.on_image(IMAGE, PodBehaviour::Ready);
    let config = cluster.path().join("skaffold.yaml");
    let text_before = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text_before.replace(
            "deploy:\n  kubectl: {}\n",
            "deploy:\n  kubectl:\n    flags:\n      disableValidation: true\n      apply: [\"--request-timeout=30s\"]\n",
        ),
    )
    .unwrap();

    let out = cluster
        .skiff(&["deploy", "-i", &format!("kube-web={IMAGE}")])
        .await;
    assert_success(&out);
    let printed = stdout(&out);
    assert!(
        printed.contains("deployment.apps/kube-web created"),
        "kubectl's own output:\n{printed}"
    );
    assert!(cluster.deployment().is_some());

    assert_success(&cluster.skiff(&["delete"]).await);
    assert!(cluster.deployment().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_cluster_fails_with_skaffolds_connection_error() {
    let cluster = Cluster::start().await;
    // A kubeconfig whose server listens nowhere.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let kubeconfig = std::fs::read_to_string(cluster.kubeconfig()).unwrap();
    std::fs::write(
        cluster.kubeconfig(),
        kubeconfig.replace(&cluster.fake.url(), &url),
    )
    .unwrap();

    let out = cluster
        .skiff(&["deploy", "-i", &format!("kube-web={IMAGE}")])
        .await;

    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("Could not connect to cluster"), "{err}");
    assert!(
        err.contains("Check your connection for the cluster"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_for_a_remote_cluster_are_pushed_unless_the_config_says_otherwise() {
    let Some(_turn) = take_turn().await else {
        return;
    };
    let cluster = Cluster::start().await;
    let config = cluster.path().join("skaffold.yaml");
    let text_before = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text_before.replace("  local:\n    push: false\n", ""),
    )
    .unwrap();
    let repo = skiff_testenv::registry();

    let out = cluster
        .skiff(&["run", "--default-repo", &repo, "--status-check=false"])
        .await;
    assert_success(&out);

    let deployment = cluster.deployment().expect("the Deployment was applied");
    let image = text(&deployment, "/spec/template/spec/containers/0/image");
    let tag = image
        .strip_prefix(&format!("{repo}/kube-web:"))
        .unwrap_or_else(|| panic!("the image is in the default repo: {image}"));
    let tag = tag.split('@').next().unwrap().to_owned();
    assert!(
        tokio::task::spawn_blocking(move || registry_has("kube-web", &tag))
            .await
            .unwrap(),
        "the fake cluster's context is not a local one: the image was pushed"
    );
    assert_success(&cluster.skiff(&["delete"]).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_deploys_manifests_hydrated_by_render() {
    let cluster = Cluster::start().await;
    cluster.fake.on_image(IMAGE, PodBehaviour::Ready);
    let image = format!("kube-web={IMAGE}");
    let rendered = tokio::task::spawn_blocking({
        let dir = cluster.path().to_path_buf();
        move || {
            skiff(
                &dir,
                &["render", "-i", &image, "--offline", "-o", "hydrated.yaml"],
            )
        }
    })
    .await
    .unwrap();
    assert_success(&rendered);

    let out = cluster.skiff(&["apply", "hydrated.yaml"]).await;
    assert_success(&out);
    let deployment = cluster.deployment().expect("the Deployment was applied");
    assert_eq!(
        text(&deployment, "/spec/template/spec/containers/0/image"),
        IMAGE
    );
    assert!(
        !text(
            &deployment,
            "/spec/template/metadata/labels/skaffold.dev~1run-id"
        )
        .is_empty(),
        "apply labels what it applies with its run id: {deployment}"
    );
    assert!(
        stdout(&out).contains(" - deployment/kube-web is ready."),
        "{}",
        stdout(&out)
    );

    let missing = cluster.skiff(&["apply", "nothing-here.yaml"]).await;
    assert_eq!(code(&missing), 1);
    assert!(
        stderr(&missing).contains("cannot read the provided file nothing-here.yaml"),
        "{}",
        stderr(&missing)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_are_loaded_into_a_kind_cluster_before_the_deploy() {
    let cluster = Cluster::start().await;
    cluster.fake.on_image("kube-web:v1", PodBehaviour::Ready);
    cluster
        .fake
        .write_kubeconfig(&cluster.kubeconfig(), "kind-dev")
        .unwrap();
    // kind cannot run here: a stand-in records how skiff calls it.
    let bin = cluster.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let calls = cluster.path().join("kind-calls.txt");
    let kind = bin.join("kind");
    std::fs::write(
        &kind,
        format!("#!/bin/sh\necho \"$@\" >> {}\n", calls.display()),
    )
    .unwrap();
    std::fs::set_permissions(&kind, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let dir = cluster.path().to_path_buf();
    let kubeconfig = format!("--kubeconfig={}", cluster.kubeconfig().display());
    let out = tokio::task::spawn_blocking(move || {
        let home = dir.to_str().unwrap().to_owned();
        skiff_testenv::run_isolated(
            env!("CARGO_BIN_EXE_skiff"),
            &dir,
            &["deploy", "-i", "kube-web=kube-web:v1", &kubeconfig],
            &[("HOME", home.as_str()), ("PATH", path.as_str())],
        )
    })
    .await
    .unwrap();
    assert_success(&out);

    assert_eq!(
        std::fs::read_to_string(&calls).unwrap(),
        "load docker-image --name dev kube-web:v1\n"
    );
    let printed = stdout(&out);
    assert!(
        printed.contains("Loading images into kind cluster nodes...\n - kube-web:v1 -> Loaded\n"),
        "{printed}"
    );
}
