//! Verification tests on the real engine: output and env in the events, failures and timeouts
//! in Skaffold's words, pulls, the `--docker-network` flag, and nothing left behind.

use std::time::{Duration, Instant};

use skiff_actions::ActionError;
use skiff_config::SkaffoldConfig;
use skiff_events::{Phase, Stream};
use skiff_proto::enums::StatusCode;
use skiff_proto::v2::event::EventType;
use skiff_testenv::{
    EventLogText, LocalSession, assert_contains, base_image, recorded_events, registry,
    skaffold_config, unique,
};

/// Runs the verify tests of `cfg` in `session`.
async fn verify(session: &LocalSession, cfg: &SkaffoldConfig) -> Result<(), ActionError> {
    let tests: Vec<_> = cfg.pipeline.verify.iter().collect();
    skiff_actions::verify::verify(&tests, &session.local(&[])).await
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

/// A config with the verification `tests`.
fn verify_config(tests: &[String]) -> SkaffoldConfig {
    skaffold_config(&format!("verify:\n{}", tests.concat()))
}

#[tokio::test]
async fn output_and_env_reach_the_events_and_the_event_log() {
    LocalSession::test(async |session| {
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

        verify(session, &cfg).await.unwrap();

        let printed = session.printed();
        assert_contains(&printed, &format!("[{pulled}] Hello from Docker!\n"));
        assert_contains(&printed, &format!("[{local}] foo-var\n"));
        assert_eq!(session.statuses(&pulled), ["InProgress", "Succeeded"]);
        assert_eq!(session.statuses(&local), ["InProgress", "Succeeded"]);
        assert!(session.logs().contains(&(
            "Verify-0".into(),
            local.clone(),
            format!("[{local}] foo-var\n")
        )));
        let tasks: Vec<String> = session.tasks().iter().map(|t| t.line()).collect();
        assert_eq!(
            tasks,
            [
                "task Verify-0 InProgress Running verification test(s) locally",
                "task Verify-0 Succeeded"
            ]
        );
        let log = session.event_log();
        for text in [
            "Hello from Docker!".to_owned(),
            "foo-var".to_owned(),
            EventLogText::VERIFY.subtask(&local, "Succeeded"),
        ] {
            assert_contains(&log, &text);
        }
        let app_logs = recorded_events(session.hub(), Stream::ApplicationLogs, |e| match e {
            EventType::ApplicationLogEvent(l) => Some(l.clone()),
            _ => None,
        });
        assert!(app_logs.iter().any(|l| l.container_name == pulled
            && l.message == "Hello from Docker!\n"
            && l.prefix == format!("[{pulled}] ")));
    })
    .await;
}

#[tokio::test]
async fn failures_and_timeouts_are_reported_per_test_and_together() {
    LocalSession::test(async |session| {
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

        let err = verify(session, &cfg).await.unwrap_err();

        assert!(started.elapsed() < Duration::from_secs(30));
        let image = base_image();
        let exited = format!(
            "\"{fails}\" running container image \"{image}\" errored during run with status code: 1"
        );
        let timed_out = format!("\"{slow}\" running container image \"{image}\" timed out after : 2s");
        let together = format!(
            "2 error(s) occurred:\n* verify test failed: {exited}\n* verify test failed: {timed_out}"
        );
        assert_eq!(err.to_string(), together);
        let actionable = err.actionable(Phase::Verify);
        assert_eq!(actionable.err_code, StatusCode::UnknownError as i32);
        assert_eq!(session.failure(&fails), exited);
        assert_eq!(session.failure(&slow), timed_out);
        assert_eq!(session.statuses(&passes), ["InProgress", "Succeeded"]);
        let printed = session.printed();
        assert_contains(&printed, &format!("[{slow}] alpine-1\n"));
        assert!(!printed.contains("bye alpine-1"), "{printed}");
        assert_contains(&printed, &format!("[{passes}] bye alpine-2\n"));
        let log = session.event_log();
        assert_contains(&log, &EventLogText::VERIFY.subtask_failed(&fails, &exited));
        assert_contains(&log, &EventLogText::VERIFY.failed(&together));
    })
    .await;
}

#[tokio::test]
async fn a_missing_docker_network_fails_the_test() {
    LocalSession::test(async |session| {
        let network = unique("not-created-network");
        session.opts.network = Some(network.clone());
        let name = unique("t");
        let cfg = verify_config(&[local_test(&name, "true", "")]);

        let err = verify(session, &cfg).await.unwrap_err();

        let message = err.to_string();
        assert!(
            message.starts_with("1 error(s) occurred:\n* creating container in local docker: "),
            "{message}"
        );
        // dockerd: "network <name> not found"; Podman: "unable to find network with name or ID
        // <name>: network not found".
        assert_contains(&message, &network);
        assert!(message.ends_with("not found"), "{message}");
        let event = session.failure(&name);
        assert!(!event.starts_with("creating container"), "{event}");
        assert_contains(&event, &network);
    })
    .await;
}

#[tokio::test]
async fn an_image_that_cannot_be_pulled_runs_from_its_local_copy() {
    LocalSession::test(async |session| {
        // No useLocalImages: Skaffold would pull the base image and fail, as no registry has it.
        let name = unique("t");
        let cfg = verify_config(&[test_case(&name, &base_image(), "echo local", "")]);

        verify(session, &cfg).await.unwrap();

        assert_contains(&session.printed(), &format!("[{name}] local\n"));
    })
    .await;
}

#[tokio::test]
async fn a_failed_pull_fails_the_task() {
    LocalSession::test(async |session| {
        let missing = format!("{}/{}:v1", registry(), unique("missing"));
        let cfg = verify_config(&[test_case(&unique("t"), &missing, "true", "")]);

        let err = verify(session, &cfg).await.unwrap_err();

        assert!(
            err.to_string().starts_with(&format!("pulling {missing}: ")),
            "{err}"
        );
        let progress: Vec<String> = session.progress().iter().map(|p| p.line()).collect();
        assert_eq!(
            progress,
            [
                "task Verify-0 InProgress Running verification test(s) locally".to_owned(),
                format!("task Verify-0 Failed {}", StatusCode::UnknownError as i32),
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn no_tests_fail_before_the_task() {
    LocalSession::test(async |session| {
        let cfg = skaffold_config("verify:\n");

        let err = verify(session, &cfg).await.unwrap_err();

        assert_eq!(
            err.to_string(),
            "verify command expects non-zero number of test cases"
        );
        assert!(session.hub().history(Stream::Events).is_empty());
    })
    .await;
}
