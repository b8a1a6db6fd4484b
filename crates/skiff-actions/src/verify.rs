//! `skiff verify`: every verification test's container on the local engine, all at once, as
//! the `Verify` task; each test reports a `verifyEvent` and its output prefixed `[<test>] `.
//! Every image is ready before the first test starts (Skaffold starts each test as soon as its
//! own image is there), and `timeout: 0` means no limit (Skaffold fails such a test at once).

use skiff_build::go_quote;
use skiff_config::model::VerifyTestCase;
use skiff_events::duration::go_duration;
use skiff_events::{Phase, Subtask};

use crate::error::{ActionError, TaskError};
use crate::local::{LocalContainer, LocalRun, base_name, valid_container_name};
use crate::network::with_network;
use crate::phase::{as_task, run_all, time_limit, write_tags};

/// The description of the `Verify` task.
pub const DESCRIPTION: &str = "Running verification test(s) locally";

/// Runs the verification `tests` (of every config, in order). Without tests, or with a test set
/// to run in a cluster, it fails before the task starts.
pub async fn verify(tests: &[&VerifyTestCase], local: &LocalRun<'_>) -> Result<(), ActionError> {
    check(tests)?;
    let images = tests.iter().map(|t| t.container.image.as_str());
    write_tags(local, Phase::Verify, "verification", images);
    as_task(
        local.output,
        Phase::Verify,
        DESCRIPTION,
        with_network(local, |network| async move {
            run_tests(tests, local, &network).await
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
            what: format!("verify test {}", go_quote(&test.name)),
        }),
        None => Ok(()),
    }
}

/// Prepares every test's image, then runs all tests at once and waits for all of them.
async fn run_tests(
    tests: &[&VerifyTestCase],
    local: &LocalRun<'_>,
    network: &str,
) -> Result<(), ActionError> {
    let mut containers = Vec::with_capacity(tests.len());
    for test in tests {
        let name = if valid_container_name(&test.container.name) {
            test.container.name.clone()
        } else {
            base_name(&test.container.image)
        };
        let mode = test.execution_mode.local.as_ref();
        let container =
            LocalContainer::prepare(&test.name, name, &test.container, mode, network, local)
                .await?;
        containers.push((container, test.timeout));
    }
    let timed = containers
        .iter()
        .map(|(container, timeout)| (container, timed_out(container, *timeout)));
    let failures = run_all(timed, Subtask::Verify, local, event_message, || {}).await;
    if failures.is_empty() {
        return Ok(());
    }
    let messages = failures.into_iter().map(|e| match e {
        TaskError::Create(_) => e.to_string(),
        e => format!("verify test failed: {e}"),
    });
    Err(ActionError::Tasks(messages.collect()))
}

/// Resolves with the timeout error once the test's `timeout` (seconds; none when unset or not
/// positive) has passed.
async fn timed_out(container: &LocalContainer, timeout: Option<i32>) -> TaskError {
    let Some(after) = time_limit(timeout) else {
        return std::future::pending().await;
    };
    tokio::time::sleep(after).await;
    TaskError::TimedOut {
        name: container.id.clone(),
        image: container.image().to_owned(),
        after: go_duration(after),
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
