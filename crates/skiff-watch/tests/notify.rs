//! The notify (inotify) trigger on a real file system.

mod common;

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{QUIET, Tree, assert_silent, expect, next_batch, next_changes};
use skiff_watch::ChangeKind::{Added, Modified, Removed};
use skiff_watch::{PathFilter, Trigger, WatchError, WatchRoot, Watcher};

fn start(
    roots: Vec<WatchRoot>,
) -> (
    Watcher,
    tokio::sync::mpsc::Receiver<Vec<skiff_watch::FileChange>>,
) {
    let (watcher, batches) = Watcher::start(roots, Trigger::Notify, QUIET).expect("watcher starts");
    assert_eq!(watcher.mode(), Trigger::Notify);
    (watcher, batches)
}

#[tokio::test]
async fn write_create_delete() {
    let tree = Tree::new();
    tree.write("a.txt", "1");
    let (_watcher, mut batches) = start(vec![tree.watch_root("app", PathFilter::Everything)]);

    tree.write("a.txt", "2");
    assert_eq!(
        next_changes(&tree, &mut batches).await,
        expect(&[("app", "a.txt", Modified)])
    );

    tree.write("b.txt", "new");
    assert_eq!(
        next_changes(&tree, &mut batches).await,
        expect(&[("app", "b.txt", Added)])
    );

    tree.remove("a.txt");
    assert_eq!(
        next_changes(&tree, &mut batches).await,
        expect(&[("app", "a.txt", Removed)])
    );
}

#[tokio::test]
async fn an_atomic_rename_save_is_one_modification() {
    let tree = Tree::new();
    tree.write("src/main.rs", "old");
    let (_watcher, mut batches) = start(vec![tree.watch_root("app", PathFilter::Everything)]);

    // A temporary name no rule knows, as many tools use.
    tree.write("src/.main.rs.3f9a2c", "new");
    tree.rename("src/.main.rs.3f9a2c", "src/main.rs");
    assert_eq!(
        next_changes(&tree, &mut batches).await,
        expect(&[("app", "src/main.rs", Modified)])
    );

    // Vim without backupcopy: move the file to a backup, write it anew, remove the backup.
    tree.rename("src/main.rs", "src/main.rs~");
    tree.write("src/main.rs", "newer");
    tree.remove("src/main.rs~");
    assert_eq!(
        next_changes(&tree, &mut batches).await,
        expect(&[("app", "src/main.rs", Modified)])
    );
}

#[tokio::test]
async fn removed_and_created_again_is_modified_and_created_and_removed_is_nothing() {
    let tree = Tree::new();
    tree.write("a.txt", "1");
    let (_watcher, mut batches) = start(vec![tree.watch_root("app", PathFilter::Everything)]);

    tree.remove("a.txt");
    tree.write("a.txt", "2");
    tree.write("short-lived.txt", "x");
    tree.remove("short-lived.txt");
    assert_eq!(
        next_changes(&tree, &mut batches).await,
        expect(&[("app", "a.txt", Modified)])
    );
}

#[tokio::test]
async fn new_directories_are_watched() {
    let tree = Tree::new();
    let (_watcher, mut batches) = start(vec![tree.watch_root("app", PathFilter::Everything)]);

    // Files written right after the directories are created, before a watch can be there.
    tree.write("new/deep/er/file.txt", "1");
    assert_eq!(
        next_changes(&tree, &mut batches).await,
        expect(&[("app", "new/deep/er/file.txt", Added)])
    );

    tree.write("new/deep/er/file.txt", "2");
    tree.write("new/deep/other.txt", "1");
    assert_eq!(
        next_changes(&tree, &mut batches).await,
        expect(&[
            ("app", "new/deep/er/file.txt", Modified),
            ("app", "new/deep/other.txt", Added)
        ])
    );
}

