//! The syncer of a dev session: carries out sync plans in containers over sessions it keeps
//! open, reports them as Skaffold does, and remembers them for catch-up.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use skiff_build::builder::BuiltImage;
use skiff_docker::Engine;
use skiff_events::Output;

use super::hooks::{ArtifactSyncHooks, HookPhase, HookRun};
use super::session::Request;
use super::transport::Transport;
use crate::error::DeployError;
use crate::sync::SyncPlan;
use crate::sync::history::History;
use crate::sync::order::Order;
use crate::sync::report::reported;
use crate::sync::tarball::plan_archive;

/// The way into one container, used by one sync at a time.
type SharedTransport = Arc<tokio::sync::Mutex<Transport>>;

/// Syncs files into the containers of one dev session. A handle: clones share the sessions
/// and the history.
///
/// Each container gets one exec session (a shell loop, see the module docs), opened on its
/// first sync and kept open; it is opened again when it died (the container restarted). A
/// container of an image without a shell gets its copies through the archive API instead.
/// When a sync names a different container for an image than the last one, the old
/// container's session is closed: the docker target runs one container per image, so the old
/// one was replaced.
#[derive(Debug, Clone)]
pub struct Syncer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    engine: Engine,
    /// By container id.
    transports: Mutex<HashMap<String, SharedTransport>>,
    /// By image name, the container last synced.
    containers: Mutex<HashMap<String, String>>,
    history: Mutex<History>,
    sessions_opened: AtomicUsize,
}

impl Syncer {
    /// A syncer working through `engine`, with no session open yet.
    pub fn new(engine: Engine) -> Syncer {
        Syncer {
            inner: Arc::new(Inner {
                engine,
                transports: Mutex::default(),
                containers: Mutex::default(),
                history: Mutex::default(),
                sessions_opened: AtomicUsize::new(0),
            }),
        }
    }

    /// Carries out `plan` in the running container `container_id`, deployed from `image`, and
    /// returns the number of files synced once they are in place (copies first, then
    /// deletions). Writes Skaffold's `Syncing N files for <reference>` and emits
    /// `FileSyncEvent`s (InProgress, then Succeeded or Failed). The plan is remembered for
    /// [`Syncer::catch_up`] even when the sync fails: the container should mirror the local
    /// files either way. An empty plan does nothing.
    pub async fn sync(
        &self,
        container_id: &str,
        plan: &SyncPlan,
        output: &Output,
        image: &BuiltImage,
    ) -> Result<usize, DeployError> {
        self.sync_around(container_id, plan, output, image, None)
            .await
    }

    /// [`Syncer::sync`] with the artifact's sync hooks (see the `hooks` module): its pre-sync
    /// hooks run before the copy, which a failure of one of them skips, and its post-sync hooks
    /// after; their output and failures are part of the sync's (between `Syncing N files …`
    /// and the `FileSyncEvent` that ends it). Container hooks run in `container_id`.
    pub async fn sync_with_hooks(
        &self,
        container_id: &str,
        plan: &SyncPlan,
        output: &Output,
        image: &BuiltImage,
        hooks: &ArtifactSyncHooks<'_>,
    ) -> Result<usize, DeployError> {
        self.sync_around(container_id, plan, output, image, Some(hooks))
            .await
    }

    /// Forgets what was synced for `image_name`: its new build contains the files. Call it once
    /// the image was rebuilt, before its new containers start.
    pub fn image_rebuilt(&self, image_name: &str) {
        self.history().clear(image_name);
    }

    /// Brings the container `container_id`, just (re)started from the last build of
    /// `image_name`, to the state synced since that build: removes the files deleted and copies
    /// the current content of the files synced (those deleted locally since are left out).
    /// Returns the number of files synced, reported as [`Syncer::sync`] reports them; nothing
    /// is done (nor written) when nothing was synced. Idempotent.
    pub async fn catch_up(
        &self,
        container_id: &str,
        image_name: &str,
        output: &Output,
    ) -> Result<usize, DeployError> {
        let Some((reference, plan)) = self.history().catch_up(image_name) else {
            return Ok(0);
        };
        let work = self.apply(container_id, image_name, &plan, Order::DeleteFirst);
        reported(&reference, plan.file_count(), output, work).await
    }

    /// How many shell sessions the syncer opened so far (each container's first sync, and
    /// each reopening after a session died).
    pub fn sessions_opened(&self) -> usize {
        self.inner.sessions_opened.load(Ordering::Relaxed)
    }

    /// The engine the syncer works through.
    pub(super) fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// Closes the session of a container that is gone or stopped.
    pub(super) fn forget(&self, container_id: &str) {
        lock(&self.inner.transports).remove(container_id);
    }

    /// A sync of `plan`, with `hooks` around the copy when given.
    async fn sync_around(
        &self,
        container_id: &str,
        plan: &SyncPlan,
        output: &Output,
        image: &BuiltImage,
        hooks: Option<&ArtifactSyncHooks<'_>>,
    ) -> Result<usize, DeployError> {
        if plan.is_empty() {
            return Ok(0);
        }
        self.history()
            .record(&image.image_name, &image.reference, plan);
        let hooks = hooks.map(|artifact| {
            HookRun::new(artifact, image, plan, container_id, self.engine(), output)
        });
        let work = async {
            if let Some(hooks) = &hooks {
                hooks.run(HookPhase::Before).await?;
            }
            self.apply(container_id, &image.image_name, plan, Order::CopyFirst)
                .await?;
            if let Some(hooks) = &hooks {
                hooks.run(HookPhase::After).await?;
            }
            Ok(())
        };
        reported(&image.reference, plan.file_count(), output, work).await
    }

    /// Carries out `plan` in the container.
    async fn apply(
        &self,
        container_id: &str,
        image_name: &str,
        plan: &SyncPlan,
        order: Order,
    ) -> Result<(), DeployError> {
        let tar = plan_archive(plan).await?;
        let deletions: Vec<String> = plan.delete.iter().map(|(_, dest)| dest.clone()).collect();
        let copy = tar.as_deref().map(Request::Copy);
        let delete = (!deletions.is_empty()).then_some(Request::Delete(&deletions));
        let steps = order.steps(copy, delete);
        let transport = self.transport(container_id, image_name);
        let mut transport = transport.lock().await;
        for request in steps.into_iter().flatten() {
            transport
                .send(
                    &self.inner.engine,
                    container_id,
                    request,
                    &self.inner.sessions_opened,
                )
                .await?;
        }
        Ok(())
    }

    /// The transport into `container_id`, which now runs `image_name`; the transport of the
    /// container the image ran in before is dropped.
    fn transport(&self, container_id: &str, image_name: &str) -> SharedTransport {
        let replaced = lock(&self.inner.containers)
            .insert(image_name.to_owned(), container_id.to_owned())
            .filter(|previous| previous != container_id);
        let mut transports = lock(&self.inner.transports);
        if let Some(previous) = replaced {
            transports.remove(&previous);
        }
        Arc::clone(transports.entry(container_id.to_owned()).or_default())
    }

    fn history(&self) -> MutexGuard<'_, History> {
        lock(&self.inner.history)
    }
}

/// Locks `mutex`; a panic while it was held leaves nothing half-updated worth refusing.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
