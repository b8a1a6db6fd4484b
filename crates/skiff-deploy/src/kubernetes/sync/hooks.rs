//! An artifact's `sync.hooks` around a sync into pods: the phases, the host hooks and their
//! environment are target-neutral (`crate::sync::hooks`), with the cluster's kube context and
//! the syncer's namespaces as `SKAFFOLD_KUBE_CONTEXT` and `SKAFFOLD_NAMESPACES`.
//!
//! A `container` hook runs its command (no shell) through the exec API in every container the
//! sync reaches (the run's Running pods' containers of the image), all at once, as Skaffold
//! runs it with `kubectl exec`. Its lines are shown as the container's logs are (`[<container>]
//! <line>` and an `ApplicationLogEvent` each). The first failure fails the hook, in Skaffold's
//! words: `hook execution failed for pod "web-1" container "app": exit status 3`.

use futures_util::future::try_join_all;
use skiff_events::Output;
use skiff_proto::enums::StatusCode;

use crate::error::DeployError;
use crate::kubernetes::exec::{self, Target};
use crate::logs::LogPrefix;
use crate::logs::format::LineSink;
use crate::sync::hooks::ContainerHooks;

/// Container hooks run in the containers of one sync.
pub(super) struct InPods<'a> {
    targets: &'a [Target],
    sink: LineSink,
}

impl<'a> InPods<'a> {
    /// Container hooks run in `targets`, their lines written through `output`.
    pub(super) fn new(targets: &'a [Target], output: &Output) -> Self {
        InPods {
            targets,
            sink: LineSink::new(output.clone(), false),
        }
    }

    /// Runs `command` in `target`, showing its lines as they come.
    async fn run_in(&self, target: &Target, command: &[String]) -> Result<(), DeployError> {
        exec::run_hook(
            target,
            command,
            LogPrefix::default(),
            &self.sink,
            StatusCode::SyncUnknown,
        )
        .await
    }
}

impl ContainerHooks for InPods<'_> {
    async fn run(&self, command: &[String]) -> Result<(), DeployError> {
        try_join_all(
            self.targets
                .iter()
                .map(|target| self.run_in(target, command)),
        )
        .await?;
        Ok(())
    }
}
