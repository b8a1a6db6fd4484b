//! File sync into the Kubernetes target's pods for `skiff dev`, natively over the exec API
//! (no kubectl): the plans come from the target-neutral `crate::sync` ([`crate::sync::plan_sync`]);
//! [`PodSyncer`] copies them (`tar xmf - -C / --no-same-owner` fed the archive) and deletes
//! (`rm -rf --`) in every container of the run's Running pods whose image is the built
//! reference, as Skaffold does with `kubectl exec -i`, reporting them as the docker target
//! does (`Syncing N files for <image>`, `FileSyncEvent`s).
//!
//! Unlike Skaffold, which syncs into every Running pod of the namespaces, only the run's pods
//! (`skaffold.dev/run-id=<id>`) are synced. Catch-up: the syncer remembers what it synced
//! since each image was built, and [`PodSyncer::follow_restarts`] replays it into every
//! container of the run that starts — a replacement pod or a restarted container — which
//! Skaffold leaves with the image's files. [`PodSyncer::sync_with_hooks`] runs an artifact's
//! `sync.hooks` around the copy, on the host and in the containers synced (see `hooks`); a
//! catch-up runs none: it restores files, it is not a sync of changes.

mod catch_up;
mod hooks;
mod syncer;
mod targets;

pub use crate::sync::ArtifactSyncHooks;
pub use catch_up::PodCatchUp;
pub use syncer::PodSyncer;
