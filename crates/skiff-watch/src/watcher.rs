//! The watcher: a thread that turns file-system events (or polls, or manual triggers) into
//! debounced batches of changes.

use std::convert::Infallible;
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};
use tokio::sync::mpsc::error::TrySendError;

use crate::batch::Batch;
use crate::fallback::{fallback_interval, fallback_warning, stretched};
use crate::roots::{DirVisit, Roots};
use crate::snapshot::{Snapshot, Stamp, Tree};
use crate::{ChangeKind, FileChange, Trigger, WatchError, WatchRoot, manual, max_batch_delay};

/// How long a ready batch waits before trying again when the receiver has not taken the
/// previous one; changes keep merging into it meanwhile.
const RETRY: Duration = Duration::from_millis(5);

/// What the watcher thread is told.
pub(crate) enum Msg {
    /// An event from notify.
    Fs(notify::Result<notify::Event>),
    /// A manual trigger (a line of input).
    Line,
    /// The [`Watcher`] was dropped.
    Stop,
}

/// Watches files and sends batches of changes; stops when dropped.
///
/// Changes come as `Vec<FileChange>` on the receiver returned by [`Watcher::start`], sorted by
/// path, then by owner in the order of the roots. Batches are never empty. The channel holds
/// one batch: while the receiver has not taken it, later changes merge into the next one.
#[derive(Debug)]
pub struct Watcher {
    inbox: mpsc::Sender<Msg>,
    mode: Arc<Mutex<Trigger>>,
}

impl Watcher {
    /// Starts watching `roots`, returning the watcher and the receiver of change batches.
    ///
    /// - [`Trigger::Notify`]: inotify (through the `notify` crate), one watch per covered
    ///   directory. A batch goes `quiet` after the last change, and no later than
    ///   [`max_batch_delay`]`(quiet)` after the first one. When inotify cannot watch (the watch
    ///   limit, or any other notify error, at the start or later) the watcher warns and polls
    ///   instead; [`Watcher::mode`] tells which runs. Skaffold uses an explicit
    ///   `--watch-poll-interval` as the notify trigger's quiet period: pass it as `quiet` to do
    ///   the same.
    /// - [`Trigger::Polling`]: a full look (modification time and size of every file) each
    ///   interval; a batch goes at the first look that finds nothing new (Skaffold's "a full turn
    ///   with no changes"), or once changes have waited [`max_batch_delay`]`(interval)`.
    ///   `quiet` is not used.
    /// - [`Trigger::Manual`]: each line on the process's standard input compares the files with
    ///   the previous look and sends what changed at once, without debounce; nothing is sent when
    ///   nothing changed. `quiet` is not used.
    ///
    /// Blocks while it lists the files and adds the watches (about 0.1 s per 10,000 files),
    /// so every change after it returns is reported.
    pub fn start(
        roots: Vec<WatchRoot>,
        trigger: Trigger,
        quiet: Duration,
    ) -> Result<(Watcher, tokio::sync::mpsc::Receiver<Vec<FileChange>>), WatchError> {
        let (inbox, events) = mpsc::channel();
        let roots = checked_roots(roots)?;
        if trigger == Trigger::Manual {
            manual::listen_to_stdin(inbox.clone()).map_err(WatchError::Start)?;
        }
        launch(roots, trigger, quiet, inbox, events)
    }

    /// Starts a [`Trigger::Manual`] watcher whose triggers are the lines of `input` instead of
    /// standard input (a terminal in raw mode, a pipe, a test).
    pub fn start_manual(
        roots: Vec<WatchRoot>,
        input: impl BufRead + Send + 'static,
    ) -> Result<(Watcher, tokio::sync::mpsc::Receiver<Vec<FileChange>>), WatchError> {
        let (inbox, events) = mpsc::channel();
        let roots = checked_roots(roots)?;
        manual::listen_to(input, inbox.clone()).map_err(WatchError::Start)?;
        launch(roots, Trigger::Manual, Duration::ZERO, inbox, events)
    }

    /// What actually runs: [`Trigger::Polling`] with the fallback interval once notify could not
    /// watch.
    pub fn mode(&self) -> Trigger {
        *self.mode.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.inbox.send(Msg::Stop);
    }
}

