//! The exec phase on the real engine, pinned to the `.v2` event log lines Skaffold's
//! `TestExec_ActionsEvents` asserts (with the test base image in place of `alpine:3.15.4`).

use skiff_events::Phase;
use skiff_proto::enums::StatusCode;
use skiff_runner::PipelineError;
use skiff_testenv::{EventLogText, LocalSession, assert_contains, base_image, skaffold_config};

/// Skaffold's `custom-actions-local` actions on the base image.
const ACTIONS: &str = r#"customActions:
  - name: action-fail-fast
    executionMode: {local: {useLocalImages: true}}
    containers:
      - name: task3
        image: {base}
        command: ["/bin/sh"]
        args: ["-c", "echo hello-$FOO && sleep 30 && echo bye-$FOO"]
        env: [{name: FOO, value: from-task3}]
      - name: task4
        image: {base}
        command: ["/bin/sh"]
        args: ["-c", "echo hello-$FOO && exit 1"]
        env: [{name: FOO, value: from-task4}]
  - name: action-fail-safe
    failFast: false
    executionMode: {local: {useLocalImages: true}}
    containers:
      - name: task5
        image: {base}
        command: ["/bin/sh"]
        args: ["-c", "echo hello-$FOO && sleep 1 && echo bye-$FOO"]
        env: [{name: FOO, value: from-task5}]
      - name: task6
        image: {base}
        command: ["/bin/sh"]
        args: ["-c", "echo hello-$FOO && exit 1"]
        env: [{name: FOO, value: from-task6}]
  - name: action-succeeded
    executionMode: {local: {useLocalImages: true}}
    containers:
      - name: task7
        image: {base}
        command: ["/bin/sh"]
        args: ["-c", "echo hello-$FOO && echo bye-$FOO"]
        env: [{name: FOO, value: from-task7}]
      - name: task8
        image: {base}
        command: ["/bin/sh"]
        args: ["-c", "echo hello-$FOO && echo bye-$FOO"]
        env: [{name: FOO, value: from-task8}]
"#;

/// Runs `action` of [`ACTIONS`] in `session`; returns the outcome and the `.v2` event log.
async fn exec(session: &LocalSession, action: &str) -> (Result<(), PipelineError>, String) {
    let result = skiff_runner::exec::exec(
        &[&skaffold_config(ACTIONS)],
        action,
        &[],
        &session.engine,
        &session.opts,
        &session.output,
    )
    .await;
    (result, session.event_log())
}

/// The message of a failed task: `task` exited with code 1.
fn exited(task: &str) -> String {
    format!(
        "\"{task}\" running container image \"{}\" errored during run with status code: 1",
        base_image()
    )
}

/// Asserts that `log` has the started event of `action`'s task and the `events` that follow.
fn assert_events(log: &str, action: &str, events: &[String]) {
    let started = EventLogText::EXEC.started(&format!("Executing custom action {action}"));
    for text in std::iter::once(&started).chain(events) {
        assert_contains(log, text);
    }
}

#[tokio::test]
async fn a_succeeded_action() {
    LocalSession::test(async |session| {
        session.opts.env = vec![("FOO".into(), "from-env-file".into())];

        let (result, log) = exec(session, "action-succeeded").await;

        result.unwrap();
        let printed = session.printed();
        assert_contains(&printed, "[task7] hello-from-env-file\n");
        assert_contains(&printed, "[task7] bye-from-env-file\n");
        let exec = EventLogText::EXEC;
        assert_events(
            &log,
            "action-succeeded",
            &[
                exec.subtask("task7", "InProgress"),
                exec.subtask("task8", "InProgress"),
                exec.subtask("task7", "Succeeded"),
                exec.subtask("task8", "Succeeded"),
                exec.succeeded(),
            ],
        );
    })
    .await;
}

#[tokio::test]
async fn a_failing_action_that_fails_fast() {
    LocalSession::test(async |session| {
        let (result, log) = exec(session, "action-fail-fast").await;

        let err = result.unwrap_err();
        assert_eq!(err.phase, Phase::Exec);
        assert_eq!(err.code(), StatusCode::UnknownError);
        assert_eq!(err.to_string(), exited("task4"));
        let exec = EventLogText::EXEC;
        assert_events(
            &log,
            "action-fail-fast",
            &[
                exec.subtask("task3", "InProgress"),
                exec.subtask("task4", "InProgress"),
                exec.subtask_failed("task4", &exited("task4")),
                exec.subtask_failed("task3", "context canceled"),
                exec.failed(&exited("task4")),
            ],
        );
    })
    .await;
}

#[tokio::test]
async fn a_failing_action_that_fails_safe() {
    LocalSession::test(async |session| {
        let (result, log) = exec(session, "action-fail-safe").await;

        assert_eq!(result.unwrap_err().code(), StatusCode::UnknownError);
        assert_contains(&session.printed(), "[task5] bye-from-task5\n");
        let exec = EventLogText::EXEC;
        assert_events(
            &log,
            "action-fail-safe",
            &[
                exec.subtask("task5", "InProgress"),
                exec.subtask("task6", "InProgress"),
                exec.subtask_failed("task6", &exited("task6")),
                exec.subtask("task5", "Succeeded"),
                exec.failed(&format!("1 error(s) occurred:\n* {}", exited("task6"))),
            ],
        );
    })
    .await;
}
