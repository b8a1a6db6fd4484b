//! `skiff build` end to end: the binary against the real engine and registry of the test
//! environment (`scripts/test-env`).

use std::fs;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

/// Whether the test environment is there; under CI it must be.
fn have_engine() -> bool {
    if std::env::var("DOCKER_HOST").is_ok() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "DOCKER_HOST is not set under CI: run the tests through scripts/test"
    );
    eprintln!("skipping: DOCKER_HOST is not set (run `eval \"$(scripts/test-env env)\"`)");
    false
}

fn base_image() -> String {
    std::env::var("SKIFF_TEST_BASE_IMAGE").unwrap_or_else(|_| "localhost/skiff-base:busybox".into())
}

fn registry() -> String {
    std::env::var("TEST_REGISTRY").unwrap_or_else(|_| "127.0.0.1:5000".into())
}

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

fn unique() -> String {
    format!(
        "t{}",
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

/// `HEAD`s a manifest in the test registry; true when it exists.
fn registry_has(repo: &str, reference: &str) -> bool {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(registry()).unwrap();
    write!(
        stream,
        "HEAD /v2/{repo}/manifests/{reference} HTTP/1.1\r\nHost: {}\r\nAccept: application/vnd.docker.distribution.manifest.v2+json\r\nConnection: close\r\n\r\n",
        registry()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.starts_with("HTTP/1.1 200")
}

#[test]
fn builds_pushes_and_writes_the_file_output() {
    if !have_engine() {
        return;
    }
    let dir = project(&format!("FROM {}\n", base_image()));
    let tag = unique();
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
    if !have_engine() {
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
    if !have_engine() {
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
    if !have_engine() {
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
    if !have_engine() {
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
