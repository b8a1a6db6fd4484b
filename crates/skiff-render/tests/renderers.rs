//! The renderers against the real tools: `helm template`, `kustomize build` / `kubectl
//! kustomize` and `kpt fn render`, over the fixture projects in `tests/fixtures`.
//!
//! helm and kubectl are looked up on the `PATH` (`scripts/test-env env` puts them there). When one
//! is missing the test prints a skip note, except with `CI=true`, where it fails. kpt is not
//! installed by the test environment, so its test is skipped whenever kpt is missing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml_ng::Value;
use skiff_config::model::{ChartSource, FlatMap, Helm, HelmDeployFlags, HelmRelease, Kustomize};
use skiff_proto::enums::StatusCode;
use skiff_render::helm::{HelmOptions, render_helm};
use skiff_render::kpt::render_kpt;
use skiff_render::kustomize::render_kustomize;
use skiff_render::raw_yaml::render_raw_yaml;
use skiff_render::tools::find_on_path;
use skiff_render::{BuiltArtifact, ManifestList};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The process `PATH`, and helm's home directories in `home` so the user's helm setup is not
/// read.
fn tool_env(home: &Path) -> BTreeMap<String, String> {
    let mut env = BTreeMap::from([
        (
            "PATH".to_string(),
            std::env::var("PATH").unwrap_or_default(),
        ),
        ("HOME".to_string(), home.display().to_string()),
    ]);
    for (var, dir) in [
        ("HELM_CACHE_HOME", "cache"),
        ("HELM_CONFIG_HOME", "config"),
        ("HELM_DATA_HOME", "data"),
    ] {
        env.insert(var.to_string(), home.join(dir).display().to_string());
    }
    env
}

/// Whether `tool` can be used; a skip note when not, a failure under `CI=true` when `required`.
fn have(tool: &str, env: &BTreeMap<String, String>, required_in_ci: bool) -> bool {
    if find_on_path(tool, env).is_some() {
        return true;
    }
    if required_in_ci && std::env::var("CI").as_deref() == Ok("true") {
        panic!("{tool} is not on the PATH, and CI=true requires it (run scripts/test-env up)");
    }
    eprintln!("skipping: {tool} is not on the PATH (run `eval \"$(scripts/test-env env)\"`)");
    false
}

fn kinds_and_names(list: &ManifestList) -> Vec<(String, String)> {
    list.docs()
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap_or_default().to_string(),
                d["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

fn find<'a>(list: &'a ManifestList, kind: &str) -> &'a Value {
    list.docs()
        .iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {}", list.to_yaml()))
}

