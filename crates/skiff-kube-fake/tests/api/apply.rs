//! Server-side apply, discovery, CRDs, selectors and error statuses through kube-rs.

use crate::support::{api_error, apply, deployment, pod};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::core::GroupVersionKind;
use kube::discovery::Discovery;
use serde_json::{Value, json};
use skiff_kube_fake::FakeCluster;

fn config_map(name: &str, labels: Value, value: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}, "data": {"key": value}})
}

#[tokio::test]
async fn apply_creates_then_updates_with_a_new_resource_version() {
    let fake = FakeCluster::start().await.unwrap();
    let api: Api<ConfigMap> = Api::namespaced(fake.client(), "default");
    let first = apply(
        &api,
        &config_map("cfg", json!({"app": "web", "stale": "yes"}), "1"),
    )
    .await;
    let second = apply(&api, &config_map("cfg", json!({"app": "web"}), "2")).await;

    let (rv1, rv2) = (
        first.metadata.resource_version.clone().unwrap(),
        second.metadata.resource_version.clone().unwrap(),
    );
    assert!(
        rv2.parse::<u64>().unwrap() > rv1.parse::<u64>().unwrap(),
        "{rv1} -> {rv2}"
    );
    assert_eq!(first.metadata.uid, second.metadata.uid);
    assert!(first.metadata.creation_timestamp.is_some());
    assert_eq!(second.data.unwrap()["key"], "2");
    let labels = second.metadata.labels.unwrap();
    assert!(
        !labels.contains_key("stale"),
        "a label the manager stopped applying is removed: {labels:?}"
    );
    let managed = second.metadata.managed_fields.unwrap();
    assert_eq!(managed.len(), 1);
    assert_eq!(
        (
            managed[0].manager.as_deref(),
            managed[0].operation.as_deref()
        ),
        (Some("skaffold"), Some("Apply"))
    );

    let applies: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.is_server_side_apply())
        .collect();
    assert_eq!(applies.len(), 2);
    assert_eq!(applies[0].path, "/api/v1/namespaces/default/configmaps/cfg");
    assert!(
        applies[0].query.contains("fieldManager=skaffold")
            && applies[0].query.contains("force=true"),
        "{}",
        applies[0].query
    );

    // Re-applying the same configuration changes nothing.
    let third = apply(&api, &config_map("cfg", json!({"app": "web"}), "2")).await;
    assert_eq!(third.metadata.resource_version.unwrap(), rv2);
}

#[tokio::test]
async fn apply_without_force_conflicts_with_another_manager() {
    let fake = FakeCluster::start().await.unwrap();
    let api: Api<ConfigMap> = Api::namespaced(fake.client(), "default");
    api.patch(
        "cfg",
        &PatchParams::apply("kubectl"),
        &Patch::Apply(config_map("cfg", json!({}), "1")),
    )
    .await
    .unwrap();
    let err = api
        .patch(
            "cfg",
            &PatchParams::apply("skaffold"),
            &Patch::Apply(config_map("cfg", json!({}), "2")),
        )
        .await
        .unwrap_err();
    let status = api_error(err);
    assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
    assert!(
        status
            .message
            .contains("conflict with \"kubectl\" using v1: .data.key"),
        "{}",
        status.message
    );
}

