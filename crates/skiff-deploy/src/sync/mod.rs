//! File sync, target-neutral: deciding between syncing and rebuilding ([`plan_sync`]), the
//! archive a copy sends (`tarball`), what was synced since an image was built (`history`, for
//! catch-up), the order of a plan's steps (`order`), how a sync is reported (`report`:
//! `Syncing N files for <image>` and the `FileSyncEvent`s) and the artifact's `sync.hooks`
//! around a sync (`hooks`). The targets carry plans out: `docker::sync` into containers,
//! `kubernetes::sync` into pods.

pub(crate) mod history;
pub(crate) mod hooks;
mod infer;
pub(crate) mod order;
mod paths;
mod plan;
pub(crate) mod report;
mod rules;
pub(crate) mod tarball;

pub use hooks::ArtifactSyncHooks;
pub use plan::{SyncPlan, plan_sync, sync_ignored_warning};
