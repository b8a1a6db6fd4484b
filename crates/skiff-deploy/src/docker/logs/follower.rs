//! Follows one container's log from its cursor until the container stops, the engine drops the
//! stream, or the streamer stops.

use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use jiff::Timestamp;
use skiff_docker::{Engine, EngineError, LogWindow, StampedLine};
use tokio::sync::watch;

use crate::logs::cursor::Cursor;
use crate::logs::followers;
use crate::logs::format::{LineFormat, LineSink};
use crate::logs::stopped;

/// How long after a follow ends the log is read once more, for lines logged late.
const SETTLE: Duration = Duration::from_millis(100);

/// One attachment to a container's log.
#[derive(Debug)]
pub(super) struct Follow {
    /// The container id.
    pub(super) id: String,
    /// How its lines are shown.
    pub(super) format: Arc<LineFormat>,
    /// Where they go.
    pub(super) sink: LineSink,
    /// Where reading resumes.
    pub(super) cursor: Cursor,
    /// How long to wait before attaching (backoff after a failure).
    pub(super) delay: Duration,
}

/// How an attachment ended (by container id): `Ok` when the container stopped or the
/// streamer stopped.
pub(super) type Followed = followers::Followed<String, (), EngineError>;

/// Shows the container's new lines until its log ends or `stop` is signalled. Every line read
/// has been shown when this returns.
pub(super) async fn follow(
    engine: Engine,
    job: Follow,
    mut stop: watch::Receiver<bool>,
) -> Followed {
    let mut cursor = job.cursor.clone();
    let mut reader = Reader {
        engine: &engine,
        job: &job,
        cursor: &mut cursor,
    };
    let result = tokio::select! {
        biased;
        () = stopped(&mut stop) => Ok(()),
        result = reader.read() => result,
    };
    Followed {
        key: job.id,
        cursor,
        result,
    }
}

/// Reads one container's log for a [`Follow`], moving its cursor past every line shown.
struct Reader<'a> {
    engine: &'a Engine,
    job: &'a Follow,
    cursor: &'a mut Cursor,
}

impl Reader<'_> {
    /// Reads the tail (once, if the cursor asks for one), then follows from the cursor until
    /// the container stops, then reads once more what the engine logged after the stream
    /// ended.
    async fn read(&mut self) -> Result<(), EngineError> {
        tokio::time::sleep(self.job.delay).await;
        if let Cursor::Tail(n) = *self.cursor {
            self.read_tail(n).await?;
        }
        self.read_from_cursor(true).await?;
        // dockerd often ends a follow before it has logged a container's last unterminated
        // line.
        tokio::time::sleep(SETTLE).await;
        self.read_from_cursor(false).await
    }

    /// Shows the lines after the cursor; with `follow`, as they come until the container
    /// stops.
    async fn read_from_cursor(&mut self, follow: bool) -> Result<(), EngineError> {
        let window = LogWindow {
            follow,
            since_seconds: self.cursor.since_seconds(),
            tail: None,
        };
        let mut gate = self.cursor.gate();
        let mut lines = pin!(self.engine.stamped_log_lines(&self.job.id, window));
        while let Some(line) = lines.next().await {
            let line = line?;
            let at = stamp(&line);
            if at.is_some_and(|at| gate.seen(at, &line.text)) {
                continue;
            }
            self.show(&line, at);
        }
        Ok(())
    }

    /// Shows the last `n` lines written so far. It asks for one more: when that many come
    /// back, the oldest only marks where the shown part starts.
    async fn read_tail(&mut self, n: usize) -> Result<(), EngineError> {
        let window = LogWindow {
            follow: false,
            since_seconds: 0,
            tail: Some(n + 1),
        };
        let lines: Vec<StampedLine> = self
            .engine
            .stamped_log_lines(&self.job.id, window)
            .try_collect()
            .await?;
        *self.cursor = Cursor::Beginning;
        let hidden = usize::from(lines.len() > n);
        for (index, line) in lines.iter().enumerate() {
            let at = stamp(line);
            if index < hidden {
                if let Some(at) = at {
                    self.cursor.advance(at, &line.text);
                }
            } else {
                self.show(line, at);
            }
        }
        Ok(())
    }

    /// Shows one line and moves the cursor past it.
    fn show(&mut self, line: &StampedLine, at: Option<Timestamp>) {
        self.job.sink.emit(&self.job.format, &line.text);
        if let Some(at) = at {
            self.cursor.advance(at, &line.text);
        }
    }
}

/// The engine's stamp of a line; `None` when it sent none it could parse (the line is shown,
/// the cursor stays).
fn stamp(line: &StampedLine) -> Option<Timestamp> {
    line.timestamp.parse().ok()
}
