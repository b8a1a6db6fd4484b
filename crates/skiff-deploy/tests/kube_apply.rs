//! Connecting, applying and deleting against the fake API server.

use std::path::Path;

use kube::api::{Api, DeleteParams, DynamicObject};
use kube::discovery::ApiResource;
use skiff_deploy::kubernetes::apply::{ApplyOptions, ResourceRef, apply};
use skiff_deploy::kubernetes::client::{ConnectOptions, Connection, KubeconfigSearch};
use skiff_deploy::kubernetes::delete::{delete_labelled, delete_manifests};
use skiff_kube_fake::FakeCluster;
use skiff_proto::enums::{StatusCode, SuggestionCode};
use skiff_render::ManifestList;

const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n";

const CRD: &str = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
";

const WIDGET: &str =
    "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 3\n";

const SERVICE: &str = "\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
";

/// A Deployment `web` with `replicas`, a selector `app: <selector>` and pod labels `labels`.
fn deployment(replicas: u32, selector: &str, labels: &str) -> String {
    format!(
        "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {{app: web}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {selector}}}}}
  template:
    metadata: {{labels: {labels}}}
    spec:
      containers: [{{name: app, image: 'registry.local/web:1'}}]
"
    )
}

fn manifests(docs: &[&str]) -> ManifestList {
    ManifestList::parse(&docs.join("---\n"), "test manifests").unwrap()
}

fn options(namespace: &str, force: bool) -> ApplyOptions {
    ApplyOptions {
        namespace: namespace.to_owned(),
        force,
    }
}

fn summary(refs: &[ResourceRef]) -> Vec<String> {
    refs.iter()
        .map(|r| {
            format!(
                "{}/{}/{}",
                r.kind,
                r.namespace.as_deref().unwrap_or("-"),
                r.name
            )
        })
        .collect()
}

#[tokio::test]
async fn applies_namespace_workloads_crd_and_custom_resource_in_one_go() {
    let fake = FakeCluster::start().await.unwrap();
    let web = deployment(1, "web", "{app: web}");
    let list = manifests(&[WIDGET, &web, SERVICE, CRD, NAMESPACE]);

    let applied = apply(&fake.client(), &list, &options("team", false))
        .await
        .unwrap();

    assert_eq!(
        summary(&applied),
        [
            "Namespace/-/team",
            "CustomResourceDefinition/-/widgets.example.com",
            "Service/team/web",
            "Deployment/team/web",
            "Widget/team/w1",
        ]
    );
    let stored_deployment = fake
        .get("apps/v1", "Deployment", Some("team"), "web")
        .unwrap();
    assert_eq!(
        applied[3].uid.as_deref(),
        stored_deployment["metadata"]["uid"].as_str()
    );
    assert_eq!(applied[3].api_version, "apps/v1");
    let widget = fake
        .get("example.com/v1", "Widget", Some("team"), "w1")
        .unwrap();
    assert_eq!(widget["spec"]["size"], 3);
    assert!(fake.get("v1", "Service", Some("team"), "web").is_some());
    assert!(fake.get("v1", "Service", Some("default"), "web").is_none());

    let writes: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    assert_eq!(writes.len(), 5, "{writes:#?}");
    for write in &writes {
        assert!(write.is_server_side_apply(), "{write:?}");
        assert!(
            write.query.contains("fieldManager=skaffold") && write.query.contains("force=true"),
            "{write:?}"
        );
    }
    let paths: Vec<&str> = writes.iter().map(|w| w.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/api/v1/namespaces/team",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com",
            "/api/v1/namespaces/team/services/web",
            "/apis/apps/v1/namespaces/team/deployments/web",
            "/apis/example.com/v1/namespaces/team/widgets/w1",
        ]
    );
}

#[tokio::test]
async fn reapplying_changes_the_generation_only_when_the_spec_changed() {
    let fake = FakeCluster::builder()
        .controllers(false)
        .start()
        .await
        .unwrap();
    let client = fake.client();
    let generation = || {
        fake.get("apps/v1", "Deployment", Some("default"), "web")
            .unwrap()["metadata"]["generation"]
            .as_u64()
            .unwrap()
    };
    let opts = options("default", false);
    let web = deployment(1, "web", "{app: web}");
    apply(&client, &manifests(&[&web]), &opts).await.unwrap();
    assert_eq!(generation(), 1);
    apply(&client, &manifests(&[&web]), &opts).await.unwrap();
    assert_eq!(generation(), 1, "the same manifest again");
    let relabelled = web.replace(
        "labels: {app: web}\nspec",
        "labels: {app: web, tier: front}\nspec",
    );
    assert_ne!(relabelled, web);
    apply(&client, &manifests(&[&relabelled]), &opts)
        .await
        .unwrap();
    assert_eq!(generation(), 1, "only metadata changed");
    let scaled = deployment(3, "web", "{app: web}");
    apply(&client, &manifests(&[&scaled]), &opts).await.unwrap();
    assert_eq!(generation(), 2, "the spec changed");
}

