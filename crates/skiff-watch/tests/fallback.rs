//! The fallback from inotify to polling, forced for real: the process is left one free file
//! descriptor, so inotify starts but notify's event loop cannot, as when an inotify or open-file
//! limit is reached. Alone in its test binary: the limit is process-wide.

use std::io::Write;
use std::sync::{Arc, Mutex};

use skiff_watch::{FALLBACK_POLL_INTERVAL, PathFilter, Trigger, WatchRoot, Watcher};

/// Lowers the open-file limit so that exactly one more descriptor can be opened; returns the
/// previous limit.
fn leave_one_free_descriptor() -> libc::rlimit {
    // Descriptors below the limit are what can be opened; the lowest free one stays usable.
    let second_free = (0..).filter(|fd| !is_open(*fd)).nth(1).unwrap();
    let mut previous = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain libc calls on valid pointers to local rlimit values.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut previous), 0);
        let lowered = libc::rlimit {
            rlim_cur: second_free as libc::rlim_t,
            rlim_max: previous.rlim_max,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lowered), 0);
    }
    previous
}

fn is_open(fd: i32) -> bool {
    // SAFETY: F_GETFD only queries the descriptor's flags.
    unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
}

/// Collects what tracing writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn notify_failing_to_start_falls_back_to_polling_with_a_warning() {
    let tree = tempfile::tempdir().unwrap();
    let root = WatchRoot {
        owner: "app".into(),
        dir: tree.path().to_path_buf(),
        filter: PathFilter::Everything,
    };
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();

    let previous = leave_one_free_descriptor();
    let started = tracing::subscriber::with_default(subscriber, || {
        Watcher::start(vec![root], Trigger::Notify, skiff_watch::DEFAULT_QUIET)
    });
    // SAFETY: restores the limit read before.
    unsafe {
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &previous), 0);
    }

    let (watcher, _batches) = started.expect("the watcher starts, polling");
    assert_eq!(watcher.mode(), Trigger::Polling(FALLBACK_POLL_INTERVAL));
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("WARN"), "{log}");
    assert!(log.contains("fs.inotify.max_user_instances"), "{log}");
    assert!(log.contains("polling every 1000 ms"), "{log}");
}
