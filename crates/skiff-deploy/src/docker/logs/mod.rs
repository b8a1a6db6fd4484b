//! Streams the logs of a run's containers as Skaffold's docker logger shows them: every line of
//! every container labelled with the run id, as an `ApplicationLogEvent` and on the terminal,
//! prefixed with `[<image>] ` in the image's colour.
//!
//! Unlike Skaffold's logger, which attaches once per container it deployed and gives up when
//! that stream breaks, the streamer is a small reconciler (see `reconciler`): it follows
//! containers created later (a redeploy's replacements) from their first line, attaches again
//! to a container that restarts, and survives a dropped engine connection, without showing a
//! line twice (see `cursor`).

mod follower;
mod reconciler;

use skiff_docker::Engine;
use skiff_events::Output;

use crate::target::{Background, StoppableTask};

use super::{IMAGE_LABEL, run_id_selector};
use crate::logs::format::LineSink;
use reconciler::Reconciler;

pub use crate::logs::{LogPrefix, LogSettings};

/// Follows the stdout and stderr of every container of a run until stopped.
#[derive(Debug)]
pub struct LogStreamer(StoppableTask);

impl LogStreamer {
    /// Starts following the containers labelled `RUN_ID_LABEL=<run_id>` on `engine`, those
    /// there now and those created later, writing their lines through `output`. Must be called
    /// within a Tokio runtime. Dropping the streamer stops it without waiting.
    pub fn start(
        engine: Engine,
        run_id: &str,
        settings: LogSettings,
        output: Output,
    ) -> LogStreamer {
        LogStreamer(StoppableTask::spawn("the log streamer", |stopped| {
            Reconciler::new(
                engine,
                run_id_selector(run_id),
                settings,
                LineSink::new(output, settings.muted),
                stopped,
            )
            .run()
        }))
    }
}

impl Background for LogStreamer {
    /// Stops following; returns once every line already read has been shown. Nothing is
    /// shown afterwards.
    async fn stop(self) {
        self.0.stop().await;
    }
}
