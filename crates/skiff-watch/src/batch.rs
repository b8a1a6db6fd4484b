//! Changes waiting to be sent: merged per path, with the times the debounce needs.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::ChangeKind;

/// Pending changes, one per path.
#[derive(Default)]
pub(crate) struct Batch {
    changes: BTreeMap<PathBuf, ChangeKind>,
    /// When the oldest pending change was recorded.
    first: Option<Instant>,
    /// When the newest change was recorded.
    last: Option<Instant>,
}

impl Batch {
    pub(crate) fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Adds a change, merged with what is pending for the same path.
    pub(crate) fn record(&mut self, path: PathBuf, kind: ChangeKind, now: Instant) {
        match merge(self.changes.get(&path).copied(), kind) {
            Some(merged) => {
                self.changes.insert(path, merged);
            }
            None => {
                self.changes.remove(&path);
            }
        }
        if self.changes.is_empty() {
            self.first = None;
            self.last = None;
        } else {
            self.first.get_or_insert(now);
            self.last = Some(now);
        }
    }

    /// When the debounce lets the batch go: `quiet` after the newest change, but no later than
    /// `cap` after the oldest one. `None` when nothing is pending.
    pub(crate) fn due(&self, quiet: Duration, cap: Duration) -> Option<Instant> {
        Some((self.last? + quiet).min(self.first? + cap))
    }

    /// Whether the oldest pending change has waited `cap` already.
    pub(crate) fn overdue(&self, cap: Duration, now: Instant) -> bool {
        self.first.is_some_and(|first| now >= first + cap)
    }

    pub(crate) fn changes(&self) -> &BTreeMap<PathBuf, ChangeKind> {
        &self.changes
    }

    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }
}

/// One change after another on the same path, within a batch. `None`: nothing happened (a file
/// created and removed again).
fn merge(earlier: Option<ChangeKind>, later: ChangeKind) -> Option<ChangeKind> {
    use ChangeKind::{Added, Modified, Removed};
    match (earlier, later) {
        (None, kind) => Some(kind),
        (Some(Added), Removed) => None,
        (Some(Added), _) => Some(Added),
        (Some(Removed), Removed) | (Some(Modified), Removed) => Some(Removed),
        // Removed then re-created (a rename-over save), or modified again.
        (Some(Removed), _) | (Some(Modified), _) => Some(Modified),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChangeKind::{Added, Modified, Removed};

    #[test]
    fn merges_follow_what_the_file_went_through() {
        assert_eq!(merge(None, Added), Some(Added));
        assert_eq!(merge(Some(Added), Modified), Some(Added));
        assert_eq!(merge(Some(Added), Removed), None);
        assert_eq!(merge(Some(Removed), Added), Some(Modified));
        assert_eq!(merge(Some(Modified), Removed), Some(Removed));
        assert_eq!(merge(Some(Modified), Modified), Some(Modified));
    }

    #[test]
    fn due_is_quiet_after_the_last_change_capped_after_the_first() {
        let start = Instant::now();
        let quiet = Duration::from_millis(5);
        let cap = Duration::from_millis(50);
        let mut batch = Batch::default();
        assert_eq!(batch.due(quiet, cap), None);
        batch.record("/a".into(), Modified, start);
        assert_eq!(batch.due(quiet, cap), Some(start + quiet));
        batch.record("/b".into(), Modified, start + Duration::from_millis(48));
        assert_eq!(batch.due(quiet, cap), Some(start + cap));
        assert!(batch.overdue(cap, start + cap));
    }

    #[test]
    fn a_file_created_and_removed_leaves_nothing_pending() {
        let now = Instant::now();
        let mut batch = Batch::default();
        batch.record("/tmp-file".into(), Added, now);
        batch.record("/tmp-file".into(), Removed, now);
        assert!(batch.is_empty());
        assert_eq!(batch.due(Duration::ZERO, Duration::ZERO), None);
    }
}
