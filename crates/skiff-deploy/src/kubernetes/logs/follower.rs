//! Follows one container's log from its cursor until the API server ends the stream (the
//! container stopped, the pod was deleted, a timeout), the request fails, or the streamer
//! stops.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{AsyncBufReadExt, StreamExt};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::LogParams;
use tokio::sync::watch;

use super::reconciler::ContainerKey;
use crate::logs::cursor::Cursor;
use crate::logs::followers;
use crate::logs::format::{LineFormat, LineSink};
use crate::logs::stopped;

/// One attachment to a container's log.
#[derive(Debug)]
pub(super) struct Follow {
    /// The pod's API (its namespace).
    pub(super) api: Api<Pod>,
    /// The pod and container.
    pub(super) key: ContainerKey,
    /// The pod's name.
    pub(super) pod: String,
    /// How its lines are shown.
    pub(super) format: Arc<LineFormat>,
    /// Where they go.
    pub(super) sink: LineSink,
    /// Where reading resumes.
    pub(super) cursor: Cursor,
    /// How long to wait before attaching (backoff after a failure).
    pub(super) delay: Duration,
}

/// How an attachment ended (by pod and container): `Ok` when the server ended the stream or
/// the streamer stopped.
pub(super) type Followed = followers::Followed<ContainerKey, Ended, String>;

/// How a read that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ended {
    /// The server ended the stream, or the streamer stopped.
    Read,
    /// The pod is gone: its name is missing or belongs to another pod (a replacement).
    PodGone,
}

/// Shows the container's new lines until its log ends or `stop` is signalled. Every line read
/// has been shown when this returns.
pub(super) async fn follow(job: Follow, mut stop: watch::Receiver<bool>) -> Followed {
    let mut cursor = job.cursor.clone();
    let result = tokio::select! {
        biased;
        () = stopped(&mut stop) => Ok(Ended::Read),
        result = read(&job, &mut cursor) => result,
    };
    Followed {
        key: job.key,
        cursor,
        result,
    }
}

/// The request for the lines after `cursor`, stamped so the cursor can move past them.
fn params(container: &str, cursor: &Cursor) -> LogParams {
    let since = cursor.since_seconds();
    LogParams {
        container: Some(container.to_owned()),
        follow: true,
        timestamps: true,
        tail_lines: match cursor {
            Cursor::Tail(n) => i64::try_from(*n).ok(),
            Cursor::Beginning | Cursor::After(..) => None,
        },
        since_time: (since > 0)
            .then(|| Timestamp::from_second(since).ok())
            .flatten(),
        ..LogParams::default()
    }
}

/// Reads from the cursor, showing every line not shown before and moving the cursor past it.
/// Logs are asked for by pod name, so the pod is checked first to be the one followed: a
/// replacement with the same name has its own follower.
async fn read(job: &Follow, cursor: &mut Cursor) -> Result<Ended, String> {
    tokio::time::sleep(job.delay).await;
    let current = job.api.get_opt(&job.pod).await.map_err(|e| e.to_string())?;
    if current.and_then(|pod| pod.metadata.uid).as_deref() != Some(job.key.uid.as_str()) {
        return Ok(Ended::PodGone);
    }
    let reader = job
        .api
        .log_stream(&job.pod, &params(&job.key.container, cursor))
        .await
        .map_err(|e| e.to_string())?;
    if let Cursor::Tail(_) = cursor {
        // The tail is taken once; what comes after it is read from the beginning.
        *cursor = Cursor::Beginning;
    }
    let mut gate = cursor.gate();
    let mut lines = std::pin::pin!(reader.lines());
    while let Some(line) = lines.next().await {
        let line = line.map_err(|e| e.to_string())?;
        let (at, text) = split_stamp(&line);
        if at.is_some_and(|at| gate.seen(at, text)) {
            continue;
        }
        job.sink.emit(&job.format, &format!("{text}\n"));
        if let Some(at) = at {
            cursor.advance(at, text);
        }
    }
    Ok(Ended::Read)
}

/// The API server's stamp of a line and its text; no stamp when there is none it can parse
/// (the line is shown, the cursor stays).
fn split_stamp(line: &str) -> (Option<Timestamp>, &str) {
    line.split_once(' ')
        .and_then(|(stamp, text)| Some((stamp.parse().ok()?, text)))
        .map_or((None, line), |(at, text)| (Some(at), text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_split_from_the_text() {
        let (at, text) = split_stamp("2026-01-01T00:00:01.5Z hello world");
        assert_eq!(at, Some("2026-01-01T00:00:01.5Z".parse().unwrap()));
        assert_eq!(text, "hello world");
        assert_eq!(split_stamp("no stamp here"), (None, "no stamp here"));
    }

    #[test]
    fn a_resumed_read_asks_from_the_whole_second_of_the_cursor() {
        let at: Timestamp = "2026-01-01T00:00:02.7Z".parse().unwrap();
        let mut cursor = Cursor::Beginning;
        cursor.advance(at, "a line");
        let resumed = params("app", &cursor);
        assert_eq!(
            resumed.since_time,
            Some("2026-01-01T00:00:02Z".parse().unwrap())
        );
        assert!(resumed.follow && resumed.timestamps);
        assert_eq!(resumed.tail_lines, None);
        let first = params("app", &Cursor::Tail(5));
        assert_eq!((first.tail_lines, first.since_time), (Some(5), None));
        assert_eq!(params("app", &Cursor::Beginning).since_time, None);
    }
}
