//! The verify phase on the real engine, after Skaffold's `verify_test.go` (Docker only): the
//! tests' output and `--env-file` values reach the `.v2` event log, failures carry Skaffold's
//! messages, and a config without tests is refused.

mod local_phase;

use local_phase::{Session, assert_contains_all, config};
use skiff_build::builder::BuiltImage;
use skiff_config::SkaffoldConfig;
use skiff_events::Phase;
use skiff_proto::enums::StatusCode;
use skiff_runner::PipelineError;
use skiff_testenv::base_image;

async fn verify(
    session: &Session,
    cfg: &SkaffoldConfig,
    builds: &[BuiltImage],
) -> Result<(), PipelineError> {
    skiff_runner::verify::verify(
        &[cfg],
        builds,
        &session.engine,
        &session.opts,
        &session.output,
    )
    .await
}

#[tokio::test]
async fn passing_tests_with_an_env_file_and_a_built_image() {
    let Some(session) = Session::new(&[("FOO", "foo-var")]).await else {
        return;
    };
    // What a build of `localtask` produced: here, the base image.
    let reference = base_image();
    let builds = [
        BuiltImage {
            image_name: "localtask".into(),
            reference: reference.clone(),
        },
        BuiltImage {
            image_name: "img-not-used-in-verify".into(),
            reference: "img-not-used-in-verify:v1".into(),
        },
    ];
    let cfg = config(
        r#"apiVersion: skaffold/v4beta14
kind: Config
verify:
- name: hello-world-1
  executionMode: {local: {useLocalImages: true}}
  container:
    name: hello-world-1
    image: {base}
    command: ["/bin/sh"]
    args: ["-c", "echo 'Hello from Docker!'"]
- name: alpine-1
  executionMode: {local: {useLocalImages: true}}
  container:
    name: alpine-1
    image: {base}
    command: ["/bin/sh"]
    args: ["-c", "echo $FOO; sleep 1; echo bye"]
- name: localtask
  container:
    name: localtask
    image: localtask
    command: ["/bin/sh"]
    args: ["-c", "echo Hello world ! 0"]
"#,
    );

    verify(&session, &cfg, &builds).await.unwrap();
    let printed = session.printed();
    assert!(
        printed.starts_with(&format!(
            "Tags used in verification:\n - localtask -> {reference}\n"
        )),
        "{printed}"
    );
    assert!(!printed.contains("img-not-used-in-verify"), "{printed}");
    assert!(
        printed.contains("[localtask] Hello world ! 0\n"),
        "{printed}"
    );
    assert!(printed.contains("[alpine-1] bye\n"), "{printed}");
    let log = session.event_log();
    assert_contains_all(
        &log,
        &[
            "Hello from Docker!".into(),
            "foo-var".into(),
            r#""taskEvent":{"id":"Verify-0","task":"Verify","description":"Running verification test(s) locally","status":"InProgress"}}"#.into(),
            r#""verifyEvent":{"id":"hello-world-1","taskId":"Verify-0","status":"InProgress"}}"#.into(),
            r#""verifyEvent":{"id":"alpine-1","taskId":"Verify-0","status":"Succeeded"}}"#.into(),
            r#""verifyEvent":{"id":"localtask","taskId":"Verify-0","status":"Succeeded"}}"#.into(),
            r#""taskEvent":{"id":"Verify-0","task":"Verify","status":"Succeeded"}}"#.into(),
        ],
    );
    session.assert_nothing_left().await;
}

#[tokio::test]
async fn a_failing_test_fails_the_phase() {
    let Some(session) = Session::new(&[("FOO", "foo-var")]).await else {
        return;
    };
    let cfg = config(
        r#"apiVersion: skaffold/v4beta14
kind: Config
verify:
- name: hello-world
  executionMode: {local: {useLocalImages: true}}
  container:
    name: hello-world
    image: {base}
    command: ["/bin/sh"]
    args: ["-c", "echo 'Hello from Docker!'"]
- name: alpine
  executionMode: {local: {useLocalImages: true}}
  container:
    name: alpine
    image: {base}
    command: ["/bin/sh"]
    args: ["-c", "echo $FOO;exit 1"]
"#,
    );

    let err = verify(&session, &cfg, &[]).await.unwrap_err();

    let failure = format!(
        "\"alpine\" running container image \"{}\" errored during run with status code: 1",
        base_image()
    );
    assert_eq!(err.phase, Phase::Verify);
    assert_eq!(err.code(), StatusCode::UnknownError);
    assert_eq!(
        err.to_string(),
        format!("1 error(s) occurred:\n* verify test failed: {failure}")
    );
    let quoted = failure.replace('"', r#"\""#);
    assert_contains_all(
        &session.event_log(),
        &[
            "Hello from Docker!".into(),
            "foo-var".into(),
            r#""verifyEvent":{"id":"hello-world","taskId":"Verify-0","status":"Succeeded"}}"#
                .into(),
            format!(
                r#""verifyEvent":{{"id":"alpine","taskId":"Verify-0","status":"Failed","actionableErr":{{"errCode":"UNKNOWN_ERROR","message":"{quoted}""#
            ),
            format!(
                r#""taskEvent":{{"id":"Verify-0","task":"Verify","status":"Failed","actionableErr":{{"errCode":"UNKNOWN_ERROR","message":"1 error(s) occurred:\n* verify test failed: {quoted}""#
            ),
        ],
    );
    session.assert_nothing_left().await;
}

#[tokio::test]
async fn a_config_without_tests_is_refused() {
    let Some(session) = Session::new(&[]).await else {
        return;
    };
    let cfg = config("apiVersion: skaffold/v4beta14\nkind: Config\nverify:\n");

    let err = verify(&session, &cfg, &[]).await.unwrap_err();

    assert_eq!(
        err.to_string(),
        "verify command expects non-zero number of test cases"
    );
    assert_eq!(err.code(), StatusCode::InitUnknown);
    assert!(session.event_log().is_empty());
}
