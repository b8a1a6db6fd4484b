//! The engine's event stream for containers: what watchers react to (a container created,
//! started, restarted, stopped or removed) instead of polling.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bollard::query_parameters::EventsOptionsBuilder;
use futures_util::{Stream, StreamExt};

use crate::engine::Engine;
use crate::error::EngineError;

/// Something that happened to a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerEvent {
    /// The container id.
    pub id: String,
    /// What happened, in the engine's words: `create`, `start`, `die`, `destroy`, …
    pub action: String,
    /// When it happened, by the engine's clock, in nanoseconds since the Unix epoch (0 when
    /// the engine did not say).
    pub time_nano: i64,
}

impl Engine {
    /// The events named in `actions` (`start`, `die`, …) of the containers carrying `label`
    /// (`key` or `key=value`), starting `replay` ago (whole seconds: events already past are
    /// replayed, so a watcher that subscribes again misses nothing), without end. The stream
    /// ends or yields an error when the connection to the engine breaks; a watcher subscribes
    /// again.
    pub fn container_events(
        &self,
        label: &str,
        actions: &[&str],
        replay: Duration,
    ) -> impl Stream<Item = Result<ContainerEvent, EngineError>> + Send + use<> {
        let since = SystemTime::now().checked_sub(replay);
        self.events_of(
            [("label", vec![label]), ("event", actions.to_vec())].into(),
            since,
        )
    }

    /// The events of containers that match `filters` (the Engine API's event filters),
    /// replayed from the whole second `since` falls in, without end.
    pub(crate) fn events_of(
        &self,
        mut filters: HashMap<&str, Vec<&str>>,
        since: Option<SystemTime>,
    ) -> impl Stream<Item = Result<ContainerEvent, EngineError>> + Send + use<> {
        filters.insert("type", vec!["container"]);
        let since = since
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs().to_string());
        let mut options = EventsOptionsBuilder::default().filters(&filters);
        if let Some(since) = &since {
            options = options.since(since);
        }
        self.client().events(Some(options.build())).map(|message| {
            let message = message.map_err(EngineError::api("watch container events"))?;
            Ok(ContainerEvent {
                id: message.actor.and_then(|a| a.id).unwrap_or_default(),
                action: message.action.unwrap_or_default(),
                time_nano: message.time_nano.unwrap_or_default(),
            })
        })
    }
}
