//! The helm deployer with the real helm binary against the fake API server: install in
//! `dependsOn` order, upgrade with a changed value, uninstall, and the error paths. helm is
//! looked up on PATH (`eval "$(scripts/test-env env)"` puts it there); under `CI=true` a missing
//! helm fails the tests instead of skipping them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use skiff_config::model::{ChartSource, FlatMap, HelmRelease, LegacyHelmDeploy};
use skiff_deploy::kubernetes::helm::{DeployedRelease, HelmDeployer, HelmSettings};
use skiff_kube_fake::FakeCluster;
use skiff_proto::enums::{StatusCode, SuggestionCode};
use skiff_render::BuiltArtifact;
use skiff_render::helm::HelmOptions;
use skiff_testenv::recorded_output;

fn helm() -> Option<PathBuf> {
    skiff_testenv::test_tool("helm")
}

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testdata")
}

/// A release of the test chart.
fn release(name: &str, depends_on: &[&str]) -> HelmRelease {
    HelmRelease {
        name: name.into(),
        chart: Some(ChartSource::ChartPath("helm-app".into())),
        depends_on: depends_on.iter().map(|d| d.to_string()).collect(),
        ..HelmRelease::default()
    }
}

/// Settings for `releases` against `fake`, with helm's directories, its home (where its kube
/// client caches discovery) and the kubeconfig in `dir`.
fn settings(fake: &FakeCluster, dir: &Path, releases: Vec<HelmRelease>) -> HelmSettings {
    let kubeconfig = dir.join("kubeconfig");
    fake.write_kubeconfig(&kubeconfig, "fake").unwrap();
    let mut env = BTreeMap::from([(
        "PATH".to_string(),
        std::env::var("PATH").unwrap_or_default(),
    )]);
    for var in [
        "HOME",
        "HELM_CACHE_HOME",
        "HELM_CONFIG_HOME",
        "HELM_DATA_HOME",
    ] {
        env.insert(var.into(), dir.join(var).display().to_string());
    }
    HelmSettings {
        helm: LegacyHelmDeploy {
            releases,
            ..LegacyHelmDeploy::default()
        },
        base_dir: testdata(),
        env,
        options: HelmOptions {
            kube_config: kubeconfig.display().to_string(),
            ..HelmOptions::default()
        },
        ..HelmSettings::default()
    }
}

fn config_map_greeting(fake: &FakeCluster, release: &str) -> Option<Value> {
    fake.get(
        "v1",
        "ConfigMap",
        Some("default"),
        &format!("{release}-config"),
    )
    .map(|cm| cm["data"]["greeting"].clone())
}

