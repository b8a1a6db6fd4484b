//! Sync lifecycle hooks (`build.artifacts[].sync.hooks`): commands run before an artifact's
//! files are copied into its container (`before`, the `pre-sync` hooks) and after (`after`,
//! `post-sync`), on the host or in the container, as Skaffold runs them around a Kubernetes
//! sync (`pkg/skaffold/hooks/sync.go`; its docker deployer runs none).
//!
//! For each phase that has hooks: `Starting pre-sync hooks for artifact "<image>"...`, the hooks
//! one after the other, `Completed pre-sync hooks for artifact "<image>"`. The first failure
//! ends the phase and fails the sync with `SYNC_UNKNOWN`: a failed pre-sync hook means no file
//! is copied; a failed post-sync hook comes after the copy. The message is Skaffold's:
//! `pre-sync hooks failed for artifact "app": failed to execute host pre-sync hook 1 for
//! artifact "app": exit status 3`.
//!
//! - A `host` hook runs as build hooks do (`skiff_build::hooks::run_host_hook`: no shell, in its
//!   `dir`, skipped when its `os` list excludes the host), its output written as sync output.
//!   Environment, in this order, then skiff's own environment, which wins on duplicates:
//!
//!   | variable | value |
//!   |---|---|
//!   | `SKAFFOLD_DEFAULT_REPO`, `SKAFFOLD_MULTI_LEVEL_REPO`, `SKAFFOLD_RPC_PORT`, `SKAFFOLD_HTTP_PORT` | as for build hooks, only when set |
//!   | `SKAFFOLD_WORK_DIR` | skiff's working directory |
//!   | `SKAFFOLD_IMAGE` | the image reference the container runs |
//!   | `SKAFFOLD_BUILD_CONTEXT` | the artifact's absolute context directory |
//!   | `SKAFFOLD_FILES_ADDED_OR_MODIFIED` | the local files copied, absolute, sorted, `;`-separated |
//!   | `SKAFFOLD_FILES_DELETED` | the local files deleted, the same way |
//!   | `SKAFFOLD_KUBE_CONTEXT`, `SKAFFOLD_NAMESPACES` | empty: the docker target has no cluster |
//!
//! - A `container` hook runs its command (no shell) in the container the files go to — the
//!   docker target runs one container per image — through the Engine API, as Skaffold runs it
//!   with `kubectl exec` in every running container of the image. Its lines are written as sync
//!   output prefixed with `[<image>] `, as the container's logs are; a non-zero exit fails it.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use skiff_build::builder::{BuildOutput, BuiltImage};
use skiff_build::go_quote;
use skiff_build::hooks::{HookOutcome, StaticHookEnv, build_context, run_host_hook};
use skiff_config::model::{HostHook, SyncHookItem, SyncHooks};
use skiff_docker::Engine;
use skiff_events::{Output, Phase};
use skiff_proto::enums::StatusCode;

use super::container_hook::run_in_container;
use crate::error::{DeployError, engine_error};
use crate::sync::SyncPlan;

/// An artifact's sync hooks and what their environment is made of besides the sync itself.
#[derive(Debug, Clone, Copy)]
pub struct ArtifactSyncHooks<'a> {
    /// The artifact's `sync.hooks`.
    pub hooks: &'a SyncHooks,
    /// The artifact's context directory (`SKAFFOLD_BUILD_CONTEXT`).
    pub workspace: &'a Path,
    /// The run-wide variables (`SKAFFOLD_DEFAULT_REPO`, `SKAFFOLD_WORK_DIR`, …).
    pub statics: &'a StaticHookEnv,
}

/// Before or after the copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HookPhase {
    /// `hooks.before`: `pre-sync`.
    Before,
    /// `hooks.after`: `post-sync`.
    After,
}

impl fmt::Display for HookPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HookPhase::Before => "pre-sync",
            HookPhase::After => "post-sync",
        })
    }
}

