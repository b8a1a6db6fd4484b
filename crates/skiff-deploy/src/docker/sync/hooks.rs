//! Sync lifecycle hooks (`build.artifacts[].sync.hooks`) on the docker target: the phases, the
//! host hooks and their environment are target-neutral (`crate::sync::hooks`, where the
//! messages and variables are listed); `SKAFFOLD_KUBE_CONTEXT` and `SKAFFOLD_NAMESPACES` are
//! empty, as the docker target has no cluster.
//!
//! A `container` hook runs its command (no shell) in the container the files go to — the
//! docker target runs one container per image — through the Engine API, as Skaffold runs it
//! with `kubectl exec` in every running container of the image. Its lines are written as sync
//! output prefixed with `[<image>] `, as the container's logs are; a non-zero exit fails it.

use skiff_build::builder::BuiltImage;
use skiff_build::go_quote;
use skiff_docker::Engine;
use skiff_events::{Output, Phase};
use skiff_proto::enums::StatusCode;

use super::container_hook::run_in_container;
use crate::error::{DeployError, engine_error};
use crate::sync::SyncPlan;
pub use crate::sync::hooks::ArtifactSyncHooks;
pub(super) use crate::sync::hooks::HookPhase;
use crate::sync::hooks::{self, ContainerHooks, HookCluster};

/// The hooks of one sync into one container, ready to run.
pub(super) struct HookRun<'a>(hooks::HookRun<'a, InContainer<'a>>);

impl<'a> HookRun<'a> {
    /// The hooks of `artifact` for the sync of `plan` into `container`, which runs `image`.
    pub(super) fn new(
        artifact: &ArtifactSyncHooks<'a>,
        image: &'a BuiltImage,
        plan: &SyncPlan,
        container: &'a str,
        engine: &'a Engine,
        output: &'a Output,
    ) -> Self {
        let containers = InContainer {
            engine,
            container,
            image_name: &image.image_name,
            output,
        };
        HookRun(hooks::HookRun::new(
            artifact,
            image,
            plan,
            HookCluster::default(),
            containers,
            output,
        ))
    }

    /// Runs the hooks of `phase` in order, stopping at the first failure.
    pub(super) async fn run(&self, phase: HookPhase) -> Result<(), DeployError> {
        self.0.run(phase).await
    }
}

/// Container hooks run in the one container synced.
struct InContainer<'a> {
    engine: &'a Engine,
    container: &'a str,
    image_name: &'a str,
    output: &'a Output,
}

impl ContainerHooks for InContainer<'_> {
    async fn run(&self, command: &[String]) -> Result<(), DeployError> {
        let prefix = format!("[{}] ", self.image_name);
        let ended = run_in_container(self.engine, self.container, command, |line| {
            self.output.phase(Phase::Sync, &format!("{prefix}{line}"));
        })
        .await;
        let short = self.container.get(..12).unwrap_or(self.container);
        match ended {
            Ok(Some(0)) => Ok(()),
            Ok(code) => Err(DeployError::new(
                StatusCode::SyncUnknown,
                format!(
                    "hook execution failed for container {}: {}",
                    go_quote(short),
                    code.map_or_else(
                        || "no exit status".to_owned(),
                        |c| format!("exit status {c}")
                    )
                ),
            )),
            Err(e) => Err(engine_error(
                &format!("hook execution failed for container {}", go_quote(short)),
                &e,
                StatusCode::SyncUnknown,
            )),
        }
    }
}

#[cfg(test)]
mod tests;
