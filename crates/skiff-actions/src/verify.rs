//! `skiff verify`: every verification test's container on the local engine, all at once, as
//! the `Verify` task; each test reports a `verifyEvent` and its output prefixed `[<test>] `.
//! Every image is ready before the first test starts (Skaffold starts each test as soon as its
//! own image is there), and `timeout: 0` means no limit (Skaffold fails such a test at once).

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use skiff_build::builder::BuiltImage;
use skiff_build::custom::process::format_duration;
use skiff_config::model::VerifyTestCase;
use skiff_docker::Engine;
use skiff_events::{Output, Phase, Subtask};

use crate::error::{ActionError, TaskError};
use crate::image;
use crate::local::{LocalContainer, LocalRunOptions, base_name, valid_container_name};
use crate::network::with_network;
use crate::phase::{as_task, run_reported, write_tags};

/// The description of the `Verify` task.
pub const DESCRIPTION: &str = "Running verification test(s) locally";

/// Runs the verification `tests` (of every config, in order) with the images of `builds`.
/// Without tests, or with a test set to run in a cluster, it fails before the task starts.
pub async fn verify(
    tests: &[&VerifyTestCase],
    builds: &[BuiltImage],
    engine: &Engine,
    opts: &LocalRunOptions,
    output: &Output,
) -> Result<(), ActionError> {
    check(tests)?;
    let images = tests.iter().map(|t| t.container.image.as_str());
    write_tags(output, Phase::Verify, "verification", images, builds);
    as_task(
        output,
        Phase::Verify,
        DESCRIPTION,
        with_network(engine, opts, |network| async move {
            run_tests(tests, builds, engine, &network, opts, output).await
        }),
    )
    .await
}

/// Checks that there are tests and that all of them run on the local engine.
fn check(tests: &[&VerifyTestCase]) -> Result<(), ActionError> {
    if tests.is_empty() {
        return Err(ActionError::NoVerifyTests);
    }
    match tests
        .iter()
        .find(|t| t.execution_mode.kubernetes_cluster.is_some())
    {
        Some(test) => Err(ActionError::KubernetesCluster {
            what: format!("verify test {:?}", test.name),
        }),
        None => Ok(()),
    }
}

/// Prepares every test's image, then runs all tests at once and waits for all of them.
async fn run_tests(
    tests: &[&VerifyTestCase],
    builds: &[BuiltImage],
    engine: &Engine,
    network: &str,
    opts: &LocalRunOptions,
    output: &Output,
) -> Result<(), ActionError> {
    let mut containers = Vec::with_capacity(tests.len());
    for test in tests {
        let use_local = test
            .execution_mode
            .local
            .as_ref()
            .is_some_and(|l| l.use_local_images);
        let image = image::prepare(engine, &test.container.image, builds, use_local)
            .await
            .map_err(ActionError::Image)?;
        let name = if valid_container_name(&test.container.name) {
            test.container.name.clone()
        } else {
            base_name(&test.container.image)
        };
        let container =
            LocalContainer::new(&test.name, name, &test.container, image, network, opts);
        containers.push((container, test.timeout));
    }
    let mut running: FuturesUnordered<_> = containers
        .iter()
        .map(|(container, timeout)| {
            run_reported(
                container,
                Subtask::Verify,
                engine,
                timed_out(container, *timeout),
                output,
                event_message,
            )
        })
        .collect();
    let mut failures = Vec::new();
    while let Some(result) = running.next().await {
        if let Err(e) = result {
            failures.push(match e {
                TaskError::Create(_) => e.to_string(),
                e => format!("verify test failed: {e}"),
            });
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(ActionError::Tasks(failures))
    }
}

/// Resolves with the timeout error once the test's `timeout` (seconds; none when unset or not
/// positive) has passed.
async fn timed_out(container: &LocalContainer, timeout: Option<i32>) -> TaskError {
    let Some(after) = timeout
        .and_then(|t| u64::try_from(t).ok())
        .filter(|t| *t > 0)
        .map(Duration::from_secs)
    else {
        return std::future::pending().await;
    };
    tokio::time::sleep(after).await;
    TaskError::TimedOut {
        name: container.id.clone(),
        image: container.image().to_owned(),
        after: format_duration(after),
    }
}

/// The message of a failed `verifyEvent`: the error itself, as the engine gave it when the
/// container could not be created.
fn event_message(error: &TaskError) -> String {
    match error {
        TaskError::Create(e) => e.to_string(),
        e => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_config::model::KubernetesClusterVerifier;

    #[test]
    fn tests_must_exist_and_run_locally() {
        assert!(matches!(check(&[]), Err(ActionError::NoVerifyTests)));
        let mut test = VerifyTestCase {
            name: "t1".into(),
            ..Default::default()
        };
        assert!(check(&[&test]).is_ok());
        test.execution_mode.kubernetes_cluster = Some(KubernetesClusterVerifier::default());
        let err = check(&[&test]).unwrap_err().to_string();
        assert!(err.starts_with(r#"verify test "t1": executionMode.kubernetesCluster"#));
        assert!(err.contains("executionMode.local"));
    }
}
