//! `skiff build` end to end: the binary against the real engine and registry of the test
//! environment (`scripts/test-env`).

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use skiff_testenv::{base_image, engine_host, registry, registry_has, unique};

/// Runs skiff in `dir`, with `dir` as its home so the default artifact cache starts empty.
fn skiff(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_skiff"))
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .output()
        .expect("skiff runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A project with `app` requiring `base` (alias BASE).
fn project(base_dockerfile: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("base")).unwrap();
    fs::create_dir_all(root.join("app")).unwrap();
    fs::write(root.join("base/Dockerfile"), base_dockerfile).unwrap();
    fs::write(
        root.join("app/Dockerfile"),
        "ARG BASE\nFROM ${BASE}\nCOPY hello.txt /hello.txt\n",
    )
    .unwrap();
    fs::write(root.join("app/hello.txt"), "hello").unwrap();
    fs::write(
        root.join("skaffold.yaml"),
        "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  tagPolicy:\n    sha256: {}\n  artifacts:\n\
         \x20   - image: skiff-e2e-app\n      context: app\n      requires:\n        - image: skiff-e2e-base\n          alias: BASE\n\
         \x20   - image: skiff-e2e-base\n      context: base\n",
    )
    .unwrap();
    dir
}

#[test]
fn builds_pushes_and_writes_the_file_output() {
    if engine_host("DOCKER_HOST").is_none() {
        return;
    }
    let dir = project(&format!("FROM {}\n", base_image()));
    let tag = unique("t");
    let out = skiff(
        dir.path(),
        &[
            "build",
            "--push",
            "-d",
            &registry(),
            "-t",
            &tag,
            "--file-output",
            "builds.json",
            "--event-log-file",
            "events",
        ],
    );
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Generating tags...\n"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            " - skiff-e2e-base -> {}/skiff-e2e-base:{tag}\n",
            registry()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("Building [skiff-e2e-base]...\n"),
        "{stdout}"
    );

    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("builds.json")).unwrap()).unwrap();
    let builds = json["builds"].as_array().unwrap();
    assert_eq!(builds.len(), 2);
    for build in builds {
        let name = build["imageName"].as_str().unwrap();
        let reference = build["tag"].as_str().unwrap();
        let (name_tag, digest) = reference.split_once('@').unwrap();
        assert_eq!(name_tag, format!("{}/{name}:{tag}", registry()));
        assert!(
            registry_has(name, &tag),
            "{name}:{tag} is not in the registry"
        );
        assert!(
            registry_has(name, digest),
            "{name}@{digest} is not in the registry"
        );
    }
    // No API port: no event log, as in Skaffold.
    assert!(!dir.path().join("events.v2").exists());
}

