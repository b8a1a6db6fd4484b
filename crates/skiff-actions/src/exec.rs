//! `skiff exec ACTION`: a custom action's containers on the local engine, all at once, as the
//! `Exec` task; each container reports an `execEvent` and its output prefixed `[<name>] `.
//! With `failFast` (the default) the first failure stops the others; otherwise every failure
//! is collected. The action's `timeout` stops whatever still runs.

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use skiff_build::builder::BuiltImage;
use skiff_config::model::Action;
use skiff_docker::Engine;
use skiff_events::{Output, Phase, Subtask};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::error::{ActionError, TaskError};
use crate::image;
use crate::local::{LocalContainer, LocalRunOptions, base_name};
use crate::network::with_network;
use crate::phase::{as_task, run_reported, write_tags};

/// Runs the custom action `name`, one of `actions` (of every config), with the images of
/// `builds`.
pub async fn exec(
    actions: &[&Action],
    name: &str,
    builds: &[BuiltImage],
    engine: &Engine,
    opts: &LocalRunOptions,
    output: &Output,
) -> Result<(), ActionError> {
    let action = actions.iter().copied().find(|a| a.name == name);
    if let Some(action) = action {
        let images = action.containers.iter().map(|c| c.image.as_str());
        write_tags(output, Phase::Exec, "execution", images, builds);
    }
    let description = format!("Executing custom action {name}");
    as_task(output, Phase::Exec, &description, async {
        let action = action.ok_or_else(|| ActionError::ActionNotFound(name.to_owned()))?;
        if action.execution_mode.kubernetes_cluster.is_some() {
            return Err(ActionError::KubernetesCluster {
                what: format!("custom action {name:?}"),
            });
        }
        output.phase(Phase::Exec, &format!("Starting execution for {name}\n"));
        with_network(engine, opts, |network| async move {
            run_action(action, builds, engine, &network, opts, output).await
        })
        .await
    })
    .await
}

/// Prepares every container's image, then runs them all at once and waits for all of them.
async fn run_action(
    action: &Action,
    builds: &[BuiltImage],
    engine: &Engine,
    network: &str,
    opts: &LocalRunOptions,
    output: &Output,
) -> Result<(), ActionError> {
    let use_local = action
        .execution_mode
        .local
        .as_ref()
        .is_some_and(|l| l.use_local_images);
    let mut containers = Vec::with_capacity(action.containers.len());
    for container in &action.containers {
        let image = image::prepare(engine, &container.image, builds, use_local)
            .await
            .map_err(ActionError::Image)?;
        let name = base_name(&container.name);
        containers.push(LocalContainer::new(
            &container.name,
            name,
            container,
            image,
            network,
            opts,
        ));
    }

    let fail_fast = action.fail_fast.unwrap_or(true);
    let deadline = action
        .timeout
        .and_then(|t| u64::try_from(t).ok())
        .filter(|t| *t > 0)
        .map(|t| Instant::now() + Duration::from_secs(t));
    let (cancel, canceled) = watch::channel(false);
    let mut running: FuturesUnordered<_> = containers
        .iter()
        .map(|container| {
            run_reported(
                container,
                Subtask::Exec,
                engine,
                stopped(deadline, canceled.clone()),
                output,
                TaskError::to_string,
            )
        })
        .collect();
    let mut failures = Vec::new();
    while let Some(result) = running.next().await {
        if let Err(e) = result {
            if fail_fast {
                cancel.send_replace(true);
            }
            failures.push(e);
        }
    }
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
