//! Custom actions on the real engine: parallel containers, exit codes, fail-fast cancellation,
//! fail-safe aggregation, the action timeout, built images, and nothing left behind.

use std::time::{Duration, Instant};

use skiff_actions::ActionError;
use skiff_build::builder::BuiltImage;
use skiff_config::SkaffoldConfig;
use skiff_events::Phase;
use skiff_proto::enums::StatusCode;
use skiff_testenv::{LocalSession, Scratch, assert_contains, base_image, skaffold_config, unique};

/// Runs action `name` of `cfg` in `session` with `builds`.
async fn exec(
    session: &LocalSession,
    cfg: &SkaffoldConfig,
    name: &str,
    builds: &[BuiltImage],
) -> Result<(), ActionError> {
    let actions: Vec<_> = cfg.pipeline.custom_actions.iter().collect();
    skiff_actions::exec::exec(&actions, name, &session.local(builds)).await
}

/// A container of an action: `name` runs `script` in `image`.
fn container(name: &str, image: &str, script: &str) -> String {
    format!(
        "      - name: {name}\n        image: {image}\n        command: [\"/bin/sh\"]\n        args: [\"-c\", {script:?}]\n"
    )
}

/// A container of an action: `name` runs `script` in the base image.
fn base_container(name: &str, script: &str) -> String {
    container(name, &base_image(), script)
}

/// A config with one action `name` (extra action settings in `settings`) whose `containers`
/// run their images as the engine has them.
fn action(name: &str, settings: &str, containers: &[String]) -> SkaffoldConfig {
    skaffold_config(&format!(
        "customActions:\n  - name: {name}\n{settings}    executionMode:\n      local:\n        useLocalImages: true\n    containers:\n{}",
        containers.concat()
    ))
}

/// The message of a task that exited with `code`.
fn exited(task: &str, image: &str, code: i32) -> String {
    format!(
        "\"{task}\" running container image \"{image}\" errored during run with status code: {code}"
    )
}

