//! Streams the logs of a run's pods as Skaffold's Kubernetes logger shows them: every line of
//! every started container of the pods labelled `skaffold.dev/run-id=<id>` in the run's
//! namespaces, as an `ApplicationLogEvent` and on the terminal, with Skaffold's prefix
//! (`deploy.logs.prefix`) in the colour of the pod's image.
//!
//! Skaffold starts one `kubectl logs -f` per container it sees and never looks at it again. The
//! streamer here is a reconciler over a watch of the run's pods (see `reconciler`): a pod that
//! replaces another is followed from its first line, a container that restarts or a stream the
//! API server ends is attached again from where it stopped (`sinceTime` plus the timestamps of
//! the lines already shown, so no line is lost or repeated), and a lost watch resumes with
//! backoff.

mod follower;
mod reconciler;

use kube::Client;
use skiff_events::Output;

use crate::target::{Background, StoppableTask};

use crate::logs::LogSettings;
use crate::logs::format::LineSink;
use reconciler::Reconciler;
use skiff_render::labels::run_id_selector;

/// Follows the logs of every container of a run's pods until stopped or dropped.
#[derive(Debug)]
pub struct PodLogStreamer(StoppableTask);

impl PodLogStreamer {
    /// Starts following the pods labelled `skaffold.dev/run-id=<run_id>` in `namespaces`, those
    /// there now and those created later, writing their lines through `output`. Must be called
    /// within a Tokio runtime. Dropping the streamer stops it without waiting.
    pub fn start(
        client: Client,
        namespaces: &[String],
        run_id: &str,
        settings: LogSettings,
        output: Output,
    ) -> PodLogStreamer {
        PodLogStreamer(StoppableTask::spawn("the pod log streamer", |stopped| {
            Reconciler::new(
                client,
                namespaces,
                &run_id_selector(run_id),
                settings,
                LineSink::new(output, settings.muted),
                stopped,
            )
            .run()
        }))
    }
}

impl Background for PodLogStreamer {
    /// Stops following; returns once every line already read has been shown. Nothing is
    /// shown afterwards.
    async fn stop(self) {
        self.0.stop().await;
    }
}
