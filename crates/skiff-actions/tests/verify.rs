//! Verification tests on the real engine: output and env in the events, failures and timeouts
//! in Skaffold's words, pulls, the `--docker-network` flag, and nothing left behind.

mod common;

use std::time::{Duration, Instant};

use common::{Session, config, failure_of, logs, statuses_of, tasks};
use skiff_actions::ActionError;
use skiff_config::SkaffoldConfig;
use skiff_events::{Phase, Stream};
use skiff_proto::enums::StatusCode;
use skiff_proto::v2::event::EventType;
use skiff_testenv::{base_image, registry, unique};

/// Runs the verify tests of `cfg` in `session`.
async fn verify(session: &Session, cfg: &SkaffoldConfig) -> Result<(), ActionError> {
    let tests: Vec<_> = cfg.pipeline.verify.iter().collect();
    skiff_actions::verify::verify(&tests, &[], &session.engine, &session.opts, &session.output)
        .await
}

/// A test `name` running `script` in `image`; `extra` adds test settings.
fn test_case(name: &str, image: &str, script: &str, extra: &str) -> String {
    format!(
        "- name: {name}\n{extra}  container:\n    name: {name}\n    image: {image}\n    command: [\"/bin/sh\"]\n    args: [\"-c\", {script:?}]\n"
    )
}

/// A local test: the base image, taken as the engine has it.
fn local_test(name: &str, script: &str, extra: &str) -> String {
    test_case(
        name,
        &base_image(),
        script,
        &format!("{extra}  executionMode:\n    local:\n      useLocalImages: true\n"),
    )
}

fn verify_config(tests: &[String]) -> SkaffoldConfig {
    config(&format!(
        "apiVersion: skaffold/v4beta14\nkind: Config\nverify:\n{}",
        tests.concat()
    ))
}

#[tokio::test]
async fn output_and_env_reach_the_events_and_the_event_log() {
    let Some(mut session) = Session::new().await else {
        return;
    };
    session.opts.env = vec![("FOO".into(), "foo-var".into())];
    let (pulled, local) = (unique("hello-world"), unique("alpine"));
    // The registry copy of the base image is pulled (no useLocalImages), the other is not.
    let cfg = verify_config(&[
        test_case(
            &pulled,
            &format!("{}/skiff-base:busybox", registry()),
            "echo Hello from Docker!",
            "",
        ),
        local_test(&local, "echo $FOO; echo bye", ""),
    ]);

    verify(&session, &cfg).await.unwrap();

    let printed = session.printed();
    assert!(
        printed.contains(&format!("[{pulled}] Hello from Docker!\n")),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("[{local}] foo-var\n")),
        "{printed}"
    );
    let events = session.events();
    assert_eq!(statuses_of(&events, &pulled), ["InProgress", "Succeeded"]);
    assert_eq!(statuses_of(&events, &local), ["InProgress", "Succeeded"]);
    assert!(logs(&events).contains(&(
        "Verify-0".into(),
        local.clone(),
        format!("[{local}] foo-var\n")
    )));
    assert_eq!(
        tasks(&events),
        [
            (
                "Verify-0".into(),
                "InProgress".into(),
                "Running verification test(s) locally".into(),
                String::new()
            ),
            (
                "Verify-0".into(),
                "Succeeded".into(),
                String::new(),
                String::new()
            ),
        ]
    );
    let log = session.event_log();
    assert!(log.contains("Hello from Docker!"), "{log}");
    assert!(log.contains("foo-var"), "{log}");
    assert!(log.contains(&format!(
        r#""verifyEvent":{{"id":"{local}","taskId":"Verify-0","status":"Succeeded"}}}}"#
    )));
    let app_logs = session.hub.history(Stream::ApplicationLogs);
    assert!(app_logs.iter().any(|e| matches!(
        &e.event_type,
        Some(EventType::ApplicationLogEvent(l))
            if l.container_name == pulled && l.message == "Hello from Docker!\n"
                && l.prefix == format!("[{pulled}] ")
    )));
    session.assert_nothing_left().await;
}

