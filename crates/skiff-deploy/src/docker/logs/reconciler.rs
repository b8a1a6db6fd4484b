//! Keeps one log stream attached to every container of the run: watch → converge.
//!
//! Triggers are the engine's container events for the run's label (a container created,
//! started, restarted, stopped), a follower that ended, and a periodic re-list as a safety
//! net. Each trigger runs the same idempotent step: list the run's containers and attach a
//! follower to every one that runs, or that may have written lines nobody read, and has none.
//! A lost event stream is subscribed again with backoff; a failed follower is attached again
//! with backoff.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use skiff_docker::{ContainerEvent, Engine, EngineError, LabeledContainer};
use tokio::sync::watch;
use tokio::time::Instant;

use super::follower::{Follow, Followed, follow};
use super::{IMAGE_LABEL, LogSettings};
use crate::logs::attachment::Attachment;
use crate::logs::cursor::Cursor;
use crate::logs::followers::{Followers, follow_end};
use crate::logs::format::{LineFormat, LineSink, Palette};
use crate::logs::{backoff, stopped};

/// How often the containers are listed again even without events.
const RESYNC_PERIOD: Duration = Duration::from_secs(2);

/// How far back a new event subscription starts, to cover the moment between listing the
/// containers and the subscription taking effect (and a modest clock skew to the engine).
const EVENT_REPLAY: Duration = Duration::from_secs(5);

/// The events that can bring a container to follow: it started, or started again. (A
/// follower ends by itself when its container stops.)
const FOLLOW_EVENTS: &[&str] = &["start", "restart"];

type Events = Pin<Box<dyn Stream<Item = Result<ContainerEvent, EngineError>> + Send>>;

/// What the streamer knows about one container.
#[derive(Debug)]
struct Tracked {
    format: Arc<LineFormat>,
    attachment: Attachment,
}

/// The reconciler's state.
pub(super) struct Reconciler {
    engine: Engine,
    /// `RUN_ID_LABEL=<run id>`.
    label: String,
    settings: LogSettings,
    sink: LineSink,
    palette: Palette,
    containers: HashMap<String, Tracked>,
    followers: Followers<String, (), EngineError>,
    /// Whether a listing succeeded yet: the tail applies to the containers of the first one.
    listed: bool,
    stop: watch::Receiver<bool>,
}

impl Reconciler {
    /// A reconciler for the containers carrying `label`, stopped through `stop`.
    pub(super) fn new(
        engine: Engine,
        label: String,
        settings: LogSettings,
        sink: LineSink,
        stop: watch::Receiver<bool>,
    ) -> Self {
        Self {
            engine,
            label,
            settings,
            sink,
            palette: Palette::default(),
            containers: HashMap::new(),
            followers: Followers::new(),
            listed: false,
            stop,
        }
    }

    /// Runs until stopped, then waits for the followers to show what they read.
    pub(super) async fn run(mut self) {
        let mut stop = self.stop.clone();
        tokio::select! {
            biased;
            () = stopped(&mut stop) => {}
            () = self.reconcile() => {}
        }
        self.followers.wait_all().await;
    }

    /// The watch → converge loop; never returns.
    async fn reconcile(&mut self) {
        let mut events: Option<Events> = Some(self.subscribe());
        let mut event_failures = 0;
        let mut resubscribe_at = Instant::now();
        let mut resync = tokio::time::interval(RESYNC_PERIOD);
        resync.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                Some((id, followed)) = self.followers.next(), if !self.followers.is_empty() => {
                    self.finished(&id, followed);
                    self.converge().await;
                }
                event = next_event(&mut events), if events.is_some() => match event {
                    Some(Ok(event)) => {
                        event_failures = 0;
                        if let Some(tracked) = self.containers.get_mut(&event.id) {
                            tracked.attachment.mark_unread();
                        }
                        self.converge().await;
                    }
                    failure => {
                        if let Some(Err(e)) = failure {
                            tracing::debug!("container events of {}: {e}", self.label);
                        }
                        events = None;
                        event_failures += 1;
                        resubscribe_at = Instant::now() + backoff(event_failures);
                    }
                },
                () = tokio::time::sleep_until(resubscribe_at), if events.is_none() => {
                    events = Some(self.subscribe());
                    // Whatever happened while nobody watched: read every container again.
                    for tracked in self.containers.values_mut() {
                        tracked.attachment.mark_unread();
                    }
                    self.converge().await;
                }
                _ = resync.tick() => self.converge().await,
            }
        }
    }

    /// A new subscription to the run's container events, replaying the last few seconds.
    fn subscribe(&self) -> Events {
        Box::pin(
            self.engine
                .container_events(&self.label, FOLLOW_EVENTS, EVENT_REPLAY),
        )
    }

    /// Records how the follower of container `id` ended.
    fn finished(&mut self, id: &str, followed: Option<Followed>) {
        if let Some(tracked) = self.containers.get_mut(id) {
            let end = follow_end(followed, format_args!("container {id}"));
            tracked.attachment.ended(end);
        }
    }

    /// Lists the run's containers and attaches a follower wherever one is missing.
    async fn converge(&mut self) {
        let listed = match self.engine.containers_with_label(&self.label).await {
            Ok(listed) => listed,
            Err(e) => {
                tracing::debug!("listing the containers of {}: {e}", self.label);
                return;
            }
        };
        let tail = if self.listed {
            None
        } else {
            self.settings.tail_lines
        };
        self.listed = true;
        self.containers.retain(|id, tracked| {
            tracked.attachment.following() || listed.iter().any(|c| &c.id == id)
        });
        // The engine lists the newest first; colours go to images in the order they came up.
        for container in listed.iter().rev() {
            self.track(container, tail);
            self.attach_if_needed(container);
        }
    }

    /// Starts tracking a container seen for the first time.
    fn track(&mut self, container: &LabeledContainer, tail: Option<usize>) {
        if self.containers.contains_key(&container.id) {
            return;
        }
        let image = container.labels.get(IMAGE_LABEL).unwrap_or(&container.name);
        let color = self.settings.color.then(|| self.palette.pick(image));
        let tracked = Tracked {
            format: Arc::new(LineFormat::new(image, self.settings.prefix, color)),
            attachment: Attachment::new(Cursor::start(tail)),
        };
        self.containers.insert(container.id.clone(), tracked);
    }

    /// Attaches a follower to a container that runs or may have unread lines, unless one is
    /// attached already. A container that was only created has written nothing yet.
    fn attach_if_needed(&mut self, container: &LabeledContainer) {
        let Some(tracked) = self.containers.get_mut(&container.id) else {
            return;
        };
        let attachment = &mut tracked.attachment;
        let wanted =
            container.state != "created" && (container.state == "running" || attachment.unread());
        if attachment.following() || !wanted {
            return;
        }
        let (cursor, delay) = attachment.begin(Instant::now());
        let job = Follow {
            id: container.id.clone(),
            format: Arc::clone(&tracked.format),
            sink: self.sink.clone(),
            cursor,
            delay,
        };
        let follower = follow(self.engine.clone(), job, self.stop.clone());
        self.followers.spawn(container.id.clone(), follower);
    }
}

/// The next event of the subscription.
async fn next_event(events: &mut Option<Events>) -> Option<Result<ContainerEvent, EngineError>> {
    events.as_mut()?.next().await
}
