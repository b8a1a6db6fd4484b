//! Helpers shared by the integration tests.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::{Value, json};
use skiff_kube_fake::FakeCluster;
use std::time::Duration;

/// How long any single awaited step may take before the test fails instead of hanging.
pub const STEP: Duration = Duration::from_secs(15);

/// Awaits `future`, failing the test with `what` if it takes longer than [`STEP`].
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(STEP, future)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

/// A Deployment manifest labelled `app=<name>` with one container `app`.
pub fn deployment(name: &str, image: &str, replicas: u32) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": image, "ports": [{"containerPort": 8080}]}]},
            },
        },
    })
}

/// A standalone Pod manifest with one container `app`.
pub fn pod(name: &str, image: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"containers": [{"name": "app", "image": image}]},
    })
}

/// Server-side applies `manifest` (named by its `metadata.name`) as Skaffold does.
pub async fn apply<K>(api: &Api<K>, manifest: &Value) -> K
where
    K: Clone + kube::Resource + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let name = manifest["metadata"]["name"]
        .as_str()
        .expect("manifest name");
    api.patch(
        name,
        &PatchParams::apply("skaffold").force(),
        &Patch::Apply(manifest),
    )
    .await
    .expect("server-side apply")
}

/// Applies a Deployment and waits until its rollout completed.
pub async fn rolled_out(fake: &FakeCluster, manifest: &Value) -> Deployment {
    let api: Api<Deployment> = Api::namespaced(fake.client(), "default");
    let name = manifest["metadata"]["name"]
        .as_str()
        .expect("manifest name")
        .to_string();
    apply(&api, manifest).await;
    within(
        "deployment rollout",
        kube::runtime::wait::await_condition(
            api,
            &name,
            kube::runtime::wait::conditions::is_deployment_completed(),
        ),
    )
    .await
    .expect("watch deployment")
    .expect("deployment exists")
}

/// The names of the pods labelled `app=<app>` in `default`, once there are `count` of them
/// and all are ready.
pub async fn ready_pods(fake: &FakeCluster, app: &str, count: usize) -> Vec<String> {
    let ready = fake
        .wait_until(STEP, |f| {
            let pods = f.list("v1", "Pod", Some("default"));
            let ours: Vec<&Value> = pods
                .iter()
                .filter(|p| p["metadata"]["labels"]["app"] == app)
                .collect();
            ours.len() == count
                && ours.iter().all(|p| {
                    p["status"]["conditions"].as_array().is_some_and(|cs| {
                        cs.iter()
                            .any(|c| c["type"] == "Ready" && c["status"] == "True")
                    })
                })
        })
        .await;
    assert!(ready, "{count} ready pods of {app}");
    fake.pods()
        .names("default", &format!("app={app}"))
        .expect("list pods")
}

/// The typed pod, once its status satisfies `check`.
pub async fn pod_when(fake: &FakeCluster, name: &str, check: impl Fn(&Pod) -> bool) -> Pod {
    let api: Api<Pod> = Api::namespaced(fake.client(), "default");
    within("pod status", async {
        loop {
            let pod = api.get(name).await.expect("get pod");
            if check(&pod) {
                return pod;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

/// The API error a failed kube-rs call carries.
pub fn api_error(err: kube::Error) -> Box<kube::core::Status> {
    match err {
        kube::Error::Api(status) => status,
        other => panic!("expected an API error, got {other:?}"),
    }
}
