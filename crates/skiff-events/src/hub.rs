//! The `Hub`: the single source of truth that the API, the terminal and the event-log file read.
//!
//! Every event goes through [`Hub::handle`], which stamps it, applies it to the `State` and appends
//! it to one of two histories: the event history (for `Events`) or the application-log history
//! (for `ApplicationLogs`, reset at each dev-loop iteration). Emitting takes one short lock and
//! never waits for a subscriber. A [`Subscription`] reads a history by sequence number, so a new
//! subscriber gets the retained history and then live events in order, with no gap and no
//! duplicate, however the two interleave.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use skiff_proto::v2::{Event, State, event::EventType};
use tokio::sync::watch;

use crate::history::{History, Retention};
use crate::names::Phase;
use crate::state::{self, InitialState};

/// Default cap of the event history, in bytes.
pub const DEFAULT_HISTORY_CAP: usize = 64 * 1024 * 1024;
/// Default cap of the application-log history, in bytes.
pub const DEFAULT_APP_LOG_CAP: usize = 16 * 1024 * 1024;

/// How much history a hub keeps.
#[derive(Debug, Clone, Copy)]
pub struct HubLimits {
    /// Cap of the event history (task, subtask and log events), in bytes.
    pub history_bytes: usize,
    /// Cap of the current iteration's application logs, in bytes.
    pub app_log_bytes: usize,
}

impl Default for HubLimits {
    fn default() -> Self {
        Self {
            history_bytes: DEFAULT_HISTORY_CAP,
            app_log_bytes: DEFAULT_APP_LOG_CAP,
        }
    }
}

/// Which history a subscription reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Everything but application logs (`Events`).
    Events,
    /// Application logs of the current iteration (`ApplicationLogs`).
    ApplicationLogs,
}

#[derive(Debug)]
struct Core {
    events: History,
    app_logs: History,
    state: State,
    iteration: i32,
    error_message_sent: bool,
    closed: bool,
}

#[derive(Debug)]
struct Shared {
    core: Mutex<Core>,
    /// Bumped on every change a subscriber may wait for (new event, close).
    changed: watch::Sender<()>,
    /// Set once the first `Events` subscriber arrives (for `--wait-for-connection`).
    events_subscribed: watch::Sender<bool>,
}

/// The event hub. Cheap to clone; all clones share one history and one state.
#[derive(Debug, Clone)]
pub struct Hub {
    shared: Arc<Shared>,
}

impl Hub {
    /// A hub with the given initial state and history limits.
    pub fn new(init: &InitialState, limits: HubLimits) -> Self {
        let core = Core {
            events: History::new(limits.history_bytes),
            app_logs: History::new(limits.app_log_bytes),
            state: state::initial_state(init),
            iteration: 0,
            error_message_sent: false,
            closed: false,
        };
        Self {
            shared: Arc::new(Shared {
                core: Mutex::new(core),
                changed: watch::Sender::new(()),
                events_subscribed: watch::Sender::new(false),
            }),
        }
    }

    fn core(&self) -> MutexGuard<'_, Core> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.shared
            .core
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stamps an event with the current time, applies it to the state and records it.
    /// Application-log events go to the application-log history only.
    pub fn handle(&self, event: Event) {
        let mut core = self.core();
        self.handle_locked(&mut core, event);
    }

    fn handle_locked(&self, core: &mut Core, mut event: Event) {
        event.timestamp = Some(prost_types::Timestamp::from(SystemTime::now()));
        match &event.event_type {
            Some(EventType::ApplicationLogEvent(_)) => {
                core.app_logs.push(Arc::new(event), Retention::Droppable);
            }
            other => {
                let retention = if matches!(other, Some(EventType::SkaffoldLogEvent(_))) {
                    Retention::Droppable
                } else {
                    Retention::Essential
                };
                state::apply(&mut core.state, &event);
                core.events.push(Arc::new(event), retention);
            }
        }
        self.shared.changed.send_replace(());
    }

    /// Records an event of the given type.
    pub fn emit(&self, event_type: EventType) {
        self.handle(Event {
            timestamp: None,
            event_type: Some(event_type),
        });
    }

    /// Builds an event from the current iteration and records it, under one lock, so the
    /// iteration in its task id cannot change in between.
    pub(crate) fn emit_in_iteration(&self, build: impl FnOnce(i32) -> EventType) {
        self.record_in_iteration(&mut self.core(), build);
    }

    fn record_in_iteration(&self, core: &mut Core, build: impl FnOnce(i32) -> EventType) {
        let event = Event {
            timestamp: None,
            event_type: Some(build(core.iteration)),
        };
        self.handle_locked(core, event);
    }

