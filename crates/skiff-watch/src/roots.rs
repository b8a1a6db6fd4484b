//! What is watched: the roots, their filters, and the walk over the directories they cover.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::snapshot::{Stamp, Tree};

/// A `.dockerignore`-style exclusion: `true` when the path (relative to [`WatchRoot::dir`]) is
/// excluded.
///
/// It is asked about directories too: answer `true` for a directory only when nothing below it
/// can be wanted (with `.dockerignore` exceptions such as `!node_modules/keep`, answer `false`
/// for `node_modules`). An excluded directory is not descended into and gets no watch.
pub type IgnoreFn = Arc<dyn Fn(&Path) -> bool + Send + Sync>;

/// Which paths under a [`WatchRoot::dir`] belong to its owner.
#[derive(Clone)]
pub enum PathFilter {
    /// Every file under the directory, except the `.git` directory and editor temporary files
    /// (see [`is_editor_temp`]).
    Everything,
    /// Only these files (absolute paths spelled under `dir`: the config file, a manifest). Only
    /// their parent directories are watched. Listed files are reported even when their names look
    /// like editor temporary files.
    Files(BTreeSet<PathBuf>),
    /// Every file the function does not exclude, minus `.git` and editor temporary files, as for
    /// [`PathFilter::Everything`].
    Ignore(IgnoreFn),
}

impl fmt::Debug for PathFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Everything => f.write_str("Everything"),
            Self::Files(files) => f.debug_tuple("Files").field(files).finish(),
            Self::Ignore(_) => f.write_str("Ignore(..)"),
        }
    }
}

/// What to watch for one owner (an artifact, a test, the config file…).
#[derive(Clone, Debug)]
pub struct WatchRoot {
    /// Who the changes under this root are reported to ([`crate::FileChange::owner`]).
    pub owner: String,
    /// The directory watched recursively (made absolute against the current directory if it is
    /// relative; symbolic links in it are not resolved, so reported paths keep its spelling).
    pub dir: PathBuf,
    /// Which files under `dir` count.
    pub filter: PathFilter,
}

/// File names that editors write next to the real file while saving, or as swap and backup
/// files. Changes to them are never reported (unless listed in a [`PathFilter::Files`]):
///
/// - `*~` (vim, emacs, nano backups), `.#*` (emacs locks), `#*#` (emacs auto-saves)
/// - `*.swp`, `*.swo`, `*.swn`, `*.swx` (vim swap files), `4913` (vim's write probe)
/// - `*.tmp` (many tools' temporary saves), `.*.kate-swp` (Kate)
/// - `*___jb_tmp___`, `*___jb_old___` (JetBrains "safe write")
/// - `.goutputstream-*` (GNOME/gedit), `.~lock.*#` (LibreOffice), `*.crswap` (Chromium)
/// - `.DS_Store` (macOS Finder)
pub fn is_editor_temp(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    const SUFFIXES: [&str; 9] = [
        "~",
        ".swp",
        ".swo",
        ".swn",
        ".swx",
        ".tmp",
        "___jb_tmp___",
        "___jb_old___",
        ".crswap",
    ];
    name == "4913"
        || name == ".DS_Store"
        || name.starts_with(".#")
        || name.starts_with(".goutputstream-")
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#'))
        || (name.starts_with(".~lock.") && name.ends_with('#'))
        || (name.starts_with('.') && name.ends_with(".kate-swp"))
        || SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
}

/// What a walk does with a directory it reached, decided before the directory is read.
pub(crate) enum DirVisit {
    /// Read it and go on below it.
    Enter,
    /// Leave it out (it vanished or cannot be read).
    Skip,
}

/// The roots of one watcher, with absolute directories, and the questions asked about them.
pub(crate) struct Roots {
    roots: Vec<WatchRoot>,
    /// Root indices by directory.
    by_dir: BTreeMap<PathBuf, Vec<usize>>,
}

impl Roots {
    /// Makes every directory (and listed file) absolute.
    pub(crate) fn new(roots: Vec<WatchRoot>) -> std::io::Result<Self> {
        let mut absolute = Vec::with_capacity(roots.len());
        for root in roots {
            let filter = match root.filter {
                PathFilter::Files(files) => PathFilter::Files(
                    files
                        .iter()
                        .map(std::path::absolute)
                        .collect::<std::io::Result<_>>()?,
                ),
                other => other,
            };
            absolute.push(WatchRoot {
                owner: root.owner,
                dir: std::path::absolute(&root.dir)?,
                filter,
            });
        }
        let mut by_dir: BTreeMap<PathBuf, Vec<usize>> = BTreeMap::new();
        for (index, root) in absolute.iter().enumerate() {
            by_dir.entry(root.dir.clone()).or_default().push(index);
        }
        Ok(Self {
            roots: absolute,
            by_dir,
        })
    }

