//! The pod syncer of a dev session: carries sync plans out in every container of the run that
//! runs the synced image, reports them as Skaffold does, and remembers them for catch-up.

use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::future::join_all;
use k8s_openapi::api::core::v1::Pod;
use kube::{Api, Client};
use skiff_build::builder::BuiltImage;
use skiff_events::Output;
use skiff_proto::enums::StatusCode;
use skiff_render::labels::run_id_selector;

use super::hooks::InPods;
use super::targets::containers_running;
use crate::error::DeployError;
use crate::kubernetes::exec::{self, Target};
use crate::sync::history::History;
use crate::sync::hooks::{HookCluster, HookRun, around};
use crate::sync::order::Order;
use crate::sync::report::reported;
use crate::sync::tarball::plan_archive;
use crate::sync::{ArtifactSyncHooks, SyncPlan};

/// Syncs files into the pods of one run. A handle: clones share the history.
///
/// Each copy is one exec of `tar xmf - -C / --no-same-owner` fed the archive, each set of
/// deletions one exec of `rm -rf --`, as Skaffold runs them with `kubectl exec -i`, into every
/// matching container at once.
#[derive(Debug, Clone)]
pub struct PodSyncer {
    inner: Arc<Inner>,
    /// `SKAFFOLD_KUBE_CONTEXT` of the sync hooks.
    kube_context: String,
}

#[derive(Debug)]
struct Inner {
    /// The run's namespaces.
    namespaces: Vec<String>,
    /// The pods of each of the run's namespaces.
    apis: Vec<Api<Pod>>,
    /// `skaffold.dev/run-id=<run id>`.
    selector: String,
    history: Mutex<History>,
}

impl PodSyncer {
    /// A syncer into the pods labelled `skaffold.dev/run-id=<run_id>` in `namespaces`.
    pub fn new(client: Client, namespaces: &[String], run_id: &str) -> PodSyncer {
        PodSyncer {
            inner: Arc::new(Inner {
                apis: namespaces
                    .iter()
                    .map(|ns| Api::namespaced(client.clone(), ns))
                    .collect(),
                namespaces: namespaces.to_vec(),
                selector: run_id_selector(run_id),
                history: Mutex::default(),
            }),
            kube_context: String::new(),
        }
    }

    /// Carries out `plan` (copies, then deletions) in every container of the run's Running pods
    /// whose image is `built.reference`. Writes Skaffold's `Syncing N files for <reference>`
    /// and emits `FileSyncEvent`s (InProgress, then Succeeded or Failed). The plan is
    /// remembered for catch-up even when the sync fails: the pods should mirror the local
    /// files either way. An empty plan does nothing.
    ///
    /// Errors (`SYNC_UNKNOWN`): no container runs the image (Skaffold's `didn't sync any
    /// files`), or the copy or deletion failed in one of them (the first failure is returned,
    /// after every container was tried); API errors keep the API's code.
    pub async fn sync(
        &self,
        built: &BuiltImage,
        plan: &SyncPlan,
        output: &Output,
    ) -> Result<(), DeployError> {
        self.sync_around(built, plan, None, output).await
    }

    /// [`PodSyncer::sync`] with the artifact's sync hooks (see the `hooks` module): its
    /// pre-sync hooks run before the copy, which a failure of one of them skips, and its
    /// post-sync hooks after; their output and failures (`SYNC_UNKNOWN`) are part of the
    /// sync's (between `Syncing N files …` and the `FileSyncEvent` that ends it). Host hooks
    /// run once; container hooks in every container the files go to. No hook runs when no
    /// container runs the image.
    pub async fn sync_with_hooks(
        &self,
        built: &BuiltImage,
        plan: &SyncPlan,
        hooks: &ArtifactSyncHooks<'_>,
        output: &Output,
    ) -> Result<(), DeployError> {
        self.sync_around(built, plan, Some(hooks), output).await
    }

    /// Sets the kube context the sync hooks' environment names (`SKAFFOLD_KUBE_CONTEXT`;
    /// empty unless set).
    pub fn with_kube_context(mut self, kube_context: &str) -> PodSyncer {
        kube_context.clone_into(&mut self.kube_context);
        self
    }

    /// Forgets what was synced for `image_name`: its new build contains the files. Call it once
    /// the image was rebuilt, before its new pods start.
    pub fn image_rebuilt(&self, image_name: &str) {
        self.history().clear(image_name);
    }

