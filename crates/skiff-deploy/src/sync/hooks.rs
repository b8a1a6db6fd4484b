//! Sync lifecycle hooks (`build.artifacts[].sync.hooks`), target-neutral: commands run before an
//! artifact's files are copied into its containers (`before`, the `pre-sync` hooks) and after
//! (`after`, `post-sync`), on the host or in the containers, as Skaffold runs them around a
//! Kubernetes sync (`pkg/skaffold/hooks/sync.go`; its docker deployer runs none). The targets
//! say how a `container` hook runs ([`ContainerHooks`]); the rest is here.
//!
//! For each phase that has hooks: `Starting pre-sync hooks for artifact "<image>"...`, the hooks
//! one after the other, `Completed pre-sync hooks for artifact "<image>"`. The first failure
//! ends the phase and fails the sync with `SYNC_UNKNOWN`: a failed pre-sync hook means no file
//! is copied; a failed post-sync hook comes after the copy. The message is Skaffold's:
//! `pre-sync hooks failed for artifact "app": failed to execute host pre-sync hook 1 for
//! artifact "app": exit status 3`.
//!
//! A `host` hook runs as build hooks do (`skiff_build::hooks::run_host_hook`: no shell, in its
//! `dir`, skipped when its `os` list excludes the host), once per sync, its output written as
//! sync output. Environment, in this order, then skiff's own environment, which wins on
//! duplicates:
//!
//! | variable | value |
//! |---|---|
//! | `SKAFFOLD_DEFAULT_REPO`, `SKAFFOLD_MULTI_LEVEL_REPO`, `SKAFFOLD_RPC_PORT`, `SKAFFOLD_HTTP_PORT` | as for build hooks, only when set |
//! | `SKAFFOLD_WORK_DIR` | skiff's working directory |
//! | `SKAFFOLD_IMAGE` | the image reference the containers run |
//! | `SKAFFOLD_BUILD_CONTEXT` | the artifact's absolute context directory |
//! | `SKAFFOLD_FILES_ADDED_OR_MODIFIED` | the local files copied, absolute, sorted, `;`-separated |
//! | `SKAFFOLD_FILES_DELETED` | the local files deleted, the same way |
//! | `SKAFFOLD_KUBE_CONTEXT` | the kube context; empty for the docker target |
//! | `SKAFFOLD_NAMESPACES` | the namespaces synced into, `,`-separated; empty for the docker target |

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use skiff_build::builder::{BuildOutput, BuiltImage};
use skiff_build::go_quote;
use skiff_build::hooks::{HookOutcome, StaticHookEnv, build_context, run_host_hook};
use skiff_config::model::{HostHook, SyncHookItem, SyncHooks};
use skiff_events::{Output, Phase};
use skiff_proto::enums::StatusCode;

use crate::error::DeployError;
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
pub(crate) enum HookPhase {
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

/// The cluster a sync goes to, as host hooks see it (`SKAFFOLD_KUBE_CONTEXT`,
/// `SKAFFOLD_NAMESPACES`); the default, empty, for a target without one.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct HookCluster<'a> {
    /// The kube context.
    pub(crate) kube_context: &'a str,
    /// The namespaces synced into.
    pub(crate) namespaces: &'a [String],
}

/// How a target runs a `container` hook in the containers a sync reaches.
pub(crate) trait ContainerHooks: Send + Sync {
    /// Runs `command` (no shell) in every container of the sync, showing its lines as the
    /// target shows them; a non-zero exit fails it. The failure's message says only why it
    /// failed (`hook execution failed for container "…": exit status 3`).
    async fn run(&self, command: &[String]) -> Result<(), DeployError>;
}

/// The hooks of one sync, ready to run; `C` runs the container hooks.
pub(crate) struct HookRun<'a, C> {
    hooks: &'a SyncHooks,
    image_name: &'a str,
    vars: Vec<(String, String)>,
    containers: C,
    output: &'a Output,
}

impl<'a, C: ContainerHooks> HookRun<'a, C> {
    /// The hooks of `artifact` for the sync of `plan` into the containers of `cluster` that run
    /// `image`, whose container hooks `containers` runs.
    pub(crate) fn new(
        artifact: &ArtifactSyncHooks<'a>,
        image: &'a BuiltImage,
        plan: &SyncPlan,
        cluster: HookCluster<'_>,
        containers: C,
        output: &'a Output,
    ) -> Self {
        HookRun {
            hooks: artifact.hooks,
            image_name: &image.image_name,
            vars: sync_vars(artifact, &image.reference, plan, cluster),
            containers,
            output,
        }
    }