#[test]
fn quiet_prints_only_the_json_and_events_reach_the_log() {
    if engine_host("DOCKER_HOST").is_none() {
        return;
    }
    let dir = project(&format!("FROM {}\n", base_image()));
    let out = skiff(
        dir.path(),
        &[
            "build",
            "-q",
            "-b",
            "skiff-e2e-base",
            "--enable-rpc",
            "--event-log-file",
            "events",
        ],
    );
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let tag = json["builds"][0]["tag"].as_str().unwrap();
    assert!(tag.starts_with("skiff-e2e-base:"), "{tag}");
    assert_eq!(json["builds"].as_array().unwrap().len(), 1);

    let log = fs::read_to_string(dir.path().join("events.v2")).unwrap();
    let events: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let tasks: Vec<(String, String)> = events
        .iter()
        .filter_map(|e| e.get("taskEvent"))
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_owned(),
                t["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        tasks,
        [
            ("Build-0".to_owned(), "InProgress".to_owned()),
            ("Build-0".to_owned(), "Succeeded".to_owned())
        ]
    );
    assert!(events[0].get("metaEvent").is_some());
    let subtasks: Vec<(&str, &str)> = events
        .iter()
        .filter_map(|e| e.get("buildSubtaskEvent"))
        .map(|b| (b["step"].as_str().unwrap(), b["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        subtasks,
        [
            ("Cache", "InProgress"),
            ("Cache", "Failed"),
            ("Build", "InProgress"),
            ("Build", "Succeeded")
        ]
    );
}

#[test]
fn a_broken_dockerfile_fails_with_the_engines_message() {
    if engine_host("DOCKER_HOST").is_none() {
        return;
    }
    let dir = project(&format!("FROM {}\nRUN exit 9\n", base_image()));
    let out = skiff(dir.path(), &["build"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("returned a non-zero code: 9"), "{stderr}");
    assert!(
        stderr.contains("Please fix the Dockerfile and try again."),
        "{stderr}"
    );
}

#[test]
fn a_missing_context_and_a_stopped_engine_are_clear_errors() {
    let dir = project("FROM scratch\n");
    fs::remove_dir_all(dir.path().join("base")).unwrap();
    let out = skiff(dir.path(), &["build", "-b", "skiff-e2e-base"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("Dockerfile") && stderr.contains("not found"),
        "{stderr}"
    );

    let dir = project("FROM scratch\n");
    let out = Command::new(env!("CARGO_BIN_EXE_skiff"))
        .args(["build"])
        .current_dir(dir.path())
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("/nonexistent/docker.sock"), "{stderr}");
    assert!(stderr.contains("Check if docker is running"), "{stderr}");
}

#[test]
fn a_custom_builder_script_builds_the_image() {
    if engine_host("DOCKER_HOST").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {}\nCOPY build.sh /build.sh\n", base_image()),
    )
    .unwrap();
    fs::write(
        dir.path().join("build.sh"),
        "#!/bin/sh\nset -e\ndocker build -q -t \"$IMAGE\" \"$BUILD_CONTEXT\"\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("skaffold.yaml"),
        "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n    - image: skiff-e2e-custom\n      custom:\n        buildCommand: sh build.sh\n        dependencies:\n          paths: [\".\"]\n",
    )
    .unwrap();
    let out = skiff(dir.path(), &["build", "-q", "-t", "custom"]);
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    let tag = json["builds"][0]["tag"].as_str().unwrap();
    assert!(tag.starts_with("skiff-e2e-custom:"), "{tag}");
    assert_ne!(
        tag, "skiff-e2e-custom:custom",
        "a local build gets its image id as tag"
    );
}

#[test]
fn a_second_build_is_a_cache_hit() {
    if engine_host("DOCKER_HOST").is_none() {
        return;
    }
    let dir = project(&format!("FROM {}\n", base_image()));
    let cache = dir.path().join("cache");
    let cache = cache.to_str().unwrap();
    let first = skiff(dir.path(), &["build", "--cache-file", cache, "-q"]);
    assert!(first.status.success(), "stderr: {}", text(&first.stderr));
    let second = skiff(dir.path(), &["build", "--cache-file", cache]);
    assert!(second.status.success(), "stderr: {}", text(&second.stderr));
    let stdout = text(&second.stdout);
    assert!(stdout.contains("Checking cache...\n"), "{stdout}");
    assert!(
        stdout.contains(" - skiff-e2e-base: Found Locally\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(" - skiff-e2e-app: Found Locally\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("Building ["), "{stdout}");

    // A changed input is a miss for that artifact only.
    fs::write(dir.path().join("app/hello.txt"), "changed").unwrap();
    let third = skiff(dir.path(), &["build", "--cache-file", cache]);
    let stdout = text(&third.stdout);
    assert!(
        stdout.contains(" - skiff-e2e-app: Not found. Building\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(" - skiff-e2e-base: Found Locally\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Building [skiff-e2e-app]...")
            && !stdout.contains("Building [skiff-e2e-base]"),
        "{stdout}"
    );

    let disabled = skiff(
        dir.path(),
        &["build", "--cache-file", cache, "--cache-artifacts=false"],
    );
    let stdout = text(&disabled.stdout);
    assert!(
        !stdout.contains("Checking cache") && stdout.contains("Building [skiff-e2e-base]"),
        "{stdout}"
    );
}

#[test]
fn podman_builds_and_pushes_through_its_docker_socket() {
    if engine_host("DOCKER_HOST").is_none() {
        return;
    }
    let podman =
        std::env::var("PODMAN_DOCKER_HOST").expect("scripts/test-env sets PODMAN_DOCKER_HOST");
    let dir = project(&format!("FROM {}\n", base_image()));
    let tag = unique("t");
    let out = Command::new(env!("CARGO_BIN_EXE_skiff"))
        .args(["build", "-q", "--push", "-d", &registry(), "-t", &tag])
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env("DOCKER_HOST", &podman)
        .output()
        .unwrap();
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    for build in json["builds"].as_array().unwrap() {
        let name = build["imageName"].as_str().unwrap();
        assert!(
            registry_has(name, &tag),
            "{name}:{tag} is not in the registry"
        );
    }
}

#[test]
fn build_hooks_run_around_the_builds() {
    if engine_host("DOCKER_HOST").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {}\n", base_image()),
    )
    .unwrap();
    fs::write(
        dir.path().join("skaffold.yaml"),
        "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  hooks:\n    before:\n      - command: [\"sh\", \"-c\", \"echo pipeline > \\\"$SKAFFOLD_WORK_DIR/before.txt\\\"\"]\n  artifacts:\n    - image: skiff-e2e-hooks\n      hooks:\n        after:\n          - command: [\"sh\", \"-c\", \"echo \\\"$SKAFFOLD_IMAGE\\\" > \\\"$SKAFFOLD_WORK_DIR/after.txt\\\"\"]\n",
    )
    .unwrap();
    let out = skiff(dir.path(), &["build", "-t", "hooks"]);
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("before.txt")).unwrap(),
        "pipeline\n"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("after.txt")).unwrap(),
        "skiff-e2e-hooks:hooks\n"
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Starting pre-build hooks...")
            && stdout.contains("Completed post-build hooks"),
        "{stdout}"
    );
}

