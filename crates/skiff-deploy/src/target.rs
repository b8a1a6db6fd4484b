//! The seam between the pipelines and the places images run: every deploy target deploys built
//! images (from the rendered manifests when it needs them), checks that they came up, forwards
//! their ports, follows their logs and removes what it deployed. The runner drives any target
//! through this trait; each target keeps its own types for what it deployed and what it runs
//! in the background.

use std::future::Future;

use skiff_build::builder::BuiltImage;
use skiff_events::Output;
use skiff_render::{BuiltArtifact, ManifestList};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::DeployError;
use crate::docker::sync::ArtifactSyncHooks;
use crate::logs::LogSettings;
use crate::sync::SyncPlan;

/// Something running in the background until stopped: a log streamer, port forwards.
pub trait Background: Send {
    /// Stops it; returns once it has ended and shows nothing more.
    fn stop(self) -> impl Future<Output = ()> + Send;
}

/// Nothing running in the background (a target that publishes ports as part of the deploy).
impl Background for () {
    async fn stop(self) {}
}

/// Something that may not have been started.
impl<T: Background> Background for Option<T> {
    async fn stop(self) {
        if let Some(running) = self {
            running.stop().await;
        }
    }
}

/// A deploy target.
pub trait Target: Send + Sync {
    /// What a deploy leaves for its status check.
    type Deployed: Send + Sync;
    /// What follows the logs of the deployed workloads.
    type Logs: Background;
    /// What replays synced files into workloads that start or restart.
    type CatchUp: Background;

    /// Whether built images must be pushed to a registry for the target to run them; `None`
    /// when the target has no say (the config and `--push` decide).
    fn pushes_images(&self) -> Option<bool>;

    /// Whether a deploy needs the configs' rendered manifests (the runner then renders them
    /// in a `Render-N` task with a `renderEvent` per renderer; else the task is empty).
    fn renders_manifests(&self) -> bool;

    /// Deploys `builds` (and `manifests`, rendered with their images when
    /// [`Target::renders_manifests`]), writing its output lines through `output`.
    fn deploy(
        &self,
        builds: &[BuiltImage],
        manifests: &ManifestList,
        output: &Output,
    ) -> impl Future<Output = Result<Self::Deployed, DeployError>> + Send;

    /// Whether deploys are followed by a status check.
    fn checks_status(&self) -> bool;

    /// Waits until what `deployed` names has come up, reporting `statusCheckSubtaskEvent`s; the
    /// error is the status check's result.
    fn status_check(
        &self,
        deployed: &Self::Deployed,
        output: &Output,
    ) -> impl Future<Output = Result<(), DeployError>> + Send;

    /// Whether the target forwards ports after each deploy (in a `PortForward-N` task); the
    /// docker target publishes them as part of the deploy instead.
    fn forwards_ports(&self) -> bool;

    /// Starts the port forwards (`--port-forward`), or after a redeploy reports the running
    /// ones again; each is a `PortForwardEvent`.
    fn forward_ports(
        &self,
        output: &Output,
    ) -> impl Future<Output = Result<(), DeployError>> + Send;

    /// Stops the port forwards and closes their connections.
    fn stop_port_forwards(&self) -> impl Future<Output = ()> + Send;

    /// Starts following the logs of the run's workloads, those there now and those that come
    /// up later, writing them through `output` as `ApplicationLogEvent`s.
    fn follow_logs(&self, settings: LogSettings, output: Output) -> Self::Logs;

    /// Copies the files of `plan` into the running workloads of `built`'s image (and removes
    /// the deleted ones), with the artifact's sync `hooks` around the copy, reporting
    /// `FileSyncEvent`s. The plan is remembered for [`Target::follow_restarts`].
    fn sync(
        &self,
        built: &BuiltImage,
        plan: &SyncPlan,
        hooks: &ArtifactSyncHooks<'_>,
        output: &Output,
    ) -> impl Future<Output = Result<(), DeployError>> + Send;

    /// Forgets what was synced into `image_name`'s workloads: its new build has the files.
    fn image_rebuilt(&self, image_name: &str);

    /// Starts bringing workloads that start or restart up to date with what was synced since
    /// their image was built (Skaffold loses those files).
    fn follow_restarts(&self, output: Output) -> Self::CatchUp;

    /// Removes what the target deployed (`manifests`: what a deploy of the configs applies,
    /// rendered without images), or with `dry_run` lists it and removes nothing.
    fn cleanup(
        &self,
        manifests: &ManifestList,
        output: &Output,
        dry_run: bool,
    ) -> impl Future<Output = Result<(), DeployError>> + Send;
}

/// A spawned task that ends when told through a watch channel: the shape of the log
/// streamers.
#[derive(Debug)]
pub(crate) struct StoppableTask {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    what: &'static str,
}

impl StoppableTask {
    /// Spawns `run` with the receiver that turns `true` when the task is told to stop; `what`
    /// names it in a warning should it panic. Must be called within a Tokio runtime.
    pub(crate) fn spawn<F>(what: &'static str, run: impl FnOnce(watch::Receiver<bool>) -> F) -> Self
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let (stop, stopped) = watch::channel(false);
        Self {
            stop,
            task: tokio::spawn(run(stopped)),
            what,
        }
    }
}

impl Background for StoppableTask {
    async fn stop(self) {
        // The receivers live as long as the task; a send only fails once it has ended.
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::warn!("{} failed: {e}", self.what);
        }
    }
}

/// The images of `builds` as the renderers and helm take them.
pub fn built_artifacts(builds: &[BuiltImage]) -> Vec<BuiltArtifact> {
    builds
        .iter()
        .map(|b| BuiltArtifact {
            image_name: b.image_name.clone(),
            tag: b.reference.clone(),
        })
        .collect()
}
