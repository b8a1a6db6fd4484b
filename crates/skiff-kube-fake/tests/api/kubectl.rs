//! The real kubectl against the fake, through the kubeconfig it writes. kubectl is looked up on
//! PATH (`eval "$(scripts/test-env env)"` puts it there); under `CI=true` a missing kubectl
//! fails the test instead of skipping it.

use crate::support::{ready_pods, within};
use serde_json::Value;
use skiff_kube_fake::{ExecHandler, FakeCluster, PodTarget};
use std::path::{Path, PathBuf};

fn kubectl() -> Option<PathBuf> {
    skiff_testenv::test_tool("kubectl")
}

/// Runs kubectl with the fake's kubeconfig and a private cache directory.
async fn run(kubectl: &Path, dir: &Path, args: &[&str]) -> (bool, String, String) {
    let output = within(
        "kubectl",
        tokio::process::Command::new(kubectl)
            .arg("--kubeconfig")
            .arg(dir.join("kubeconfig"))
            .arg("--cache-dir")
            .arg(dir.join("cache"))
            .args(args)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("kubectl runs");
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    (
        output.status.success(),
        text(output.stdout),
        text(output.stderr),
    )
}

const MANIFEST: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  greeting: hello
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: app
        image: registry.local/web:1
"#;

#[tokio::test]
async fn kubectl_applies_server_side_and_gets_pods() {
    let Some(kubectl) = kubectl() else { return };
    let fake = FakeCluster::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    fake.write_kubeconfig(&dir.path().join("kubeconfig"), "fake")
        .unwrap();
    std::fs::write(dir.path().join("app.yaml"), MANIFEST).unwrap();
    let manifest = dir.path().join("app.yaml");
    let manifest = manifest.to_str().unwrap();

    let (ok, stdout, stderr) = run(
        &kubectl,
        dir.path(),
        &["apply", "--server-side", "--validate=false", "-f", manifest],
    )
    .await;
    assert!(ok, "kubectl apply failed: {stderr}");
    assert!(
        stdout.contains("configmap/settings serverside-applied"),
        "{stdout}"
    );
    assert!(
        stdout.contains("deployment.apps/web serverside-applied"),
        "{stdout}"
    );
    let apply = fake
        .requests()
        .into_iter()
        .find(|r| r.is_server_side_apply() && r.path.ends_with("/deployments/web"))
        .expect("an apply");
    assert!(
        apply.query.contains("fieldManager=kubectl"),
        "{}",
        apply.query
    );

    let pods = ready_pods(&fake, "web", 2).await;
    let (ok, stdout, stderr) =
        run(&kubectl, dir.path(), &["get", "pods", "-A", "-o", "json"]).await;
    assert!(ok, "kubectl get failed: {stderr}");
    let list: Value = serde_json::from_str(&stdout).expect("kubectl prints JSON");
    let mut names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, pods);

    let (ok, stdout, stderr) = run(
        &kubectl,
        dir.path(),
        &[
            "get",
            "deployment",
            "web",
            "-o",
            "jsonpath={.status.readyReplicas}",
        ],
    )
    .await;
    assert!(ok, "kubectl get deployment failed: {stderr}");
    assert_eq!(stdout, "2");

    let (ok, stdout, stderr) = run(
        &kubectl,
        dir.path(),
        &["rollout", "status", "deployment/web", "--timeout=10s"],
    )
    .await;
    assert!(ok, "kubectl rollout status failed: {stderr}");
    assert!(stdout.contains("successfully rolled out"), "{stdout}");
}

#[tokio::test]
async fn kubectl_exec_syncs_files_with_tar() {
    let Some(kubectl) = kubectl() else { return };
    let fake = FakeCluster::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    fake.write_kubeconfig(&dir.path().join("kubeconfig"), "fake")
        .unwrap();
    fake.on_exec(
        PodTarget::namespace("default"),
        ExecHandler::local(root.path()),
    );
    fake.create(serde_json::json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "default"},
        "spec": {"containers": [{"name": "app", "image": "registry.local/web:1"}]},
    }))
    .unwrap();

    let mut archive = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(3);
    header.set_mode(0o644);
    archive
        .append_data(&mut header, "srv/a.txt", &b"new"[..])
        .unwrap();
    std::fs::write(dir.path().join("sync.tar"), archive.into_inner().unwrap()).unwrap();

    // kubectl reads the archive from stdin, as Skaffold's sync pipes it.
    let script = r#"exec "$0" --kubeconfig "$1" exec -i web -c app -- tar xmf - -C / --no-same-owner < "$2""#;
    let output = within(
        "kubectl exec",
        tokio::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(&kubectl)
            .arg(dir.path().join("kubeconfig"))
            .arg(dir.path().join("sync.tar"))
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "kubectl exec failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        std::fs::read(root.path().join("srv/a.txt")).unwrap(),
        b"new"
    );

    let (ok, _, stderr) = run(
        &kubectl,
        dir.path(),
        &["exec", "web", "--", "sh", "-c", "exit 4"],
    )
    .await;
    assert!(
        !ok && stderr.contains("command terminated with exit code 4"),
        "{stderr}"
    );
}
