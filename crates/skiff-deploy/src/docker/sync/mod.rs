//! File sync into the docker target's containers for `skiff dev`: instead of rebuilding an
//! artifact whose changed files its sync rules cover, copy them into its running containers
//! (and remove the deleted ones).
//!
//! - [`plan_sync`] (target-neutral, in `crate::sync`, re-exported here) decides between sync and rebuild with Skaffold's rules (`manual`, `infer`,
//!   `auto`; all-or-nothing per artifact) and maps files to container paths.
//! - [`Syncer`] carries the plans out. Unlike Skaffold, which spawns `docker exec … tar` per
//!   sync (~50 ms), it keeps one exec session per container: a shell loop reading framed
//!   requests on its stdin (see `session`), so a one-file sync costs a few milliseconds. Images
//!   without a shell get skiff's static helper copied in once, which speaks the same protocol
//!   (see `helper`; x86-64 engines); failing that, copies go through the archive API.
//! - Catch-up: the syncer remembers what it synced since each image was built, and
//!   [`Syncer::follow_restarts`] replays it into every container of the run that starts —
//!   Skaffold loses synced files when a container is recreated.
//! - Hooks: [`Syncer::sync_with_hooks`] runs an artifact's `sync.hooks` around the copy, on the
//!   host and in the container (see `hooks`). A catch-up runs none: it restores files, it is
//!   not a sync of changes.

mod catch_up;
mod container_hook;
mod helper;
mod hooks;
mod session;
mod syncer;
mod transport;

pub use crate::sync::{SyncPlan, plan_sync, sync_ignored_warning};
pub use catch_up::CatchUp;
pub use hooks::ArtifactSyncHooks;
pub use syncer::Syncer;
