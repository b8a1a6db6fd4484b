//! End-to-end tests of the config commands: `skiff fix`, `skiff schema`, `skiff diagnose` and
//! `skiff inspect …`, run as a process on projects in temporary directories and on the shared
//! corpus of Skaffold's example configs.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};
use skiff_testenv::{code, files_under, reference_path, run_isolated, stderr, stdout};

/// A `skiff` process in `dir` with no `SKAFFOLD_*` variable inherited from the test's
/// environment.
fn skiff(dir: &Path, args: &[&str]) -> Output {
    skiff_env(dir, args, &[])
}

fn skiff_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    run_isolated(env!("CARGO_BIN_EXE_skiff"), dir, args, env)
}

/// Runs skiff and expects success, returning stdout.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = skiff(dir, args);
    assert_eq!(
        code(&out),
        0,
        "skiff {args:?} failed:\n{}\n{}",
        stderr(&out),
        stdout(&out)
    );
    stdout(&out)
}

/// A temporary project with the given files.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, content) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

/// The directory's path as skiff prints it (absolute, symlinks such as macOS's /tmp kept).
fn abs(dir: &Path, file: &str) -> String {
    std::path::absolute(dir.join(file))
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

const LATEST: &str = "skaffold/v4beta14";

/// An old-style config: v2beta10 with kubectl manifests and a kustomize-free deploy.
const OLD_CONFIG: &str = "\
apiVersion: skaffold/v2beta10
kind: Config
metadata:
  name: shop
build:
  artifacts:
  - image: shop-web
    context: web
    docker:
      dockerfile: Dockerfile.dev
deploy:
  kubectl:
    manifests:
    - k8s/*.yaml
profiles:
- name: ci
  build:
    tagPolicy:
      sha256: {}
";

const APP_CONFIG: &str = "\
apiVersion: skaffold/v4beta14
kind: Config
metadata:
  name: app
build:
  artifacts:
  - image: app
    context: app
    sync:
      infer:
      - '**/*.js'
manifests:
  rawYaml:
  - k8s/*.yaml
profiles:
- name: gcb
  build:
    googleCloudBuild:
      projectId: my-project
- name: incluster
  build:
    cluster: {}
- name: dev
  activation:
  - command: dev
";

const APP_DOCKERFILE: &str =
    "FROM node:20\nCOPY package.json index.js /srv/\nCMD [\"node\", \"/srv/index.js\"]\n";

fn app_project() -> tempfile::TempDir {
    project(&[
        ("skaffold.yaml", APP_CONFIG),
        ("app/Dockerfile", APP_DOCKERFILE),
        ("app/package.json", "{}\n"),
        ("app/index.js", "console.log('hi')\n"),
        ("k8s/pod.yaml", "apiVersion: v1\nkind: Pod\n"),
    ])
}

// ---------------------------------------------------------------------------------------------
// schema

#[test]
fn schema_list_prints_every_version_oldest_first() {
    let dir = project(&[]);
    let plain = ok(dir.path(), &["schema", "list"]);
    let lines: Vec<&str> = plain.lines().collect();
    assert_eq!(lines.first(), Some(&"skaffold/v1alpha1"));
    assert_eq!(lines.get(1), Some(&"skaffold/v1alpha2"));
    assert_eq!(lines.last(), Some(&LATEST));
    assert!(lines.contains(&"skaffold/v1"));
    assert!(lines.contains(&"skaffold/v2beta29"));

    let json = ok(dir.path(), &["schema", "list", "-o", "json"]);
    assert!(
        json.starts_with(r#"{"versions":["skaffold/v1alpha1","skaffold/v1alpha2","#),
        "{json}"
    );
    assert!(json.ends_with(&format!(",\"{LATEST}\"]}}\n")), "{json}");
    let parsed = json_of(&json);
    assert_eq!(parsed["versions"].as_array().unwrap().len(), lines.len());
}

#[test]
fn schema_list_rejects_unknown_output_types() {
    let dir = project(&[]);
    let out = skiff(dir.path(), &["schema", "list", "--output", "yaml"]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains(r#"invalid output type: "yaml". Must be "plain" or "json""#),
        "{}",
        stderr(&out)
    );
}

#[test]
fn schema_get_prints_the_generated_schema_of_the_latest_version() {
    let dir = project(&[]);
    let text = ok(dir.path(), &["schema", "get", LATEST]);
    assert!(
        text.starts_with("{\n  \"$schema\": \"http://json-schema.org/draft-07/schema#\",\n"),
        "not 2-space indented with $schema first: {text:.80}"
    );
    assert!(text.ends_with("}\n"), "no final newline");
    let schema = json_of(&text);
    assert!(schema["$schema"].is_string(), "no $schema");
    assert_eq!(schema["additionalProperties"], json!(false));
    let props = schema["properties"].as_object().expect("properties");
    for key in [
        "apiVersion",
        "kind",
        "metadata",
        "requires",
        "build",
        "test",
        "manifests",
        "deploy",
        "portForward",
        "resourceSelector",
        "verify",
        "customActions",
        "profiles",
    ] {
        assert!(props.contains_key(key), "no top-level property {key}");
    }
    assert_eq!(
        schema["required"],
        json!(["apiVersion", "kind"]),
        "required top-level keys"
    );
}

#[test]
fn schema_get_rejects_older_and_unknown_versions() {
    let dir = project(&[]);
    let out = skiff(dir.path(), &["schema", "get", "skaffold/v2beta29"]);
    assert_eq!(code(&out), 1);
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert!(
        err.contains(
            "skiff generates the schema of the latest version only (skaffold/v4beta14); \
             `skiff fix` upgrades a config to it"
        ),
        "{err}"
    );

    let out = skiff(dir.path(), &["schema", "get", "skaffold/v9"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains(r#"schema "skaffold/v9" not found"#));
}

// ---------------------------------------------------------------------------------------------
// fix

#[test]
fn fix_prints_the_latest_version_that_diagnose_accepts() {
    let dir = project(&[("skaffold.yaml", OLD_CONFIG)]);
    let fixed = ok(dir.path(), &["fix"]);
    assert!(
        fixed.starts_with(&format!("apiVersion: {LATEST}\n")),
        "{fixed}"
    );
    // kubectl manifests move to the renderer in v3.
    assert!(fixed.contains("rawYaml:"), "{fixed}");
    assert!(!fixed.contains("manifests:\n    -"), "{fixed}");
    // The file is unchanged.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("skaffold.yaml")).unwrap(),
        OLD_CONFIG
    );

    std::fs::write(dir.path().join("fixed.yaml"), &fixed).unwrap();
    let effective = ok(dir.path(), &["diagnose", "--yaml-only", "-f", "fixed.yaml"]);
    assert!(effective.contains("image: shop-web"), "{effective}");
    // Fixing the fixed file changes nothing.
    let again = ok(dir.path(), &["fix", "-f", "fixed.yaml"]);
    assert_eq!(again, format!("config is already version {LATEST}\n"));
}

#[test]
fn fix_to_an_older_version() {
    let dir = project(&[("skaffold.yaml", OLD_CONFIG)]);
    let fixed = ok(dir.path(), &["fix", "--version", "skaffold/v2beta20"]);
    assert!(fixed.contains("apiVersion: skaffold/v2beta20"), "{fixed}");
    assert!(fixed.contains("kubectl:"), "{fixed}");

    let out = skiff(dir.path(), &["fix", "--version", "skaffold/v1"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("more recent"), "{}", stderr(&out));

    let out = skiff(dir.path(), &["fix", "--version", "skaffold/v99"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("skaffold/v99"), "{}", stderr(&out));
}

#[test]
fn fix_overwrite_keeps_a_backup() {
    let dir = project(&[("skaffold.yaml", OLD_CONFIG)]);
    let out = ok(dir.path(), &["fix", "--overwrite"]);
    assert!(
        out.contains("Backed up previous skaffold.yaml at skaffold.yaml.v2"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "New config at version {LATEST} generated and written to skaffold.yaml"
        )),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("skaffold.yaml.v2")).unwrap(),
        OLD_CONFIG
    );
    let written = std::fs::read_to_string(dir.path().join("skaffold.yaml")).unwrap();
    assert!(
        written.starts_with(&format!("apiVersion: {LATEST}\n")),
        "{written}"
    );
    assert_eq!(
        ok(dir.path(), &["fix"]),
        format!("config is already version {LATEST}\n")
    );
}

#[test]
fn fix_output_writes_another_file() {
    let dir = project(&[("skaffold.yaml", OLD_CONFIG)]);
    let out = ok(dir.path(), &["fix", "--output", "new.yaml"]);
    assert_eq!(
        out,
        format!("New config at version {LATEST} generated and written to new.yaml\n")
    );
    let written = std::fs::read_to_string(dir.path().join("new.yaml")).unwrap();
    assert!(written.contains("image: shop-web"));
    assert!(!dir.path().join("skaffold.yaml.v2").exists());

    let out = skiff(dir.path(), &["fix", "--overwrite", "--output=ignored"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("cannot be used together"));
}

#[test]
fn fix_reports_broken_yaml_with_its_position() {
    let dir = project(&[(
        "skaffold.yaml",
        "apiVersion: skaffold/v2beta10\nkind: Config\nbuild:\n  artifacts:\n  - image: a\n   context: .\n",
    )]);
    let out = skiff(dir.path(), &["fix"]);
    assert_eq!(code(&out), 1);
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert!(err.starts_with("skaffold.yaml:6:"), "{err}");

    let out = skiff(dir.path(), &["fix", "-f", "missing.yaml"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("missing.yaml"), "{}", stderr(&out));
}

#[test]
fn fix_reports_unknown_fields_of_old_versions() {
    let dir = project(&[(
        "skaffold.yaml",
        "apiVersion: skaffold/v2beta10\nkind: Config\nbuild:\n  artifacts:\n  - image: a\n    contxt: .\n",
    )]);
    let out = skiff(dir.path(), &["fix"]);
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert!(err.starts_with("skaffold.yaml:6:5:"), "{err}");
    assert!(err.contains("contxt"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// diagnose

#[test]
fn diagnose_yaml_only_round_trips() {
    let dir = app_project();
    let first = ok(dir.path(), &["diagnose", "--yaml-only"]);
    // Paths are absolute, defaults applied, profiles applied and dropped.
    assert!(
        first.contains(&format!("context: {}", abs(dir.path(), "app"))),
        "{first}"
    );
    assert!(first.contains(&abs(dir.path(), "k8s/*.yaml")), "{first}");
    assert!(first.contains("dockerfile: Dockerfile"), "{first}");
    assert!(first.contains("gitCommit: {}"), "{first}");
    assert!(!first.contains("profiles:"), "{first}");

    std::fs::write(dir.path().join("effective.yaml"), &first).unwrap();
    let elsewhere = project(&[]);
    let effective = dir.path().join("effective.yaml");
    let second = ok(
        elsewhere.path(),
        &["diagnose", "--yaml-only", "-f", effective.to_str().unwrap()],
    );
    assert_eq!(first, second);
}

#[test]
fn diagnose_applies_profiles_and_writes_output_files() {
    let dir = app_project();
    let gcb = ok(dir.path(), &["diagnose", "--yaml-only", "-p", "gcb"]);
    assert!(gcb.contains("googleCloudBuild:"), "{gcb}");
    assert!(gcb.contains("projectId: my-project"), "{gcb}");

    ok(
        dir.path(),
        &[
            "diagnose",
            "--yaml-only",
            "--profile=incluster",
            "-o",
            "out.yaml",
        ],
    );
    let written = std::fs::read_to_string(dir.path().join("out.yaml")).unwrap();
    assert!(written.contains("cluster:"), "{written}");

    let out = skiff(dir.path(), &["diagnose", "--yaml-only", "-p", "nope"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("nope"), "{}", stderr(&out));
}

#[test]
fn diagnose_reports_each_artifact() {
    let dir = app_project();
    let out = ok(dir.path(), &["diagnose"]);
    assert!(out.starts_with("Skaffold version: skiff v"), "{out}");
    assert!(
        out.contains(&format!("Configuration version: {LATEST}\n")),
        "{out}"
    );
    assert!(out.contains("Number of artifacts: 1\n"), "{out}");
    assert!(out.contains("\nDocker artifact: app\n"), "{out}");
    assert!(out.contains(" - Size of the context: "), "{out}");
    // Dockerfile, package.json and index.js.
    assert!(out.contains(" - Dependencies: 3 files\n"), "{out}");
    assert!(out.contains(" - Time to list dependencies: "), "{out}");
    assert!(out.contains(" - Sync: infer [**/*.js]\n"), "{out}");
    assert!(out.contains(" - Time to construct sync map: "), "{out}");
    assert!(
        out.contains(" - Time to compute mTimes on dependencies: "),
        "{out}"
    );
    let (report, yaml) = out
        .split_once("\nConfiguration\n")
        .expect("Configuration header");
    assert!(!report.contains("apiVersion"), "{report}");
    assert!(
        yaml.starts_with(&format!("apiVersion: {LATEST}\n")),
        "{yaml}"
    );
}

