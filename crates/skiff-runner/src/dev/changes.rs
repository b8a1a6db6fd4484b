//! The changes the dev loop has seen and not acted on yet: files of each artifact, the config
//! itself, and builds that are waiting to be deployed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// The owner name the dev loop gives the config files it watches.
pub const CONFIG_OWNER: &str = "skaffold.yaml";

/// The owner name the dev loop gives what the deploy renders (manifests, charts).
pub const MANIFESTS_OWNER: &str = "manifests";

/// The prefix of the owner name of an image's test dependencies (`test:<image>`).
pub const TEST_OWNER_PREFIX: &str = "test:";

/// The changed and deleted files of one artifact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileChanges {
    /// Added or modified files (absolute).
    pub changed: BTreeSet<PathBuf>,
    /// Removed files (absolute).
    pub deleted: BTreeSet<PathBuf>,
}

impl FileChanges {
    /// Records a change; the last one of a path wins.
    pub fn record(&mut self, path: PathBuf, removed: bool) {
        if removed {
            self.changed.remove(&path);
            self.deleted.insert(path);
        } else {
            self.deleted.remove(&path);
            self.changed.insert(path);
        }
    }
}

/// Everything pending.
#[derive(Debug, Clone, Default)]
pub struct Pending {
    /// Per artifact image name, its changed files.
    pub artifacts: BTreeMap<String, FileChanges>,
    /// Images whose test dependencies changed: their tests run again.
    pub retest: BTreeSet<String>,
    /// The config file changed: the loop restarts with the new config.
    pub config_changed: bool,
    /// Builds that finished while deploys were off, or manifests that changed: the next
    /// deploy (when deploys are on) redeploys.
    pub undeployed: bool,
}

impl Pending {
    /// Records one watched change.
    pub fn record(&mut self, owner: &str, path: PathBuf, removed: bool) {
        if owner == CONFIG_OWNER {
            self.config_changed = true;
        } else if owner == MANIFESTS_OWNER {
            self.undeployed = true;
        } else if let Some(image) = owner.strip_prefix(TEST_OWNER_PREFIX) {
            self.retest.insert(image.to_owned());
        } else {
            self.artifacts
                .entry(owner.to_owned())
                .or_default()
                .record(path, removed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_change_of_a_path_wins() {
        let mut pending = Pending::default();
        pending.record("app", "/w/a.txt".into(), false);
        pending.record("app", "/w/a.txt".into(), true);
        pending.record("app", "/w/b.txt".into(), true);
        pending.record("app", "/w/b.txt".into(), false);
        let app = &pending.artifacts["app"];
        assert_eq!(app.deleted, BTreeSet::from(["/w/a.txt".into()]));
        assert_eq!(app.changed, BTreeSet::from(["/w/b.txt".into()]));
        assert!(!pending.config_changed);
        pending.record(CONFIG_OWNER, "/w/skaffold.yaml".into(), false);
        assert!(pending.config_changed);
        pending.record("test:app", "/w/test/deps.txt".into(), false);
        assert_eq!(pending.retest, BTreeSet::from(["app".to_owned()]));
        assert!(!pending.undeployed);
        pending.record(MANIFESTS_OWNER, "/w/k8s/web.yaml".into(), false);
        assert!(pending.undeployed);
        assert_eq!(pending.artifacts.len(), 1);
    }
}
