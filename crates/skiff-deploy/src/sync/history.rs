//! What was synced into an image's containers since the image was last built: the state a
//! container created (or restarted) from that image must be brought back to.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use super::plan::SyncPlan;

/// The last thing done to one container path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    /// The local file was copied there.
    Copied(PathBuf),
    /// It was removed after the local file was deleted.
    Deleted(PathBuf),
}

/// What was synced for one image.
#[derive(Debug, Default)]
struct ImageHistory {
    /// The image reference of the last sync (what `Syncing … for <ref>` names).
    reference: String,
    /// By container path, the last thing done to it.
    paths: BTreeMap<String, Entry>,
}

/// The sync history of every image, by image name.
#[derive(Debug, Default)]
pub(crate) struct History {
    images: HashMap<String, ImageHistory>,
}

impl History {
    /// Records a sync of `plan` for `image_name` (running `reference`).
    pub(crate) fn record(&mut self, image_name: &str, reference: &str, plan: &SyncPlan) {
        let image = self.images.entry(image_name.to_owned()).or_default();
        image.reference = reference.to_owned();
        for (local, dest) in &plan.copy {
            image
                .paths
                .insert(dest.clone(), Entry::Copied(local.clone()));
        }
        for (local, dest) in &plan.delete {
            // Removing a directory removes what was copied below it.
            let below = format!("{}/", dest.trim_end_matches('/'));
            image.paths.retain(|path, _| !path.starts_with(&below));
            image
                .paths
                .insert(dest.clone(), Entry::Deleted(local.clone()));
        }
    }

    /// Forgets what was synced for `image_name`: a new build contains it.
    pub(crate) fn clear(&mut self, image_name: &str) {
        self.images.remove(image_name);
    }

    /// The reference last synced for `image_name` and the plan that brings a container of the
    /// image built before to the synced state (its deletions first, then its copies); `None`
    /// when nothing was synced since the image was built.
    pub(crate) fn replay(&self, image_name: &str) -> Option<(String, SyncPlan)> {
        let image = self.images.get(image_name)?;
        let mut plan = SyncPlan::default();
        for (dest, entry) in &image.paths {
            match entry {
                Entry::Copied(local) => plan.copy.push((local.clone(), dest.clone())),
                Entry::Deleted(local) => plan.delete.push((local.clone(), dest.clone())),
            }
        }
        (!plan.is_empty()).then(|| (image.reference.clone(), plan))
    }

    /// [`History::replay`] without the copies of files deleted locally since they were synced
    /// (they are left out, not removed: their deletion was not synced); `None` when nothing is
    /// left to do.
    pub(crate) fn catch_up(&self, image_name: &str) -> Option<(String, SyncPlan)> {
        let (reference, mut plan) = self.replay(image_name)?;
        plan.copy.retain(|(local, _)| {
            let present = local.symlink_metadata().is_ok();
            if !present {
                tracing::debug!("{} is gone locally; not synced again", local.display());
            }
            present
        });
        (!plan.is_empty()).then_some((reference, plan))
    }

    /// The image whose containers run `reference`, as last synced; `None` when nothing was
    /// synced for it since it was built.
    pub(crate) fn image_of(&self, reference: &str) -> Option<&str> {
        self.images
            .iter()
            .find(|(_, image)| image.reference == reference)
            .map(|(name, _)| name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(copy: &[(&str, &str)], delete: &[(&str, &str)]) -> SyncPlan {
        let pairs = |list: &[(&str, &str)]| {
            list.iter()
                .map(|(l, d)| (PathBuf::from(l), (*d).to_owned()))
                .collect()
        };
        SyncPlan {
            copy: pairs(copy),
            delete: pairs(delete),
        }
    }

    #[test]
    fn the_last_operation_on_a_path_wins() {
        let mut history = History::default();
        history.record(
            "app",
            "app:1",
            &plan(&[("/l/a", "/w/a"), ("/l/b", "/w/b")], &[]),
        );
        history.record("app", "app:2", &plan(&[], &[("/l/a", "/w/a")]));
        history.record(
            "app",
            "app:2",
            &plan(&[("/l/b", "/w/b"), ("/l/c", "/w/c")], &[]),
        );
        let (reference, replay) = history.replay("app").unwrap();
        assert_eq!(reference, "app:2");
        assert_eq!(
            replay,
            plan(&[("/l/b", "/w/b"), ("/l/c", "/w/c")], &[("/l/a", "/w/a")])
        );
    }

    #[test]
    fn deleting_a_directory_drops_what_was_copied_below_it() {
        let mut history = History::default();
        history.record(
            "app",
            "app:1",
            &plan(&[("/l/d/x", "/w/d/x"), ("/l/dx", "/w/dx")], &[]),
        );
        history.record("app", "app:1", &plan(&[], &[("/l/d", "/w/d")]));
        let (_, replay) = history.replay("app").unwrap();
        assert_eq!(replay, plan(&[("/l/dx", "/w/dx")], &[("/l/d", "/w/d")]));
    }

    #[test]
    fn a_rebuild_forgets_only_its_image() {
        let mut history = History::default();
        history.record("app", "app:1", &plan(&[("/l/a", "/w/a")], &[]));
        history.record("web", "web:1", &plan(&[("/l/a", "/w/a")], &[]));
        history.clear("app");
        assert_eq!(history.replay("app"), None);
        assert!(history.replay("web").is_some());
        assert_eq!(history.replay("never"), None);
    }

    #[test]
    fn a_catch_up_leaves_out_files_gone_locally() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("kept");
        std::fs::write(&kept, "x").unwrap();
        let gone = dir.path().join("gone");
        let kept_name = kept.to_str().unwrap();
        let gone_name = gone.to_str().unwrap();
        let mut history = History::default();
        history.record(
            "app",
            "app:1",
            &plan(&[(kept_name, "/w/kept"), (gone_name, "/w/gone")], &[]),
        );
        let (_, replay) = history.catch_up("app").unwrap();
        assert_eq!(replay, plan(&[(kept_name, "/w/kept")], &[]));

        history.record("web", "web:1", &plan(&[(gone_name, "/w/gone")], &[]));
        assert_eq!(history.catch_up("web"), None);
    }

    #[test]
    fn the_image_of_a_reference_is_the_last_synced() {
        let mut history = History::default();
        history.record("app", "app:1", &plan(&[("/l/a", "/w/a")], &[]));
        history.record("app", "app:2", &plan(&[("/l/a", "/w/a")], &[]));
        assert_eq!(history.image_of("app:2"), Some("app"));
        assert_eq!(history.image_of("app:1"), None);
        history.clear("app");
        assert_eq!(history.image_of("app:2"), None);
    }
}
