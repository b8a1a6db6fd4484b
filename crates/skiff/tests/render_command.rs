//! End-to-end tests of `skiff render`: each renderer's project under `testdata/render-*`
//! rendered by the `skiff` binary and compared with the project's committed `expected.yaml`
//! (written once with `SKIFF_UPDATE_GOLDEN=1` and reviewed by reading it), plus the errors a
//! user sees.
//!
//! The renders use `--digest-source=tag` with a fixed `-t`, so nothing is built and no engine
//! is needed; helm, kubectl (kustomize) and kpt are looked up on the `PATH` (`scripts/test-env
//! env` puts them there). A missing tool skips its test with a note, and fails it under
//! `CI=true`.

use std::path::{Path, PathBuf};
use std::process::Output;

use skiff_testenv::{code, run_isolated, stderr, stdout, test_tool};

/// The repository's `testdata/<name>`.
fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}

fn skiff(dir: &Path, args: &[&str]) -> Output {
    run_isolated(env!("CARGO_BIN_EXE_skiff"), dir, args, &[])
}

/// Renders `testdata/<project>` with `args` and compares the output with its `expected.yaml`;
/// with `SKIFF_UPDATE_GOLDEN=1`, writes that file instead.
fn assert_renders_as_expected(project: &str, args: &[&str]) {
    let dir = testdata(project);
    let mut all = vec!["render", "--digest-source=tag", "-t", "golden"];
    all.extend_from_slice(args);
    let out = skiff(&dir, &all);
    assert_eq!(
        code(&out),
        0,
        "skiff {all:?} in {project} failed:\n{}",
        stderr(&out)
    );
    let expected_file = dir.join("expected.yaml");
    let rendered = stdout(&out);
    if std::env::var_os("SKIFF_UPDATE_GOLDEN").is_some() {
        std::fs::write(&expected_file, &rendered).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&expected_file)
        .unwrap_or_else(|e| panic!("reading {}: {e}", expected_file.display()));
    assert!(
        rendered == expected,
        "skiff {all:?} in {project} rendered something else than expected.yaml:\n{rendered}"
    );
}

#[test]
fn raw_yaml_with_every_workload_kind_a_crd_labels_and_a_namespace() {
    assert_renders_as_expected("render-raw-yaml", &["-l", "team=shop", "-n", "staging"]);
}

#[test]
fn a_kustomize_overlay_that_points_an_image_at_an_artifact() {
    if test_tool("kubectl").is_some() {
        assert_renders_as_expected("render-kustomize", &["-l", "team=shop"]);
    }
}

#[test]
fn a_helm_chart_with_set_value_templates() {
    if test_tool("helm").is_some() {
        assert_renders_as_expected("render-helm", &["-l", "team=shop"]);
    }
}

#[test]
fn a_kpt_package() {
    if test_tool("kpt").is_some() {
        assert_renders_as_expected("render-kpt", &["-l", "team=shop"]);
    }
}

#[test]
fn offline_injects_no_namespace_and_o_writes_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.yaml");
    let out = skiff(
        &testdata("render-raw-yaml"),
        &[
            "render",
            "--digest-source=tag",
            "-t",
            "golden",
            "-n",
            "staging",
            "--offline",
            "-o",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "-o leaves standard output empty");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("image: example.com/team/web:golden"));
    assert!(!written.contains("namespace: staging"), "{written}");
}