    /// The distinct root directories.
    pub(crate) fn dirs(&self) -> impl Iterator<Item = &Path> {
        self.by_dir.keys().map(PathBuf::as_path)
    }

    /// The owners a file belongs to, each once, in the order of the roots.
    pub(crate) fn owners(&self, file: &Path) -> Vec<&str> {
        let mut owners: Vec<&str> = Vec::new();
        for root in self.roots.iter().filter(|root| accepts(root, file)) {
            if !owners.contains(&root.owner.as_str()) {
                owners.push(&root.owner);
            }
        }
        owners
    }

    /// Whether a file belongs to any owner.
    pub(crate) fn accepts_any(&self, file: &Path) -> bool {
        self.roots.iter().any(|root| accepts(root, file))
    }

    /// Walks every root, reading each covered directory once, and returns the accepted files.
    /// `on_dir` is called for each directory before it is read.
    pub(crate) fn walk_all<E>(
        &self,
        on_dir: &mut dyn FnMut(&Path) -> Result<DirVisit, E>,
    ) -> Result<Tree, E> {
        let mut tree = Tree::new();
        for (dir, indices) in &self.by_dir {
            // A root reached from an enclosing root's walk is walked there, once.
            let covered = self
                .roots
                .iter()
                .any(|root| root.dir != *dir && descends(root, dir));
            if !covered {
                self.walk_from(dir, indices.clone(), on_dir, &mut tree)?;
            }
        }
        Ok(tree)
    }

    /// Walks a directory that appeared after the start (created or moved in), for the roots
    /// covering it; returns nothing when none does.
    pub(crate) fn walk_new_dir<E>(
        &self,
        dir: &Path,
        on_dir: &mut dyn FnMut(&Path) -> Result<DirVisit, E>,
    ) -> Result<Tree, E> {
        let active: Vec<usize> = (0..self.roots.len())
            .filter(|&index| descends(&self.roots[index], dir))
            .collect();
        let mut tree = Tree::new();
        if !active.is_empty() {
            self.walk_from(dir, active, on_dir, &mut tree)?;
        }
        Ok(tree)
    }

    fn walk_from<E>(
        &self,
        start: &Path,
        active: Vec<usize>,
        on_dir: &mut dyn FnMut(&Path) -> Result<DirVisit, E>,
        tree: &mut Tree,
    ) -> Result<(), E> {
        let mut stack = vec![(start.to_path_buf(), active)];
        while let Some((dir, active)) = stack.pop() {
            if let DirVisit::Skip = on_dir(&dir)? {
                continue;
            }
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(error) => {
                    tracing::debug!(dir = %dir.display(), %error, "cannot read a watched directory");
                    continue;
                }
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(file_type) = entry.file_type() else {
                    continue;
                };
                if file_type.is_dir() {
                    let mut below: Vec<usize> = active
                        .iter()
                        .copied()
                        .filter(|&index| dir_allowed(&self.roots[index], &path))
                        .collect();
                    // Roots starting here join the walk that reaches them (see `walk_all`).
                    if !below.is_empty()
                        && let Some(starting_here) = self.by_dir.get(&path)
                    {
                        for index in starting_here {
                            if !below.contains(index) {
                                below.push(*index);
                            }
                        }
                    }
                    if !below.is_empty() {
                        stack.push((path, below));
                    }
                } else if active
                    .iter()
                    .any(|&index| file_allowed(&self.roots[index], &path))
                    && let Ok(metadata) = entry.metadata()
                {
                    tree.insert(path, Stamp::of(&metadata));
                }
            }
        }
        Ok(())
    }
}

/// Whether the root covers this directory: it is the root's directory or below it, and every
/// directory on the way down is allowed.
fn descends(root: &WatchRoot, dir: &Path) -> bool {
    let Ok(relative) = dir.strip_prefix(&root.dir) else {
        return false;
    };
    let mut current = root.dir.clone();
    relative.components().all(|component| {
        current.push(component);
        dir_allowed(root, &current)
    })
}

/// Whether the root lets its walk enter this directory, its parent being allowed.
fn dir_allowed(root: &WatchRoot, dir: &Path) -> bool {
    match &root.filter {
        PathFilter::Files(files) => files
            .iter()
            .any(|file| file != dir && file.starts_with(dir)),
        PathFilter::Everything => dir.file_name() != Some(OsStr::new(".git")),
        PathFilter::Ignore(ignored) => {
            dir.file_name() != Some(OsStr::new(".git"))
                && !dir.strip_prefix(&root.dir).is_ok_and(|rel| ignored(rel))
        }
    }
}