/// `skiff build --dry-run -q` with the given tag policy; returns the tag of the one artifact.
fn dry_run_tag(dir: &Path, policy: &str) -> String {
    fs::write(
        dir.join("skaffold.yaml"),
        format!("apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  tagPolicy:\n{policy}  artifacts:\n    - image: skiff-e2e-tags\n"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_skiff"))
        .args(["build", "--dry-run", "-q"])
        .current_dir(dir)
        .env("HOME", dir)
        .env("SKIFF_E2E_TAG", "from-env")
        .output()
        .unwrap();
    assert!(out.status.success(), "{policy}: {}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    json["builds"][0]["tag"].as_str().unwrap().to_owned()
}

#[test]
fn every_tag_policy_names_the_image() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args([
                "-c",
                "user.name=skiff",
                "-c",
                "user.email=skiff@localhost",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "first"]);
    git(&["tag", "v1.2.3"]);

    assert_eq!(
        dry_run_tag(dir.path(), "    sha256: {}\n"),
        "skiff-e2e-tags:latest"
    );
    assert_eq!(
        dry_run_tag(
            dir.path(),
            "    envTemplate:\n      template: \"{{.SKIFF_E2E_TAG}}\"\n"
        ),
        "skiff-e2e-tags:from-env"
    );
    let year = dry_run_tag(
        dir.path(),
        "    dateTime:\n      format: \"2006\"\n      timezone: UTC\n",
    );
    let (_, year) = year.split_once(':').unwrap();
    assert!(year.len() == 4 && year.starts_with("20"), "{year}");
    let digest = dry_run_tag(dir.path(), "    inputDigest: {}\n");
    let (_, digest) = digest.split_once(':').unwrap();
    assert!(
        digest.len() == 64 && digest.chars().all(|c| c.is_ascii_hexdigit()),
        "{digest}"
    );
    assert_eq!(
        dry_run_tag(
            dir.path(),
            "    customTemplate:\n      template: \"{{.V}}-{{.S}}\"\n      components:\n        - name: V\n          gitCommit: {}\n        - name: S\n          sha256: {}\n"
        ),
        "skiff-e2e-tags:v1.2.3-dirty-latest",
        "the skaffold.yaml written by the test makes the tree dirty"
    );
    // The default policy is gitCommit; committing the config makes the tree clean again.
    fs::write(dir.path().join("skaffold.yaml"), "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n    - image: skiff-e2e-tags\n").unwrap();
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "config"]);
    git(&["tag", "v2"]);
    let out = Command::new(env!("CARGO_BIN_EXE_skiff"))
        .args(["build", "--dry-run", "-q"])
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(json["builds"][0]["tag"], "skiff-e2e-tags:v2");
}

#[test]
fn buildkit_secrets_go_through_the_docker_cli() {
    if engine_host("DOCKER_HOST").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("Dockerfile"),
        format!(
            "FROM {}\nRUN --mount=type=secret,id=token cp /run/secrets/token /token\n",
            base_image()
        ),
    )
    .unwrap();
    fs::write(dir.path().join("token.txt"), "s3cret").unwrap();
    let config = |use_buildkit: bool| {
        format!(
            "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  local:\n    useBuildkit: {use_buildkit}\n  artifacts:\n    - image: skiff-e2e-secret\n      docker:\n        secrets:\n          - id: token\n            src: token.txt\n"
        )
    };
    fs::write(dir.path().join("skaffold.yaml"), config(true)).unwrap();
    let out = skiff(dir.path(), &["build", "-q", "-t", "secret"]);
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    let reference = json["builds"][0]["tag"].as_str().unwrap();
    let run = Command::new("docker")
        .args(["run", "--rm", reference, "cat", "/token"])
        .output()
        .unwrap();
    assert_eq!(text(&run.stdout), "s3cret");

    // Through the engine API the secret cannot be passed: a clear error naming the field.
    fs::write(dir.path().join("skaffold.yaml"), config(false)).unwrap();
    let out = skiff(
        dir.path(),
        &["build", "-t", "secret2", "--cache-artifacts=false"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("secrets need the docker CLI with BuildKit"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Set build.local.useBuildkit: true."),
        "{stderr}"
    );
}

#[test]
fn output_templates_see_the_builds() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    fs::write(
        dir.path().join("skaffold.yaml"),
        "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  tagPolicy:\n    sha256: {}\n  artifacts:\n    - image: one\n    - image: two\n",
    )
    .unwrap();
    let template = "{{range .Builds}}{{.ImageName}}={{.Tag}};{{end}}";
    let out = skiff(
        dir.path(),
        &[
            "build",
            "--dry-run",
            "-q",
            "-o",
            template,
            "--file-output",
            "out.txt",
        ],
    );
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "one=one:latest;two=two:latest;");
    assert_eq!(
        fs::read_to_string(dir.path().join("out.txt")).unwrap(),
        "one=one:latest;two=two:latest;"
    );

    let out = skiff(
        dir.path(),
        &["build", "--dry-run", "-q", "-o", "{{range .Builds}"],
    );
    assert_eq!(out.status.code(), Some(127));
    assert!(
        text(&out.stderr).contains("invalid --output template"),
        "{}",
        text(&out.stderr)
    );
}