#[tokio::test]
async fn discovery_serves_builtins_and_applied_crds() {
    let fake = FakeCluster::start().await.unwrap();
    let client = fake.client();
    let version = client.apiserver_version().await.unwrap();
    assert_eq!(
        (version.major.as_str(), version.minor.as_str()),
        ("1", "33")
    );

    let discovery = Discovery::new(client.clone()).run().await.unwrap();
    let (deploy_res, caps) = discovery
        .resolve_gvk(&GroupVersionKind::gvk("apps", "v1", "Deployment"))
        .unwrap();
    assert_eq!(caps.scope, kube::discovery::Scope::Namespaced);
    let (ns_res, caps) = discovery
        .resolve_gvk(&GroupVersionKind::gvk("", "v1", "Namespace"))
        .unwrap();
    assert_eq!(caps.scope, kube::discovery::Scope::Cluster);
    assert!(
        discovery
            .resolve_gvk(&GroupVersionKind::gvk("example.com", "v1", "Widget"))
            .is_none()
    );

    let namespaces: Api<DynamicObject> = Api::all_with(client.clone(), &ns_res);
    apply(
        &namespaces,
        &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}),
    )
    .await;
    let deployments: Api<DynamicObject> = Api::namespaced_with(client.clone(), "team", &deploy_res);
    let applied = apply(&deployments, &deployment("web", "app:1", 1)).await;
    assert_eq!(applied.metadata.namespace.as_deref(), Some("team"));

    let crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object"}}}],
        },
    });
    let crds: Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> =
        Api::all(client.clone());
    apply(&crds, &crd).await;
    crate::support::within(
        "crd established",
        kube::runtime::wait::await_condition(
            crds,
            "widgets.example.com",
            kube::runtime::wait::conditions::is_crd_established(),
        ),
    )
    .await
    .unwrap();

    let discovery = Discovery::new(client.clone()).run().await.unwrap();
    let (widget_res, _) = discovery
        .resolve_gvk(&GroupVersionKind::gvk("example.com", "v1", "Widget"))
        .expect("CRD kind discoverable");
    let widgets: Api<DynamicObject> = Api::namespaced_with(client.clone(), "team", &widget_res);
    apply(&widgets, &json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1"}, "spec": {"size": 3}})).await;
    let listed = widgets.list(&ListParams::default()).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].data["spec"]["size"], 3);
    assert_eq!(
        fake.get("example.com/v1", "Widget", Some("team"), "w1")
            .unwrap()["kind"],
        "Widget"
    );
}

#[tokio::test]
async fn list_and_delete_collection_honour_selectors() {
    let fake = FakeCluster::builder().kubelet(false).start().await.unwrap();
    let api: Api<Pod> = Api::namespaced(fake.client(), "default");
    for (name, tier) in [
        ("web-1", Some("front")),
        ("web-2", Some("back")),
        ("db-1", None),
    ] {
        let mut manifest = pod(name, "img:1");
        manifest["metadata"]["labels"] = match tier {
            Some(tier) => json!({"app": name.split('-').next(), "tier": tier}),
            None => json!({"app": "db"}),
        };
        apply(&api, &manifest).await;
    }
    let names = |list: kube::core::ObjectList<Pod>| {
        list.items
            .into_iter()
            .map(|p| p.metadata.name.unwrap())
            .collect::<Vec<_>>()
    };
    let select = |labels: &str| ListParams::default().labels(labels);
    assert_eq!(
        names(api.list(&select("app=web")).await.unwrap()),
        ["web-1", "web-2"]
    );
    assert_eq!(
        names(api.list(&select("app=web,tier!=back")).await.unwrap()),
        ["web-1"]
    );
    assert_eq!(
        names(api.list(&select("tier in (back, side)")).await.unwrap()),
        ["web-2"]
    );
    assert_eq!(names(api.list(&select("!tier")).await.unwrap()), ["db-1"]);
    let all: Api<Pod> = Api::all(fake.client());
    assert_eq!(
        names(
            all.list(&ListParams::default().fields("metadata.name=web-2"))
                .await
                .unwrap()
        ),
        ["web-2"]
    );
    assert_eq!(
        all.list(&ListParams::default().fields("metadata.namespace=kube-system"))
            .await
            .unwrap()
            .items
            .len(),
        0
    );
    let list = api.list(&ListParams::default()).await.unwrap();
    assert!(list.metadata.resource_version.is_some());

    let deleted = api
        .delete_collection(&DeleteParams::default(), &select("app=web"))
        .await
        .unwrap();
    let deleted = deleted.left().expect("a list of what was deleted");
    assert_eq!(deleted.items.len(), 2);
    assert_eq!(
        names(api.list(&ListParams::default()).await.unwrap()),
        ["db-1"]
    );
}

