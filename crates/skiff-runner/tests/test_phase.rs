//! The test phase over the event hub: the `Test-N` task with or without tests, one `testEvent`
//! per tester in Skaffold's order (structure tester before a case's custom tests, images in build
//! order, images that were not built skipped), its output as Test log events, and a failure
//! that stops the phase with Skaffold's code.

use std::path::Path;

use skiff_build::builder::BuiltImage;
use skiff_config::SkaffoldConfig;
use skiff_proto::enums::StatusCode;
use skiff_runner::PipelineError;
use skiff_testenv::{LocalSession, base_image, skaffold_config};

fn built(image: &str, reference: &str) -> BuiltImage {
    BuiltImage {
        image_name: image.into(),
        reference: reference.into(),
    }
}

/// Runs the test phase of `cfg` in `session`, with paths relative to `base_dir`.
async fn test(
    session: &LocalSession,
    cfg: &SkaffoldConfig,
    base_dir: &Path,
    builds: &[BuiltImage],
) -> Result<(), PipelineError> {
    skiff_runner::test::test(&[cfg], base_dir, builds, &session.engine, &session.output).await
}

/// The run's task and test events, one line each (see `Progress::line`).
fn events(session: &LocalSession) -> Vec<String> {
    session.progress().iter().map(|p| p.line()).collect()
}

#[tokio::test]
async fn without_tests_the_task_still_runs() {
    LocalSession::test(async |session| {
        let cfg = skaffold_config("");

        test(session, &cfg, Path::new("."), &[built("app", "app:1")])
            .await
            .unwrap();

        assert_eq!(
            events(session),
            ["task Test-0 InProgress Test", "task Test-0 Succeeded"]
        );
        assert_eq!(session.printed(), "");
    })
    .await;
}

#[tokio::test]
async fn testers_run_in_skaffolds_order_with_one_event_each() {
    LocalSession::test(async |session| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("structure.yaml"),
            "schemaVersion: 2.0.0\nmetadataTest:\n  envVars:\n    - key: PATH\n      value: /bin\n      isRegex: true\n",
        )
        .unwrap();
        let cfg = skaffold_config(
            r#"test:
      - image: app
        custom:
          - command: echo "app is $IMAGE"
      - image: web
        custom:
          - command: echo never
      - image: base
        structureTests: [structure.yaml]
        custom:
          - command: echo "base is $IMAGE"
    "#,
        );
        let builds = [built("base", &base_image()), built("app", "app:1")];

        test(session, &cfg, dir.path(), &builds).await.unwrap();

        assert_eq!(
            events(session),
            [
                "task Test-0 InProgress Test",
                "test Test-0 0 InProgress",
                "test Test-0 0 Succeeded",
                "test Test-0 1 InProgress",
                "test Test-0 1 Succeeded",
                "test Test-0 2 InProgress",
                "test Test-0 2 Succeeded",
                "task Test-0 Succeeded",
            ]
        );
        let printed = session.printed();
        assert!(printed.starts_with("Testing images...\n"), "{printed}");
        let structure = printed.find("=== RUN: Metadata Test\n--- PASS").unwrap();
        let base = printed
            .find(&format!("base is {}\n", base_image()))
            .unwrap();
        let app = printed.find("app is app:1\n").unwrap();
        assert!(structure < base && base < app, "{printed}");
        assert!(!printed.contains("never"), "{printed}");
        let logs = session.logs();
        assert!(!logs.is_empty());
        assert!(
            logs.iter()
                .all(|(task, sub, _)| task == "Test-0" && sub == "-1"),
            "{logs:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_first_failure_stops_the_phase_with_skaffolds_code() {
    LocalSession::test(async |session| {
        let cfg = skaffold_config(
            r#"test:
      - image: app
        custom:
          - command: "true"
          - command: echo failing; exit 3
          - command: echo not reached
    "#,
        );

        let err = test(session, &cfg, Path::new("."), &[built("app", "app:1")])
            .await
            .unwrap_err();

        let failure = "command echo failing; exit 3 finished with non-0 exit code: exit status 3";
        let code = StatusCode::TestCustomCmdRunNonZeroExitErr as i32;
        assert_eq!(err.code(), StatusCode::TestCustomCmdRunNonZeroExitErr);
        assert_eq!(err.actionable.message, format!("running tests: {failure}"));
        assert_eq!(
            err.suggestions(),
            ["Check the custom command contents: \"echo failing; exit 3\""]
        );
        assert_eq!(
            events(session),
            [
                "task Test-0 InProgress Test".to_owned(),
                "test Test-0 0 InProgress".to_owned(),
                "test Test-0 0 Succeeded".to_owned(),
                "test Test-0 1 InProgress".to_owned(),
                format!("test Test-0 1 Failed {code}"),
                format!("task Test-0 Failed {code}"),
            ]
        );
        assert_eq!(session.failure("1"), failure);
        let printed = session.printed();
        assert!(
            printed.ends_with("failing\nCommand finished with non-0 exit code.\n"),
            "{printed}"
        );
        assert!(!printed.contains("not reached"), "{printed}");
    })
    .await;
}

#[tokio::test]
async fn muted_tests_write_to_a_log_file_shown_when_they_fail() {
    LocalSession::test(async |session| {
        let muted = "test".parse::<skiff_events::MutedPhases>().unwrap();
        let output = session.output.muting(muted);
        let passing = skaffold_config(
            r#"test:
      - image: app
        custom:
          - command: echo quietly passing
    "#,
        );
        skiff_runner::test::test(
            &[&passing],
            Path::new("."),
            &[built("app", "app:1")],
            &session.engine,
            &output,
        )
        .await
        .unwrap();
        let printed = session.printed();
        assert!(
            printed.starts_with("Testing images...\n - writing logs to "),
            "{printed}"
        );
        assert!(!printed.contains("quietly passing"), "{printed}");
        let path = printed
            .lines()
            .nth(1)
            .unwrap()
            .trim_start_matches(" - writing logs to ");
        assert!(
            std::fs::read_to_string(path)
                .unwrap()
                .contains("quietly passing")
        );

        let failing = skaffold_config(
            r#"test:
      - image: app
        custom:
          - command: echo loudly failing; exit 1
    "#,
        );
        skiff_runner::test::test(
            &[&failing],
            Path::new("."),
            &[built("app", "app:1")],
            &session.engine,
            &output,
        )
        .await
        .unwrap_err();
        assert!(
            session.printed().contains("loudly failing"),
            "{}",
            session.printed()
        );
    })
    .await;
}
