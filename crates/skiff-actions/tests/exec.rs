//! Custom actions on the real engine: parallel containers, exit codes, fail-fast cancellation,
//! fail-safe aggregation, the action timeout, built images, and nothing left behind.

mod common;

use std::time::{Duration, Instant};

use common::{Session, config, failure_of, statuses_of, tasks};
use skiff_actions::ActionError;
use skiff_build::builder::BuiltImage;
use skiff_config::SkaffoldConfig;
use skiff_proto::enums::StatusCode;
use skiff_testenv::{base_image, unique};

/// Runs action `name` of `cfg` in `session` with `builds`.
async fn exec(
    session: &Session,
    cfg: &SkaffoldConfig,
    name: &str,
    builds: &[BuiltImage],
) -> Result<(), ActionError> {
    let actions: Vec<_> = cfg.pipeline.custom_actions.iter().collect();
    skiff_actions::exec::exec(
        &actions,
        name,
        builds,
        &session.engine,
        &session.opts,
        &session.output,
    )
    .await
}

/// A container of an action: `name` runs `script` in the base image (taken as local).
fn container(name: &str, script: &str) -> String {
    format!(
        "      - name: {name}\n        image: {}\n        command: [\"/bin/sh\"]\n        args: [\"-c\", {script:?}]\n",
        base_image()
    )
}

/// A config with one action `name` (extra action settings in `settings`) and `containers`.
fn action(name: &str, settings: &str, containers: &[String]) -> SkaffoldConfig {
    config(&format!(
        "apiVersion: skaffold/v4beta14\nkind: Config\ncustomActions:\n  - name: {name}\n{settings}    executionMode:\n      local:\n        useLocalImages: true\n    containers:\n{}",
        containers.concat()
    ))
}

#[tokio::test]
async fn containers_run_at_once_with_their_env_and_the_env_file() {
    let Some(mut session) = Session::new().await else {
        return;
    };
    session.opts.env = vec![("FROM_FILE".into(), "from-env-file".into())];
    let (server, client) = (unique("server"), unique("client"));
    // The client can only finish once the server listens: both run at once, on one network.
    let cfg = action(
        "talk",
        "    timeout: 30\n",
        &[
            container(
                &server,
                "echo hello-$FOO-$FROM_FILE; nc -l -p 7000; echo bye-$FOO",
            ),
            container(
                &client,
                &format!("until echo ping | nc {server} 7000; do sleep 0.1; done"),
            ),
        ],
    )
    .with_env(&server, "FOO", "from-server");

    exec(&session, &cfg, "talk", &[]).await.unwrap();

    let printed = session.printed();
    assert!(
        printed.contains("Starting execution for talk\n"),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("[{server}] hello-from-server-from-env-file\n")),
        "{printed}"
    );
    assert!(printed.contains(&format!("[{server}] ping\n")), "{printed}");
    assert!(
        printed.contains(&format!("[{server}] bye-from-server\n")),
        "{printed}"
    );
    let events = session.events();
    assert_eq!(statuses_of(&events, &server), ["InProgress", "Succeeded"]);
    assert_eq!(statuses_of(&events, &client), ["InProgress", "Succeeded"]);
    assert_eq!(
        tasks(&events),
        [
            (
                "Exec-0".into(),
                "InProgress".into(),
                "Executing custom action talk".into(),
                String::new()
            ),
            (
                "Exec-0".into(),
                "Succeeded".into(),
                String::new(),
                String::new()
            ),
        ]
    );
    session.assert_nothing_left().await;
}

#[tokio::test]
async fn fail_fast_stops_the_siblings_of_the_first_failure() {
    let Some(session) = Session::new().await else {
        return;
    };
    let (sleeper, failer) = (unique("task3"), unique("task4"));
    let cfg = action(
        "fail-fast",
        "",
        &[
            container(&sleeper, "echo hello; sleep 60; echo bye"),
            container(&failer, "echo hello && exit 1"),
        ],
    );
    let started = Instant::now();

    let err = exec(&session, &cfg, "fail-fast", &[]).await.unwrap_err();

    assert!(started.elapsed() < Duration::from_secs(30));
    let failure = format!(
        "\"{failer}\" running container image \"{}\" errored during run with status code: 1",
        base_image()
    );
    assert_eq!(err.to_string(), failure);
    let events = session.events();
    assert_eq!(failure_of(&events, &failer), failure);
    assert_eq!(failure_of(&events, &sleeper), "context canceled");
    let task_failure = tasks(&events).pop().unwrap();
    assert_eq!(task_failure.1, "Failed");
    assert_eq!(task_failure.3, failure);
    assert!(!session.printed().contains(&format!("[{sleeper}] bye")));
    session.assert_nothing_left().await;
}

