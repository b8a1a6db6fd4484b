//! Loading built images into kind and k3d clusters against the fake API server. No kind or
//! k3d cluster can run here, so stand-in `kind` and `k3d` scripts record their arguments; the
//! loader finds them on the `PATH` of the environment it is given.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::json;
use skiff_deploy::kubernetes::cluster::Cluster;
use skiff_deploy::kubernetes::load::{ImageLoader, LocalCluster};
use skiff_kube_fake::FakeCluster;
use skiff_proto::enums::{ClusterType, StatusCode};
use skiff_testenv::recorded_output;

/// A cluster whose images are loaded.
const LOADING: Cluster = Cluster {
    cluster_type: ClusterType::Other,
    local: true,
    load_images: true,
    push_images: false,
};

/// A directory of stand-in tools, and the file they record their command lines in.
struct Tools {
    dir: tempfile::TempDir,
    calls: PathBuf,
}

impl Tools {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let calls = dir.path().join("calls");
        Self { dir, calls }
    }

    /// Adds a `name` script that records `name args…` and then runs `then`.
    fn script(self, name: &str, then: &str) -> Self {
        let path = self.dir.path().join(name);
        let body = format!(
            "#!/bin/sh\necho \"{name} $*\" >> '{}'\n{then}\n",
            self.calls.display()
        );
        std::fs::write(&path, body).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        self
    }

    /// The environment the tools run with: only a `PATH` starting with their directory.
    fn env(&self) -> BTreeMap<String, String> {
        path_env(self.dir.path())
    }

    /// The command lines run so far.
    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(&self.calls)
            .map(|text| text.lines().map(String::from).collect())
            .unwrap_or_default()
    }
}

fn path_env(dir: &Path) -> BTreeMap<String, String> {
    BTreeMap::from([("PATH".into(), format!("{}:/usr/bin:/bin", dir.display()))])
}

/// A fake cluster with one Node reporting `images`.
async fn cluster_with(images: &[&str]) -> FakeCluster {
    let fake = FakeCluster::start().await.unwrap();
    fake.create(json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "dev-control-plane"},
        "status": {"images": [{"names": images, "sizeBytes": 1000}]},
    }))
    .unwrap();
    fake
}

fn tags(tags: &[&str]) -> Vec<String> {
    tags.iter().map(|t| t.to_string()).collect()
}

fn loader(context: &str) -> ImageLoader {
    ImageLoader::for_context(context, None, &LOADING).unwrap()
}

/// How many times the Nodes were listed.
fn node_lists(fake: &FakeCluster) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/api/v1/nodes")
        .count()
}

/// `printed` with the duration of its last line (`Images loaded in 1.2ms`) taken out.
fn without_duration(printed: &str) -> String {
    let (head, last) = printed.trim_end().rsplit_once('\n').unwrap();
    let last = last.strip_prefix("Images loaded in ").unwrap_or_else(|| {
        panic!("no timing line at the end of:\n{printed}");
    });
    assert!(!last.is_empty(), "a duration follows");
    format!("{head}\nImages loaded in <duration>\n")
}

#[tokio::test]
async fn an_image_a_node_has_is_found_and_not_loaded() {
    let fake = cluster_with(&["docker.io/library/app:v1", "sha256:abc"]).await;
    let tools = Tools::new().script("kind", "exit 0");
    let (output, printed) = recorded_output();
    loader("kind-dev")
        .load(&fake.client(), &tags(&["app:v1"]), &tools.env(), &output)
        .await
        .unwrap();
    assert_eq!(
        without_duration(&printed.text()),
        "Loading images into kind cluster nodes...\n - app:v1 -> Found\nImages loaded in <duration>\n"
    );
    assert!(tools.calls().is_empty(), "{:?}", tools.calls());
}

#[tokio::test]
async fn unknown_images_are_loaded_with_kind_and_nodes_are_listed_once() {
    let fake = cluster_with(&["docker.io/library/app:v1"]).await;
    let tools = Tools::new().script("kind", "echo 'Image: \"app:v2\" loaded'");
    let (output, printed) = recorded_output();
    loader("kind-dev")
        .load(
            &fake.client(),
            &tags(&["app:v2", "app:v1", "gcr.io/p/api:v2"]),
            &tools.env(),
            &output,
        )
        .await
        .unwrap();
    assert_eq!(
        tools.calls(),
        [
            "kind load docker-image --name dev app:v2",
            "kind load docker-image --name dev gcr.io/p/api:v2"
        ]
    );
    assert_eq!(
        without_duration(&printed.text()),
        "Loading images into kind cluster nodes...\n - app:v2 -> Loaded\n - app:v1 -> Found\n - gcr.io/p/api:v2 -> Loaded\nImages loaded in <duration>\n"
    );
    assert_eq!(node_lists(&fake), 1);
}

