//! Container logs with the engine's timestamp on every line, for readers that stop and resume
//! (a container that restarts, a dropped connection) without printing a line twice.

use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::{Stream, StreamExt};

use crate::container::LogStream;
use crate::engine::Engine;
use crate::error::EngineError;

/// One line a container wrote, with the time the engine logged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampedLine {
    /// Where the line was written.
    pub stream: LogStream,
    /// The engine's RFC 3339 timestamp of the line (of its last part when the engine logged a
    /// long line in parts); empty when the engine sent none. Podman's carry whole seconds only.
    pub timestamp: String,
    /// The text, with its trailing newline when it had one.
    pub text: String,
}

/// Which part of a container's log to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogWindow {
    /// Keep following until the container stops.
    pub follow: bool,
    /// Only lines logged at or after this many whole seconds since the Unix epoch (0: all).
    pub since_seconds: i64,
    /// Only the last this many lines (`None`: all).
    pub tail: Option<usize>,
}

impl Engine {
    /// The container's output in `window`, line by line, each line with the engine's
    /// timestamp.
    pub fn stamped_log_lines(
        &self,
        id: &str,
        window: LogWindow,
    ) -> impl Stream<Item = Result<StampedLine, EngineError>> + Send + 'static {
        let tail = window
            .tail
            .map_or_else(|| "all".to_owned(), |n| n.to_string());
        let since = i32::try_from(window.since_seconds.max(0)).unwrap_or(i32::MAX);
        let options = LogsOptionsBuilder::default()
            .follow(window.follow)
            .stdout(true)
            .stderr(true)
            .timestamps(true)
            .since(since)
            .tail(&tail)
            .build();
        let frames = Box::pin(self.client().logs(id, Some(options)));
        futures_util::stream::unfold(
            (frames, Assembler::default(), false),
            |(mut frames, mut assembler, done)| async move {
                if done {
                    return None;
                }
                loop {
                    let batch: Vec<Result<StampedLine, EngineError>> = match frames.next().await {
                        Some(Ok(frame)) => assembler.push(frame).into_iter().map(Ok).collect(),
                        Some(Err(e)) => {
                            let mut rest: Vec<_> = assembler.finish().into_iter().map(Ok).collect();
                            rest.push(Err(EngineError::api("read container logs")(e)));
                            return Some((rest, (frames, assembler, true)));
                        }
                        None => {
                            let rest = assembler.finish().into_iter().map(Ok).collect();
                            return Some((rest, (frames, assembler, true)));
                        }
                    };
                    if !batch.is_empty() {
                        return Some((batch, (frames, assembler, false)));
                    }
                }
            },
        )
        .flat_map(futures_util::stream::iter)
    }
}

/// Joins the engine's log messages into lines. Each frame the engine sends is one message,
/// `<timestamp> <text>`; a message without a trailing newline is the first part of a longer
/// line.
#[derive(Debug, Default)]
struct Assembler {
    stdout: Pending,
    stderr: Pending,
}

/// The unfinished line of one stream.
#[derive(Debug, Default)]
struct Pending {
    timestamp: String,
    text: String,
}

impl Assembler {
    /// Takes one frame and returns the lines it completes.
    fn push(&mut self, frame: LogOutput) -> Vec<StampedLine> {
        let (stream, bytes) = match frame {
            LogOutput::StdErr { message } => (LogStream::Stderr, message),
            LogOutput::StdOut { message }
            | LogOutput::Console { message }
            | LogOutput::StdIn { message } => (LogStream::Stdout, message),
        };
        let pending = self.pending(stream);
        let message = String::from_utf8_lossy(&bytes);
        let text = match split_timestamp(&message) {
            Some((timestamp, text)) => {
                pending.timestamp = timestamp.to_owned();
                text
            }
            None => &message,
        };
        pending.text.push_str(text);
        let mut lines = Vec::new();
        while let Some(end) = pending.text.find('\n') {
            lines.push(StampedLine {
                stream,
                timestamp: pending.timestamp.clone(),
                text: pending.text.drain(..=end).collect(),
            });
        }
        lines
    }

    /// The unfinished lines, when the stream ends.
    fn finish(&mut self) -> Vec<StampedLine> {
        [LogStream::Stdout, LogStream::Stderr]
            .into_iter()
            .filter_map(|stream| {
                let pending = std::mem::take(self.pending(stream));
                (!pending.text.is_empty()).then_some(StampedLine {
                    stream,
                    timestamp: pending.timestamp,
                    text: pending.text,
                })
            })
            .collect()
    }

    fn pending(&mut self, stream: LogStream) -> &mut Pending {
        match stream {
            LogStream::Stdout => &mut self.stdout,
            LogStream::Stderr => &mut self.stderr,
        }
    }
}

/// Splits `2024-05-01T12:00:00.123456789Z text` into its timestamp and text; `None` when the
/// message does not start with a timestamp.
fn split_timestamp(message: &str) -> Option<(&str, &str)> {
    let (head, text) = message.split_once(' ')?;
    let b = head.as_bytes();
    let looks_like_one =
        b.len() >= 20 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[10] == b'T';
    looks_like_one.then_some((head, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(text: &str) -> LogOutput {
        LogOutput::StdOut {
            message: text.to_owned().into(),
        }
    }

    fn stdout(timestamp: &str, text: &str) -> StampedLine {
        StampedLine {
            stream: LogStream::Stdout,
            timestamp: timestamp.into(),
            text: text.into(),
        }
    }

    #[test]
    fn a_frame_is_one_stamped_line() {
        let mut a = Assembler::default();
        assert_eq!(
            a.push(out("2026-01-02T03:04:05.123456789Z hello world\n")),
            [stdout("2026-01-02T03:04:05.123456789Z", "hello world\n")]
        );
    }

    #[test]
    fn parts_of_a_long_line_are_joined_under_the_last_timestamp() {
        let mut a = Assembler::default();
        assert!(a.push(out("2026-01-02T03:04:05Z first ")).is_empty());
        let err = LogOutput::StdErr {
            message: "2026-01-02T03:04:05Z oops\n".into(),
        };
        assert_eq!(
            a.push(err),
            [StampedLine {
                stream: LogStream::Stderr,
                ..stdout("2026-01-02T03:04:05Z", "oops\n")
            }]
        );
        assert_eq!(
            a.push(out("2026-01-02T03:04:06Z second\n")),
            [stdout("2026-01-02T03:04:06Z", "first second\n")]
        );
    }

    #[test]
    fn an_unfinished_line_is_kept_for_the_end() {
        let mut a = Assembler::default();
        assert!(a.push(out("2026-01-02T03:04:05Z no newline")).is_empty());
        assert_eq!(a.finish(), [stdout("2026-01-02T03:04:05Z", "no newline")]);
        assert!(a.finish().is_empty());
    }

    #[test]
    fn a_message_without_a_timestamp_is_text() {
        assert_eq!(split_timestamp("hello world"), None);
        assert_eq!(split_timestamp("2026-01-02 03:04"), None);
        assert_eq!(
            split_timestamp("2026-01-02T03:04:05Z  indented"),
            Some(("2026-01-02T03:04:05Z", " indented"))
        );
    }
}
