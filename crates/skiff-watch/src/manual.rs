//! The manual trigger's input: each line read is one trigger.

use std::io::{self, BufRead};
use std::sync::mpsc::Sender;
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::watcher::Msg;

/// Watchers listening to the process's standard input.
static STDIN_LISTENERS: Mutex<Vec<Sender<Msg>>> = Mutex::new(Vec::new());
/// Whether the one standard-input reader thread started (or why not).
static STDIN_READER: OnceLock<Result<(), String>> = OnceLock::new();

/// Sends a trigger to `inbox` for each line on the process's standard input.
///
/// One thread reads standard input for the whole process and hands each line to every watcher
/// alive then, so a watcher started after another one stopped (a config reload) does not lose
/// the next line to a reader left behind by the old one.
pub(crate) fn listen_to_stdin(inbox: Sender<Msg>) -> io::Result<()> {
    lock_listeners().push(inbox);
    STDIN_READER
        .get_or_init(|| {
            std::thread::Builder::new()
                .name("skiff-watch stdin".into())
                .spawn(|| {
                    read_lines(io::stdin().lock(), || {
                        let mut listeners = lock_listeners();
                        listeners.retain(|listener| listener.send(Msg::Line).is_ok());
                        true
                    })
                })
                .map(drop)
                .map_err(|error| error.to_string())
        })
        .clone()
        .map_err(io::Error::other)
}

/// Sends a trigger to `inbox` for each line of `input`, until the input ends or the watcher
/// stops.
pub(crate) fn listen_to(
    input: impl BufRead + Send + 'static,
    inbox: Sender<Msg>,
) -> io::Result<()> {
    std::thread::Builder::new()
        .name("skiff-watch input".into())
        .spawn(move || read_lines(input, || inbox.send(Msg::Line).is_ok()))
        .map(drop)
}

/// Calls `deliver` for each line until the input ends or `deliver` says to stop.
fn read_lines(input: impl BufRead, mut deliver: impl FnMut() -> bool) {
    for line in input.lines() {
        if line.is_err() || !deliver() {
            break;
        }
    }
}

fn lock_listeners() -> std::sync::MutexGuard<'static, Vec<Sender<Msg>>> {
    STDIN_LISTENERS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}