#[tokio::test]
async fn the_apis_refusals_name_the_object_and_field() {
    let fake = FakeCluster::start().await.unwrap();
    let client = fake.client();
    let mismatched = deployment(1, "web", "{app: db}");
    let err = apply(
        &client,
        &manifests(&[&mismatched]),
        &options("default", false),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, StatusCode::DeployKubectlUserErr);
    assert!(
        err.message.starts_with(
            "applying Deployment \"web\" in namespace \"default\": Deployment.apps \"web\" is invalid: spec.template.metadata.labels: Invalid value"
        ),
        "{}",
        err.message
    );

    let err = apply(&client, &manifests(&[WIDGET]), &options("default", false))
        .await
        .unwrap_err();
    assert_eq!(err.code, StatusCode::DeployKubectlUserErr);
    assert!(
        err.message.contains("\"Widget\"")
            && err.message.contains("\"example.com/v1\"")
            && err
                .message
                .contains("apply its CustomResourceDefinition first"),
        "{}",
        err.message
    );

    let err = apply(
        &client,
        &manifests(&["apiVersion: v1\nkind: ConfigMap\nmetadata: {labels: {a: b}}\n"]),
        &options("default", false),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, StatusCode::DeployReadManifestErr);
}

#[tokio::test]
async fn force_recreates_an_object_whose_immutable_field_changed() {
    let fake = FakeCluster::builder()
        .controllers(false)
        .start()
        .await
        .unwrap();
    let client = fake.client();
    let first = apply(
        &client,
        &manifests(&[&deployment(1, "web", "{app: web}")]),
        &options("default", false),
    )
    .await
    .unwrap();
    let moved = deployment(1, "web2", "{app: web2}");

    let err = apply(&client, &manifests(&[&moved]), &options("default", false))
        .await
        .unwrap_err();
    assert!(
        err.message.contains("field is immutable"),
        "{}",
        err.message
    );

    let second = apply(&client, &manifests(&[&moved]), &options("default", true))
        .await
        .unwrap();
    assert_ne!(first[0].uid, second[0].uid, "a new object");
    let stored = fake
        .get("apps/v1", "Deployment", Some("default"), "web")
        .unwrap();
    assert_eq!(stored["spec"]["selector"]["matchLabels"]["app"], "web2");
    assert_eq!(stored["metadata"]["uid"].as_str(), second[0].uid.as_deref());
}

#[tokio::test]
async fn delete_removes_everything_in_reverse_order_and_tolerates_the_gone() {
    let fake = FakeCluster::start().await.unwrap();
    let client = fake.client();
    let web = deployment(1, "web", "{app: web}");
    let list = manifests(&[NAMESPACE, CRD, WIDGET, &web, SERVICE]);
    apply(&client, &list, &options("team", false))
        .await
        .unwrap();
    let services: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "team",
        &ApiResource::erase::<k8s_openapi::api::core::v1::Service>(&()),
    );
    services
        .delete("web", &DeleteParams::default())
        .await
        .unwrap();
    fake.clear_requests();

    let deleted = delete_manifests(&client, &list, "team").await.unwrap();

    let deleted = summary(&deleted);
    assert_eq!(
        deleted.first().map(String::as_str),
        Some("Deployment/team/web")
    );
    assert_eq!(deleted.last().map(String::as_str), Some("Namespace/-/team"));
    assert!(deleted.contains(&"CustomResourceDefinition/-/widgets.example.com".to_owned()));
    assert!(
        !deleted.iter().any(|d| d.starts_with("Service/")),
        "{deleted:?}"
    );
    assert!(
        fake.get("apps/v1", "Deployment", Some("team"), "web")
            .is_none()
    );
    assert!(fake.get("v1", "Namespace", None, "team").is_none());
    assert!(
        fake.get(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            None,
            "widgets.example.com"
        )
        .is_none()
    );
    assert!(
        fake.requests()
            .iter()
            .all(|r| r.method == "GET" || r.method == "DELETE"),
        "{:#?}",
        fake.requests()
    );

    let again = delete_manifests(&client, &list, "team").await.unwrap();
    assert!(again.is_empty(), "{again:?}");
}

