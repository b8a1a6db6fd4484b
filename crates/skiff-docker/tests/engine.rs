//! Builds, tags and pushes with the real engines of the test environment (`scripts/test-env`):
//! dockerd, Podman's compatible socket and the registry on 127.0.0.1:5000.

use std::fs;

use skiff_docker::{BuildRequest, Engine, EngineError, context_tar};
use skiff_testenv::{base_image, engine, on_both_engines, registry, unique};

fn project(dockerfile: &str) -> (tempfile::TempDir, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    fs::write(dir.path().join("hello.txt"), "hello").unwrap();
    let tar = context_tar(dir.path(), ["Dockerfile".into(), "hello.txt".into()]).unwrap();
    (dir, tar)
}

on_both_engines!(builds_tags_and_pushes);

async fn builds_tags_and_pushes(host_var: &str) {
    let Some(engine) = engine(host_var).await else {
        return;
    };
    let version = engine.version().await.unwrap();
    assert!(version.platform.starts_with("linux/"), "{version:?}");

    let (_dir, tar) = project(&format!(
        "FROM {}\nARG GREETING=unset\nCOPY hello.txt /hello.txt\nRUN echo \"$GREETING\" > /greeting\n",
        base_image()
    ));
    let name = unique("skiff-engine-test");
    let request = BuildRequest {
        dockerfile: "Dockerfile".into(),
        tag: format!("localhost/{name}:build"),
        build_args: [("GREETING".to_owned(), "hi".to_owned())].into(),
        ..Default::default()
    };
    let mut output = String::new();
    let id = engine
        .build(tar, &request, |line| output.push_str(line))
        .await
        .unwrap();
    assert!(id.starts_with("sha256:"), "{id}");
    assert!(
        output.contains("COPY hello.txt"),
        "build output was: {output}"
    );
    assert_eq!(
        engine.image_id(&request.tag).await.unwrap().as_deref(),
        Some(id.as_str())
    );

    let pushed = format!("{}/{name}:v1", registry());
    engine.tag(&id, &pushed).await.unwrap();
    let digest = engine.push(&pushed, |_| {}).await.unwrap();
    assert!(digest.starts_with("sha256:"), "{digest}");
    assert_eq!(
        engine
            .image_id("localhost/skiff-no-such-image:1")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_failing_step_is_a_build_failure_with_the_engines_message() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let (_dir, tar) = project(&format!("FROM {}\nRUN exit 3\n", base_image()));
    let request = BuildRequest {
        dockerfile: "Dockerfile".into(),
        tag: format!("localhost/{}:x", unique("skiff-fail")),
        ..Default::default()
    };
    match engine.build(tar, &request, |_| {}).await {
        Err(EngineError::BuildFailed { message }) => {
            assert!(
                message.contains("exit 3") || message.contains("returned a non-zero code: 3"),
                "{message}"
            )
        }
        other => panic!("expected a build failure, got {other:?}"),
    }
}

#[tokio::test]
async fn a_missing_engine_is_reported_as_not_running() {
    let err = Engine::connect(Some("unix:///nonexistent/docker.sock"))
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::NotRunning { .. }), "{err:?}");
    assert!(
        err.to_string().contains("/nonexistent/docker.sock"),
        "{err}"
    );
}
