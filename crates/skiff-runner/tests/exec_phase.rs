//! The exec phase on the real engine, pinned to the `.v2` event log lines Skaffold's
//! `TestExec_ActionsEvents` asserts (with the test base image in place of `alpine:3.15.4`).

mod local_phase;

use local_phase::{Session, assert_contains_all, config};
use skiff_config::SkaffoldConfig;
use skiff_events::Phase;
use skiff_proto::enums::StatusCode;
use skiff_runner::PipelineError;
use skiff_testenv::base_image;

/// Skaffold's `custom-actions-local` actions on the base image.
const ACTIONS: &str = r#"apiVersion: skaffold/v4beta14
kind: Config
customActions:
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

async fn exec(session: &Session, cfg: &SkaffoldConfig, action: &str) -> Result<(), PipelineError> {
    skiff_runner::exec::exec(
        &[cfg],
        action,
        &[],
        &session.engine,
        &session.opts,
        &session.output,
    )
    .await
}

/// The `.v2` text of a failed execEvent or taskEvent message naming `task`'s exit code 1.
fn exited(task: &str) -> String {
    format!(
        r#"\"{task}\" running container image \"{}\" errored during run with status code: 1"#,
        base_image()
    )
}

#[tokio::test]
async fn a_succeeded_action() {
    let Some(session) = Session::new(&[("FOO", "from-env-file")]).await else {
        return;
    };

    exec(&session, &config(ACTIONS), "action-succeeded")
        .await
        .unwrap();

    let printed = session.printed();
    assert!(
        printed.contains("[task7] hello-from-env-file\n"),
        "{printed}"
    );
    assert!(printed.contains("[task7] bye-from-env-file\n"), "{printed}");
    assert_contains_all(
        &session.event_log(),
        &[
            r#""taskEvent":{"id":"Exec-0","task":"Exec","description":"Executing custom action action-succeeded","status":"InProgress"}}"#.into(),
            r#""execEvent":{"id":"task7","taskId":"Exec-0","status":"InProgress"}}"#.into(),
            r#""execEvent":{"id":"task8","taskId":"Exec-0","status":"InProgress"}}"#.into(),
            r#""execEvent":{"id":"task7","taskId":"Exec-0","status":"Succeeded"}}"#.into(),
            r#""execEvent":{"id":"task8","taskId":"Exec-0","status":"Succeeded"}}"#.into(),
            r#""taskEvent":{"id":"Exec-0","task":"Exec","status":"Succeeded"}}"#.into(),
        ],
    );
    session.assert_nothing_left().await;
}

#[tokio::test]
async fn a_failing_action_that_fails_fast() {
    let Some(session) = Session::new(&[]).await else {
        return;
    };

    let err = exec(&session, &config(ACTIONS), "action-fail-fast")
        .await
        .unwrap_err();

    assert_eq!(err.phase, Phase::Exec);
    assert_eq!(err.code(), StatusCode::UnknownError);
    assert_eq!(err.to_string(), exited("task4").replace(r#"\""#, "\""));
    assert_contains_all(
        &session.event_log(),
        &[
            r#""taskEvent":{"id":"Exec-0","task":"Exec","description":"Executing custom action action-fail-fast","status":"InProgress"}}"#.into(),
            r#""execEvent":{"id":"task3","taskId":"Exec-0","status":"InProgress"}}"#.into(),
            r#""execEvent":{"id":"task4","taskId":"Exec-0","status":"InProgress"}}"#.into(),
            format!(
                r#""execEvent":{{"id":"task4","taskId":"Exec-0","status":"Failed","actionableErr":{{"errCode":"UNKNOWN_ERROR","message":"{}""#,
                exited("task4")
            ),
            r#""execEvent":{"id":"task3","taskId":"Exec-0","status":"Failed","actionableErr":{"errCode":"UNKNOWN_ERROR","message":"context canceled""#.into(),
            format!(
                r#""taskEvent":{{"id":"Exec-0","task":"Exec","status":"Failed","actionableErr":{{"errCode":"UNKNOWN_ERROR","message":"{}""#,
                exited("task4")
            ),
        ],
    );
    session.assert_nothing_left().await;
}

#[tokio::test]
async fn a_failing_action_that_fails_safe() {
    let Some(session) = Session::new(&[]).await else {
        return;
    };

    let err = exec(&session, &config(ACTIONS), "action-fail-safe")
        .await
        .unwrap_err();

    assert_eq!(err.code(), StatusCode::UnknownError);
    assert!(session.printed().contains("[task5] bye-from-task5\n"));
    assert_contains_all(
        &session.event_log(),
        &[
            r#""taskEvent":{"id":"Exec-0","task":"Exec","description":"Executing custom action action-fail-safe","status":"InProgress"}}"#.into(),
            r#""execEvent":{"id":"task5","taskId":"Exec-0","status":"InProgress"}}"#.into(),
            r#""execEvent":{"id":"task6","taskId":"Exec-0","status":"InProgress"}}"#.into(),
            format!(
                r#""execEvent":{{"id":"task6","taskId":"Exec-0","status":"Failed","actionableErr":{{"errCode":"UNKNOWN_ERROR","message":"{}""#,
                exited("task6")
            ),
            r#""execEvent":{"id":"task5","taskId":"Exec-0","status":"Succeeded"}}"#.into(),
            format!(
                r#""taskEvent":{{"id":"Exec-0","task":"Exec","status":"Failed","actionableErr":{{"errCode":"UNKNOWN_ERROR","message":"1 error(s) occurred:\n* {}""#,
                exited("task6")
            ),
        ],
    );
    session.assert_nothing_left().await;
}
