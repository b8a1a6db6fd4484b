//! Container logs: lines the test appends, served by `GET …/pods/<name>/log` with
//! `container`, `follow`, `timestamps`, `tailLines`, `sinceTime` and `sinceSeconds`. A followed
//! stream ends when its pod is deleted (a replacement pod has its own, fresh log).

use crate::error::{ApiError, ApiResult};
use crate::kubelet;
use crate::object;
use crate::query::Query;
use crate::state::{Shared, lock};
use crate::store::{EventType, ResourceKey, Signal};
use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::broadcast;

/// One log line with the time it was written.
#[derive(Debug, Clone)]
pub struct LogLine {
    time: jiff::Timestamp,
    text: String,
}

impl LogLine {
    fn render(&self, timestamps: bool) -> String {
        if timestamps {
            format!("{} {}\n", self.time, self.text)
        } else {
            format!("{}\n", self.text)
        }
    }
}

/// A line appended to one container of one pod.
#[derive(Debug)]
pub struct Appended {
    uid: String,
    container: String,
    line: LogLine,
}

/// Every container's log, keyed by pod uid and container name.
pub struct Logs {
    lines: HashMap<(String, String), Vec<LogLine>>,
    feed: broadcast::Sender<Arc<Appended>>,
}

impl Default for Logs {
    fn default() -> Self {
        Self {
            lines: HashMap::new(),
            feed: broadcast::channel(4096).0,
        }
    }
}

impl Logs {
    /// Appends one line (without its newline) to a container's log.
    pub fn append(&mut self, uid: &str, container: &str, text: &str) {
        let line = LogLine {
            time: jiff::Timestamp::now(),
            text: text.to_string(),
        };
        self.lines
            .entry((uid.into(), container.into()))
            .or_default()
            .push(line.clone());
        // Nobody following is fine.
        let _ = self.feed.send(Arc::new(Appended {
            uid: uid.into(),
            container: container.into(),
            line,
        }));
    }

    fn lines(&self, uid: &str, container: &str) -> &[LogLine] {
        self.lines
            .get(&(uid.to_string(), container.to_string()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}

/// Which lines a request wants.
struct Selection {
    timestamps: bool,
    since: Option<jiff::Timestamp>,
    tail: Option<usize>,
}

impl Selection {
    fn parse(query: &Query) -> ApiResult<Self> {
        let bad = |field: &str, value: &str| {
            ApiError::bad_request(format!("invalid {field} \"{value}\""))
        };
        let since = match (query.get("sinceTime"), query.get("sinceSeconds")) {
            (Some(t), _) => Some(
                t.parse::<jiff::Timestamp>()
                    .map_err(|_| bad("sinceTime", t))?,
            ),
            (None, Some(s)) => {
                let seconds: i64 = s.parse().map_err(|_| bad("sinceSeconds", s))?;
                Some(jiff::Timestamp::now() - jiff::SignedDuration::from_secs(seconds))
            }
            (None, None) => None,
        };
        let tail = query
            .get("tailLines")
            .map(|t| t.parse::<usize>().map_err(|_| bad("tailLines", t)))
            .transpose()?;
        Ok(Self {
            timestamps: query.flag("timestamps"),
            since,
            tail,
        })
    }

    fn backlog(&self, lines: &[LogLine]) -> String {
        let kept: Vec<&LogLine> = lines
            .iter()
            .filter(|l| self.since.is_none_or(|s| l.time >= s))
            .collect();
        let skip = self.tail.map_or(0, |t| kept.len().saturating_sub(t));
        kept[skip..]
            .iter()
            .map(|l| l.render(self.timestamps))
            .collect()
    }
}

/// A followed log: its backlog, then new lines until the pod is deleted.
struct Follow {
    backlog: Option<Bytes>,
    uid: String,
    container: String,
    timestamps: bool,
    lines: broadcast::Receiver<Arc<Appended>>,
    changes: broadcast::Receiver<Signal>,
}

impl Follow {
    async fn next(mut self) -> Option<(Result<Bytes, Infallible>, Self)> {
        if let Some(backlog) = self.backlog.take().filter(|b| !b.is_empty()) {
            return Some((Ok(backlog), self));
        }
        loop {
            tokio::select! {
                appended = self.lines.recv() => match appended {
                    Ok(a) if a.uid == self.uid && a.container == self.container => {
                        let chunk = Bytes::from(a.line.render(self.timestamps));
                        return Some((Ok(chunk), self));
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                signal = self.changes.recv() => match signal {
                    Ok(Signal::Change(c))
                        if c.event == EventType::Deleted
                            && c.resource == ResourceKey::core("pods")
                            && object::uid(&c.object) == self.uid => return None,
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            }
        }
    }
}

/// `GET /api/v1/namespaces/<ns>/pods/<name>/log`.
pub fn pod_log(shared: &Shared, namespace: &str, name: &str, query: &Query) -> ApiResult<Response> {
    let selection = Selection::parse(query)?;
    let store = lock(&shared.store);
    let pod = crate::pods::stored(&store, namespace, name)?;
    let container = kubelet::resolve_container(pod, query.get("container"))?;
    let uid = object::uid(pod).to_string();
    let logs = lock(&shared.logs);
    let lines = logs.lines(&uid, &container);
    if lines.is_empty()
        && let Some(reason) = kubelet::waiting_reason(pod, &container)
    {
        let why = if reason.contains("Image") {
            "trying and failing to pull image"
        } else {
            reason
        };
        return Err(ApiError::bad_request(format!(
            "container \"{container}\" in pod \"{name}\" is waiting to start: {why}"
        )));
    }
    let backlog = selection.backlog(lines);
    let text_plain = [(header::CONTENT_TYPE, "text/plain")];
    if !query.flag("follow") {
        return Ok((text_plain, backlog).into_response());
    }
    let follow = Follow {
        backlog: Some(Bytes::from(backlog)),
        uid,
        container,
        timestamps: selection.timestamps,
        lines: logs.feed.subscribe(),
        changes: store.subscribe(),
    };
    let body = Body::from_stream(futures_util::stream::unfold(follow, Follow::next));
    Ok((text_plain, body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(texts: &[&str]) -> Vec<LogLine> {
        let mut logs = Logs::default();
        for t in texts {
            logs.append("u", "c", t);
        }
        logs.lines("u", "c").to_vec()
    }

    #[test]
    fn tail_and_timestamps() {
        let all = lines(&["one", "two", "three"]);
        let sel = Selection::parse(&Query::parse(Some("tailLines=2"))).unwrap();
        assert_eq!(sel.backlog(&all), "two\nthree\n");
        let sel = Selection::parse(&Query::parse(Some("timestamps=true"))).unwrap();
        let first = sel.backlog(&all[..1]);
        let (ts, text) = first.split_once(' ').unwrap();
        assert!(ts.parse::<jiff::Timestamp>().is_ok(), "{ts}");
        assert_eq!(text, "one\n");
    }

    #[test]
    fn since_time_filters_and_bad_values_are_rejected() {
        let all = lines(&["old"]);
        let later = (jiff::Timestamp::now() + jiff::SignedDuration::from_secs(5)).to_string();
        let sel = Selection::parse(&Query::parse(Some(&format!("sinceTime={later}")))).unwrap();
        assert_eq!(sel.backlog(&all), "");
        assert!(Selection::parse(&Query::parse(Some("tailLines=x"))).is_err());
    }
}
