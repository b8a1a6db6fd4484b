//! Log output on stderr, in the shape of Skaffold's (logrus text format):
//! `INFO[0002] message key=value`, or `INFO[2026-11-28T15:04:05Z] message` with `--timestamps`.
//!
//! The level label is four upper-case letters (`ERRO`, `WARN`, `INFO`, `DEBU`, `TRAC`),
//! coloured like logrus when stderr is a terminal; the bracket holds the whole seconds since
//! logging started, zero-padded to four digits.

use std::fmt;
use std::io::IsTerminal;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;

use crate::options::{GlobalOptions, LogLevel};

/// Libraries whose debug and trace output would drown skiff's; they log at most at info.
const NOISY_TARGETS: &[&str] = &["h2", "hyper", "hyper_util", "tower", "tonic", "mio", "want"];

/// The most verbose tracing level that `level` lets through. Skaffold's `panic` and `fatal`
/// show errors only.
pub fn level_filter(level: LogLevel) -> LevelFilter {
    match level {
        LogLevel::Panic | LogLevel::Fatal | LogLevel::Error => LevelFilter::ERROR,
        LogLevel::Warning => LevelFilter::WARN,
        LogLevel::Info => LevelFilter::INFO,
        LogLevel::Debug => LevelFilter::DEBUG,
        LogLevel::Trace => LevelFilter::TRACE,
    }
}

/// Installs the global logger writing to stderr, per `-v/--verbosity` and `--timestamps`.
pub fn init(opts: &GlobalOptions) -> anyhow::Result<()> {
    let level = level_filter(opts.verbosity);
    let quiet = level.min(LevelFilter::INFO);
    let filter = NOISY_TARGETS
        .iter()
        .fold(Targets::new().with_default(level), |targets, target| {
            targets.with_target(*target, quiet)
        });
    let ansi = opts.force_colors || std::io::stderr().is_terminal();
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .event_format(SkaffoldFormat::new(opts.timestamps));
    tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .try_init()
        .map_err(|err| anyhow::anyhow!("setting up logs: {err}"))
}

/// A `tracing_subscriber` event formatter producing logrus-style text lines.
#[derive(Debug, Clone)]
pub struct SkaffoldFormat {
    start: Instant,
    timestamps: bool,
}

impl SkaffoldFormat {
    /// A formatter counting seconds from now, or printing wall-clock time if `timestamps`.
    pub fn new(timestamps: bool) -> Self {
        SkaffoldFormat {
            start: Instant::now(),
            timestamps,
        }
    }
}

/// logrus's four-letter label and ANSI colour for a level.
fn label(level: &Level) -> (&'static str, u8) {
    match *level {
        Level::ERROR => ("ERRO", 31),
        Level::WARN => ("WARN", 33),
        Level::INFO => ("INFO", 36),
        Level::DEBUG => ("DEBU", 37),
        Level::TRACE => ("TRAC", 37),
    }
}

impl<S, N> FormatEvent<S, N> for SkaffoldFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let (name, color) = label(event.metadata().level());
        if writer.has_ansi_escapes() {
            write!(writer, "\x1b[{color}m{name}\x1b[0m")?;
        } else {
            write!(writer, "{name}")?;
        }
        if self.timestamps {
            write!(writer, "[{}] ", rfc3339_utc(SystemTime::now()))?;
        } else {
            write!(writer, "[{:04}] ", self.start.elapsed().as_secs())?;
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Formats a time as RFC 3339 in UTC with whole seconds: `2026-11-28T15:04:05Z`.
pub fn rfc3339_utc(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Converts days since 1970-01-01 to a proleptic Gregorian (year, month, day).
/// Howard Hinnant's `civil_from_days` algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    fn capture(timestamps: bool, level: LogLevel, emit: impl FnOnce()) -> String {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(buffer.clone())
            .with_ansi(false)
            .with_max_level(level_filter(level))
            .event_format(SkaffoldFormat::new(timestamps))
            .finish();
        tracing::subscriber::with_default(subscriber, emit);
        String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn lines_look_like_logrus() {
        let out = capture(false, LogLevel::Trace, || {
            tracing::error!("e");
            tracing::warn!("w");
            tracing::info!("starting gRPC server on port {}", 50051);
            tracing::debug!(port = 1, "d");
            tracing::trace!("t");
        });
        assert_eq!(
            out,
            "ERRO[0000] e\nWARN[0000] w\nINFO[0000] starting gRPC server on port 50051\n\
             DEBU[0000] d port=1\nTRAC[0000] t\n"
        );
    }

    #[test]
    fn timestamps_replace_the_counter() {
        let out = capture(true, LogLevel::Info, || tracing::info!("hello"));
        let rest = out.strip_prefix("INFO[").unwrap();
        let (stamp, message) = rest.split_once("] ").unwrap();
        assert_eq!(stamp.len(), "2026-11-28T15:04:05Z".len(), "{stamp}");
        assert!(stamp.ends_with('Z'));
        assert_eq!(message, "hello\n");
    }

    #[test]
    fn verbosity_filters() {
        let out = capture(false, LogLevel::Warning, || {
            tracing::info!("hidden");
            tracing::warn!("shown");
        });
        assert_eq!(out, "WARN[0000] shown\n");
        assert_eq!(level_filter(LogLevel::Panic), LevelFilter::ERROR);
        assert_eq!(level_filter(LogLevel::Fatal), LevelFilter::ERROR);
    }

    #[test]
    fn rfc3339_dates() {
        let at = |secs| rfc3339_utc(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_795_878_245), "2026-11-28T15:04:05Z");
        assert_eq!(at(4_107_542_399), "2100-02-28T23:59:59Z");
    }
}
