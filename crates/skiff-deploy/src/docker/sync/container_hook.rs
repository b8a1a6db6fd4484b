//! One command run to its end in a running container through the Engine API (a container sync
//! hook), its output handed on line by line as it arrives.

use futures_util::StreamExt;
use skiff_docker::{Engine, EngineError, LogStream};
use tokio::io::AsyncWriteExt;

/// Runs `command` (no shell) in the running container `container` with an empty stdin, hands
/// each line it writes to stdout or stderr (newline included; a last unterminated line gets
/// one) to `on_line` as it arrives, and returns its exit code once it ended (`None` when the
/// engine does not report one).
pub(super) async fn run_in_container(
    engine: &Engine,
    container: &str,
    command: &[String],
    mut on_line: impl FnMut(&str),
) -> Result<Option<i64>, EngineError> {
    let cmd: Vec<&str> = command.iter().map(String::as_str).collect();
    let mut session = engine.exec_session(container, &cmd).await?;
    // A command that exits before reading its stdin has closed it already.
    let _ = session.input.shutdown().await;
    let mut lines = Lines::default();
    while let Some(chunk) = session.output.next().await {
        let chunk = chunk?;
        lines.push(chunk.stream, &chunk.bytes, &mut on_line);
    }
    lines.finish(&mut on_line);
    engine.exec_exit_code(&session.id).await
}

/// Splits each stream's chunks into lines.
#[derive(Debug, Default)]
struct Lines {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Lines {
    /// Adds a chunk of `stream`, handing on the lines it completes.
    fn push(&mut self, stream: LogStream, bytes: &[u8], on_line: &mut impl FnMut(&str)) {
        let buffer = match stream {
            LogStream::Stdout => &mut self.stdout,
            LogStream::Stderr => &mut self.stderr,
        };
        buffer.extend_from_slice(bytes);
        while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=end).collect();
            on_line(&String::from_utf8_lossy(&line));
        }
    }

    /// Hands on what is left of each stream, with a newline.
    fn finish(self, on_line: &mut impl FnMut(&str)) {
        for rest in [self.stdout, self.stderr] {
            if !rest.is_empty() {
                on_line(&format!("{}\n", String::from_utf8_lossy(&rest)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_become_lines_per_stream() {
        let mut seen = Vec::new();
        let mut lines = Lines::default();
        let mut collect = |line: &str| seen.push(line.to_owned());
        lines.push(LogStream::Stdout, b"one\ntw", &mut collect);
        lines.push(LogStream::Stderr, b"err", &mut collect);
        lines.push(LogStream::Stdout, b"o\nthree", &mut collect);
        lines.finish(&mut collect);
        assert_eq!(seen, ["one\n", "two\n", "three\n", "err\n"]);
    }
}
