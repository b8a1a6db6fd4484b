//! Streams the logs of a run's containers as Skaffold's docker logger shows them: every line of
//! every container labelled with the run id, as an `ApplicationLogEvent` and on the terminal,
//! prefixed with `[<image>] ` in the image's colour.
//!
//! Unlike Skaffold's logger, which attaches once per container it deployed and gives up when
//! that stream breaks, the streamer is a small reconciler (see `reconciler`): it follows
//! containers created later (a redeploy's replacements) from their first line, attaches again
//! to a container that restarts, and survives a dropped engine connection, without showing a
//! line twice (see `cursor`).

mod cursor;
mod follower;
mod format;
mod prefix;
mod reconciler;

use skiff_docker::Engine;
use skiff_events::Output;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{IMAGE_LABEL, RUN_ID_LABEL};
use format::LineSink;
use reconciler::Reconciler;

pub use prefix::LogPrefix;

/// How container logs are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogSettings {
    /// What each line starts with (`deploy.logs.prefix`).
    pub prefix: LogPrefix,
    /// Show nothing on the terminal; the `ApplicationLogEvent`s are still emitted, so API
    /// clients keep the logs. (Skaffold's `--mute-logs` never silences application logs: it
    /// only sends a phase's own output to a file.)
    pub muted: bool,
    /// Colour each image's prefix from Skaffold's palette, in the order images come up.
    pub color: bool,
    /// For the containers already there when streaming starts: only their last this many
    /// lines. `None`: all they wrote. Containers that come up later are shown from their first
    /// line.
    pub tail_lines: Option<usize>,
}

/// Follows the stdout and stderr of every container of a run until stopped.
#[derive(Debug)]
pub struct LogStreamer {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

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
        let (stop, stopped) = watch::channel(false);
        let reconciler = Reconciler::new(
            engine,
            format!("{RUN_ID_LABEL}={run_id}"),
            settings,
            LineSink::new(output, settings.muted),
            stopped,
        );
        LogStreamer {
            stop,
            task: tokio::spawn(reconciler.run()),
        }
    }

    /// Stops following; returns once every line already read has been shown. Nothing is
    /// shown afterwards.
    pub async fn stop(self) {
        // The receivers live as long as the task; a send only fails once it has ended.
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::warn!("the log streamer failed: {e}");
        }
    }
}

/// Resolves once `stop` is signalled or its sender is gone.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    // An error means the sender is gone: the streamer was dropped, which stops it too.
    let _ = stop.wait_for(|stopped| *stopped).await;
}
