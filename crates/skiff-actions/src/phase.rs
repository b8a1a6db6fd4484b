//! What the verify and exec phases share: the tags they print first, the task events around
//! their work, and running their containers at once between subtask events.

use std::future::Future;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use skiff_build::builder::BuiltImage;
use skiff_events::{Output, Phase, Status, Subtask, errors};

use crate::error::{ActionError, TaskError};
use crate::local::{LocalContainer, LocalRun};

/// `Tags used in <what>:` and ` - <image> -> <reference>` for each build one of `images` names.
pub(crate) fn write_tags<'a>(
    local: &LocalRun<'_>,
    phase: Phase,
    what: &str,
    images: impl Iterator<Item = &'a str> + Clone,
) {
    let used: Vec<&BuiltImage> = local
        .builds
        .iter()
        .filter(|b| images.clone().any(|i| i == b.image_name))
        .collect();
    if used.is_empty() {
        return;
    }
    local
        .output
        .phase(phase, &format!("Tags used in {what}:\n"));
    for build in used {
        local.output.phase(
            phase,
            &format!(" - {} -> {}\n", build.image_name, build.reference),
        );
    }
}

/// The limit a `timeout` (in seconds) sets: none when it is unset or not positive.
pub(crate) fn time_limit(timeout: Option<i32>) -> Option<Duration> {
    timeout
        .and_then(|t| u64::try_from(t).ok())
        .filter(|t| *t > 0)
        .map(Duration::from_secs)
}

/// Runs `work` as the task of `phase`: InProgress with `description`, then Succeeded or Failed.
pub(crate) async fn as_task<T>(
    output: &Output,
    phase: Phase,
    description: &str,
    work: impl Future<Output = Result<T, ActionError>>,
) -> Result<T, ActionError> {
    let hub = output.hub();
    hub.task_in_progress(phase, description);
    let result = work.await;
    match &result {
        Ok(_) => hub.task_succeeded(phase),
        Err(e) => hub.task_failed(phase, e.actionable(phase)),
    }
    result
}

/// Runs every container at once, each until it exits or the future paired with it resolves,
/// between its subtask events of `kind` (a failure's event carries `event_message` of the
/// error). Returns the failures in the order they happened; `on_failure` is called as each
/// happens, while the others still run.
pub(crate) async fn run_all<'c, S>(
    containers: impl IntoIterator<Item = (&'c LocalContainer, S)>,
    kind: Subtask,
    local: &LocalRun<'_>,
    event_message: fn(&TaskError) -> String,
    mut on_failure: impl FnMut(),
) -> Vec<TaskError>
where
    S: Future<Output = TaskError>,
{
    let mut running: FuturesUnordered<_> = containers
        .into_iter()
        .map(|(container, stop)| run_reported(container, kind, stop, local, event_message))
        .collect();
    let mut failures = Vec::new();
    while let Some(result) = running.next().await {
        if let Err(e) = result {
            on_failure();
            failures.push(e);
        }
    }
    failures
}

/// Runs `container` between its subtask events of `kind`: InProgress, then Succeeded, or Failed
/// with `event_message` of the error.
async fn run_reported(
    container: &LocalContainer,
    kind: Subtask,
    stop: impl Future<Output = TaskError>,
    local: &LocalRun<'_>,
    event_message: fn(&TaskError) -> String,
) -> Result<(), TaskError> {
    let hub = local.output.hub();
    hub.subtask(kind, &container.id, Status::InProgress, None);
    let result = container.run(kind.phase(), stop, local).await;
    match &result {
        Ok(()) => hub.subtask(kind, &container.id, Status::Succeeded, None),
        Err(e) => hub.subtask(
            kind,
            &container.id,
            Status::Failed,
            Some(errors::unknown(kind.phase(), event_message(e))),
        ),
    }
    result
}