#[tokio::test]
async fn fail_safe_runs_everything_and_lists_every_failure() {
    let Some(session) = Session::new().await else {
        return;
    };
    let (ok, first, second) = (unique("task5"), unique("task6"), unique("task7"));
    let cfg = action(
        "fail-safe",
        "    failFast: false\n",
        &[
            container(&ok, "echo hello; sleep 1; echo bye"),
            container(&first, "exit 1"),
            container(&second, "sleep 0.5; exit 3"),
        ],
    );

    let err = exec(&session, &cfg, "fail-safe", &[]).await.unwrap_err();

    let image = base_image();
    let expected = format!(
        "2 error(s) occurred:\n* \"{first}\" running container image \"{image}\" errored during run with status code: 1\n* \"{second}\" running container image \"{image}\" errored during run with status code: 3"
    );
    assert_eq!(err.to_string(), expected);
    let actionable = err.actionable(skiff_events::Phase::Exec);
    assert_eq!(actionable.err_code, StatusCode::UnknownError as i32);
    let events = session.events();
    assert_eq!(statuses_of(&events, &ok), ["InProgress", "Succeeded"]);
    assert!(session.printed().contains(&format!("[{ok}] bye\n")));
    assert_eq!(tasks(&events).pop().unwrap().3, expected);
    session.assert_nothing_left().await;
}

#[tokio::test]
async fn the_action_timeout_stops_what_still_runs() {
    let Some(session) = Session::new().await else {
        return;
    };
    let slow = unique("task1");
    let cfg = action(
        "slow",
        "    timeout: 1\n",
        &[container(&slow, "echo hello; sleep 60; echo bye")],
    );
    let started = Instant::now();

    let err = exec(&session, &cfg, "slow", &[]).await.unwrap_err();

    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(err.to_string(), "context deadline exceeded");
    let events = session.events();
    assert_eq!(failure_of(&events, &slow), "context deadline exceeded");
    let printed = session.printed();
    assert!(printed.contains(&format!("[{slow}] hello\n")), "{printed}");
    assert!(!printed.contains(&format!("[{slow}] bye")), "{printed}");
    session.assert_nothing_left().await;
}

#[tokio::test]
async fn a_built_artifact_runs_as_built() {
    let Some(session) = Session::new().await else {
        return;
    };
    // A "build" of image `app`: the base image under a tag of its own.
    let reference = format!("{}:{}", unique("skiff-actions-app"), "v1");
    session
        .engine
        .tag(&base_image(), &reference)
        .await
        .expect("tag the base image");
    let builds = [BuiltImage {
        image_name: "app".into(),
        reference: reference.clone(),
    }];
    let task = unique("local-img-task1");
    let cfg = config(&format!(
        "apiVersion: skaffold/v4beta14\nkind: Config\ncustomActions:\n  - name: built\n    containers:\n      - name: {task}\n        image: app\n        command: [\"/bin/sh\"]\n        args: [\"-c\", \"echo built; exit 4\"]\n"
    ));

    let err = exec(&session, &cfg, "built", &builds).await.unwrap_err();

    session
        .engine
        .client()
        .remove_image(
            &reference,
            None::<bollard::query_parameters::RemoveImageOptions>,
            None,
        )
        .await
        .expect("remove the tag");
    assert_eq!(
        err.to_string(),
        format!(
            "\"{task}\" running container image \"{reference}\" errored during run with status code: 4"
        )
    );
    let printed = session.printed();
    assert!(
        printed.starts_with(&format!("Tags used in execution:\n - app -> {reference}\n")),
        "{printed}"
    );
    assert!(printed.contains(&format!("[{task}] built\n")), "{printed}");
    session.assert_nothing_left().await;
}

#[tokio::test]
async fn an_unknown_action_fails_the_task() {
    let Some(session) = Session::new().await else {
        return;
    };
    let cfg = action("known", "", &[container(&unique("t"), "true")]);

    let err = exec(&session, &cfg, "nope", &[]).await.unwrap_err();

    assert_eq!(err.to_string(), "custom action nope not found");
    assert_eq!(
        err.actionable(skiff_events::Phase::Exec).err_code,
        StatusCode::UnknownError as i32
    );
    let tasks = tasks(&session.events());
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[0].2, "Executing custom action nope");
    assert_eq!(tasks[1].3, "custom action nope not found");
    assert!(session.printed().is_empty());
}

#[tokio::test]
async fn cluster_actions_are_refused_with_the_alternative() {
    let Some(session) = Session::new().await else {
        return;
    };
    let cfg = config(&format!(
        "apiVersion: skaffold/v4beta14\nkind: Config\ncustomActions:\n  - name: in-cluster\n    executionMode:\n      kubernetesCluster: {{}}\n    containers:\n{}",
        container("t", "true")
    ));

    let err = exec(&session, &cfg, "in-cluster", &[]).await.unwrap_err();

    let message = err.to_string();
    assert!(
        message.contains("executionMode.kubernetesCluster"),
        "{message}"
    );
    assert!(message.contains("executionMode.local"), "{message}");
    assert_eq!(
        err.actionable(skiff_events::Phase::Exec).err_code,
        StatusCode::InitCreateDeployerError as i32
    );
    session.assert_nothing_left().await;
}

/// Sets an env var on a container of a test config.
trait WithEnv {
    fn with_env(self, container: &str, name: &str, value: &str) -> Self;
}

impl WithEnv for SkaffoldConfig {
    fn with_env(mut self, container: &str, name: &str, value: &str) -> Self {
        let c = self
            .pipeline
            .custom_actions
            .iter_mut()
            .flat_map(|a| a.containers.iter_mut())
            .find(|c| c.name == container)
            .unwrap();
        c.env.push(skiff_config::model::VerifyEnvVar {
            name: name.into(),
            value: value.into(),
        });
        self
    }
}