/// Whether the root wants this file, its directory being covered.
fn file_allowed(root: &WatchRoot, file: &Path) -> bool {
    match &root.filter {
        PathFilter::Files(files) => files.contains(file),
        PathFilter::Everything => file.file_name().is_some_and(|name| !is_editor_temp(name)),
        PathFilter::Ignore(ignored) => {
            file.file_name().is_some_and(|name| !is_editor_temp(name))
                && !file.strip_prefix(&root.dir).is_ok_and(|rel| ignored(rel))
        }
    }
}

/// Whether the root wants this file, wherever it is.
fn accepts(root: &WatchRoot, file: &Path) -> bool {
    file.parent().is_some_and(|parent| descends(root, parent)) && file_allowed(root, file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_temp_names() {
        for name in [
            "a.txt~",
            ".#a.txt",
            "#a.txt#",
            ".a.txt.swp",
            "a.swx",
            "a.tmp",
            "4913",
            ".a.txt.kate-swp",
            "a.txt___jb_tmp___",
            "a.txt___jb_old___",
            ".goutputstream-AB12CD",
            ".~lock.a.odt#",
            "a.txt.crswap",
            ".DS_Store",
        ] {
            assert!(is_editor_temp(OsStr::new(name)), "{name}");
        }
        for name in [
            "a.txt",
            "#",
            "4914",
            "swp",
            "Dockerfile",
            ".dockerignore",
            "a.kate-swp",
        ] {
            assert!(!is_editor_temp(OsStr::new(name)), "{name}");
        }
    }

    fn roots(filter: PathFilter) -> Roots {
        Roots::new(vec![WatchRoot {
            owner: "app".into(),
            dir: "/p".into(),
            filter,
        }])
        .unwrap()
    }

    #[test]
    fn everything_skips_git_and_temp_files() {
        let roots = roots(PathFilter::Everything);
        assert!(roots.accepts_any(Path::new("/p/a/b.txt")));
        assert!(roots.accepts_any(Path::new("/p/node_modules/x.js")));
        assert!(!roots.accepts_any(Path::new("/p/.git/HEAD")));
        assert!(!roots.accepts_any(Path::new("/p/a/.git/config")));
        assert!(!roots.accepts_any(Path::new("/p/a/b.txt~")));
        assert!(!roots.accepts_any(Path::new("/q/a.txt")));
        assert!(!roots.accepts_any(Path::new("/p")));
    }

    #[test]
    fn ignore_applies_to_files_and_every_directory_on_the_way() {
        let roots = roots(PathFilter::Ignore(Arc::new(|rel: &Path| {
            rel.starts_with("node_modules") || rel.extension() == Some(OsStr::new("log"))
        })));
        assert!(roots.accepts_any(Path::new("/p/src/main.rs")));
        assert!(!roots.accepts_any(Path::new("/p/node_modules/x/y.js")));
        assert!(!roots.accepts_any(Path::new("/p/out.log")));
    }

    #[test]
    fn files_accepts_only_the_listed_files() {
        let roots = roots(PathFilter::Files(BTreeSet::from([
            PathBuf::from("/p/skaffold.yaml"),
            PathBuf::from("/p/k8s/app.yaml.tmp"),
        ])));
        assert!(roots.accepts_any(Path::new("/p/skaffold.yaml")));
        assert!(roots.accepts_any(Path::new("/p/k8s/app.yaml.tmp")));
        assert!(!roots.accepts_any(Path::new("/p/k8s/other.yaml")));
        assert!(!roots.accepts_any(Path::new("/p/other/skaffold.yaml")));
    }

    #[test]
    fn owners_are_reported_once_each_in_root_order() {
        let roots = Roots::new(vec![
            WatchRoot {
                owner: "b".into(),
                dir: "/p".into(),
                filter: PathFilter::Everything,
            },
            WatchRoot {
                owner: "a".into(),
                dir: "/p/app".into(),
                filter: PathFilter::Everything,
            },
            WatchRoot {
                owner: "b".into(),
                dir: "/p/app".into(),
                filter: PathFilter::Everything,
            },
        ])
        .unwrap();
        assert_eq!(roots.owners(Path::new("/p/app/x")), ["b", "a"]);
        assert_eq!(roots.owners(Path::new("/p/y")), ["b"]);
    }
}