#[tokio::test]
async fn containers_run_at_once_with_their_env_and_the_env_file() {
    LocalSession::test(async |session| {
        session.opts.env = vec![("FROM_FILE".into(), "from-env-file".into())];
        let (server, client) = (unique("server"), unique("client"));
        // The client can only finish once the server listens: both run at once, on one network.
        let mut cfg = action(
            "talk",
            "    timeout: 30\n",
            &[
                base_container(
                    &server,
                    "echo hello-$FOO-$FROM_FILE; nc -l -p 7000; echo bye-$FOO",
                ),
                base_container(
                    &client,
                    &format!("until echo ping | nc {server} 7000; do sleep 0.1; done"),
                ),
            ],
        );
        cfg.pipeline.custom_actions[0].containers[0]
            .env
            .push(skiff_config::model::VerifyEnvVar {
                name: "FOO".into(),
                value: "from-server".into(),
            });

        exec(session, &cfg, "talk", &[]).await.unwrap();

        let printed = session.printed();
        for line in [
            "Starting execution for talk\n".to_owned(),
            format!("[{server}] hello-from-server-from-env-file\n"),
            format!("[{server}] ping\n"),
            format!("[{server}] bye-from-server\n"),
        ] {
            assert_contains(&printed, &line);
        }
        assert_eq!(session.statuses(&server), ["InProgress", "Succeeded"]);
        assert_eq!(session.statuses(&client), ["InProgress", "Succeeded"]);
        let tasks: Vec<String> = session.tasks().iter().map(|t| t.line()).collect();
        assert_eq!(
            tasks,
            [
                "task Exec-0 InProgress Executing custom action talk",
                "task Exec-0 Succeeded"
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn fail_fast_stops_the_siblings_of_the_first_failure() {
    LocalSession::test(async |session| {
        let (sleeper, failer) = (unique("task3"), unique("task4"));
        let cfg = action(
            "fail-fast",
            "",
            &[
                base_container(&sleeper, "echo hello; sleep 60; echo bye"),
                base_container(&failer, "echo hello && exit 1"),
            ],
        );
        let started = Instant::now();

        let err = exec(session, &cfg, "fail-fast", &[]).await.unwrap_err();

        assert!(started.elapsed() < Duration::from_secs(30));
        let failure = exited(&failer, &base_image(), 1);
        assert_eq!(err.to_string(), failure);
        assert_eq!(session.failure(&failer), failure);
        assert_eq!(session.failure(&sleeper), "context canceled");
        let task = session.tasks().pop().unwrap();
        assert_eq!(
            (task.status.as_str(), task.message()),
            ("Failed", &*failure)
        );
        assert!(!session.printed().contains(&format!("[{sleeper}] bye")));
    })
    .await;
}

#[tokio::test]
async fn fail_safe_runs_everything_and_lists_every_failure() {
    LocalSession::test(async |session| {
        let (ok, first, second) = (unique("task5"), unique("task6"), unique("task7"));
        let cfg = action(
            "fail-safe",
            "    failFast: false\n",
            &[
                base_container(&ok, "echo hello; sleep 1; echo bye"),
                base_container(&first, "exit 1"),
                base_container(&second, "sleep 0.5; exit 3"),
            ],
        );

        let err = exec(session, &cfg, "fail-safe", &[]).await.unwrap_err();

        let image = base_image();
        let expected = format!(
            "2 error(s) occurred:\n* {}\n* {}",
            exited(&first, &image, 1),
            exited(&second, &image, 3)
        );
        assert_eq!(err.to_string(), expected);
        let actionable = err.actionable(Phase::Exec);
        assert_eq!(actionable.err_code, StatusCode::UnknownError as i32);
        assert_eq!(session.statuses(&ok), ["InProgress", "Succeeded"]);
        assert_contains(&session.printed(), &format!("[{ok}] bye\n"));
        assert_eq!(session.tasks().pop().unwrap().message(), expected);
    })
    .await;
}

#[tokio::test]
async fn the_action_timeout_stops_what_still_runs() {
    LocalSession::test(async |session| {
        let slow = unique("task1");
        let cfg = action(
            "slow",
            "    timeout: 1\n",
            &[base_container(&slow, "echo hello; sleep 60; echo bye")],
        );
        let started = Instant::now();

        let err = exec(session, &cfg, "slow", &[]).await.unwrap_err();

        assert!(started.elapsed() < Duration::from_secs(30));
        assert_eq!(err.to_string(), "context deadline exceeded");
        assert_eq!(session.failure(&slow), "context deadline exceeded");
        let printed = session.printed();
        assert_contains(&printed, &format!("[{slow}] hello\n"));
        assert!(!printed.contains(&format!("[{slow}] bye")), "{printed}");
    })
    .await;
}

#[tokio::test]
async fn a_built_artifact_runs_as_built() {
    LocalSession::test(async |session| {
        // A "build" of image `app`: the base image under a name of its own.
        let mut scratch = Scratch::new(&session.engine);
        let reference = scratch.image(&unique("skiff-actions-app"), "").await;
        let builds = [BuiltImage {
            image_name: "app".into(),
            reference: reference.clone(),
        }];
        let task = unique("local-img-task1");
        // Without useLocalImages: a built image is not pulled.
        let cfg = skaffold_config(&format!(
            "customActions:\n  - name: built\n    containers:\n{}",
            container(&task, "app", "echo built; exit 4")
        ));

        let err = exec(session, &cfg, "built", &builds).await.unwrap_err();

        assert_eq!(err.to_string(), exited(&task, &reference, 4));
        let printed = session.printed();
        assert!(
            printed.starts_with(&format!("Tags used in execution:\n - app -> {reference}\n")),
            "{printed}"
        );
        assert_contains(&printed, &format!("[{task}] built\n"));
    })
    .await;
}

#[tokio::test]
async fn an_unknown_action_fails_the_task() {
    LocalSession::test(async |session| {
        let cfg = action("known", "", &[base_container(&unique("t"), "true")]);

        let err = exec(session, &cfg, "nope", &[]).await.unwrap_err();

        assert_eq!(err.to_string(), "custom action nope not found");
        assert_eq!(
            err.actionable(Phase::Exec).err_code,
            StatusCode::UnknownError as i32
        );
        let tasks = session.tasks();
        assert_eq!(tasks.len(), 2);
        assert_eq!(tasks[0].description, "Executing custom action nope");
        assert_eq!(tasks[1].message(), "custom action nope not found");
        assert!(session.printed().is_empty());
    })
    .await;
}

#[tokio::test]
async fn cluster_actions_are_refused_with_the_alternative() {
    LocalSession::test(async |session| {
        let cfg = skaffold_config(&format!(
            "customActions:\n  - name: in-cluster\n    executionMode:\n      kubernetesCluster: {{}}\n    containers:\n{}",
            base_container("t", "true")
        ));

        let err = exec(session, &cfg, "in-cluster", &[]).await.unwrap_err();

        let message = err.to_string();
        assert!(
            message.starts_with(r#"custom action "in-cluster": executionMode.kubernetesCluster"#),
            "{message}"
        );
        assert_contains(&message, "executionMode.local");
        assert_eq!(
            err.actionable(Phase::Exec).err_code,
            StatusCode::InitCreateDeployerError as i32
        );
    })
    .await;
}