    /// Brings `target`, a container just (re)started running `reference`, to the state synced
    /// since its image was built (deletions, then copies of the files still present locally),
    /// reported as [`PodSyncer::sync`] reports a sync. Returns the number of files synced; 0,
    /// with nothing done nor written, when nothing was synced for `reference`.
    pub(super) async fn catch_up(
        &self,
        target: &Target,
        reference: &str,
        output: &Output,
    ) -> Result<usize, DeployError> {
        let replay = {
            let history = self.history();
            history
                .image_of(reference)
                .and_then(|image| history.catch_up(image))
        };
        let Some((reference, plan)) = replay else {
            return Ok(0);
        };
        let work = self.apply(std::slice::from_ref(target), &plan, Order::DeleteFirst);
        reported(&reference, plan.file_count(), output, work).await
    }

    /// The syncer's namespaces' pod APIs and the run's label selector.
    pub(super) fn scope(&self) -> (&[Api<Pod>], &str) {
        (&self.inner.apis, &self.inner.selector)
    }

    /// A sync of `plan`, with `hooks` around the copy when given.
    async fn sync_around(
        &self,
        built: &BuiltImage,
        plan: &SyncPlan,
        hooks: Option<&ArtifactSyncHooks<'_>>,
        output: &Output,
    ) -> Result<(), DeployError> {
        if plan.is_empty() {
            return Ok(());
        }
        self.history()
            .record(&built.image_name, &built.reference, plan);
        let work = async {
            let targets = self.targets(built).await?;
            let cluster = HookCluster {
                kube_context: &self.kube_context,
                namespaces: &self.inner.namespaces,
            };
            let hooks = hooks.map(|artifact| {
                let containers = InPods::new(&targets, output);
                HookRun::new(artifact, built, plan, cluster, containers, output)
            });
            let copy = self.apply(&targets, plan, Order::CopyFirst);
            around(hooks.as_ref(), copy).await
        };
        reported(&built.reference, plan.file_count(), output, work)
            .await
            .map(drop)
    }

    /// The containers running `built`; an error when there is none.
    async fn targets(&self, built: &BuiltImage) -> Result<Vec<Target>, DeployError> {
        let targets =
            containers_running(&self.inner.apis, &self.inner.selector, &built.reference).await?;
        if targets.is_empty() {
            return Err(DeployError::new(
                StatusCode::SyncUnknown,
                format!(
                    "syncing files for {}: didn't sync any files: no Running pod of the run has \
                     a container of this image",
                    built.reference
                ),
            ));
        }
        Ok(targets)
    }

    /// Carries out `plan` in every target at once; the first failure, once all are done.
    async fn apply(
        &self,
        targets: &[Target],
        plan: &SyncPlan,
        order: Order,
    ) -> Result<(), DeployError> {
        let tar = plan_archive(plan).await?;
        let deletions: Vec<&str> = plan.delete.iter().map(|(_, dest)| dest.as_str()).collect();
        let copy = tar.as_deref().map(Step::Copy);
        let delete = (!deletions.is_empty()).then_some(Step::Delete(&deletions));
        let steps = order.steps(copy, delete);
        let results = join_all(targets.iter().map(|target| async {
            for step in steps.iter().flatten() {
                self.run(target, *step).await?;
            }
            Ok(())
        }))
        .await;
        results.into_iter().collect()
    }

    /// Runs one step in `target`.
    async fn run(&self, target: &Target, step: Step<'_>) -> Result<(), DeployError> {
        match step {
            Step::Copy(tar) => {
                let command = ["tar", "xmf", "-", "-C", "/", "--no-same-owner"].map(String::from);
                let what = format!("copying files into {}", target.describe());
                exec::run(target, &command, Some(tar), &what).await
            }
            Step::Delete(paths) => {
                let mut command = ["rm", "-rf", "--"].map(String::from).to_vec();
                command.extend(paths.iter().map(|p| (*p).to_owned()));
                let what = format!("deleting files in {}", target.describe());
                exec::run(target, &command, None, &what).await
            }
        }
    }

    fn history(&self) -> MutexGuard<'_, History> {
        self.inner.history.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One exec of a plan.
#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    /// A tar archive to extract at `/`.
    Copy(&'a [u8]),
    /// Container paths to remove.
    Delete(&'a [&'a str]),
}