/// Makes the roots absolute and checks that each directory can be read.
fn checked_roots(roots: Vec<WatchRoot>) -> Result<Roots, WatchError> {
    let roots = Roots::new(roots).map_err(WatchError::Start)?;
    for dir in roots.dirs() {
        let readable = std::fs::metadata(dir).and_then(|metadata| {
            if metadata.is_dir() {
                std::fs::read_dir(dir).map(drop)
            } else {
                Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    "not a directory",
                ))
            }
        });
        readable.map_err(|source| WatchError::Root {
            dir: dir.to_path_buf(),
            source,
        })?;
    }
    Ok(roots)
}

fn launch(
    roots: Roots,
    trigger: Trigger,
    quiet: Duration,
    inbox: mpsc::Sender<Msg>,
    events: mpsc::Receiver<Msg>,
) -> Result<(Watcher, tokio::sync::mpsc::Receiver<Vec<FileChange>>), WatchError> {
    let (source, tree) = match trigger {
        Trigger::Notify => match start_notify(&roots, &inbox) {
            Ok((watcher, tree)) => (Source::Notify(watcher), tree),
            Err(error) => {
                let started = Instant::now();
                let tree = scan(&roots);
                let interval = stretched(fallback_interval(quiet), started.elapsed());
                tracing::warn!("{}", fallback_warning(&error, interval));
                (Source::polling(interval, true), tree)
            }
        },
        Trigger::Polling(interval) => (Source::polling(interval, false), scan(&roots)),
        Trigger::Manual => (Source::Manual, scan(&roots)),
    };
    let mode = Arc::new(Mutex::new(source.trigger()));
    let (out, batches) = tokio::sync::mpsc::channel(1);
    let worker = Worker {
        roots,
        snapshot: Snapshot::new(tree),
        batch: Batch::default(),
        source,
        quiet,
        out,
        mode: Arc::clone(&mode),
        retry_at: None,
    };
    std::thread::Builder::new()
        .name("skiff-watch".into())
        .spawn(move || worker.run(&events))
        .map_err(WatchError::Start)?;
    Ok((Watcher { inbox, mode }, batches))
}

/// Creates the inotify watcher and adds a watch on every covered directory.
fn start_notify(
    roots: &Roots,
    inbox: &mpsc::Sender<Msg>,
) -> notify::Result<(RecommendedWatcher, Tree)> {
    let events = inbox.clone();
    let mut watcher = notify::recommended_watcher(move |event| {
        let _ = events.send(Msg::Fs(event));
    })?;
    let tree = roots.walk_all(&mut |dir| add_watch(&mut watcher, dir))?;
    Ok((watcher, tree))
}

/// Watches one directory (not its subdirectories: the walk adds those one by one, skipping the
/// ones no root covers).
fn add_watch(watcher: &mut RecommendedWatcher, dir: &Path) -> notify::Result<DirVisit> {
    match watcher.watch(dir, RecursiveMode::NonRecursive) {
        Ok(()) => Ok(DirVisit::Enter),
        // Gone already, or unreadable (so not part of any build either).
        Err(error) if is_skippable(&error) => {
            tracing::debug!(dir = %dir.display(), %error, "not watching a directory");
            Ok(DirVisit::Skip)
        }
        Err(error) => Err(error),
    }
}

fn is_skippable(error: &notify::Error) -> bool {
    match &error.kind {
        notify::ErrorKind::PathNotFound => true,
        notify::ErrorKind::Io(io) => matches!(
            io.kind(),
            io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied
        ),
        _ => false,
    }
}

/// A full look at the files, without watches.
fn scan(roots: &Roots) -> Tree {
    let Ok(tree) = roots.walk_all(&mut |_| Ok::<_, Infallible>(DirVisit::Enter));
    tree
}

/// Where changes come from.
enum Source {
    Notify(RecommendedWatcher),
    Polling {
        interval: Duration,
        next_look: Instant,
        /// A fallback: the interval stretches when looks are slow (see [`stretched`]).
        fallback: bool,
    },
    Manual,
}

impl Source {
    fn polling(interval: Duration, fallback: bool) -> Self {
        let interval = interval.max(Duration::from_millis(1));
        Self::Polling {
            interval,
            next_look: Instant::now() + interval,
            fallback,
        }
    }

    fn trigger(&self) -> Trigger {
        match self {
            Self::Notify(_) => Trigger::Notify,
            Self::Polling { interval, .. } => Trigger::Polling(*interval),
            Self::Manual => Trigger::Manual,
        }
    }
}

