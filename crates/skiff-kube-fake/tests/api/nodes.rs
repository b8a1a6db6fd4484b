//! Cluster-scoped `v1` Nodes: seeded with their status (the images a kubelet reports), listed
//! and read through kube-rs, and created through the API.

use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ListParams, PostParams};
use serde_json::{Value, json};
use skiff_kube_fake::FakeCluster;

fn node(name: &str, images: &[&str]) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name},
        "status": {"images": [{"names": images, "sizeBytes": 1000}]},
    })
}

/// The image names a node's status reports.
fn image_names(node: &Node) -> Vec<String> {
    node.status
        .iter()
        .flat_map(|s| s.images.iter().flatten())
        .flat_map(|image| image.names.iter().flatten().cloned())
        .collect()
}

#[tokio::test]
async fn seeded_nodes_keep_their_status_and_are_listed_cluster_wide() {
    let fake = FakeCluster::start().await.unwrap();
    fake.create(node("worker", &["docker.io/library/app:v1"]))
        .unwrap();
    let mut control = node("control-plane", &["registry.k8s.io/pause:3.9"]);
    control["metadata"]["namespace"] = json!("ignored");
    let stored = fake.create(control).unwrap();
    assert!(stored["metadata"].get("namespace").is_none());

    let api: Api<Node> = Api::all(fake.client());
    let listed = api.list(&ListParams::default()).await.unwrap();
    let names: Vec<_> = listed
        .items
        .iter()
        .map(|n| n.metadata.name.clone().unwrap())
        .collect();
    assert_eq!(names, ["control-plane", "worker"]);
    assert_eq!(
        image_names(&api.get("worker").await.unwrap()),
        ["docker.io/library/app:v1"]
    );
    assert_eq!(
        fake.list("v1", "Node", None).len(),
        2,
        "the fake's own listing sees them too"
    );
    assert!(fake.get("v1", "Node", None, "worker").is_some());
}

#[tokio::test]
async fn nodes_created_through_the_api_keep_their_status() {
    let fake = FakeCluster::start().await.unwrap();
    let api: Api<Node> = Api::all(fake.client());
    let sent: Node = serde_json::from_value(node("n1", &["docker.io/library/x:1"])).unwrap();
    api.create(&PostParams::default(), &sent).await.unwrap();
    let requests = fake.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.method == "POST" && r.path == "/api/v1/nodes"),
        "{requests:?}"
    );
    assert_eq!(
        image_names(&api.get("n1").await.unwrap()),
        ["docker.io/library/x:1"]
    );
}
