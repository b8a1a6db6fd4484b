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
//! Skaffold leaves with the image's files. Sync hooks (`sync.hooks`) are not run in pods yet.

mod catch_up;
mod exec;
mod syncer;
mod targets;

pub use catch_up::PodCatchUp;
pub use syncer::PodSyncer;