/// The watcher thread's state.
struct Worker {
    roots: Roots,
    snapshot: Snapshot,
    batch: Batch,
    source: Source,
    quiet: Duration,
    out: tokio::sync::mpsc::Sender<Vec<FileChange>>,
    mode: Arc<Mutex<Trigger>>,
    /// Set while a ready batch waits for room in the channel.
    retry_at: Option<Instant>,
}

impl Worker {
    fn run(mut self, events: &mpsc::Receiver<Msg>) {
        loop {
            let msg = match self.next_wake() {
                None => events.recv().map_err(|_| RecvTimeoutError::Disconnected),
                Some(at) => events.recv_timeout(at.saturating_duration_since(Instant::now())),
            };
            match msg {
                Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                Ok(Msg::Fs(event)) => self.on_notify(event),
                Ok(Msg::Line) => {
                    if let Source::Manual = self.source {
                        self.look(Instant::now());
                        if self.retry_at.is_none() && !self.deliver(Instant::now()) {
                            return;
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            if !self.on_time(Instant::now()) {
                return;
            }
        }
    }

    /// When the thread must wake up if nothing arrives.
    fn next_wake(&self) -> Option<Instant> {
        let own = match &self.source {
            Source::Notify(_) if self.retry_at.is_none() => {
                self.batch.due(self.quiet, max_batch_delay(self.quiet))
            }
            Source::Polling { next_look, .. } => Some(*next_look),
            Source::Notify(_) | Source::Manual => None,
        };
        own.into_iter().chain(self.retry_at).min()
    }

    /// Does what is due at `now`. `false` when the receiver is gone.
    fn on_time(&mut self, now: Instant) -> bool {
        if self.retry_at.is_some_and(|at| now >= at) && !self.deliver(now) {
            return false;
        }
        match &mut self.source {
            Source::Notify(_) => {
                let cap = max_batch_delay(self.quiet);
                if self.retry_at.is_none()
                    && self
                        .batch
                        .due(self.quiet, cap)
                        .is_some_and(|due| now >= due)
                {
                    return self.deliver(now);
                }
            }
            Source::Polling {
                interval,
                next_look,
                fallback,
            } => {
                let (interval, next_look, fallback) = (*interval, *next_look, *fallback);
                if now >= next_look {
                    return self.poll(now, interval, fallback);
                }
            }
            Source::Manual => {}
        }
        true
    }

    /// One polling turn: looks, plans the next turn, and sends the batch once a turn finds
    /// nothing new (or the batch waited its longest). `false` when the receiver is gone.
    fn poll(&mut self, now: Instant, interval: Duration, fallback: bool) -> bool {
        let found = self.look(now);
        let interval = if fallback {
            stretched(interval, now.elapsed())
        } else {
            interval
        };
        self.source = Source::Polling {
            interval,
            next_look: Instant::now() + interval,
            fallback,
        };
        self.publish_mode();
        let settled = found == 0 || self.batch.overdue(max_batch_delay(interval), now);
        if self.retry_at.is_none() && !self.batch.is_empty() && settled {
            return self.deliver(now);
        }
        true
    }

    /// Compares the files with the snapshot and records what changed; returns how many changed.
    fn look(&mut self, now: Instant) -> usize {
        let changes = self.snapshot.replace(scan(&self.roots));
        let found = changes.len();
        for (path, kind) in changes {
            self.batch.record(path, kind, now);
        }
        found
    }

    /// Sends the pending batch if the channel has room. `false` when the receiver is gone.
    fn deliver(&mut self, now: Instant) -> bool {
        let mut changes = Vec::new();
        for (path, kind) in self.batch.changes() {
            for owner in self.roots.owners(path) {
                changes.push(FileChange {
                    owner: owner.to_owned(),
                    path: path.clone(),
                    kind: *kind,
                });
            }
        }
        if changes.is_empty() {
            self.batch.clear();
            self.retry_at = None;
            return true;
        }
        match self.out.try_send(changes) {
            Ok(()) => {
                self.batch.clear();
                self.retry_at = None;
                true
            }
            Err(TrySendError::Full(_)) => {
                self.retry_at = Some(now + RETRY);
                true
            }
            Err(TrySendError::Closed(_)) => false,
        }
    }

    /// Handles an event from notify; falls back to polling when notify fails.
    fn on_notify(&mut self, event: notify::Result<notify::Event>) {
        if !matches!(self.source, Source::Notify(_)) {
            return; // left over from before a fallback
        }
        let now = Instant::now();
        let handled = event.and_then(|event| {
            if event.need_rescan() {
                // The kernel's queue overflowed: events were lost.
                self.rewatch_all(now)?;
            }
            for path in event.paths {
                self.on_path(&event.kind, path, now)?;
            }
            Ok(())
        });
        if let Err(error) = handled {
            self.fall_back(&error);
        }
    }

    fn on_path(&mut self, kind: &EventKind, path: PathBuf, now: Instant) -> notify::Result<()> {
        match kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write))
            | EventKind::Modify(
                ModifyKind::Data(_) | ModifyKind::Metadata(_) | ModifyKind::Any | ModifyKind::Other,
            ) => {
                self.written(path, now);
                Ok(())
            }
            EventKind::Create(_) | EventKind::Modify(ModifyKind::Name(RenameMode::To)) => {
                self.appeared(path, now)
            }
            EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(RenameMode::From)) => {
                self.gone(&path, now);
                Ok(())
            }
            EventKind::Modify(ModifyKind::Name(RenameMode::Any | RenameMode::Other)) => {
                if path.symlink_metadata().is_ok() {
                    self.appeared(path, now)
                } else {
                    self.gone(&path, now);
                    Ok(())
                }
            }
            // `Name(Both)` repeats a `From` and a `To` already seen; opens and reads change
            // nothing.
            _ => Ok(()),
        }
    }