#[tokio::test]
async fn failures_and_timeouts_are_reported_per_test_and_together() {
    let Some(session) = Session::new().await else {
        return;
    };
    let (fails, slow, passes) = (unique("alpine"), unique("alpine-1"), unique("alpine-2"));
    let cfg = verify_config(&[
        local_test(&fails, "echo failing; exit 1", ""),
        local_test(
            &slow,
            "echo alpine-1; sleep 60; echo bye alpine-1",
            "  timeout: 2\n",
        ),
        local_test(&passes, "sleep 1; echo bye alpine-2", "  timeout: 30\n"),
    ]);
    let started = Instant::now();

    let err = verify(&session, &cfg).await.unwrap_err();

    assert!(started.elapsed() < Duration::from_secs(30));
    let image = base_image();
    let exited = format!(
        "\"{fails}\" running container image \"{image}\" errored during run with status code: 1"
    );
    let timed_out = format!("\"{slow}\" running container image \"{image}\" timed out after : 2s");
    assert_eq!(
        err.to_string(),
        format!(
            "2 error(s) occurred:\n* verify test failed: {exited}\n* verify test failed: {timed_out}"
        )
    );
    let actionable = err.actionable(Phase::Verify);
    assert_eq!(actionable.err_code, StatusCode::UnknownError as i32);
    let events = session.events();
    assert_eq!(failure_of(&events, &fails), exited);
    assert_eq!(failure_of(&events, &slow), timed_out);
    assert_eq!(statuses_of(&events, &passes), ["InProgress", "Succeeded"]);
    let printed = session.printed();
    assert!(
        printed.contains(&format!("[{slow}] alpine-1\n")),
        "{printed}"
    );
    assert!(!printed.contains("bye alpine-1"), "{printed}");
    assert!(
        printed.contains(&format!("[{passes}] bye alpine-2\n")),
        "{printed}"
    );
    let log = session.event_log();
    assert!(log.contains(&format!(
        r#""verifyEvent":{{"id":"{fails}","taskId":"Verify-0","status":"Failed","actionableErr":{{"errCode":"UNKNOWN_ERROR","message":"\"{fails}\" running container image \"{image}\" errored during run with status code: 1""#
    )), "{log}");
    assert!(log.contains(&format!(
        r#""taskEvent":{{"id":"Verify-0","task":"Verify","status":"Failed","actionableErr":{{"errCode":"UNKNOWN_ERROR","message":"2 error(s) occurred:\n* verify test failed: \"{fails}\""#
    )), "{log}");
    session.assert_nothing_left().await;
}

#[tokio::test]
async fn a_missing_docker_network_fails_the_test() {
    let Some(mut session) = Session::new().await else {
        return;
    };
    let network = unique("not-created-network");
    session.opts.network = Some(network.clone());
    let name = unique("t");
    let cfg = verify_config(&[local_test(&name, "true", "")]);

    let err = verify(&session, &cfg).await.unwrap_err();

    let message = err.to_string();
    assert!(
        message.starts_with("1 error(s) occurred:\n* creating container in local docker: "),
        "{message}"
    );
    // dockerd: "network <name> not found"; Podman: "unable to find network with name or ID
    // <name>: network not found".
    assert!(
        message.contains(&network) && message.ends_with("not found"),
        "{message}"
    );
    let event = failure_of(&session.events(), &name);
    assert!(!event.starts_with("creating container"), "{event}");
    assert!(event.contains(&network), "{event}");
    session.assert_nothing_left().await;
}

#[tokio::test]
async fn an_image_that_cannot_be_pulled_runs_from_its_local_copy() {
    let Some(session) = Session::new().await else {
        return;
    };
    // No useLocalImages: Skaffold would pull the base image and fail, as no registry has it.
    let name = unique("t");
    let cfg = verify_config(&[test_case(&name, &base_image(), "echo local", "")]);

    verify(&session, &cfg).await.unwrap();

    assert!(session.printed().contains(&format!("[{name}] local\n")));
    session.assert_nothing_left().await;
}

#[tokio::test]
async fn a_failed_pull_fails_the_task() {
    let Some(session) = Session::new().await else {
        return;
    };
    let missing = format!("{}/{}:v1", registry(), unique("missing"));
    let cfg = verify_config(&[test_case(&unique("t"), &missing, "true", "")]);

    let err = verify(&session, &cfg).await.unwrap_err();

    assert!(
        err.to_string().starts_with(&format!("pulling {missing}: ")),
        "{err}"
    );
    let events = session.events();
    assert!(common::subtasks(&events).is_empty());
    assert_eq!(tasks(&events).pop().unwrap().1, "Failed");
    session.assert_nothing_left().await;
}

#[tokio::test]
async fn no_tests_fail_before_the_task() {
    let Some(session) = Session::new().await else {
        return;
    };
    let cfg = config("apiVersion: skaffold/v4beta14\nkind: Config\nverify:\n");

    let err = verify(&session, &cfg).await.unwrap_err();

    assert_eq!(
        err.to_string(),
        "verify command expects non-zero number of test cases"
    );
    assert!(session.events().is_empty());
}
