//! Watches: `?watch=true` streams newline-delimited `{"type":…,"object":…}` events.
//!
//! Without a resourceVersion (or with `0`, or with `sendInitialEvents=true`) the stream starts
//! with an `ADDED` event per existing object (then, for `sendInitialEvents`, a `BOOKMARK`
//! annotated `k8s.io/initial-events-end`); with one, it replays the changes after it. A version
//! older than the retained history gets what the API server sends: HTTP 200 and one `ERROR`
//! event holding a `410 Expired` Status. Objects that stop (start) matching the selectors are
//! reported `DELETED` (`ADDED`). `allowWatchBookmarks` adds periodic `BOOKMARK`s;
//! `timeoutSeconds` ends the stream.

use crate::error::ApiResult;
use crate::query::Query;
use crate::registry::ResourceType;
use crate::selector::{FieldSelector, LabelSelector};
use crate::state::{Shared, lock};
use crate::store::{Change, EventType, ResourceKey, Signal};
use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::time::{Instant, Interval};

/// What one watch selects, and how it presents objects.
pub struct Filter {
    /// The watched type (its apiVersion and kind are put on every object).
    pub rt: ResourceType,
    /// One namespace, or all.
    pub namespace: Option<String>,
    /// `labelSelector`.
    pub labels: LabelSelector,
    /// `fieldSelector`.
    pub fields: FieldSelector,
}

impl Filter {
    /// Whether a stored object is in this watch's (or list's) selection.
    pub fn selects(&self, object: &Value) -> bool {
        let in_namespace = self.namespace.as_deref().is_none_or(|ns| {
            object
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                == Some(ns)
        });
        in_namespace && self.labels.matches(object) && self.fields.matches(object)
    }

    fn event(&self, change: &Change) -> Option<Bytes> {
        if change.resource != ResourceKey::from(&self.rt) {
            return None;
        }
        let now = self.selects(&change.object);
        let before = change.old.as_ref().map(|o| self.selects(o));
        let kind = match (change.event, before, now) {
            (EventType::Added, _, true) => EventType::Added,
            (EventType::Deleted, _, true) => EventType::Deleted,
            (EventType::Modified, Some(true), true) => EventType::Modified,
            (EventType::Modified, Some(true), false) => EventType::Deleted,
            (EventType::Modified, _, true) => EventType::Added,
            _ => return None,
        };
        Some(line(kind.as_str(), self.rt.present(&change.object)))
    }

    fn bookmark(&self, rv: u64, initial_end: bool) -> Bytes {
        let mut metadata = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        line(
            "BOOKMARK",
            json!({"kind": self.rt.kind, "apiVersion": self.rt.api_version(), "metadata": metadata}),
        )
    }
}

fn line(kind: &str, object: Value) -> Bytes {
    let mut text = json!({"type": kind, "object": object}).to_string();
    text.push('\n');
    Bytes::from(text)
}

/// A running watch stream.
struct Stream {
    pending: VecDeque<Bytes>,
    filter: Filter,
    changes: broadcast::Receiver<Signal>,
    last_rv: u64,
    bookmarks: Option<Interval>,
    deadline: Option<Instant>,
    ended: bool,
}

/// What woke a watch stream up.
enum Wake {
    Deadline,
    Bookmark,
    Signal(Result<Signal, broadcast::error::RecvError>),
}

impl Stream {
    async fn next(mut self) -> Option<(Result<Bytes, Infallible>, Self)> {
        if let Some(chunk) = self.pending.pop_front() {
            return Some((Ok(chunk), self));
        }
        if self.ended {
            return None;
        }
        loop {
            let (deadline, bookmarks, changes) =
                (self.deadline, &mut self.bookmarks, &mut self.changes);
            let expiry = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            let bookmark = async {
                match bookmarks {
                    Some(interval) => {
                        interval.tick().await;
                    }
                    None => std::future::pending().await,
                }
            };
            let wake = tokio::select! {
                () = expiry => Wake::Deadline,
                () = bookmark => Wake::Bookmark,
                signal = changes.recv() => Wake::Signal(signal),
            };
            match wake {
                Wake::Deadline => return None,
                Wake::Bookmark => {
                    let chunk = self.filter.bookmark(self.last_rv, false);
                    return Some((Ok(chunk), self));
                }
                Wake::Signal(Ok(Signal::Change(change))) => {
                    self.last_rv = change.rv;
                    if let Some(chunk) = self.filter.event(&change) {
                        return Some((Ok(chunk), self));
                    }
                }
                // Expired, lagged behind or shut down: end; the client resumes from its last version.
                Wake::Signal(_) => return None,
            }
        }
    }
}

/// `GET <collection>?watch=true`.
pub fn watch(shared: &Shared, filter: Filter, query: &Query) -> ApiResult<Response> {
    let store = lock(&shared.store);
    let current = store.resource_version();
    let since = query
        .get("resourceVersion")
        .filter(|rv| !rv.is_empty() && *rv != "0");
    let send_initial = query.flag("sendInitialEvents");
    let mut pending = VecDeque::new();
    let mut ended = false;
    match since {
        Some(rv) if !send_initial => {
            let rv: u64 = rv.parse().map_err(|_| {
                crate::error::ApiError::bad_request(format!("invalid resource version \"{rv}\""))
            })?;
            match store.changes_since(rv) {
                Ok(changes) => pending.extend(changes.iter().filter_map(|c| filter.event(c))),
                Err(expired) => {
                    pending.push_back(line("ERROR", expired.status()));
                    ended = true;
                }
            }
        }
        _ => {
            let resource = ResourceKey::from(&filter.rt);
            pending.extend(
                store
                    .list(&resource, filter.namespace.as_deref())
                    .filter(|o| filter.selects(o))
                    .map(|o| line("ADDED", filter.rt.present(o))),
            );
            if send_initial {
                pending.push_back(filter.bookmark(current, true));
            }
        }
    }
    let interval = shared.options.bookmark_interval;
    let stream = Stream {
        pending,
        changes: store.subscribe(),
        filter,
        last_rv: current,
        bookmarks: query
            .flag("allowWatchBookmarks")
            .then(|| tokio::time::interval_at(Instant::now() + interval, interval)),
        deadline: query
            .get("timeoutSeconds")
            .and_then(|t| t.parse().ok())
            .map(|s| Instant::now() + Duration::from_secs(s)),
        ended,
    };
    let body = Body::from_stream(futures_util::stream::unfold(stream, Stream::next));
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
