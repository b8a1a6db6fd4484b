//! `skiff exec ACTION`: a custom action's containers on the local engine, all at once, as the
//! `Exec` task; each container reports an `execEvent` and its output prefixed `[<name>] `.
//! With `failFast` (the default) the first failure stops the others; otherwise every failure
//! is collected. The action's `timeout` stops whatever still runs.

use skiff_build::go_quote;
use skiff_config::model::Action;
use skiff_events::{Phase, Subtask};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::error::{ActionError, TaskError};
use crate::local::{LocalContainer, LocalRun, base_name};
use crate::network::with_network;
use crate::phase::{as_task, run_all, time_limit, write_tags};

/// Runs the custom action `name`, one of `actions` (of every config).
pub async fn exec(
    actions: &[&Action],
    name: &str,
    local: &LocalRun<'_>,
) -> Result<(), ActionError> {
    let action = actions.iter().copied().find(|a| a.name == name);
    if let Some(action) = action {
        let images = action.containers.iter().map(|c| c.image.as_str());
        write_tags(local, Phase::Exec, "execution", images);
    }
    let description = format!("Executing custom action {name}");
    as_task(local.output, Phase::Exec, &description, async {
        let action = action.ok_or_else(|| ActionError::ActionNotFound(name.to_owned()))?;
        if action.execution_mode.kubernetes_cluster.is_some() {
            return Err(ActionError::KubernetesCluster {
                what: format!("custom action {}", go_quote(name)),
            });
        }
        local
            .output
            .phase(Phase::Exec, &format!("Starting execution for {name}\n"));
        with_network(local, |network| async move {
            run_action(action, local, &network).await
        })
        .await
    })
    .await
}

/// Prepares every container's image, then runs them all at once and waits for all of them.
async fn run_action(
    action: &Action,
    local: &LocalRun<'_>,
    network: &str,
) -> Result<(), ActionError> {
    let mode = action.execution_mode.local.as_ref();
    let mut containers = Vec::with_capacity(action.containers.len());
    for container in &action.containers {
        let name = base_name(&container.name);
        containers.push(
            LocalContainer::prepare(&container.name, name, container, mode, network, local).await?,
        );
    }

    let fail_fast = action.fail_fast.unwrap_or(true);
    let deadline = time_limit(action.timeout).map(|limit| Instant::now() + limit);
    let (cancel, canceled) = watch::channel(false);
    let stoppable = containers
        .iter()
        .map(|container| (container, stopped(deadline, canceled.clone())));
    let mut failures = run_all(
        stoppable,
        Subtask::Exec,
        local,
        TaskError::to_string,
        || {
            if fail_fast {
                cancel.send_replace(true);
            }
        },
    )
    .await;
    if failures.is_empty() {
        Ok(())
    } else if fail_fast {
        Err(ActionError::Task(failures.swap_remove(0)))
    } else {
        Err(ActionError::Tasks(
            failures.iter().map(TaskError::to_string).collect(),
        ))
    }
}

/// Resolves when the action's deadline passes, or when a failing sibling cancels the rest.
async fn stopped(deadline: Option<Instant>, mut canceled: watch::Receiver<bool>) -> TaskError {
    let deadline_passed = async {
        match deadline {
            Some(deadline) => tokio::time::sleep_until(deadline).await,
            None => std::future::pending().await,
        }
    };
    let sibling_failed = async {
        if canceled.wait_for(|c| *c).await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        biased;
        () = deadline_passed => TaskError::DeadlineExceeded,
        () = sibling_failed => TaskError::Canceled,
    }
}
