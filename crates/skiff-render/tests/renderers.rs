//! The renderers against the real tools: `helm template`, `kustomize build` / `kubectl
//! kustomize` and `kpt fn render`, over the fixture projects in `tests/fixtures`.
//!
//! helm and kubectl are looked up on the `PATH` (`scripts/test-env env` puts them there). When one
//! is missing the test prints a skip note, except with `CI=true`, where it fails. kpt is not
//! installed by the test environment, so its test is skipped whenever kpt is missing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml_ng::Value;
use skiff_config::model::{ChartSource, FlatMap, Helm, HelmRelease, Kustomize};
use skiff_proto::enums::StatusCode;
use skiff_render::helm::{HelmOptions, render_helm};
use skiff_render::kpt::render_kpt;
use skiff_render::kustomize::render_kustomize;
use skiff_render::raw_yaml::render_raw_yaml;
use skiff_render::tools::find_on_path;
use skiff_render::{BuiltArtifact, ManifestList, RenderError};
use tempfile::TempDir;

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

/// A fresh home and the [`tool_env`] over it, or `None` (after [`have`]'s note) when `tool`
/// cannot be used. Keep the home alive for the test.
fn env_with(tool: &str, required_in_ci: bool) -> Option<(TempDir, BTreeMap<String, String>)> {
    let home = tempfile::tempdir().unwrap();
    let env = tool_env(home.path());
    have(tool, &env, required_in_ci).then_some((home, env))
}

/// [`env_with`] helm, and `RELEASE=shop` for [`web_release`]'s name template.
fn helm_env() -> Option<(TempDir, BTreeMap<String, String>)> {
    let (home, mut env) = env_with("helm", true)?;
    env.insert("RELEASE".into(), "shop".into());
    Some((home, env))
}

/// Asserts the `(kind, metadata.name)` of each document of `list`, in order.
#[track_caller]
fn assert_kinds(list: &ManifestList, expected: &[(&str, &str)]) {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let actual: Vec<(String, String)> = list
        .docs()
        .iter()
        .map(|d| (text(&d["kind"]), text(&d["metadata"]["name"])))
        .collect();
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(kind, name)| (kind.to_string(), name.to_string()))
        .collect();
    assert_eq!(actual, expected);
}

/// Asserts that `text` contains `part`, showing `text` when not.
#[track_caller]
fn assert_contains(text: &str, part: &str) {
    assert!(text.contains(part), "{part:?} is not in {text:?}");
}

fn find<'a>(list: &'a ManifestList, kind: &str) -> &'a Value {
    list.docs()
        .iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {}", list.to_yaml()))
}