#[tokio::test]
async fn a_failed_load_reports_the_status_and_what_the_tool_said() {
    let fake = cluster_with(&[]).await;
    let tools = Tools::new().script(
        "kind",
        "echo 'ERROR: image: \"app:v3\" not present locally' >&2; exit 1",
    );
    let (output, printed) = recorded_output();
    let err = loader("kind-dev")
        .load(
            &fake.client(),
            &tags(&["app:v3", "app:v4"]),
            &tools.env(),
            &output,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, StatusCode::DeployUnknown);
    assert_eq!(
        err.message,
        "loading images into kind nodes: unable to load image \"app:v3\" into cluster: exit status 1, ERROR: image: \"app:v3\" not present locally"
    );
    assert_eq!(
        printed.text(),
        "Loading images into kind cluster nodes...\n - app:v3 -> Failed\n",
        "the first failure ends the load"
    );
    assert_eq!(tools.calls().len(), 1);
}

#[tokio::test]
async fn k3d_clusters_import_images_with_k3d() {
    let fake = cluster_with(&[]).await;
    let tools = Tools::new().script("k3d", "exit 0");
    let (output, printed) = recorded_output();
    let loader = loader("k3d-lab");
    assert_eq!(loader.flavour(), LocalCluster::K3d);
    loader
        .load(&fake.client(), &tags(&["app:v1"]), &tools.env(), &output)
        .await
        .unwrap();
    assert_eq!(tools.calls(), ["k3d image import --cluster lab app:v1"]);
    assert_eq!(
        without_duration(&printed.text()),
        "Loading images into k3d cluster nodes...\n - app:v1 -> Loaded\nImages loaded in <duration>\n"
    );
}

#[tokio::test]
async fn a_tag_loaded_once_is_not_loaded_again() {
    let fake = cluster_with(&[]).await;
    let tools = Tools::new().script("kind", "exit 0");
    let loader = loader("kind-dev");
    let (first, _) = recorded_output();
    loader
        .load(&fake.client(), &tags(&["app:v1"]), &tools.env(), &first)
        .await
        .unwrap();
    let (second, printed) = recorded_output();
    loader
        .load(&fake.client(), &tags(&["app:v1"]), &tools.env(), &second)
        .await
        .unwrap();
    assert_eq!(tools.calls(), ["kind load docker-image --name dev app:v1"]);
    assert_eq!(
        without_duration(&printed.text()),
        "Loading images into kind cluster nodes...\n - app:v1 -> Found\nImages loaded in <duration>\n"
    );
    assert_eq!(node_lists(&fake), 1, "the second load asks nothing");

    loader
        .load(&fake.client(), &tags(&["app:v2"]), &tools.env(), &second)
        .await
        .unwrap();
    assert_eq!(tools.calls().len(), 2, "a new tag is loaded");
}

#[tokio::test]
async fn a_missing_tool_is_named_with_how_to_install_it() {
    let fake = cluster_with(&[]).await;
    let empty = tempfile::tempdir().unwrap();
    let (output, printed) = recorded_output();
    let err = loader("kind-dev")
        .load(
            &fake.client(),
            &tags(&["app:v1"]),
            &path_env(empty.path()),
            &output,
        )
        .await
        .unwrap_err();
    assert!(
        err.message
            .starts_with("loading images into kind nodes: kind not found")
            && err
                .message
                .contains("https://kind.sigs.k8s.io/docs/user/quick-start/#installation"),
        "{}",
        err.message
    );
    assert!(printed.text().ends_with(" - app:v1 -> Failed\n"));
}

#[tokio::test]
async fn a_cluster_that_cannot_be_listed_is_an_error() {
    let fake = cluster_with(&[]).await;
    let client = fake.client();
    drop(fake);
    let tools = Tools::new().script("kind", "exit 0");
    let (output, _) = recorded_output();
    let err = loader("kind-dev")
        .load(&client, &tags(&["app:v1"]), &tools.env(), &output)
        .await
        .unwrap_err();
    assert_eq!(err.code, StatusCode::DeployClusterConnectionErr);
    assert!(
        err.message.contains("unable to retrieve node's images"),
        "{}",
        err.message
    );
    assert!(tools.calls().is_empty());
}