fn web_release() -> HelmRelease {
    let flat = |pairs: &[(&str, &str)]| {
        FlatMap(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    };
    HelmRelease {
        name: "{{.RELEASE}}".into(),
        chart: Some(ChartSource::ChartPath("web".into())),
        values_files: vec!["values-prod.yaml".into()],
        set_values: flat(&[("color", "blue")]),
        set_value_templates: flat(&[
            ("image.repository", "{{.IMAGE_REPO_skiff_web}}"),
            ("image.tag", "{{.IMAGE_TAG_skiff_web}}"),
        ]),
        set_files: BTreeMap::from([("motd".to_string(), "motd.txt".to_string())]),
        namespace: "apps".into(),
        ..HelmRelease::default()
    }
}

#[tokio::test]
async fn helm_template_renders_a_release_with_values_from_every_source() {
    let home = tempfile::tempdir().unwrap();
    let mut env = tool_env(home.path());
    if !have("helm", &env, true) {
        return;
    }
    env.insert("RELEASE".into(), "shop".into());
    let helm = Helm {
        flags: HelmDeployFlags::default(),
        releases: vec![web_release()],
    };
    let artifacts = [BuiltArtifact {
        image_name: "skiff-web".into(),
        tag: "localhost:5000/skiff-web:v1".into(),
    }];
    let list = render_helm(
        &helm,
        &fixture("helm"),
        &artifacts,
        &env,
        &HelmOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        kinds_and_names(&list),
        [
            ("ConfigMap".to_string(), "shop-config".to_string()),
            ("Deployment".to_string(), "shop".to_string()),
        ]
    );
    let deployment = find(&list, "Deployment");
    assert_eq!(
        deployment["spec"]["template"]["spec"]["containers"][0]["image"],
        "localhost:5000/skiff-web:v1"
    );
    assert_eq!(deployment["spec"]["replicas"], 3, "from valuesFiles");
    assert_eq!(deployment["metadata"]["namespace"], "apps");
    let data = &find(&list, "ConfigMap")["data"];
    assert_eq!(data["greeting"], "hi from the values file");
    assert_eq!(data["color"], "blue", "from setValues");
    assert_eq!(data["motd"], "welcome aboard", "from setFiles");
}

#[tokio::test]
async fn the_command_line_namespace_wins_over_the_release_namespace() {
    let home = tempfile::tempdir().unwrap();
    let mut env = tool_env(home.path());
    if !have("helm", &env, true) {
        return;
    }
    env.insert("RELEASE".into(), "shop".into());
    let helm = Helm {
        flags: HelmDeployFlags::default(),
        releases: vec![web_release()],
    };
    let artifacts = [BuiltArtifact {
        image_name: "skiff-web".into(),
        tag: "skiff-web:v2".into(),
    }];
    let options = HelmOptions {
        namespace: "override".into(),
        ..HelmOptions::default()
    };
    let list = render_helm(&helm, &fixture("helm"), &artifacts, &env, &options)
        .await
        .unwrap();
    assert_eq!(
        find(&list, "Deployment")["metadata"]["namespace"],
        "override"
    );
}

#[tokio::test]
async fn a_helm_failure_shows_helms_message() {
    let home = tempfile::tempdir().unwrap();
    let mut env = tool_env(home.path());
    if !have("helm", &env, true) {
        return;
    }
    env.insert("RELEASE".into(), "shop".into());
    let mut release = web_release();
    release.set_value_templates = FlatMap::default();
    let helm = Helm {
        flags: HelmDeployFlags::default(),
        releases: vec![release],
    };
    let err = render_helm(&helm, &fixture("helm"), &[], &env, &HelmOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code, StatusCode::DeployHelmUserErr);
    assert!(
        err.message.contains("image.repository is required"),
        "{}",
        err.message
    );
    assert!(err.message.contains("\"shop\""), "{}", err.message);
}

#[tokio::test]
async fn a_missing_helm_binary_is_named() {
    let home = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let mut env = tool_env(home.path());
    env.insert("PATH".into(), empty.path().display().to_string());
    let helm = Helm {
        flags: HelmDeployFlags::default(),
        releases: vec![web_release()],
    };
    let err = render_helm(&helm, &fixture("helm"), &[], &env, &HelmOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code, StatusCode::DeployHelmVersionErr);
    assert!(err.message.contains("Helm not found"), "{}", err.message);
    let (_, action) = err.suggestion.expect("an install suggestion");
    assert!(
        action.contains("https://helm.sh/docs/intro/install"),
        "{action}"
    );
}

#[tokio::test]
async fn kustomize_builds_an_overlay_with_an_image_override() {
    let home = tempfile::tempdir().unwrap();
    let env = tool_env(home.path());
    if !have("kubectl", &env, true) {
        return;
    }
    let kustomize = Kustomize {
        paths: vec!["overlays/dev".into()],
        build_args: vec![],
    };
    let list = render_kustomize(&kustomize, &fixture("kustomize"), &env)
        .await
        .unwrap();
    assert_eq!(
        kinds_and_names(&list),
        [("Deployment".to_string(), "dev-app".to_string())]
    );
    assert_eq!(
        list.docs()[0]["spec"]["template"]["spec"]["containers"][0]["image"],
        "localhost:5000/skiff-app:dev"
    );
}

#[tokio::test]
async fn kubectl_kustomize_is_used_when_there_is_no_kustomize_binary() {
    let home = tempfile::tempdir().unwrap();
    let env = tool_env(home.path());
    if !have("kubectl", &env, true) {
        return;
    }
    // A PATH with kubectl and nothing else.
    let bin = tempfile::tempdir().unwrap();
    let kubectl = find_on_path("kubectl", &env).unwrap();
    std::os::unix::fs::symlink(&kubectl, bin.path().join("kubectl")).unwrap();
    let mut env = env;
    env.insert("PATH".into(), bin.path().display().to_string());
    let kustomize = Kustomize {
        paths: vec!["{{.OVERLAY}}".into(), "base".into()],
        build_args: vec![],
    };
    env.insert("OVERLAY".into(), "overlays/dev".into());
    let list = render_kustomize(&kustomize, &fixture("kustomize"), &env)
        .await
        .unwrap();
    assert_eq!(
        kinds_and_names(&list),
        [
            ("Deployment".to_string(), "dev-app".to_string()),
            ("Deployment".to_string(), "app".to_string()),
        ]
    );
    assert_eq!(
        list.docs()[1]["spec"]["template"]["spec"]["containers"][0]["image"],
        "skiff-app"
    );
}

#[tokio::test]
async fn a_kustomize_failure_shows_the_tools_message() {
    let home = tempfile::tempdir().unwrap();
    let env = tool_env(home.path());
    if !have("kubectl", &env, true) {
        return;
    }
    let kustomize = Kustomize {
        paths: vec!["no-such-overlay".into()],
        build_args: vec![],
    };
    let err = render_kustomize(&kustomize, &fixture("kustomize"), &env)
        .await
        .unwrap_err();
    assert_eq!(err.code, StatusCode::DeployKustomizeUserErr);
    assert!(err.message.contains("no-such-overlay"), "{}", err.message);
}

#[tokio::test]
async fn raw_yaml_globs_read_multi_document_files() {
    let env = BTreeMap::new();
    let list = render_raw_yaml(&["k8s/*".into()], &[], &fixture("raw"), &env, true)
        .await
        .unwrap();
    assert_eq!(
        kinds_and_names(&list),
        [
            ("Service".to_string(), "web".to_string()),
            ("Deployment".to_string(), "web".to_string()),
            ("ConfigMap".to_string(), "web-config".to_string()),
            ("Secret".to_string(), "web-secret".to_string()),
        ]
    );
}

#[tokio::test]
async fn a_yaml_syntax_error_names_the_file_and_line() {
    let env = BTreeMap::new();
    let err = render_raw_yaml(&["app.yaml".into()], &[], &fixture("broken"), &env, false)
        .await
        .unwrap_err();
    let file = fixture("broken").join("app.yaml");
    assert!(
        err.message.contains(&format!("{}:10:", file.display())),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn kpt_renders_a_package_without_its_kptfile_and_local_config() {
    let home = tempfile::tempdir().unwrap();
    let env = tool_env(home.path());
    if !have("kpt", &env, false) {
        return;
    }
    let list = render_kpt(&["pkg".into()], &fixture("kpt"), &env)
        .await
        .unwrap();
    assert_eq!(
        kinds_and_names(&list),
        [("ConfigMap".to_string(), "from-kpt".to_string())]
    );
}