    /// A file's content or attributes changed (never a directory's: that says nothing about
    /// the files in it).
    fn written(&mut self, path: PathBuf, now: Instant) {
        let Ok(metadata) = path.symlink_metadata() else {
            return; // removed since; its removal event follows
        };
        if !metadata.is_dir() && (self.snapshot.contains(&path) || self.roots.accepts_any(&path)) {
            let kind = self.snapshot.upsert(path.clone(), Stamp::of(&metadata));
            self.batch.record(path, kind, now);
        }
    }

    /// A path was created or moved in.
    fn appeared(&mut self, path: PathBuf, now: Instant) -> notify::Result<()> {
        let Ok(metadata) = path.symlink_metadata() else {
            return Ok(()); // gone again; its removal event follows
        };
        if metadata.is_dir() {
            let Source::Notify(watcher) = &mut self.source else {
                return Ok(());
            };
            let tree = self
                .roots
                .walk_new_dir(&path, &mut |dir| add_watch(watcher, dir))?;
            for (file, stamp) in tree {
                let kind = self.snapshot.upsert(file.clone(), stamp);
                self.batch.record(file, kind, now);
            }
        } else if self.roots.accepts_any(&path) {
            let kind = self.snapshot.upsert(path.clone(), Stamp::of(&metadata));
            self.batch.record(path, kind, now);
        }
        Ok(())
    }

    /// A path was removed or moved away: it and every file known below it are gone.
    fn gone(&mut self, path: &Path, now: Instant) {
        for file in self.snapshot.remove_under(path) {
            self.batch.record(file, ChangeKind::Removed, now);
        }
    }

    /// Adds the watches again and compares every file with the snapshot.
    fn rewatch_all(&mut self, now: Instant) -> notify::Result<()> {
        let Source::Notify(watcher) = &mut self.source else {
            return Ok(());
        };
        let tree = self.roots.walk_all(&mut |dir| add_watch(watcher, dir))?;
        for (path, kind) in self.snapshot.replace(tree) {
            self.batch.record(path, kind, now);
        }
        Ok(())
    }

    /// Stops using notify and polls from now on, starting with a look right away for anything
    /// the failure hid.
    fn fall_back(&mut self, error: &notify::Error) {
        let interval = fallback_interval(self.quiet);
        tracing::warn!("{}", fallback_warning(error, interval));
        self.source = Source::Polling {
            interval,
            next_look: Instant::now(),
            fallback: true,
        };
        self.publish_mode();
    }

    /// Makes [`Watcher::mode`] tell what runs now.
    fn publish_mode(&self) {
        *self.mode.lock().unwrap_or_else(PoisonError::into_inner) = self.source.trigger();
    }
}