#[tokio::test]
async fn directories_removed_moved_out_and_moved_in_report_their_files() {
    let tree = Tree::new();
    let outside = Tree::new();
    tree.write("dir/a.txt", "1");
    tree.write("dir/sub/b.txt", "1");
    let (_watcher, mut batches) = start(vec![tree.watch_root("app", PathFilter::Everything)]);

    std::fs::rename(tree.path("dir"), outside.path("dir")).unwrap();
    assert_eq!(
        next_changes(&tree, &mut batches).await,
        expect(&[
            ("app", "dir/a.txt", Removed),
            ("app", "dir/sub/b.txt", Removed)
        ])
    );

    std::fs::rename(outside.path("dir"), tree.path("back")).unwrap();
    assert_eq!(
        next_changes(&tree, &mut batches).await,
        expect(&[
            ("app", "back/a.txt", Added),
            ("app", "back/sub/b.txt", Added)
        ])
    );

    // The moved-in directories are watched.
    tree.write("back/sub/c.txt", "1");
    assert_eq!(
        next_changes(&tree, &mut batches).await,
        expect(&[("app", "back/sub/c.txt", Added)])
    );

    std::fs::remove_dir_all(tree.path("back")).unwrap();
    assert_eq!(
        next_changes(&tree, &mut batches).await,
        expect(&[
            ("app", "back/a.txt", Removed),
            ("app", "back/sub/b.txt", Removed),
            ("app", "back/sub/c.txt", Removed)
        ])
    );
}

#[tokio::test]
async fn git_ignored_paths_and_editor_files_are_not_reported() {
    let tree = Tree::new();
    tree.mkdir(".git/objects");
    tree.mkdir("node_modules/left-pad");
    let ignore_node_modules: skiff_watch::IgnoreFn = Arc::new(|rel: &Path| {
        rel.starts_with("node_modules") || rel.extension() == Some(OsStr::new("log"))
    });
    let (_watcher, mut batches) = start(vec![
        tree.watch_root("app", PathFilter::Ignore(ignore_node_modules)),
        tree.watch_root("all", PathFilter::Everything),
    ]);

    tree.write(".git/HEAD", "ref: refs/heads/main");
    tree.write(".git/objects/ab", "blob");
    tree.write("node_modules/left-pad/index.js", "x");
    tree.write("node_modules/new-package/index.js", "x");
    tree.write("debug.log", "x");
    for temp in [
        ".a.txt.swp",
        "a.txt~",
        "4913",
        ".#a.txt",
        "a.txt.tmp",
        ".a.txt.kate-swp",
        "a.txt___jb_tmp___",
    ] {
        tree.write(temp, "x");
    }
    // Seen after all of the above, alone: the others were dropped, not delayed.
    tree.write("sentinel.txt", "x");
    assert_eq!(
        next_changes(&tree, &mut batches).await,
        expect(&[
            ("all", "debug.log", Added),
            ("all", "node_modules/left-pad/index.js", Added),
            ("all", "node_modules/new-package/index.js", Added),
            ("app", "sentinel.txt", Added),
            ("all", "sentinel.txt", Added),
        ])
    );
    assert_silent(&mut batches, QUIET * 4).await;
}

#[tokio::test]
async fn a_burst_of_writes_is_one_batch() {
    let tree = Tree::new();
    let (_watcher, mut batches) = start(vec![tree.watch_root("app", PathFilter::Everything)]);

    for i in 0..50 {
        tree.write(&format!("burst/{i:02}.txt"), "x");
    }
    let batch = next_changes(&tree, &mut batches).await;
    let expected: Vec<_> = (0..50)
        .map(|i| ("app".to_string(), format!("burst/{i:02}.txt"), Added))
        .collect();
    assert_eq!(batch, expected);
    assert_silent(&mut batches, QUIET * 4).await;
}