#[test]
fn digest_source_none_keeps_the_manifests_images() {
    let out = skiff(
        &testdata("render-raw-yaml"),
        &["render", "--digest-source=none"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("--digest-source set to 'none', tags listed in Kubernetes manifests will be used for render\n"),
        "{text}"
    );
    assert!(
        text.contains("image: example.com/team/web:latest"),
        "{text}"
    );
    assert!(!text.contains(":golden"), "{text}");
}

#[test]
fn images_flag_names_the_images_without_a_build() {
    let out = skiff(
        &testdata("render-raw-yaml"),
        &[
            "render",
            "-i",
            "worker=registry.local/worker:7,example.com/team/web:v2",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("image: registry.local/worker:7"), "{text}");
    assert!(text.contains("image: example.com/team/web:v2"), "{text}");
    assert!(!text.contains("web:latest"), "{text}");
}

#[test]
fn a_yaml_syntax_error_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("k8s")).unwrap();
    std::fs::write(
        dir.path().join("skaffold.yaml"),
        "apiVersion: skaffold/v4beta14\nkind: Config\nmanifests:\n  rawYaml: [k8s/*.yaml]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("k8s/app.yaml"),
        "apiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: [oops\n",
    )
    .unwrap();
    let out = skiff(dir.path(), &["render", "--digest-source=none"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let err = stderr(&out);
    let file = std::path::absolute(dir.path().join("k8s/app.yaml")).unwrap();
    assert!(
        err.contains(&format!("{}:8:", file.display())),
        "the error names the file and line 8:\n{err}"
    );
}

/// Corpus configs that cannot render here for a reason other than a missing file or a config
/// that does not load (`docs/compat/config-corpus.md` lists those), and why.
const CORPUS_EXCEPTIONS: &[(&str, &str)] = &[
    (
        "examples/helm-remote-repo/skaffold.yaml",
        "its chart comes from a remote helm repository: not reachable offline",
    ),
    (
        "integration/testdata/kustomize/remote/skaffold.yaml",
        "its kustomization is a remote git URL: not reachable offline",
    ),
    (
        "integration/testdata/gke_loadbalancer/skaffold.yaml",
        "its release name needs the TEST_NS variable",
    ),
    (
        "integration/testdata/helm/skaffold.yaml",
        "its release name needs the TEST_NS variable",
    ),
    (
        "integration/testdata/diagnose/not-all-envs-set/skaffold.yaml",
        "it tests unset template variables (an OCI chart named by them)",
    ),
];

/// What a failure that names a missing manifest, chart or kustomization says.
const MISSING_FILE: &[&str] = &[
    "referenced in skaffold config could not be found",
    "Error: could not find ",
    "not a valid directory",
    "unable to find one of 'kustomization.yaml'",
    "\" not found",
];

#[test]
fn corpus_configs_render_or_name_the_missing_file() {
    let Some(corpus) = skiff_testenv::reference_path("skaffold-configs") else {
        return;
    };
    if !(test_tool("helm").is_some() && test_tool("kubectl").is_some()) {
        return;
    }
    let mut checked = 0;
    for file in skiff_testenv::files_under(&corpus) {
        let text = std::fs::read_to_string(&file).unwrap();
        if !["rawYaml", "kustomize", "helm", "kpt", "manifests"]
            .iter()
            .any(|key| text.contains(key))
        {
            continue;
        }
        let relative = file.strip_prefix(&corpus).unwrap().to_string_lossy();
        let name = file.file_name().unwrap().to_str().unwrap();
        let out = skiff(
            file.parent().unwrap(),
            &["render", "--digest-source=none", "--offline", "-f", name],
        );
        checked += 1;
        let err = stderr(&out);
        let exception = CORPUS_EXCEPTIONS.iter().find(|(f, _)| *f == relative);
        // A config error other than a missing manifest (`file:line:col: field: …`).
        let config_error = err.starts_with(&format!("{name}:")) && !err.contains("Manifest file");
        match (code(&out), exception) {
            (0, None) => {}
            (0, Some((_, why))) => panic!("{relative} rendered, but is listed as failing: {why}"),
            (_, Some(_)) => {}
            (_, None) if config_error => {}
            (_, None) => assert!(
                MISSING_FILE.iter().any(|m| err.contains(m)),
                "{relative} failed without naming a missing file:\n{err}"
            ),
        }
    }
    assert!(checked > 50, "only {checked} corpus configs have manifests");
}
