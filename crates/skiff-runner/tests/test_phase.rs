//! The test phase over the event hub: the `Test-N` task with or without tests, one `testEvent`
//! per tester in Skaffold's order (structure tester before a case's custom tests, images in build
//! order, images that were not built skipped), its output as Test log events, and a failure
//! that stops the phase with Skaffold's code.

use std::path::Path;
use std::sync::{Arc, Mutex};

use skiff_build::builder::BuiltImage;
use skiff_config::SkaffoldConfig;
use skiff_docker::Engine;
use skiff_events::{Hub, HubLimits, InitialState, Output, Stream};
use skiff_proto::enums::StatusCode;
use skiff_proto::v2::ActionableErr;
use skiff_proto::v2::event::EventType;
use skiff_runner::PipelineError;
use skiff_testenv::{base_image, engine};

/// A config read from `text`, with defaults applied.
fn config(text: &str) -> SkaffoldConfig {
    let mut set = skiff_config::load_str(text, "skaffold.yaml").unwrap();
    skiff_config::defaults::apply(&mut set, &Default::default()).unwrap();
    set.entries.remove(0).config
}

fn built(image: &str, reference: &str) -> BuiltImage {
    BuiltImage {
        image_name: image.into(),
        reference: reference.into(),
    }
}

/// A hub and an output that keeps what it printed.
struct Session {
    hub: Hub,
    output: Output,
    printed: Arc<Mutex<String>>,
}

impl Session {
    fn new() -> Self {
        let hub = Hub::new(&InitialState::default(), HubLimits::default());
        let printed = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&printed);
        let output = Output::new(
            hub.clone(),
            Arc::new(move |text: &str| sink.lock().unwrap().push_str(text)),
        );
        Session {
            hub,
            output,
            printed,
        }
    }

    async fn test(
        &self,
        cfg: &SkaffoldConfig,
        base_dir: &Path,
        builds: &[BuiltImage],
        engine: &Engine,
    ) -> Result<(), PipelineError> {
        skiff_runner::test::test(&[cfg], base_dir, builds, engine, &self.output).await
    }

    /// Task and test events as `task <id> <status> [description] [code]` and
    /// `test <task id> <id> <status> [code]` lines.
    fn events(&self) -> Vec<String> {
        let code = |err: &Option<ActionableErr>| err.as_ref().map(|a| a.err_code.to_string());
        self.hub
            .history(Stream::Events)
            .iter()
            .filter_map(|e| {
                let parts = match &e.event_type {
                    Some(EventType::TaskEvent(t)) => vec![
                        Some("task".to_owned()),
                        Some(t.id.clone()),
                        Some(t.status.clone()),
                        Some(t.description.clone()).filter(|d| !d.is_empty()),
                        code(&t.actionable_err),
                    ],
                    Some(EventType::TestEvent(t)) => vec![
                        Some("test".to_owned()),
                        Some(t.task_id.clone()),
                        Some(t.id.clone()),
                        Some(t.status.clone()),
                        code(&t.actionable_err),
                    ],
                    _ => return None,
                };
                Some(parts.into_iter().flatten().collect::<Vec<_>>().join(" "))
            })
            .collect()
    }

    /// The (task, subtask) of every log event.
    fn log_owners(&self) -> Vec<(String, String)> {
        self.hub
            .history(Stream::Events)
            .iter()
            .filter_map(|e| match &e.event_type {
                Some(EventType::SkaffoldLogEvent(l)) => {
                    Some((l.task_id.clone(), l.subtask_id.clone()))
                }
                _ => None,
            })
            .collect()
    }

    fn printed(&self) -> String {
        self.printed.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn without_tests_the_task_still_runs() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let session = Session::new();
    let cfg = config("apiVersion: skaffold/v4beta14\nkind: Config\n");
    session
        .test(&cfg, Path::new("."), &[built("app", "app:1")], &engine)
        .await
        .unwrap();
    assert_eq!(
        session.events(),
        ["task Test-0 InProgress Test", "task Test-0 Succeeded"]
    );
    assert_eq!(session.printed(), "");
}

#[tokio::test]
async fn testers_run_in_skaffolds_order_with_one_event_each() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("structure.yaml"),
        "schemaVersion: 2.0.0\nmetadataTest:\n  envVars:\n    - key: PATH\n      value: /bin\n      isRegex: true\n",
    )
    .unwrap();
    let session = Session::new();
    let cfg = config(
        r#"apiVersion: skaffold/v4beta14
kind: Config
test:
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
    session
        .test(&cfg, dir.path(), &builds, &engine)
        .await
        .unwrap();
    assert_eq!(
        session.events(),
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
    let owners = session.log_owners();
    assert!(!owners.is_empty());
    assert!(
        owners
            .iter()
            .all(|(task, sub)| task == "Test-0" && sub == "-1"),
        "{owners:?}"
    );
}

#[tokio::test]
async fn the_first_failure_stops_the_phase_with_skaffolds_code() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let session = Session::new();
    let cfg = config(
        r#"apiVersion: skaffold/v4beta14
kind: Config
test:
  - image: app
    custom:
      - command: "true"
      - command: echo failing; exit 3
      - command: echo not reached
"#,
    );
    let err = session
        .test(&cfg, Path::new("."), &[built("app", "app:1")], &engine)
        .await
        .unwrap_err();
    let code = StatusCode::TestCustomCmdRunNonZeroExitErr as i32;
    assert_eq!(err.code(), StatusCode::TestCustomCmdRunNonZeroExitErr);
    assert_eq!(
        err.actionable.message,
        "running tests: command echo failing; exit 3 finished with non-0 exit code: exit status 3"
    );
    assert_eq!(
        err.suggestions(),
        ["Check the custom command contents: \"echo failing; exit 3\""]
    );
    assert_eq!(
        session.events(),
        [
            "task Test-0 InProgress Test".to_owned(),
            "test Test-0 0 InProgress".to_owned(),
            "test Test-0 0 Succeeded".to_owned(),
            "test Test-0 1 InProgress".to_owned(),
            format!("test Test-0 1 Failed {code}"),
            format!("task Test-0 Failed {code}"),
        ]
    );
    let failed_test = session
        .hub
        .history(Stream::Events)
        .iter()
        .find_map(|e| match &e.event_type {
            Some(EventType::TestEvent(t)) if t.status == "Failed" => t.actionable_err.clone(),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        failed_test.message,
        "command echo failing; exit 3 finished with non-0 exit code: exit status 3"
    );
    let printed = session.printed();
    assert!(
        printed.ends_with("failing\nCommand finished with non-0 exit code.\n"),
        "{printed}"
    );
    assert!(!printed.contains("not reached"), "{printed}");
}