#[tokio::test]
async fn a_steady_stream_of_writes_still_triggers_at_the_cap() {
    let tree = Tree::new();
    tree.write("log.txt", "");
    let quiet = Duration::from_millis(20);
    let roots = vec![tree.watch_root("app", PathFilter::Everything)];
    let (_watcher, mut batches) = Watcher::start(roots, Trigger::Notify, quiet).unwrap();
    let cap = skiff_watch::max_batch_delay(quiet);

    // Writes every 5 ms, closer together than the quiet period, for three caps.
    let streaming = Arc::new(AtomicBool::new(true));
    let writer = {
        let path = tree.path("log.txt");
        let streaming = Arc::clone(&streaming);
        std::thread::spawn(move || {
            let end = Instant::now() + cap * 3;
            let mut n = 0;
            while Instant::now() < end {
                n += 1;
                std::fs::write(&path, n.to_string()).unwrap();
                std::thread::sleep(Duration::from_millis(5));
            }
            streaming.store(false, Ordering::SeqCst);
        })
    };
    let batch = next_batch(&mut batches).await;
    assert!(
        streaming.load(Ordering::SeqCst),
        "the first batch came only after the stream ended"
    );
    assert_eq!(batch.len(), 1);
    assert_eq!(batch[0].kind, Modified);
    writer.join().unwrap();
}

#[tokio::test]
async fn a_files_filter_reports_only_its_files() {
    let tree = Tree::new();
    tree.write("skaffold.yaml", "v1");
    tree.write("k8s/app.yaml", "v1");
    let files = BTreeSet::from([tree.path("skaffold.yaml"), tree.path("k8s/app.yaml")]);
    let (_watcher, mut batches) = start(vec![tree.watch_root("config", PathFilter::Files(files))]);

    tree.write("other.yaml", "x");
    tree.write("k8s/other.yaml", "x");
    tree.write("src/skaffold.yaml", "x");
    tree.write("skaffold.yaml", "v2");
    tree.write("k8s/app.yaml", "v2");
    assert_eq!(
        next_changes(&tree, &mut batches).await,
        expect(&[
            ("config", "k8s/app.yaml", Modified),
            ("config", "skaffold.yaml", Modified)
        ])
    );
    assert_silent(&mut batches, QUIET * 4).await;
}

#[tokio::test]
async fn owners_sharing_files_each_get_them() {
    let tree = Tree::new();
    tree.write("skaffold.yaml", "v1");
    tree.write("app/main.go", "v1");
    let config = PathFilter::Files(BTreeSet::from([tree.path("skaffold.yaml")]));
    let (_watcher, mut batches) = start(vec![
        tree.watch_root("config", config),
        tree.watch_root("web", PathFilter::Everything),
        tree.watch_root("worker", PathFilter::Everything),
        WatchRoot {
            owner: "api".into(),
            dir: tree.path("app"),
            filter: PathFilter::Everything,
        },
    ]);

    tree.write("app/main.go", "v2");
    tree.write("skaffold.yaml", "v2");
    assert_eq!(
        next_changes(&tree, &mut batches).await,
        expect(&[
            ("web", "app/main.go", Modified),
            ("worker", "app/main.go", Modified),
            ("api", "app/main.go", Modified),
            ("config", "skaffold.yaml", Modified),
            ("web", "skaffold.yaml", Modified),
            ("worker", "skaffold.yaml", Modified),
        ])
    );
}

#[tokio::test]
async fn dropping_the_watcher_stops_it() {
    let tree = Tree::new();
    let (watcher, mut batches) = start(vec![tree.watch_root("app", PathFilter::Everything)]);
    drop(watcher);
    tree.write("a.txt", "x");
    let end = tokio::time::timeout(common::ARRIVES, batches.recv())
        .await
        .expect("the channel closes");
    assert_eq!(end, None);
}

#[test]
fn a_missing_root_is_an_error() {
    let tree = Tree::new();
    let root = WatchRoot {
        owner: "app".into(),
        dir: tree.path("missing"),
        filter: PathFilter::Everything,
    };
    match Watcher::start(vec![root], Trigger::Notify, QUIET) {
        Err(error @ WatchError::Root { .. }) => {
            assert!(error.to_string().contains("missing"), "{error}");
            assert_eq!(
                error.status_code(),
                skiff_proto::enums::StatusCode::InitCreateWatchTriggerError
            );
        }
        other => panic!("expected a root error, got {other:?}"),
    }
}
