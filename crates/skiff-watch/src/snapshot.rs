//! The watched files as last seen (modification time and size), and what differs from a fresh
//! look.

use std::collections::BTreeMap;
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::ChangeKind;

/// What tells two versions of a file apart without reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
}

impl Stamp {
    pub(crate) fn of(metadata: &Metadata) -> Self {
        Self {
            modified: metadata.modified().ok(),
            len: metadata.len(),
        }
    }
}

/// Accepted files by absolute path.
pub(crate) type Tree = BTreeMap<PathBuf, Stamp>;

/// The watched files as last seen.
#[derive(Default)]
pub(crate) struct Snapshot {
    files: Tree,
}

impl Snapshot {
    pub(crate) fn new(files: Tree) -> Self {
        Self { files }
    }

    pub(crate) fn contains(&self, path: &Path) -> bool {
        self.files.contains_key(path)
    }

    /// Records a file that exists now: `Added` if it was not known, else `Modified`.
    pub(crate) fn upsert(&mut self, path: PathBuf, stamp: Stamp) -> ChangeKind {
        match self.files.insert(path, stamp) {
            Some(_) => ChangeKind::Modified,
            None => ChangeKind::Added,
        }
    }

    /// Forgets a path and everything below it; returns the files that were known there.
    pub(crate) fn remove_under(&mut self, path: &Path) -> Vec<PathBuf> {
        // Paths order by component, so a directory's files follow it contiguously.
        let gone: Vec<PathBuf> = self
            .files
            .range(path.to_path_buf()..)
            .map(|(known, _)| known)
            .take_while(|known| known.starts_with(path))
            .cloned()
            .collect();
        for known in &gone {
            self.files.remove(known);
        }
        gone
    }

    /// Replaces the snapshot with a fresh look and returns what changed, by path.
    pub(crate) fn replace(&mut self, fresh: Tree) -> Vec<(PathBuf, ChangeKind)> {
        let mut changes = Vec::new();
        for (path, stamp) in &fresh {
            match self.files.get(path) {
                None => changes.push((path.clone(), ChangeKind::Added)),
                Some(old) if old != stamp => changes.push((path.clone(), ChangeKind::Modified)),
                Some(_) => {}
            }
        }
        for path in self.files.keys() {
            if !fresh.contains_key(path) {
                changes.push((path.clone(), ChangeKind::Removed));
            }
        }
        self.files = fresh;
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn stamp(seconds: u64, len: u64) -> Stamp {
        Stamp {
            modified: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)),
            len,
        }
    }

    #[test]
    fn replace_reports_added_modified_and_removed() {
        let mut snapshot = Snapshot::new(Tree::from([
            ("/p/same".into(), stamp(1, 1)),
            ("/p/touched".into(), stamp(1, 1)),
            ("/p/grown".into(), stamp(1, 1)),
            ("/p/gone".into(), stamp(1, 1)),
        ]));
        let mut changes = snapshot.replace(Tree::from([
            ("/p/same".into(), stamp(1, 1)),
            ("/p/touched".into(), stamp(2, 1)),
            ("/p/grown".into(), stamp(1, 2)),
            ("/p/new".into(), stamp(1, 1)),
        ]));
        changes.sort();
        let expected: Vec<(PathBuf, ChangeKind)> = vec![
            ("/p/gone".into(), ChangeKind::Removed),
            ("/p/grown".into(), ChangeKind::Modified),
            ("/p/new".into(), ChangeKind::Added),
            ("/p/touched".into(), ChangeKind::Modified),
        ];
        assert_eq!(changes, expected);
    }

    #[test]
    fn remove_under_takes_a_directory_and_nothing_beside_it() {
        let mut snapshot = Snapshot::new(Tree::from([
            ("/p/a".into(), stamp(1, 1)),
            ("/p/a/x".into(), stamp(1, 1)),
            ("/p/a/y/z".into(), stamp(1, 1)),
            ("/p/a.c".into(), stamp(1, 1)),
            ("/p/ab".into(), stamp(1, 1)),
        ]));
        let gone = snapshot.remove_under(Path::new("/p/a"));
        assert_eq!(
            gone,
            [
                PathBuf::from("/p/a"),
                PathBuf::from("/p/a/x"),
                PathBuf::from("/p/a/y/z")
            ]
        );
        assert!(snapshot.contains(Path::new("/p/a.c")));
        assert!(snapshot.contains(Path::new("/p/ab")));
    }
}
