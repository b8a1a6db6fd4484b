//! The docker target as a [`Target`]: it renders nothing, publishes its ports as part of each
//! deploy, follows the logs of the run's containers and syncs files into them.

use skiff_build::builder::BuiltImage;
use skiff_events::Output;
use skiff_render::ManifestList;

use super::logs::LogStreamer;
use super::sync::{ArtifactSyncHooks, CatchUp};
use super::{DeployedContainer, DockerTarget};
use crate::DeployError;
use crate::logs::LogSettings;
use crate::sync::SyncPlan;
use crate::target::Target;

impl Target for DockerTarget {
    type Deployed = Vec<DeployedContainer>;
    type Logs = LogStreamer;
    type CatchUp = CatchUp;

    /// The engine that builds the images runs them.
    fn pushes_images(&self) -> Option<bool> {
        None
    }

    fn renders_manifests(&self) -> bool {
        false
    }

    async fn deploy(
        &self,
        builds: &[BuiltImage],
        _manifests: &ManifestList,
        output: &Output,
    ) -> Result<Vec<DeployedContainer>, DeployError> {
        self.deploy_containers(builds, output).await
    }

    fn checks_status(&self) -> bool {
        self.settings.status_check.is_some()
    }

    async fn status_check(
        &self,
        deployed: &Vec<DeployedContainer>,
        output: &Output,
    ) -> Result<(), DeployError> {
        self.check_containers(deployed, output).await
    }

    /// Each deploy publishes the `portForward` ports of its containers.
    fn forwards_ports(&self) -> bool {
        false
    }

    async fn forward_ports(&self, _output: &Output) -> Result<(), DeployError> {
        Ok(())
    }

    async fn stop_port_forwards(&self) {}

    fn follow_logs(&self, settings: LogSettings, output: Output) -> LogStreamer {
        LogStreamer::start(self.engine.clone(), &self.settings.run_id, settings, output)
    }

    /// Syncs into the container deployed for the image; nothing when none runs.
    async fn sync(
        &self,
        built: &BuiltImage,
        plan: &SyncPlan,
        hooks: &ArtifactSyncHooks<'_>,
        output: &Output,
    ) -> Result<(), DeployError> {
        let Some(container) = self
            .containers()
            .into_iter()
            .find(|c| c.image_name == built.image_name)
        else {
            return Ok(());
        };
        self.syncer
            .sync_with_hooks(&container.id, plan, output, built, hooks)
            .await
            .map(drop)
    }

    fn image_rebuilt(&self, image_name: &str) {
        self.syncer.image_rebuilt(image_name);
    }

    fn follow_restarts(&self, output: Output) -> CatchUp {
        self.syncer.follow_restarts(&self.settings.run_id, output)
    }

    async fn cleanup(
        &self,
        _manifests: &ManifestList,
        output: &Output,
        dry_run: bool,
    ) -> Result<(), DeployError> {
        self.remove_deployed(output, dry_run).await
    }
}