    /// Runs the hooks of `phase` in order, stopping at the first failure.
    pub(crate) async fn run(&self, phase: HookPhase) -> Result<(), DeployError> {
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
                SyncHookItem::Container(hook) => {
                    ("container", self.containers.run(&hook.command).await)
                }
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
}

/// Does `copy`, the copy of a sync, between the pre-sync and post-sync hooks of `hooks` when
/// given; a failed pre-sync hook skips the copy.
pub(crate) async fn around<C: ContainerHooks>(
    hooks: Option<&HookRun<'_, C>>,
    copy: impl Future<Output = Result<(), DeployError>>,
) -> Result<(), DeployError> {
    if let Some(hooks) = hooks {
        hooks.run(HookPhase::Before).await?;
    }
    copy.await?;
    if let Some(hooks) = hooks {
        hooks.run(HookPhase::After).await?;
    }
    Ok(())
}

impl<C> HookRun<'_, C> {
    fn write(&self, text: &str) {
        self.output.phase(Phase::Sync, text);
    }
}

/// Host hooks write their lines as sync output.
impl<C: ContainerHooks> BuildOutput for HookRun<'_, C> {
    fn write(&self, text: &str) {
        HookRun::write(self, text);
    }
}

/// The variables of a sync's host hooks, in Skaffold's order (see the module docs).
fn sync_vars(
    artifact: &ArtifactSyncHooks<'_>,
    reference: &str,
    plan: &SyncPlan,
    cluster: HookCluster<'_>,
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
            ("SKAFFOLD_KUBE_CONTEXT", cluster.kube_context.to_owned()),
            ("SKAFFOLD_NAMESPACES", cluster.namespaces.join(",")),
        ]
        .map(|(name, value)| (name.to_owned(), value)),
    );
    vars
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statics() -> StaticHookEnv {
        StaticHookEnv {
            default_repo: Some("registry.local".into()),
            work_dir: "/work".into(),
            ..StaticHookEnv::default()
        }
    }

    fn plan() -> SyncPlan {
        SyncPlan {
            copy: vec![
                ("/src/app/web/b.html".into(), "/www/b.html".into()),
                ("/src/app/web/a.html".into(), "/www/a.html".into()),
                ("/src/app/web/a.html".into(), "/mirror/a.html".into()),
            ],
            delete: vec![("/src/app/web/old.html".into(), "/www/old.html".into())],
        }
    }

    fn vars(cluster: HookCluster<'_>) -> Vec<(String, String)> {
        let hooks = SyncHooks::default();
        let statics = statics();
        let artifact = ArtifactSyncHooks {
            hooks: &hooks,
            workspace: Path::new("/src/app/./web"),
            statics: &statics,
        };
        sync_vars(&artifact, "app:1", &plan(), cluster)
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_environment_lists_each_local_file_once_in_skaffold_order() {
        let expected = pairs(&[
            ("SKAFFOLD_DEFAULT_REPO", "registry.local"),
            ("SKAFFOLD_WORK_DIR", "/work"),
            ("SKAFFOLD_IMAGE", "app:1"),
            ("SKAFFOLD_BUILD_CONTEXT", "/src/app/web"),
            (
                "SKAFFOLD_FILES_ADDED_OR_MODIFIED",
                "/src/app/web/a.html;/src/app/web/b.html",
            ),
            ("SKAFFOLD_FILES_DELETED", "/src/app/web/old.html"),
            ("SKAFFOLD_KUBE_CONTEXT", ""),
            ("SKAFFOLD_NAMESPACES", ""),
        ]);
        assert_eq!(vars(HookCluster::default()), expected);
    }

    #[test]
    fn a_cluster_gives_its_context_and_namespaces() {
        let namespaces = ["dev".to_owned(), "web".to_owned()];
        let cluster = HookCluster {
            kube_context: "kind-dev",
            namespaces: &namespaces,
        };
        let vars = vars(cluster);
        assert_eq!(
            vars[vars.len() - 2..],
            pairs(&[
                ("SKAFFOLD_KUBE_CONTEXT", "kind-dev"),
                ("SKAFFOLD_NAMESPACES", "dev,web")
            ])
        );
    }

    #[test]
    fn phases_are_named_like_skaffold() {
        assert_eq!(HookPhase::Before.to_string(), "pre-sync");
        assert_eq!(HookPhase::After.to_string(), "post-sync");
    }
}