#[tokio::test]
async fn errors_are_status_objects_with_the_api_codes() {
    let fake = FakeCluster::start().await.unwrap();
    let client = fake.client();
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let status = api_error(pods.get("nope").await.unwrap_err());
    assert_eq!(
        (status.code, status.reason.as_str(), status.message.as_str()),
        (404, "NotFound", "pods \"nope\" not found")
    );

    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let cm: ConfigMap = serde_json::from_value(config_map("c", json!({}), "1")).unwrap();
    let created = cms.create(&PostParams::default(), &cm).await.unwrap();
    let status = api_error(cms.create(&PostParams::default(), &cm).await.unwrap_err());
    assert_eq!(
        (status.code, status.reason.as_str()),
        (409, "AlreadyExists")
    );

    let mut stale = created.clone();
    stale.data = Some([("key".to_string(), "x".to_string())].into());
    cms.replace("c", &PostParams::default(), &stale)
        .await
        .unwrap();
    let status = api_error(
        cms.replace("c", &PostParams::default(), &stale)
            .await
            .unwrap_err(),
    );
    assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));

    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let mut bad = deployment("web", "app:1", 1);
    bad["spec"]["template"]["metadata"]["labels"] = json!({"app": "other"});
    let status = api_error(
        deployments
            .patch("web", &PatchParams::apply("skaffold"), &Patch::Apply(&bad))
            .await
            .unwrap_err(),
    );
    assert_eq!((status.code, status.reason.as_str()), (422, "Invalid"));
    assert!(
        status
            .message
            .starts_with("Deployment.apps \"web\" is invalid: spec.template.metadata.labels"),
        "{}",
        status.message
    );

    let elsewhere: Api<ConfigMap> = Api::namespaced(client.clone(), "missing");
    let status = api_error(
        elsewhere
            .create(&PostParams::default(), &cm)
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (status.code, status.message.as_str()),
        (404, "namespaces \"missing\" not found")
    );

    let request = http::Request::patch("/api/v1/namespaces/default/configmaps/c")
        .header("content-type", "application/json-patch+json")
        .body(br#"[{"op":"remove","path":"/data"}]"#.to_vec())
        .unwrap();
    let status = api_error(client.request_text(request).await.unwrap_err());
    assert_eq!(
        (status.code, status.reason.as_str()),
        (415, "UnsupportedMediaType")
    );
}

#[tokio::test]
async fn strategic_merge_and_status_patches() {
    let fake = FakeCluster::builder().kubelet(false).start().await.unwrap();
    let pods: Api<Pod> = Api::namespaced(fake.client(), "default");
    let mut manifest = pod("web", "app:1");
    manifest["spec"]["containers"] =
        json!([{"name": "app", "image": "app:1"}, {"name": "side", "image": "side:1"}]);
    let created = apply(&pods, &manifest).await;
    let images = |p: &Pod| {
        p.spec
            .as_ref()
            .unwrap()
            .containers
            .iter()
            .map(|c| c.image.clone().unwrap())
            .collect::<Vec<_>>()
    };

    let strategic = json!({"spec": {"containers": [{"name": "side", "image": "side:2"}]}});
    let patched = pods
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Strategic(&strategic),
        )
        .await
        .unwrap();
    assert_eq!(
        images(&patched),
        ["app:1", "side:2"],
        "merged by container name"
    );

    let ignored = pods
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"phase": "Running"}})),
        )
        .await
        .unwrap();
    assert_eq!(
        ignored.status.unwrap().phase.as_deref(),
        Some("Pending"),
        "status is a subresource"
    );
    let status = pods
        .patch_status(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"phase": "Running"}})),
        )
        .await
        .unwrap();
    assert_eq!(status.status.unwrap().phase.as_deref(), Some("Running"));
    assert_eq!(
        status.metadata.generation, patched.metadata.generation,
        "status writes keep the generation"
    );
    assert_eq!(status.metadata.uid, created.metadata.uid);
}
