//! Helpers shared by the watcher tests: temporary trees, roots, and waiting for batches.

#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};
use std::time::Duration;

use skiff_watch::{ChangeKind, FileChange, PathFilter, WatchRoot};
use tokio::sync::mpsc::Receiver;

/// The quiet period the tests use: long enough that a test thread preempted between two writes
/// of one step does not split the step's batch.
pub const QUIET: Duration = Duration::from_millis(100);

/// How long a batch that must arrive may take (generous: the machine may be loaded).
pub const ARRIVES: Duration = Duration::from_secs(5);

/// A temporary directory with files written into it.
pub struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file, creating its directories.
    pub fn write(&self, rel: &str, content: &str) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    pub fn mkdir(&self, rel: &str) {
        std::fs::create_dir_all(self.path(rel)).unwrap();
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path(rel)).unwrap();
    }

    pub fn rename(&self, from: &str, to: &str) {
        std::fs::rename(self.path(from), self.path(to)).unwrap();
    }

    pub fn watch_root(&self, owner: &str, filter: PathFilter) -> WatchRoot {
        WatchRoot {
            owner: owner.into(),
            dir: self.root().to_path_buf(),
            filter,
        }
    }
}

/// The next batch; fails the test if none arrives in [`ARRIVES`].
pub async fn next_batch(batches: &mut Receiver<Vec<FileChange>>) -> Vec<FileChange> {
    tokio::time::timeout(ARRIVES, batches.recv())
        .await
        .expect("a batch of changes within the timeout")
        .expect("the watcher is running")
}

/// The next batch as `(owner, path relative to the tree, kind)`, in the order sent.
pub async fn next_changes(
    tree: &Tree,
    batches: &mut Receiver<Vec<FileChange>>,
) -> Vec<(String, String, ChangeKind)> {
    relative(tree, next_batch(batches).await)
}

pub fn relative(tree: &Tree, batch: Vec<FileChange>) -> Vec<(String, String, ChangeKind)> {
    batch
        .into_iter()
        .map(|change| {
            let rel = change
                .path
                .strip_prefix(tree.root())
                .unwrap_or_else(|_| panic!("{} outside the tree", change.path.display()))
                .to_string_lossy()
                .into_owned();
            (change.owner, rel, change.kind)
        })
        .collect()
}

/// `(owner, path, kind)` literals.
pub fn expect(items: &[(&str, &str, ChangeKind)]) -> Vec<(String, String, ChangeKind)> {
    items
        .iter()
        .map(|(owner, path, kind)| (owner.to_string(), path.to_string(), *kind))
        .collect()
}

/// Asserts that no batch arrives for `wait` (a short wait: "does not arrive" checks only).
pub async fn assert_silent(batches: &mut Receiver<Vec<FileChange>>, wait: Duration) {
    if let Ok(batch) = tokio::time::timeout(wait, batches.recv()).await {
        panic!("unexpected batch: {batch:?}");
    }
}