/// The image of the first container of a workload's pod template.
fn first_image(workload: &Value) -> &Value {
    &workload["spec"]["template"]["spec"]["containers"][0]["image"]
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

/// `helm template` of `release` alone, from the `helm` fixture.
async fn render_release(
    release: HelmRelease,
    artifacts: &[BuiltArtifact],
    env: &BTreeMap<String, String>,
    options: &HelmOptions,
) -> Result<ManifestList, RenderError> {
    let helm = Helm {
        releases: vec![release],
        ..Helm::default()
    };
    render_helm(&helm, &fixture("helm"), artifacts, env, options).await
}

/// `kustomize build` of `paths` in the `kustomize` fixture.
async fn render_overlays(
    paths: &[&str],
    env: &BTreeMap<String, String>,
) -> Result<ManifestList, RenderError> {
    let kustomize = Kustomize {
        paths: paths.iter().map(|p| p.to_string()).collect(),
        build_args: vec![],
    };
    render_kustomize(&kustomize, &fixture("kustomize"), env).await
}

#[tokio::test]
async fn helm_template_renders_a_release_with_values_from_every_source() {
    let Some((_home, env)) = helm_env() else {
        return;
    };
    let artifacts = [BuiltArtifact::new(
        "skiff-web",
        "localhost:5000/skiff-web:v1",
    )];
    let list = render_release(web_release(), &artifacts, &env, &HelmOptions::default())
        .await
        .unwrap();
    assert_kinds(
        &list,
        &[("ConfigMap", "shop-config"), ("Deployment", "shop")],
    );
    let deployment = find(&list, "Deployment");
    assert_eq!(first_image(deployment), "localhost:5000/skiff-web:v1");
    assert_eq!(deployment["spec"]["replicas"], 3, "from valuesFiles");
    assert_eq!(deployment["metadata"]["namespace"], "apps");
    let data = &find(&list, "ConfigMap")["data"];
    assert_eq!(data["greeting"], "hi from the values file");
    assert_eq!(data["color"], "blue", "from setValues");
    assert_eq!(data["motd"], "welcome aboard", "from setFiles");
}

#[tokio::test]
async fn the_command_line_namespace_wins_over_the_release_namespace() {
    let Some((_home, env)) = helm_env() else {
        return;
    };
    let artifacts = [BuiltArtifact::new("skiff-web", "skiff-web:v2")];
    let options = HelmOptions {
        namespace: "override".into(),
        ..HelmOptions::default()
    };
    let list = render_release(web_release(), &artifacts, &env, &options)
        .await
        .unwrap();
    assert_eq!(
        find(&list, "Deployment")["metadata"]["namespace"],
        "override"
    );
}

#[tokio::test]
async fn a_helm_failure_shows_helms_message() {
    let Some((_home, env)) = helm_env() else {
        return;
    };
    let mut release = web_release();
    release.set_value_templates = FlatMap::default();
    let err = render_release(release, &[], &env, &HelmOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code, StatusCode::DeployHelmUserErr);
    assert_contains(&err.message, "image.repository is required");
    assert_contains(&err.message, "\"shop\"");
}

#[tokio::test]
async fn a_missing_helm_binary_is_named() {
    let home = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let mut env = tool_env(home.path());
    env.insert("PATH".into(), empty.path().display().to_string());
    let err = render_release(web_release(), &[], &env, &HelmOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code, StatusCode::DeployHelmVersionErr);
    assert_contains(&err.message, "Helm not found");
    let (_, action) = err.suggestion.expect("an install suggestion");
    assert_contains(&action, "https://helm.sh/docs/intro/install");
}

#[tokio::test]
async fn kustomize_builds_an_overlay_with_an_image_override() {
    let Some((_home, env)) = env_with("kubectl", true) else {
        return;
    };
    let list = render_overlays(&["overlays/dev"], &env).await.unwrap();
    assert_kinds(&list, &[("Deployment", "dev-app")]);
    assert_eq!(first_image(&list.docs()[0]), "localhost:5000/skiff-app:dev");
}

#[tokio::test]
async fn kubectl_kustomize_is_used_when_there_is_no_kustomize_binary() {
    let Some((_home, mut env)) = env_with("kubectl", true) else {
        return;
    };
    // A PATH with kubectl and nothing else.
    let bin = tempfile::tempdir().unwrap();
    let kubectl = find_on_path("kubectl", &env).unwrap();
    std::os::unix::fs::symlink(&kubectl, bin.path().join("kubectl")).unwrap();
    env.insert("PATH".into(), bin.path().display().to_string());
    env.insert("OVERLAY".into(), "overlays/dev".into());
    let list = render_overlays(&["{{.OVERLAY}}", "base"], &env)
        .await
        .unwrap();
    assert_kinds(&list, &[("Deployment", "dev-app"), ("Deployment", "app")]);
    assert_eq!(first_image(&list.docs()[1]), "skiff-app");
}

#[tokio::test]
async fn a_kustomize_failure_shows_the_tools_message() {
    let Some((_home, env)) = env_with("kubectl", true) else {
        return;
    };
    let err = render_overlays(&["no-such-overlay"], &env)
        .await
        .unwrap_err();
    assert_eq!(err.code, StatusCode::DeployKustomizeUserErr);
    assert_contains(&err.message, "no-such-overlay");
}

/// The rawYaml renderer over `pattern` in the fixture `name`, offline, with no environment.
async fn render_files(pattern: &str, name: &str) -> Result<ManifestList, RenderError> {
    let patterns = [pattern.to_string()];
    render_raw_yaml(&patterns, &[], &fixture(name), &BTreeMap::new(), true).await
}

#[tokio::test]
async fn raw_yaml_globs_read_multi_document_files() {
    let list = render_files("k8s/*", "raw").await.unwrap();
    assert_kinds(
        &list,
        &[
            ("Service", "web"),
            ("Deployment", "web"),
            ("ConfigMap", "web-config"),
            ("Secret", "web-secret"),
        ],
    );
}

#[tokio::test]
async fn a_yaml_syntax_error_names_the_file_and_line() {
    let err = render_files("app.yaml", "broken").await.unwrap_err();
    let file = fixture("broken").join("app.yaml");
    assert_contains(&err.message, &format!("{}:10:", file.display()));
}

#[tokio::test]
async fn kpt_renders_a_package_without_its_kptfile_and_local_config() {
    let Some((_home, env)) = env_with("kpt", false) else {
        return;
    };
    let list = render_kpt(&["pkg".into()], &fixture("kpt"), &env)
        .await
        .unwrap();
    assert_kinds(&list, &[("ConfigMap", "from-kpt")]);
}