/// The hooks of one sync, ready to run.
pub(super) struct HookRun<'a> {
    hooks: &'a SyncHooks,
    image_name: &'a str,
    container: &'a str,
    vars: Vec<(String, String)>,
    engine: &'a Engine,
    output: &'a Output,
}

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
        HookRun {
            hooks: artifact.hooks,
            image_name: &image.image_name,
            container,
            vars: sync_vars(artifact, &image.reference, plan),
            engine,
            output,
        }
    }

    /// Runs the hooks of `phase` in order, stopping at the first failure.
    pub(super) async fn run(&self, phase: HookPhase) -> Result<(), DeployError> {
        let items = match phase {
            HookPhase::Before => &self.hooks.before,
            HookPhase::After => &self.hooks.after,
        };
        if items.is_empty() {
            return Ok(());
        }
        let artifact = go_quote(self.image_name);
        self.write(&format!(
            "Starting {phase} hooks for artifact {artifact}...\n"
        ));
        for (index, item) in items.iter().enumerate() {
            let (kind, result) = match item {
                SyncHookItem::Host(hook) => ("host", self.host(hook).await),
                SyncHookItem::Container(hook) => ("container", self.container(&hook.command).await),
            };
            result.map_err(|mut failure| {
                failure.message = format!(
                    "{phase} hooks failed for artifact {artifact}: failed to execute {kind} \
                     {phase} hook {} for artifact {artifact}: {}",
                    index + 1,
                    failure.message
                );
                failure
            })?;
        }
        self.write(&format!(
            "Completed {phase} hooks for artifact {artifact}\n"
        ));
        Ok(())
    }

    /// Runs a host hook; the failure's message says only why it failed.
    async fn host(&self, hook: &HostHook) -> Result<(), DeployError> {
        match run_host_hook(hook, &self.vars, self, None).await {
            Ok(HookOutcome::Succeeded) => Ok(()),
            Ok(HookOutcome::Skipped) => {
                tracing::info!(
                    "host hook execution skipped due to OS criteria {:?} not matched for \
                     commands: {:?}",
                    hook.os.join(","),
                    hook.command.join(" ")
                );
                Ok(())
            }
            Err(e) => Err(DeployError::new(StatusCode::SyncUnknown, e.to_string())),
        }
    }

    /// Runs a container hook in the synced container; the failure's message says only why it
    /// failed.
    async fn container(&self, command: &[String]) -> Result<(), DeployError> {
        let prefix = format!("[{}] ", self.image_name);
        let ended = run_in_container(self.engine, self.container, command, |line| {
            self.write(&format!("{prefix}{line}"));
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

    fn write(&self, text: &str) {
        self.output.phase(Phase::Sync, text);
    }
}

/// Host hooks write their lines as sync output.
impl BuildOutput for HookRun<'_> {
    fn write(&self, text: &str) {
        HookRun::write(self, text);
    }
}

/// The variables of a sync's host hooks, in Skaffold's order (see the module docs).
fn sync_vars(
    artifact: &ArtifactSyncHooks<'_>,
    reference: &str,
    plan: &SyncPlan,
) -> Vec<(String, String)> {
    let files = |pairs: &[(PathBuf, String)]| {
        let distinct: BTreeSet<&PathBuf> = pairs.iter().map(|(local, _)| local).collect();
        distinct
            .into_iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(";")
    };
    let mut vars = artifact.statics.vars();
    vars.extend(
        [
            ("SKAFFOLD_IMAGE", reference.to_owned()),
            ("SKAFFOLD_BUILD_CONTEXT", build_context(artifact.workspace)),
            ("SKAFFOLD_FILES_ADDED_OR_MODIFIED", files(&plan.copy)),
            ("SKAFFOLD_FILES_DELETED", files(&plan.delete)),
            ("SKAFFOLD_KUBE_CONTEXT", String::new()),
            ("SKAFFOLD_NAMESPACES", String::new()),
        ]
        .map(|(name, value)| (name.to_owned(), value)),
    );
    vars
}

#[cfg(test)]
mod tests;
