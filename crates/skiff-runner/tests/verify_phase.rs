//! The verify phase on the real engine, after Skaffold's `verify_test.go` (Docker only): the
//! tests' output and `--env-file` values reach the `.v2` event log, failures carry Skaffold's
//! messages, and a config without tests is refused.

use skiff_build::builder::BuiltImage;
use skiff_config::SkaffoldConfig;
use skiff_events::Phase;
use skiff_proto::enums::StatusCode;
use skiff_runner::PipelineError;
use skiff_testenv::{EventLogText, LocalSession, assert_contains, base_image, skaffold_config};

async fn verify(
    session: &LocalSession,
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
    LocalSession::test(async |session| {
        session.opts.env = vec![("FOO".into(), "foo-var".into())];
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
        let cfg = skaffold_config(
            r#"verify:
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

        verify(session, &cfg, &builds).await.unwrap();
        let printed = session.printed();
        assert!(
            printed.starts_with(&format!(
                "Tags used in verification:\n - localtask -> {reference}\n"
            )),
            "{printed}"
        );
        assert!(!printed.contains("img-not-used-in-verify"), "{printed}");
        assert_contains(&printed, "[localtask] Hello world ! 0\n");
        assert_contains(&printed, "[alpine-1] bye\n");
        let log = session.event_log();
        let verify = EventLogText::VERIFY;
        for text in [
            "Hello from Docker!".to_owned(),
            "foo-var".to_owned(),
            verify.started("Running verification test(s) locally"),
            verify.subtask("hello-world-1", "InProgress"),
            verify.subtask("alpine-1", "Succeeded"),
            verify.subtask("localtask", "Succeeded"),
            verify.succeeded(),
        ] {
            assert_contains(&log, &text);
        }
    })
    .await;
}

#[tokio::test]
async fn a_failing_test_fails_the_phase() {
    LocalSession::test(async |session| {
        session.opts.env = vec![("FOO".into(), "foo-var".into())];
        let cfg = skaffold_config(
            r#"verify:
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

        let err = verify(session, &cfg, &[]).await.unwrap_err();

        let failure = format!(
            "\"alpine\" running container image \"{}\" errored during run with status code: 1",
            base_image()
        );
        let together = format!("1 error(s) occurred:\n* verify test failed: {failure}");
        assert_eq!(err.phase, Phase::Verify);
        assert_eq!(err.code(), StatusCode::UnknownError);
        assert_eq!(err.to_string(), together);
        let log = session.event_log();
        let verify = EventLogText::VERIFY;
        for text in [
            "Hello from Docker!".to_owned(),
            "foo-var".to_owned(),
            verify.subtask("hello-world", "Succeeded"),
            verify.subtask_failed("alpine", &failure),
            verify.failed(&together),
        ] {
            assert_contains(&log, &text);
        }
    })
    .await;
}

#[tokio::test]
async fn a_config_without_tests_is_refused() {
    LocalSession::test(async |session| {
        let cfg = skaffold_config("verify:\n");

        let err = verify(session, &cfg, &[]).await.unwrap_err();

        assert_eq!(
            err.to_string(),
            "verify command expects non-zero number of test cases"
        );
        assert_eq!(err.code(), StatusCode::InitUnknown);
        assert!(session.event_log().is_empty());
    })
    .await;
}
