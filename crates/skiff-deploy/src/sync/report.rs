//! How a sync (or a catch-up) shows itself, whatever the target: Skaffold's `Syncing N files
//! for <image>` line in the sync phase, then `FileSyncEvent`s (InProgress, then Succeeded or
//! Failed with the error), which also update `fileSyncState`.

use skiff_events::{Output, Phase, Status};

use crate::error::DeployError;

/// Does `work`, the sync of `count` files for the image `reference`, with its output and
/// events; returns `count` once it succeeded.
pub(crate) async fn reported(
    reference: &str,
    count: usize,
    output: &Output,
    work: impl Future<Output = Result<(), DeployError>>,
) -> Result<usize, DeployError> {
    let events_count = i32::try_from(count).unwrap_or(i32::MAX);
    output.phase(
        Phase::Sync,
        &format!("Syncing {count} files for {reference}\n"),
    );
    let hub = output.hub();
    hub.file_sync(reference, events_count, Status::InProgress, None);
    match work.await {
        Ok(()) => {
            hub.file_sync(reference, events_count, Status::Succeeded, None);
            Ok(count)
        }
        Err(e) => {
            hub.file_sync(
                reference,
                events_count,
                Status::Failed,
                Some(e.actionable()),
            );
            Err(e)
        }
    }
}
