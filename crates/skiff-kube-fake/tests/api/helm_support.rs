//! What the helm CLI needs from an API server beyond kube-rs's and kubectl's usual calls: an
//! OpenAPI v2 document to validate against, Secrets written in protobuf (its release storage),
//! and Services that get a cluster IP (`helm --wait` waits for one).

use k8s_openapi::api::core::v1::{Secret, Service};
use kube::Api;
use kube::api::PostParams;
use serde_json::json;
use skiff_kube_fake::FakeCluster;

#[tokio::test]
async fn openapi_v2_is_an_empty_protobuf_document() {
    let fake = FakeCluster::start().await.unwrap();
    let request = http::Request::get("/openapi/v2")
        .header(
            "accept",
            "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
        )
        .body(Vec::new())
        .unwrap();
    let body = fake.client().request_text(request).await.unwrap();
    assert_eq!(body, "");
}

/// `bytes` as a protobuf length-delimited field `number`.
fn field(number: u8, bytes: &[u8]) -> Vec<u8> {
    let len = u8::try_from(bytes.len()).expect("short test fields");
    [&[number << 3 | 2, len][..], bytes].concat()
}

#[tokio::test]
async fn a_secret_posted_in_protobuf_is_stored_and_answered_in_json() {
    let fake = FakeCluster::start().await.unwrap();
    let meta = [
        field(1, b"sh.helm.release.v1.web.v1"),
        field(11, &[field(1, b"owner"), field(2, b"helm")].concat()),
    ]
    .concat();
    let secret = [
        field(1, &meta),
        field(2, &[field(1, b"release"), field(2, b"H4sI")].concat()),
        field(3, b"helm.sh/release.v1"),
    ]
    .concat();
    let type_meta = [field(1, b"v1"), field(2, b"Secret")].concat();
    let body = [&b"k8s\0"[..], &field(1, &type_meta), &field(2, &secret)].concat();
    let request = http::Request::post("/api/v1/namespaces/default/secrets")
        .header("content-type", "application/vnd.kubernetes.protobuf")
        .header(
            "accept",
            "application/vnd.kubernetes.protobuf,application/json",
        )
        .body(body)
        .unwrap();
    let answer: serde_json::Value =
        serde_json::from_str(&fake.client().request_text(request).await.unwrap()).unwrap();
    assert_eq!(answer["metadata"]["name"], "sh.helm.release.v1.web.v1");

    let stored: Secret = Api::namespaced(fake.client(), "default")
        .get("sh.helm.release.v1.web.v1")
        .await
        .unwrap();
    assert_eq!(stored.type_.as_deref(), Some("helm.sh/release.v1"));
    assert_eq!(stored.metadata.labels.unwrap()["owner"], "helm");
    assert_eq!(stored.data.unwrap()["release"].0, b"H4sI");
}

#[tokio::test]
async fn services_get_distinct_cluster_ips_unless_external_names() {
    let fake = FakeCluster::start().await.unwrap();
    let services: Api<Service> = Api::namespaced(fake.client(), "default");
    let create = |name: &str, spec: serde_json::Value| {
        let service: Service =
            serde_json::from_value(json!({"metadata": {"name": name}, "spec": spec})).unwrap();
        let services = services.clone();
        async move {
            let created = services
                .create(&PostParams::default(), &service)
                .await
                .unwrap();
            created.spec.unwrap().cluster_ip
        }
    };
    let ports = json!([{"port": 80}]);
    let a = create("a", json!({"ports": ports})).await.unwrap();
    let b = create("b", json!({"ports": ports})).await.unwrap();
    assert!(a.starts_with("10.96.") && a != b, "{a} {b}");
    let headless = create("c", json!({"clusterIP": "None", "ports": ports})).await;
    assert_eq!(headless.as_deref(), Some("None"));
    let external = create(
        "d",
        json!({"type": "ExternalName", "externalName": "example.test"}),
    )
    .await;
    assert_eq!(external, None);
}