#[tokio::test]
async fn delete_by_labels_takes_what_an_earlier_run_left() {
    let fake = FakeCluster::start().await.unwrap();
    let client = fake.client();
    let labelled = |kind: &str, name: &str, run: &str| {
        format!(
            "apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}\n  labels: {{skaffold.dev/run-id: {run}}}\n"
        )
    };
    let list = manifests(&[
        &labelled("ConfigMap", "mine", "r1"),
        &labelled("Secret", "mine-too", "r1"),
        &labelled("ConfigMap", "other-run", "r2"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: unlabelled}\n",
    ]);
    apply(&client, &list, &options("default", false))
        .await
        .unwrap();

    let deleted = delete_labelled(&client, "skaffold.dev/run-id=r1")
        .await
        .unwrap();

    let mut deleted = summary(&deleted);
    deleted.sort();
    assert_eq!(
        deleted,
        ["ConfigMap/default/mine", "Secret/default/mine-too"]
    );
    assert!(
        fake.get("v1", "ConfigMap", Some("default"), "mine")
            .is_none()
    );
    assert!(
        fake.get("v1", "ConfigMap", Some("default"), "other-run")
            .is_some()
    );
    assert!(
        fake.get("v1", "ConfigMap", Some("default"), "unlabelled")
            .is_some()
    );
}

/// A kubeconfig with context `a` (the fake, namespace `team-a`) and context `b` (a port
/// nothing listens on), `b` current.
fn two_contexts(path: &Path, fake: &FakeCluster) {
    let text = format!(
        "\
apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {{server: '{}'}}
- name: b
  cluster: {{server: 'http://127.0.0.1:9'}}
users:
- name: u
  user: {{}}
contexts:
- name: a
  context: {{cluster: a, user: u, namespace: team-a}}
- name: b
  context: {{cluster: b, user: u}}
current-context: b
",
        fake.url()
    );
    std::fs::write(path, text).unwrap();
}

#[tokio::test]
async fn the_kube_context_flag_picks_the_context() {
    let fake = FakeCluster::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    two_contexts(&kubeconfig, &fake);
    let search = KubeconfigSearch::default();
    let open = |kube_context: Option<&str>, config_context: Option<&str>| {
        let options = ConnectOptions {
            kubeconfig: Some(kubeconfig.clone()),
            kube_context: kube_context.map(str::to_owned),
            config_context: config_context.map(str::to_owned),
        };
        let search = search.clone();
        async move { Connection::open(&options, &search).await }
    };

    let chosen = open(Some("a"), Some("b")).await.unwrap();
    assert_eq!(chosen.context, "a");
    assert_eq!(chosen.server, fake.url());
    assert_eq!(chosen.namespace.as_deref(), Some("team-a"));
    assert_eq!(chosen.cluster_context().server, Some(fake.url().as_str()));
    chosen.check().await.unwrap();

    assert_eq!(open(None, Some("a")).await.unwrap().context, "a");

    let current = open(None, None).await.unwrap();
    assert_eq!(
        (current.context.as_str(), current.namespace.as_deref()),
        ("b", None)
    );
    let err = current.check().await.unwrap_err();
    assert_eq!(err.code, StatusCode::DeployClusterConnectionErr);
    assert!(
        err.message.contains("\"b\" at http://127.0.0.1:9"),
        "{}",
        err.message
    );
    assert_eq!(
        err.suggestion.map(|(code, _)| code),
        Some(SuggestionCode::CheckClusterConnection)
    );

    let err = open(Some("c"), None).await.unwrap_err();
    assert_eq!(err.code, StatusCode::DeployClusterConnectionErr);
    assert!(
        err.message.contains("\"c\"") && err.message.contains("a, b"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn a_missing_kubeconfig_is_a_clear_connection_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere");
    let options = ConnectOptions {
        kubeconfig: Some(missing.clone()),
        ..ConnectOptions::default()
    };
    let err = Connection::open(&options, &KubeconfigSearch::default())
        .await
        .unwrap_err();
    assert_eq!(err.code, StatusCode::DeployClusterConnectionErr);
    assert!(
        err.message
            .starts_with(&format!("reading kubeconfig {}", missing.display())),
        "{}",
        err.message
    );
    assert_eq!(
        err.suggestion.map(|(code, _)| code),
        Some(SuggestionCode::CheckClusterConnection)
    );

    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_none() {
        let empty_home = KubeconfigSearch {
            kubeconfig_env: None,
            home: Some(dir.path().to_path_buf()),
        };
        let err = Connection::open(&ConnectOptions::default(), &empty_home)
            .await
            .unwrap_err();
        assert_eq!(err.code, StatusCode::DeployClusterConnectionErr);
        assert!(
            err.message.starts_with("no kubeconfig found"),
            "{}",
            err.message
        );
    }
}