fn kinds(release: &DeployedRelease) -> Vec<String> {
    release
        .manifests
        .docs()
        .iter()
        .map(|doc| doc["kind"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn releases_install_in_dependency_order_upgrade_and_uninstall() {
    if helm().is_none() {
        return;
    }
    let fake = FakeCluster::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // `web` comes first in the config but depends on `db`; `web` waits for its Deployment.
    let mut web = release("web", &["db"]);
    web.set_value_templates = FlatMap(BTreeMap::from([(
        "image".to_string(),
        "{{.IMAGE_REPO_app}}:{{.IMAGE_TAG_app}}".to_string(),
    )]));
    web.wait = true;
    let mut settings = settings(&fake, dir.path(), vec![web, release("db", &[])]);
    let builds = [BuiltArtifact::new("app", "registry.local/app:v1")];
    let (output, printed) = recorded_output();

    let deployed = HelmDeployer::new(settings.clone())
        .deploy(&builds, &output)
        .await
        .unwrap();
    let names: Vec<&str> = deployed.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["db", "web"]);
    assert_eq!(kinds(&deployed[1]), ["ConfigMap", "Deployment"]);
    let text = printed.text();
    let db_at = text.find("Helm release db not installed. Installing...\n");
    let web_at = text.find("Helm release web not installed. Installing...\n");
    assert!(db_at.is_some() && db_at < web_at, "{text}");
    // db's objects were written before web's (one global resourceVersion orders all writes).
    let created = |name: &str| {
        let cm = fake.get("v1", "ConfigMap", Some("default"), name).unwrap();
        cm["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert!(created("db-config") < created("web-config"));
    let deployment = fake
        .get("apps/v1", "Deployment", Some("default"), "web")
        .expect("web's Deployment exists");
    assert_eq!(
        deployment["spec"]["template"]["spec"]["containers"][0]["image"],
        "registry.local/app:v1"
    );
    assert_eq!(config_map_greeting(&fake, "db").unwrap(), "hello");

    // A second deploy upgrades, with the changed value.
    settings.helm.releases[1].set_values = FlatMap(BTreeMap::from([(
        "greeting".to_string(),
        "bye".to_string(),
    )]));
    let (output, printed) = recorded_output();
    HelmDeployer::new(settings.clone())
        .deploy(&builds, &output)
        .await
        .unwrap();
    assert!(
        !printed.text().contains("not installed"),
        "{}",
        printed.text()
    );
    assert_eq!(config_map_greeting(&fake, "db").unwrap(), "bye");
    assert_eq!(config_map_greeting(&fake, "web").unwrap(), "hello");

    // Cleanup removes both releases; a second cleanup finds nothing and is no error.
    let deployer = HelmDeployer::new(settings);
    let (output, printed) = recorded_output();
    deployer.cleanup(&output, false).await.unwrap();
    assert!(
        printed.text().contains("release \"web\" uninstalled"),
        "{}",
        printed.text()
    );
    assert_eq!(config_map_greeting(&fake, "web"), None);
    assert!(
        fake.get("apps/v1", "Deployment", Some("default"), "web")
            .is_none()
    );
    assert!(fake.list("v1", "Secret", Some("default")).is_empty());
    deployer.cleanup(&output, false).await.unwrap();
}

#[tokio::test]
async fn an_unchanged_release_is_left_alone_when_upgrade_on_change_is_off() {
    if helm().is_none() {
        return;
    }
    let fake = FakeCluster::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut db = release("db", &[]);
    db.upgrade_on_change = Some(false);
    let mut settings = settings(&fake, dir.path(), vec![db]);
    let (output, _) = recorded_output();
    let first = HelmDeployer::new(settings.clone())
        .deploy(&[], &output)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    settings.helm.releases[0].set_values = FlatMap(BTreeMap::from([(
        "greeting".to_string(),
        "bye".to_string(),
    )]));
    let second = HelmDeployer::new(settings)
        .deploy(&[], &output)
        .await
        .unwrap();
    assert!(second.is_empty());
    assert_eq!(config_map_greeting(&fake, "db").unwrap(), "hello");
}

#[tokio::test]
async fn a_failing_install_carries_helms_complaint() {
    if helm().is_none() {
        return;
    }
    let fake = FakeCluster::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut broken = release("broken", &[]);
    broken.chart = Some(ChartSource::ChartPath("no-such-chart".into()));
    broken.skip_build_dependencies = true;
    let (output, _) = recorded_output();
    let err = HelmDeployer::new(settings(&fake, dir.path(), vec![broken]))
        .deploy(&[], &output)
        .await
        .unwrap_err();
    assert_eq!(err.code, StatusCode::DeployHelmUserErr);
    assert!(
        err.message.starts_with("deploying \"broken\": install: ")
            && err.message.contains("no-such-chart"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn a_dependency_cycle_stops_the_deploy_before_helm_runs() {
    let settings = HelmSettings {
        helm: LegacyHelmDeploy {
            releases: vec![release("a", &["b"]), release("b", &["a"])],
            ..LegacyHelmDeploy::default()
        },
        ..HelmSettings::default()
    };
    let (output, _) = recorded_output();
    let err = HelmDeployer::new(settings)
        .deploy(&[], &output)
        .await
        .unwrap_err();
    assert_eq!(err.code, StatusCode::DeployHelmUserErr);
    assert!(err.message.ends_with("a -> b -> a"), "{}", err.message);
}

#[tokio::test]
async fn a_missing_helm_is_named_with_its_install_link() {
    let settings = HelmSettings {
        helm: LegacyHelmDeploy {
            releases: vec![release("a", &[])],
            ..LegacyHelmDeploy::default()
        },
        env: BTreeMap::from([("PATH".to_string(), "/nonexistent".to_string())]),
        ..HelmSettings::default()
    };
    let deployer = HelmDeployer::new(settings);
    let (output, _) = recorded_output();
    for err in [
        deployer.deploy(&[], &output).await.unwrap_err(),
        deployer.cleanup(&output, false).await.unwrap_err(),
    ] {
        assert_eq!(err.code, StatusCode::DeployHelmVersionErr);
        assert!(err.message.starts_with("Helm not found"), "{}", err.message);
        assert_eq!(err.suggestion.unwrap().0, SuggestionCode::InstallHelm);
    }
}
