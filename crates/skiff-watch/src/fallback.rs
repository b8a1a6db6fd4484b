//! Falling back from inotify to polling: when, at what interval, and the warning that says why.

use std::time::Duration;

use crate::FALLBACK_POLL_INTERVAL;

/// The polling interval used when notify cannot watch: [`FALLBACK_POLL_INTERVAL`], or the quiet
/// period when that is longer (an explicit `--watch-poll-interval` passed as the quiet period is
/// honoured, as Skaffold does).
pub(crate) fn fallback_interval(quiet: Duration) -> Duration {
    quiet.max(FALLBACK_POLL_INTERVAL)
}

/// A fallback poll spends at most one part in this many of one CPU looking at the files.
const LOOK_SHARE: u32 = 20;

/// The fallback interval, stretched so that looks taking `look` each use at most 5 % of one
/// CPU (a tree too large for the inotify limit can take a second to look at).
pub(crate) fn stretched(interval: Duration, look: Duration) -> Duration {
    interval.max(look * LOOK_SHARE)
}

/// The warning logged when notify cannot watch: which limit was hit and how to raise it.
pub(crate) fn fallback_warning(error: &notify::Error, interval: Duration) -> String {
    let polling = format!(
        "watching for changes by polling every {} ms instead (longer if looking at every file \
         takes more than 5% of a CPU)",
        interval.as_millis()
    );
    match &error.kind {
        notify::ErrorKind::MaxFilesWatch => format!(
            "the inotify watch limit is reached (fs.inotify.max_user_watches = {}); {polling}. \
             Raise it with `sudo sysctl fs.inotify.max_user_watches=524288`, and keep it across \
             reboots with a line `fs.inotify.max_user_watches=524288` in a file under \
             /etc/sysctl.d/",
            current_limit("max_user_watches")
        ),
        notify::ErrorKind::Io(io) if io.raw_os_error() == Some(EMFILE) => format!(
            "inotify cannot start: too many inotify instances \
             (fs.inotify.max_user_instances = {}) or open files; {polling}. Raise the limit with \
             `sudo sysctl fs.inotify.max_user_instances=1024` or the open-file limit with \
             `ulimit -n`",
            current_limit("max_user_instances")
        ),
        _ => format!("file watching with inotify failed ({error}); {polling}"),
    }
}

/// `EMFILE` ("too many open files"): what `inotify_init1` returns when an inotify limit or the
/// open-file limit is reached.
const EMFILE: i32 = 24;

/// A `fs.inotify.*` limit as the kernel reports it, or `unknown`.
fn current_limit(name: &str) -> String {
    std::fs::read_to_string(format!("/proc/sys/fs/inotify/{name}"))
        .map(|value| value.trim().to_owned())
        .unwrap_or_else(|_| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watch_limit_warning_names_the_limit_and_how_to_raise_it() {
        let warning = fallback_warning(
            &notify::Error::new(notify::ErrorKind::MaxFilesWatch),
            Duration::from_secs(1),
        );
        assert!(
            warning.contains("fs.inotify.max_user_watches = "),
            "{warning}"
        );
        assert!(
            warning.contains("sudo sysctl fs.inotify.max_user_watches="),
            "{warning}"
        );
        assert!(warning.contains("polling every 1000 ms"), "{warning}");
    }

    #[test]
    fn the_instance_limit_warning_names_its_limit() {
        let error = notify::Error::io(std::io::Error::from_raw_os_error(EMFILE));
        let warning = fallback_warning(&error, Duration::from_secs(2));
        assert!(
            warning.contains("fs.inotify.max_user_instances"),
            "{warning}"
        );
        assert!(warning.contains("polling every 2000 ms"), "{warning}");
    }

    #[test]
    fn slow_looks_stretch_the_interval() {
        let second = Duration::from_secs(1);
        assert_eq!(stretched(second, Duration::from_millis(10)), second);
        assert_eq!(
            stretched(second, Duration::from_millis(400)),
            Duration::from_secs(8)
        );
    }

    #[test]
    fn the_interval_is_the_default_unless_the_quiet_period_is_longer() {
        assert_eq!(
            fallback_interval(Duration::from_millis(5)),
            FALLBACK_POLL_INTERVAL
        );
        assert_eq!(
            fallback_interval(Duration::from_secs(3)),
            Duration::from_secs(3)
        );
    }
}
