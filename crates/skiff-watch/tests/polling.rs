//! The polling and manual triggers on a real file system.

mod common;

use std::io::Write;
use std::time::Duration;

use common::{QUIET, Tree, assert_silent, expect, next_changes};
use skiff_watch::ChangeKind::{Added, Modified, Removed};
use skiff_watch::{PathFilter, Trigger, Watcher};

const INTERVAL: Duration = Duration::from_millis(50);

#[tokio::test]
async fn polling_sees_the_same_changes() {
    let tree = Tree::new();
    tree.write("a.txt", "1");
    tree.write("b.txt", "1");
    tree.mkdir(".git");
    let roots = vec![tree.watch_root("app", PathFilter::Everything)];
    let (watcher, mut batches) = Watcher::start(roots, Trigger::Polling(INTERVAL), QUIET).unwrap();
    assert_eq!(watcher.mode(), Trigger::Polling(INTERVAL));

    // Sizes change with each write: two writes within one clock tick of the file system keep
    // the same modification time, which polling (like Skaffold's) cannot tell apart.
    tree.write("a.txt", "22");
    tree.write("new/dir/c.txt", "1");
    tree.remove("b.txt");
    tree.write(".git/HEAD", "x");
    tree.write("a.txt~", "x");
    assert_eq!(
        next_changes(&tree, &mut batches).await,
        expect(&[
            ("app", "a.txt", Modified),
            ("app", "b.txt", Removed),
            ("app", "new/dir/c.txt", Added)
        ])
    );

    tree.write(".new-c.txt.partial", "333");
    tree.rename(".new-c.txt.partial", "new/dir/c.txt");
    assert_eq!(
        next_changes(&tree, &mut batches).await,
        expect(&[("app", "new/dir/c.txt", Modified)])
    );
}

#[tokio::test]
async fn polling_waits_for_a_full_turn_without_changes() {
    let tree = Tree::new();
    let roots = vec![tree.watch_root("app", PathFilter::Everything)];
    let (_watcher, mut batches) = Watcher::start(roots, Trigger::Polling(INTERVAL), QUIET).unwrap();

    // A change every fifth of an interval for five intervals: no turn is free of changes.
    for i in 0..25 {
        tree.write(&format!("f{i:02}.txt"), "x");
        std::thread::sleep(INTERVAL / 5);
    }
    let batch = next_changes(&tree, &mut batches).await;
    assert_eq!(batch.len(), 25, "{batch:?}");
}

#[tokio::test]
async fn manual_looks_on_each_line_only() {
    let tree = Tree::new();
    tree.write("a.txt", "1");
    let roots = vec![tree.watch_root("app", PathFilter::Everything)];
    let (input, mut keys) = std::io::pipe().unwrap();
    let (watcher, mut batches) =
        Watcher::start_manual(roots, std::io::BufReader::new(input)).unwrap();
    assert_eq!(watcher.mode(), Trigger::Manual);

    tree.write("a.txt", "22");
    tree.write("b.txt", "1");
    assert_silent(&mut batches, Duration::from_millis(150)).await;

    keys.write_all(b"\n").unwrap();
    assert_eq!(
        next_changes(&tree, &mut batches).await,
        expect(&[("app", "a.txt", Modified), ("app", "b.txt", Added)])
    );

    // Nothing changed since: a trigger sends nothing.
    keys.write_all(b"\n").unwrap();
    assert_silent(&mut batches, Duration::from_millis(150)).await;

    tree.remove("b.txt");
    keys.write_all(b"go\n").unwrap();
    assert_eq!(
        next_changes(&tree, &mut batches).await,
        expect(&[("app", "b.txt", Removed)])
    );
}
