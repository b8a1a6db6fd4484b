//! What the verify and exec phases share: the tags they print first, the task events around
//! their work and the subtask events around each container.

use std::future::Future;

use skiff_build::builder::BuiltImage;
use skiff_docker::Engine;
use skiff_events::{Output, Phase, Status, Subtask, errors};

use crate::error::{ActionError, TaskError};
use crate::local::LocalContainer;

/// `Tags used in <what>:` and ` - <image> -> <reference>` for each build one of `images` names.
pub(crate) fn write_tags<'a>(
    output: &Output,
    phase: Phase,
    what: &str,
    images: impl Iterator<Item = &'a str> + Clone,
    builds: &[BuiltImage],
) {
    let used: Vec<&BuiltImage> = builds
        .iter()
        .filter(|b| images.clone().any(|i| i == b.image_name))
        .collect();
    if used.is_empty() {
        return;
    }
    output.phase(phase, &format!("Tags used in {what}:\n"));
    for build in used {
        output.phase(
            phase,
            &format!(" - {} -> {}\n", build.image_name, build.reference),
        );
    }
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

/// Runs `container` between its subtask events of `kind`: InProgress, then Succeeded, or Failed
/// with `event_message` of the error.
pub(crate) async fn run_reported(
    container: &LocalContainer,
    kind: Subtask,
    engine: &Engine,
    stop: impl Future<Output = TaskError>,
    output: &Output,
    event_message: fn(&TaskError) -> String,
) -> Result<(), TaskError> {
    let hub = output.hub();
    hub.subtask(kind, &container.id, Status::InProgress, None);
    let result = container.run(engine, kind.phase(), stop, output).await;
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
