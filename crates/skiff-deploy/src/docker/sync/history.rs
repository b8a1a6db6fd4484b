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
pub(super) struct History {
    images: HashMap<String, ImageHistory>,
}

impl History {
    /// Records a sync of `plan` for `image_name` (running `reference`).
    pub(super) fn record(&mut self, image_name: &str, reference: &str, plan: &SyncPlan) {
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
    pub(super) fn clear(&mut self, image_name: &str) {
        self.images.remove(image_name);
    }

    /// The reference last synced for `image_name` and the plan that brings a container of the
    /// image built before to the synced state (its deletions first, then its copies); `None`
    /// when nothing was synced since the image was built.
    pub(super) fn replay(&self, image_name: &str) -> Option<(String, SyncPlan)> {
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
}