    /// Starts a new dev-loop iteration: bumps the iteration and clears the application logs of
    /// the previous one, then records the event `build` makes for the new iteration under the
    /// same lock.
    pub(crate) fn begin_iteration(&self, build: impl FnOnce(i32) -> EventType) {
        let mut core = self.core();
        core.iteration += 1;
        core.app_logs.clear();
        self.record_in_iteration(&mut core, build);
    }

    /// Records the event `build` makes only the first time it is called on this hub (Skaffold
    /// reports the first error message once).
    pub(crate) fn once_for_error(&self, build: impl FnOnce(i32) -> EventType) {
        let mut core = self.core();
        if !core.error_message_sent {
            core.error_message_sent = true;
            self.record_in_iteration(&mut core, build);
        }
    }

    /// The current dev-loop iteration (0 outside `dev`).
    pub fn iteration(&self) -> i32 {
        self.core().iteration
    }

    /// A snapshot of the state.
    pub fn state(&self) -> State {
        self.core().state.clone()
    }

    /// Changes the state outside of an event (API control calls, resets).
    pub fn update_state<T>(&self, change: impl FnOnce(&mut State) -> T) -> T {
        change(&mut self.core().state)
    }

    /// Subscribes to a stream: its retained history first, then live events.
    pub fn subscribe(&self, stream: Stream) -> Subscription {
        if stream == Stream::Events {
            self.shared.events_subscribed.send_replace(true);
        }
        Subscription {
            shared: Arc::clone(&self.shared),
            stream,
            cursor: 0,
            changed: self.shared.changed.subscribe(),
            buffer: VecDeque::new(),
        }
    }

    /// Waits until some client has subscribed to `Events` (`--wait-for-connection`).
    pub async fn wait_for_events_subscriber(&self) {
        let mut rx = self.shared.events_subscribed.subscribe();
        // The sender lives as long as `self`, so this cannot fail.
        let _ = rx.wait_for(|subscribed| *subscribed).await;
    }

    /// Ends every subscription once it has delivered what was recorded. Events recorded after
    /// closing are still kept in history and state.
    pub fn close(&self) {
        self.core().closed = true;
        self.shared.changed.send_replace(());
    }

    /// Copies the retained history of a stream, oldest first.
    pub fn history(&self, stream: Stream) -> Vec<Arc<Event>> {
        let core = self.core();
        let mut out = Vec::new();
        history_of(&core, stream).read_from(0, usize::MAX, &mut out);
        out
    }

    /// The accounted size of a stream's retained history, in bytes.
    pub fn retained_bytes(&self, stream: Stream) -> usize {
        history_of(&self.core(), stream).retained_bytes()
    }

    /// The task id of `phase` in the current iteration.
    pub fn task_id(&self, phase: Phase) -> String {
        phase.task_id(self.iteration())
    }
}

fn history_of(core: &Core, stream: Stream) -> &History {
    match stream {
        Stream::Events => &core.events,
        Stream::ApplicationLogs => &core.app_logs,
    }
}

/// How many events a subscription copies out per lock.
const READ_BATCH: usize = 512;

/// A reader of one of the hub's streams. Dropping it unsubscribes.
#[derive(Debug)]
pub struct Subscription {
    shared: Arc<Shared>,
    stream: Stream,
    cursor: u64,
    changed: watch::Receiver<()>,
    buffer: VecDeque<Arc<Event>>,
}

impl Subscription {
    /// The next event, waiting for one if none is available; `None` once the hub is closed and
    /// everything recorded before has been delivered.
    pub async fn next(&mut self) -> Option<Arc<Event>> {
        loop {
            if let Some(event) = self.buffer.pop_front() {
                return Some(event);
            }
            // Mark the current version seen *before* reading, so an event recorded after the
            // read wakes the wait below.
            self.changed.borrow_and_update();
            let closed = {
                let core = self.shared.core.lock().unwrap_or_else(|p| p.into_inner());
                self.cursor = history_of(&core, self.stream).read_from(
                    self.cursor,
                    READ_BATCH,
                    &mut self.buffer,
                );
                core.closed
            };
            if !self.buffer.is_empty() {
                continue;
            }
            if closed || self.changed.changed().await.is_err() {
                return None;
            }
        }
    }

    /// The next event if one is available now.
    pub fn try_next(&mut self) -> Option<Arc<Event>> {
        if self.buffer.is_empty() {
            let core = self.shared.core.lock().unwrap_or_else(|p| p.into_inner());
            self.cursor =
                history_of(&core, self.stream).read_from(self.cursor, READ_BATCH, &mut self.buffer);
        }
        self.buffer.pop_front()
    }
}
