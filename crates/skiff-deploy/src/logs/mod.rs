//! What the targets' log streamers share: the settings, Skaffold's prefixes and colours, how a
//! line becomes an `ApplicationLogEvent` and a terminal line, where a resumed read starts so
//! no line is shown twice, and the retry backoff.

pub(crate) mod attachment;
pub(crate) mod cursor;
pub(crate) mod followers;
pub(crate) mod format;
mod prefix;

use std::time::Duration;

use tokio::sync::watch;

pub use prefix::LogPrefix;

/// How container logs are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogSettings {
    /// What each line starts with (`deploy.logs.prefix`).
    pub prefix: LogPrefix,
    /// Show nothing on the terminal; the `ApplicationLogEvent`s are still emitted, so API
    /// clients keep the logs. (Skaffold's `--mute-logs` never silences application logs: it
    /// only sends a phase's own output to a file.)
    pub muted: bool,
    /// Colour each image's prefix from Skaffold's palette, in the order images come up.
    pub color: bool,
    /// For the containers already there when streaming starts: only their last this many
    /// lines. `None`: all they wrote. Containers that come up later are shown from their first
    /// line.
    pub tail_lines: Option<usize>,
}

/// Resolves once `stop` is signalled or its sender is gone.
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    // An error means the sender is gone: the streamer was dropped, which stops it too.
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// The first retry delay after a failure; it doubles per failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// The longest retry delay.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The wait before retry number `failures` (1 = the first retry).
pub(crate) fn backoff(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    FIRST_BACKOFF
        .saturating_mul(1 << doublings)
        .min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        assert_eq!(backoff(1), Duration::from_millis(200));
        assert_eq!(backoff(2), Duration::from_millis(400));
        assert_eq!(backoff(4), Duration::from_millis(1600));
        assert_eq!(backoff(6), MAX_BACKOFF);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }
}