#[test]
fn diagnose_reports_broken_yaml_with_its_position() {
    let dir = project(&[(
        "skaffold.yaml",
        "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts: [\n",
    )]);
    let out = skiff(dir.path(), &["diagnose", "--yaml-only"]);
    assert_eq!(code(&out), 1);
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert!(err.starts_with("skaffold.yaml:"), "{err}");
    let position = err.split(':').nth(1).unwrap();
    assert!(position.parse::<u32>().is_ok(), "{err}");
}

#[test]
fn diagnose_enable_templating_expands_templated_fields() {
    let dir = project(&[(
        "skaffold.yaml",
        "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n  - image: a\n    docker:\n      buildArgs:\n        key: '{{.SKIFF_TEST_VALUE}}'\ndeploy:\n  kubectl:\n    defaultNamespace: '{{.SKIFF_TEST_VALUE}}-ns'\n",
    )]);
    let args = ["diagnose", "--yaml-only", "--enable-templating"];
    let out = skiff_env(dir.path(), &args, &[("SKIFF_TEST_VALUE", "abc")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("key: abc"), "{text}");
    assert!(text.contains("defaultNamespace: abc-ns"), "{text}");

    // Without the variable, the templates stay as written.
    let out = skiff_env(dir.path(), &args, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("key: '{{.SKIFF_TEST_VALUE}}'"),
        "{}",
        stdout(&out)
    );
    let raw = ok(dir.path(), &["diagnose", "--yaml-only"]);
    assert!(raw.contains("{{.SKIFF_TEST_VALUE}}"), "{raw}");
}

// ---------------------------------------------------------------------------------------------
// inspect

const MODULES_CONFIG: &str = "\
apiVersion: skaffold/v4beta14
kind: Config
metadata:
  name: frontend
build:
  artifacts:
  - image: web
profiles:
- name: local-dev
- name: gcb
  build:
    googleCloudBuild: {}
---
apiVersion: skaffold/v4beta14
kind: Config
build:
  artifacts:
  - image: unnamed
---
apiVersion: skaffold/v4beta14
kind: Config
metadata:
  name: backend
build:
  cluster: {}
  artifacts:
  - image: api
test:
- image: api
  custom:
  - command: ./test.sh
    timeoutSeconds: 30
  structureTests:
  - ./structure/*
profiles:
- name: gcb
  build:
    googleCloudBuild: {}
verify:
- name: smoke
  container:
    name: smoke
    image: alpine
  executionMode:
    kubernetesCluster:
      jobManifestPath: jobs/smoke.yaml
- name: local-check
  container:
    name: check
    image: alpine
customActions:
- name: seed
  containers:
  - name: seed
    image: alpine
";

fn modules_project() -> tempfile::TempDir {
    project(&[("skaffold.yaml", MODULES_CONFIG)])
}

#[test]
fn inspect_modules_list() {
    let dir = modules_project();
    let path = abs(dir.path(), "skaffold.yaml");
    let out = ok(dir.path(), &["inspect", "modules", "list"]);
    assert_eq!(
        out,
        format!(
            "{}\n",
            json!({"modules": [
                {"name": "frontend", "path": path, "isRoot": true},
                {"name": "backend", "path": path, "isRoot": true},
            ]})
        )
    );
    let all = json_of(&ok(
        dir.path(),
        &["inspect", "modules", "list", "-a", "--format", "json"],
    ));
    let names: Vec<&str> = all["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["frontend", "__config_1", "backend"]);
}

#[test]
fn inspect_flags_go_before_or_after_the_subcommand() {
    let dir = modules_project();
    std::fs::rename(
        dir.path().join("skaffold.yaml"),
        dir.path().join("other.yaml"),
    )
    .unwrap();
    let path = abs(dir.path(), "other.yaml");
    let before = ok(
        dir.path(),
        &["inspect", "-f", "other.yaml", "modules", "list"],
    );
    let after = ok(
        dir.path(),
        &["inspect", "modules", "list", "--filename=other.yaml"],
    );
    assert_eq!(before, after);
    assert!(before.contains(&path), "{before}");
    let env = skiff_env(
        dir.path(),
        &["inspect", "modules", "list"],
        &[("SKAFFOLD_FILENAME", "other.yaml")],
    );
    assert_eq!(stdout(&env), before);
}

#[test]
fn inspect_profiles_list() {
    let dir = modules_project();
    let path = abs(dir.path(), "skaffold.yaml");
    let out = json_of(&ok(dir.path(), &["inspect", "profiles", "list"]));
    assert_eq!(
        out,
        json!({"profiles": [
            {"name": "local-dev", "path": path, "module": "frontend"},
            {"name": "gcb", "path": path, "module": "frontend"},
            {"name": "gcb", "path": path, "module": "backend"},
        ]})
    );
    let gcb = json_of(&ok(
        dir.path(),
        &[
            "inspect",
            "profiles",
            "list",
            "--build-env",
            "googleCloudBuild",
        ],
    ));
    assert_eq!(gcb["profiles"].as_array().unwrap().len(), 2);
    let backend = json_of(&ok(
        dir.path(),
        &["inspect", "profiles", "-m", "backend", "list"],
    ));
    assert_eq!(
        backend,
        json!({"profiles": [{"name": "gcb", "path": path, "module": "backend"}]})
    );
}

#[test]
fn inspect_build_env_list() {
    let dir = modules_project();
    let path = abs(dir.path(), "skaffold.yaml");
    let out = json_of(&ok(dir.path(), &["inspect", "build-env", "list"]));
    assert_eq!(
        out,
        json!({"build_envs": [
            {"type": "local", "path": path, "module": "frontend"},
            {"type": "local", "path": path},
            {"type": "cluster", "path": path, "module": "backend"},
        ]})
    );
    let gcb = json_of(&ok(
        dir.path(),
        &[
            "inspect",
            "build-env",
            "list",
            "-p",
            "gcb",
            "-m",
            "frontend",
        ],
    ));
    assert_eq!(
        gcb,
        json!({"build_envs": [{"type": "googleCloudBuild", "path": path, "module": "frontend"}]})
    );
}

#[test]
fn inspect_tests_verify_and_custom_actions() {
    let dir = modules_project();
    let tests = ok(dir.path(), &["inspect", "tests", "list"]);
    assert_eq!(
        tests,
        "{\"tests\":[{\"testType\":\"custom-test\",\"Command\":\"./test.sh\",\"TimeoutSeconds\":30,\"Dependencies\":null},{\"testType\":\"structure-test\",\"structureTest\":\"./structure/*\",\"structureTestArgs\":null}]}\n"
    );
    let modes = ok(dir.path(), &["inspect", "executionModes", "list"]);
    assert_eq!(
        modes,
        "{\"verifyExecutionModes\":{\"local-check\":\"local\",\"smoke\":\"kubernetesCluster\"},\"customActionsExecutionModes\":{\"seed\":\"local\"}}\n"
    );
    let jobs = ok(dir.path(), &["inspect", "jobManifestPaths", "list"]);
    assert_eq!(
        jobs,
        "{\"verifyJobManifestPaths\":{\"smoke\":\"jobs/smoke.yaml\"},\"customActionJobManifestPaths\":{}}\n"
    );
}

#[test]
fn inspect_namespaces_list() {
    let dir = project(&[
        (
            "skaffold.yaml",
            "apiVersion: skaffold/v4beta14\nkind: Config\ndeploy:\n  kubectl:\n    defaultNamespace: team\n",
        ),
        (
            "rendered.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: db\n  namespace: data\n",
        ),
    ]);
    let out = ok(
        dir.path(),
        &["inspect", "namespaces", "list", "rendered.yaml"],
    );
    assert_eq!(
        out,
        "{\"resourceToInfoMap\":{\"apps/v1, Kind=Deployment\":[{\"name\":\"web\",\"namespace\":\"team\"},{\"name\":\"db\",\"namespace\":\"data\"}]}}\n"
    );
}

/// The JSON error object on stdout, nothing on stderr, exit code 1.
fn inspect_error(dir: &Path, args: &[&str]) -> Value {
    let out = skiff(dir, args);
    assert_eq!(code(&out), 1, "{args:?}: {}", stdout(&out));
    assert_eq!(stderr(&out), "", "{args:?}");
    let text = stdout(&out);
    assert!(text.ends_with('\n'), "{text}");
    let value = json_of(&text);
    assert_eq!(
        value.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["errorCode", "errorMessage"],
        "{text}"
    );
    value
}

#[test]
fn inspect_errors_are_json_objects() {
    let empty = project(&[]);
    let missing = inspect_error(empty.path(), &["inspect", "modules", "list"]);
    assert_eq!(missing["errorCode"], "CONFIG_FILE_NOT_FOUND_ERR");
    assert!(
        missing["errorMessage"]
            .as_str()
            .unwrap()
            .contains("skaffold.yaml"),
        "{missing}"
    );

    let broken = project(&[(
        "skaffold.yaml",
        "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n  - image: a\n    contxt: .\n",
    )]);
    let err = inspect_error(broken.path(), &["inspect", "profiles", "list"]);
    assert_eq!(err["errorCode"], "CONFIG_FILE_PARSING_ERR");
    let message = err["errorMessage"].as_str().unwrap();
    assert!(message.starts_with("skaffold.yaml:6:5:"), "{message}");

    let dir = modules_project();
    let err = inspect_error(dir.path(), &["inspect", "build-env", "list", "-p", "nope"]);
    assert_eq!(err["errorCode"], "CONFIG_PROFILES_NOT_FOUND_ERR");
    let err = inspect_error(dir.path(), &["inspect", "profiles", "list", "-m", "nope"]);
    assert_eq!(err["errorCode"], "CONFIG_BAD_FILTER_ERR");
    let err = inspect_error(
        dir.path(),
        &["inspect", "namespaces", "list", "absent.yaml"],
    );
    assert_eq!(err["errorCode"], "INSPECT_UNKNOWN_ERR");
}

#[test]
fn inspect_config_dependencies_add() {
    let dir = project(&[
        (
            "skaffold.yaml",
            "apiVersion: skaffold/v4beta14\nkind: Config\nmetadata:\n  name: cfg1\n---\napiVersion: skaffold/v4beta14\nkind: Config\nmetadata:\n  name: cfg2\n",
        ),
        (
            "deps.json",
            r#"{"dependencies": [{"configs": ["c1"], "path": "dep.yaml"}, {"git": {"repo": "https://example.com/r.git", "ref": "main"}}]}"#,
        ),
    ]);
    let out = ok(
        dir.path(),
        &[
            "inspect",
            "config-dependencies",
            "add",
            "deps.json",
            "-m",
            "cfg2",
        ],
    );
    assert_eq!(out, "");
    let text = std::fs::read_to_string(dir.path().join("skaffold.yaml")).unwrap();
    let (first, second) = text.split_once("---\n").unwrap();
    assert!(!first.contains("requires"), "{text}");
    assert!(second.contains("requires:"), "{text}");
    assert!(second.contains("path: dep.yaml"), "{text}");
    assert!(second.contains("repo: https://example.com/r.git"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// The corpus of Skaffold's example configs.

/// The files under `dir` whose name contains `skaffold` and ends in `.yaml`, sorted.
fn corpus_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = files_under(dir);
    files.retain(|path| {
        path.file_name().is_some_and(|n| {
            n.to_string_lossy().contains("skaffold") && n.to_string_lossy().ends_with(".yaml")
        })
    });
    files
}

#[test]
fn corpus_fix_and_diagnose() {
    let Some(root) = reference_path("skaffold-configs") else {
        return;
    };
    let files = corpus_files(&root);
    assert!(files.len() > 100, "only {} corpus files", files.len());

    let scratch = tempfile::tempdir().unwrap();
    let cache = scratch.path().join("remote-cache");
    let cache = cache.to_str().unwrap();
    // Remote dependencies are never cloned (no network in tests).
    let no_remote = ["--sync-remote-cache=never", "--remote-cache-dir", cache];
    let diagnose = |dir: &Path, file: &str| {
        skiff(
            dir,
            &[&["diagnose", "--yaml-only", "-f", file][..], &no_remote].concat(),
        )
    };
    let (mut fixed, mut diagnosed, mut problems) = (0, 0, Vec::new());
    for (i, file) in files.iter().enumerate() {
        let rel = file.strip_prefix(&root).unwrap().display().to_string();
        let dir = file.parent().unwrap();
        let name = file.file_name().unwrap().to_str().unwrap();
        let text = std::fs::read_to_string(file).unwrap();

        // diagnose --yaml-only: the effective config loads again into the same output.
        let out = diagnose(dir, name);
        let effective = (code(&out) == 0).then(|| stdout(&out));
        match &effective {
            None if !stderr(&out).contains(name) => problems.push(format!(
                "{rel}: diagnose error names no file: {}",
                stderr(&out)
            )),
            None => {}
            Some(first) => {
                diagnosed += 1;
                let copy = scratch.path().join(format!("effective-{i}.yaml"));
                std::fs::write(&copy, first).unwrap();
                let out = diagnose(dir, copy.to_str().unwrap());
                if code(&out) != 0 {
                    problems.push(format!(
                        "{rel}: effective config does not load: {}",
                        stderr(&out)
                    ));
                } else if &stdout(&out) != first {
                    problems.push(format!(
                        "{rel}: effective config changes when read again:\n{first}\n---- vs ----\n{}",
                        stdout(&out)
                    ));
                }
            }
        }

        // fix: an upgraded config is printed as the latest version, reads back, and (without
        // `requires`, whose paths are relative to the file) has the same effective config.
        let out = skiff(dir, &["fix", "-f", name]);
        if code(&out) == 0 {
            let upgraded = stdout(&out);
            if !upgraded.starts_with("config is already version") {
                fixed += 1;
                let copy = scratch.path().join(format!("fixed-{i}.yaml"));
                std::fs::write(&copy, &upgraded).unwrap();
                let copy = copy.to_str().unwrap();
                let again = skiff(dir, &["fix", "-f", copy]);
                if stdout(&again) != format!("config is already version {LATEST}\n") {
                    problems.push(format!(
                        "{rel}: fixed output is not the latest version:\n{upgraded}\n{}",
                        stderr(&again)
                    ));
                }
                if !text.contains("requires:") {
                    let out = diagnose(dir, copy);
                    if effective.is_some() && Some(stdout(&out)) != effective {
                        problems.push(format!(
                            "{rel}: the fixed config's effective config differs:\n{}\n---- vs ----\n{}{}",
                            effective.as_deref().unwrap_or(""),
                            stdout(&out),
                            stderr(&out)
                        ));
                    }
                }
            }
        } else if !stderr(&out).contains(name) {
            problems.push(format!("{rel}: fix error names no file: {}", stderr(&out)));
        }

        // inspect answers with JSON either way (it may clone remote dependencies: skipped).
        if ["git:", "googleCloudStorage:", "googleCloudBuildRepoV2:"]
            .iter()
            .any(|remote| text.contains(remote))
        {
            continue;
        }
        let out = skiff(dir, &["inspect", "modules", "list", "-a", "-f", name]);
        match serde_json::from_str::<Value>(&stdout(&out)) {
            Ok(json) if code(&out) == 0 && json.get("modules").is_some() => {}
            Ok(json) if code(&out) == 1 && json.get("errorCode").is_some() => {}
            _ => problems.push(format!(
                "{rel}: inspect printed no JSON answer: {}",
                stdout(&out)
            )),
        }
    }
    eprintln!(
        "corpus: {} files, {fixed} upgraded by fix, {diagnosed} diagnosed",
        files.len()
    );
    assert!(fixed >= 20, "only {fixed} corpus files were upgraded");
    assert!(
        diagnosed >= 100,
        "only {diagnosed} corpus files were diagnosed"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
