//! File watching for `skiff dev`: which files changed, for which owner (an artifact, a test, the
//! config file…), in debounced batches.
//!
//! ```no_run
//! # async fn demo() -> Result<(), skiff_watch::WatchError> {
//! use skiff_watch::{DEFAULT_QUIET, PathFilter, Trigger, WatchRoot, Watcher};
//!
//! let roots = vec![WatchRoot {
//!     owner: "web".into(),
//!     dir: "/src/web".into(),
//!     filter: PathFilter::Everything,
//! }];
//! let (watcher, mut batches) = Watcher::start(roots, Trigger::Notify, DEFAULT_QUIET)?;
//! while let Some(batch) = batches.recv().await {
//!     for change in batch {
//!         println!("{} {:?} {}", change.owner, change.kind, change.path.display());
//!     }
//! }
//! # drop(watcher);
//! # Ok(())
//! # }
//! ```
//!
//! What is watched: every directory under each [`WatchRoot::dir`] that its [`PathFilter`] lets
//! in, one inotify watch per directory, added as directories appear. Never watched: `.git`,
//! directories a [`PathFilter::Ignore`] excludes (so an ignored `node_modules` costs nothing),
//! and directories holding no listed file of a [`PathFilter::Files`]. Never reported: editor
//! temporary and backup files ([`is_editor_temp`]).
//!
//! How changes are reported: one [`FileChange`] per file and owner in a batch, merged over the
//! batch: an atomic-rename save (write a temporary file, rename it over the real one) is one
//! `Modified` of the real file; a file removed and created again is `Modified`; a file created
//! and removed again is not reported. Removing or moving away a directory reports each file
//! that was in it as `Removed`; a directory created or moved in reports each file in it as
//! `Added`.

mod batch;
mod fallback;
mod manual;
mod roots;
mod snapshot;
mod watcher;

use std::path::PathBuf;
use std::time::Duration;

use skiff_proto::enums::StatusCode;

pub use roots::{IgnoreFn, PathFilter, WatchRoot, is_editor_temp};
pub use watcher::Watcher;

/// The default quiet period: a batch goes this long after the last change.
///
/// Measured on the project's 2-vCPU machine (`bench/watcher`): inotify hands the first event to
/// notify's callback 0.01–0.05 ms (median) after the write starts, and the whole write (open,
/// write, close) is seen within about 0.5 ms; write → batch is then the quiet period plus
/// about 0.6 ms (5.6 ms median with this default). An editor's save (write in place, write a
/// temporary file and rename it over, or move to a backup and write anew) takes well under a
/// millisecond, so 5 ms keeps a save, a "save all" or a `git checkout` burst in one batch even
/// when the editor is descheduled for a few milliseconds, and leaves about 14 ms of the 20 ms
/// "save → synced file served" budget to the sync (about 3 ms) and the server.
pub const DEFAULT_QUIET: Duration = Duration::from_millis(5);

/// The polling interval when notify cannot watch and the watcher falls back to polling
/// (Skaffold's default `--watch-poll-interval`), unless the quiet period is longer. The fallback
/// stretches it so that looking at the files takes at most 5 % of one CPU: a look at 100,000
/// files takes about 0.3–0.5 s here, so such a tree is polled every 6–10 s.
pub const FALLBACK_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The longest changes wait before they are sent, even while more keep coming: ten quiet
/// periods (ten polling intervals), and at least 100 ms, so a steady stream of writes still
/// triggers, while a burst shorter than that (a `git checkout`) stays in one batch.
pub fn max_batch_delay(quiet: Duration) -> Duration {
    (quiet * 10).max(Duration::from_millis(100))
}

/// How changes are noticed (`--trigger`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// File-system events (inotify through the `notify` crate); the default.
    Notify,
    /// A full look at every watched file each interval (`--watch-poll-interval`).
    Polling(Duration),
    /// A line on standard input looks for changes; no debounce.
    Manual,
}

/// One changed file, for one owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChange {
    /// The [`WatchRoot::owner`] whose root covers the file.
    pub owner: String,
    /// The file's absolute path, spelled under the root's directory.
    pub path: PathBuf,
    /// What happened to it over the batch.
    pub kind: ChangeKind,
}

/// What happened to a file over a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// It did not exist before the batch.
    Added,
    /// Its content or attributes changed, or it was replaced.
    Modified,
    /// It no longer exists.
    Removed,
}

/// Why watching could not start.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// A root's directory is missing, not a directory, or unreadable.
    #[error("cannot watch {}: {source}", dir.display())]
    Root {
        /// The directory, made absolute.
        dir: PathBuf,
        /// What reading it said.
        #[source]
        source: std::io::Error,
    },
    /// The watcher's thread (or its input reader) could not start, or a path could not be made
    /// absolute.
    #[error("cannot start the file watcher: {0}")]
    Start(#[source] std::io::Error),
}

impl WatchError {
    /// Skaffold's code for a watch that could not be set up.
    pub fn status_code(&self) -> StatusCode {
        StatusCode::InitCreateWatchTriggerError
    }
}
