//! Which directories get an inotify watch, counted in the kernel's own view of the watcher
//! (`/proc/self/fdinfo`). Alone in its test binary so no other watcher is counted.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use common::{QUIET, Tree, expect, next_changes};
use skiff_watch::ChangeKind::Added;
use skiff_watch::{PathFilter, Trigger, WatchRoot, Watcher};

/// The number of watches of the process's inotify instances.
fn inotify_watches() -> usize {
    let mut watches = 0;
    for fd in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
        let is_inotify = std::fs::read_link(fd.path())
            .is_ok_and(|target| target.to_string_lossy().contains("inotify"));
        if is_inotify {
            let info = std::fs::read_to_string(format!(
                "/proc/self/fdinfo/{}",
                fd.file_name().to_string_lossy()
            ))
            .unwrap_or_default();
            watches += info
                .lines()
                .filter(|line| line.starts_with("inotify wd:"))
                .count();
        }
    }
    watches
}

#[tokio::test]
async fn skipped_directories_get_no_watch() {
    let tree = Tree::new();
    tree.write("app/src/a/main.rs", "x");
    tree.write("app/.git/objects/ab", "x");
    for i in 0..20 {
        tree.write(&format!("app/node_modules/p{i}/lib/index.js"), "x");
    }
    tree.write("deploy/k8s/app.yaml", "x");
    tree.write("deploy/charts/c/values.yaml", "x");
    tree.mkdir("deploy/other");
    let ignore: skiff_watch::IgnoreFn = Arc::new(|rel: &Path| rel.starts_with("node_modules"));
    let manifests = PathFilter::Files(BTreeSet::from([tree.path("deploy/k8s/app.yaml")]));
    let roots = vec![
        WatchRoot {
            owner: "app".into(),
            dir: tree.path("app"),
            filter: PathFilter::Ignore(ignore),
        },
        WatchRoot {
            owner: "deploy".into(),
            dir: tree.path("deploy"),
            filter: manifests,
        },
    ];
    let (watcher, mut batches) = Watcher::start(roots, Trigger::Notify, QUIET).unwrap();
    assert_eq!(watcher.mode(), Trigger::Notify);
    // app, app/src, app/src/a; deploy, deploy/k8s.
    assert_eq!(inotify_watches(), 5);

    tree.write("app/node_modules/new/lib/index.js", "x");
    tree.write("deploy/other/x/y.yaml", "x");
    tree.write("app/src/b/lib.rs", "x");
    assert_eq!(
        next_changes(&tree, &mut batches).await,
        expect(&[("app", "app/src/b/lib.rs", Added)])
    );
    // Only app/src/b was added.
    assert_eq!(inotify_watches(), 6);

    drop(watcher);
    assert_eq!(batches.recv().await, None);
}
