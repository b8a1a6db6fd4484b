//! Catch-up as a small reconciler: whenever a container of the run starts — created by a
//! redeploy, restarted by the engine or by hand — it gets the files synced since its image was
//! built (Skaffold loses them), and containers that stop lose their sessions.
//!
//! Triggers: the engine's container events for the run's label (`start`, `die`, `destroy`),
//! a periodic re-list as a safety net, and a new subscription after the event stream broke.
//! Each runs the same idempotent step: list the run's running containers and catch up every
//! one that is new or started again since it was last caught up. A failed catch-up is tried
//! again at the next step. Catching up twice is harmless: it copies the same files again.

use std::collections::{HashMap, HashSet};
use std::pin::Pin;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use skiff_docker::{ContainerEvent, EngineError};
use skiff_events::Output;
use tokio::sync::watch;

use super::syncer::Syncer;
use crate::docker::{IMAGE_LABEL, run_id_selector};
use crate::target::{Background, StoppableTask};

/// How often the containers are listed again even without events.
const RESYNC_PERIOD: Duration = Duration::from_secs(2);

/// How far back a new event subscription starts, to cover the moment between subscribing and
/// the subscription taking effect.
const EVENT_REPLAY: Duration = Duration::from_secs(2);

/// The wait before subscribing again after the event stream broke.
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(1);

/// The events the catch-up acts on: a start (to catch up), a stop or removal (its session
/// is dead).
const CATCH_UP_EVENTS: &[&str] = &["start", "die", "destroy"];

type Events = Pin<Box<dyn Stream<Item = Result<ContainerEvent, EngineError>> + Send>>;

/// Catches up the containers of a run as they start, until stopped.
#[derive(Debug)]
pub struct CatchUp(StoppableTask);

impl Background for CatchUp {
    /// Stops following; returns once a catch-up under way has finished.
    async fn stop(self) {
        self.0.stop().await;
    }
}

impl Syncer {
    /// Starts catching up every container labelled `RUN_ID_LABEL=<run_id>` (and carrying
    /// `IMAGE_LABEL`) whenever it starts, writing through `output` as [`Syncer::sync`] does;
    /// also closes the sessions of the run's containers that stop. The dev loop calls this once
    /// per session and calls [`Syncer::image_rebuilt`] after each build; the rest converges by
    /// itself. Containers already running when it starts are caught up too (a no-op while
    /// nothing was synced). Must be called within a Tokio runtime; dropping the handle stops
    /// it without waiting.
    ///
    /// A container catches up right after it started, so its program may see the image's
    /// files for a few milliseconds first.
    pub fn follow_restarts(&self, run_id: &str, output: Output) -> CatchUp {
        let follower = Follower {
            syncer: self.clone(),
            label: run_id_selector(run_id),
            output,
            known: HashSet::new(),
            pending: HashSet::new(),
            failures: HashMap::new(),
        };
        CatchUp(StoppableTask::spawn("the sync catch-up", |stopped| {
            follower.run(stopped)
        }))
    }
}

/// The reconciler's state.
struct Follower {
    syncer: Syncer,
    /// `RUN_ID_LABEL=<run id>`.
    label: String,
    output: Output,
    /// The running containers seen so far.
    known: HashSet<String>,
    /// Containers to catch up when next seen running.
    pending: HashSet<String>,
    /// Failed catch-ups in a row, by container (only the first is reported as a warning).
    failures: HashMap<String, u32>,
}

impl Follower {
    /// Runs until `stop` is signalled or its sender dropped.
    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        tokio::select! {
            biased;
            _ = stop.wait_for(|stopped| *stopped) => {}
            () = self.reconcile() => {}
        }
    }

    /// The watch → converge loop; never returns.
    async fn reconcile(&mut self) {
        let mut events: Option<Events> = Some(self.subscribe());
        self.converge().await;
        let mut resync = tokio::time::interval(RESYNC_PERIOD);
        resync.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = next_event(&mut events), if events.is_some() => match event {
                    Some(Ok(event)) => {
                        if self.observe(&event) {
                            self.converge().await;
                        }
                    }
                    failure => {
                        if let Some(Err(e)) = failure {
                            tracing::debug!("container events of {}: {e}", self.label);
                        }
                        events = None;
                    }
                },
                () = tokio::time::sleep(RESUBSCRIBE_AFTER), if events.is_none() => {
                    events = Some(self.subscribe());
                    // Whatever started while nobody watched: catch every container up again.
                    self.pending.extend(self.known.iter().cloned());
                    self.converge().await;
                }
                _ = resync.tick() => self.converge().await,
            }
        }
    }

    /// A new subscription to the run's container events, replaying the last moments.
    fn subscribe(&self) -> Events {
        Box::pin(
            self.syncer
                .engine()
                .container_events(&self.label, CATCH_UP_EVENTS, EVENT_REPLAY),
        )
    }

    /// Notes what an event means: a start needs a catch-up (true); a stopped container's
    /// session is dead.
    fn observe(&mut self, event: &ContainerEvent) -> bool {
        match event.action.as_str() {
            "start" => {
                self.pending.insert(event.id.clone());
                true
            }
            "die" | "destroy" => {
                self.syncer.forget(&event.id);
                false
            }
            _ => false,
        }
    }

    /// Lists the run's containers and catches up the running ones that need it.
    async fn converge(&mut self) {
        let listed = match self
            .syncer
            .engine()
            .containers_with_label(&self.label)
            .await
        {
            Ok(listed) => listed,
            Err(e) => {
                tracing::debug!("listing the containers of {}: {e}", self.label);
                return;
            }
        };
        self.known.retain(|id| listed.iter().any(|c| &c.id == id));
        self.pending.retain(|id| listed.iter().any(|c| &c.id == id));
        self.failures
            .retain(|id, _| listed.iter().any(|c| &c.id == id));
        for container in listed.iter().filter(|c| c.state == "running") {
            let Some(image) = container.labels.get(IMAGE_LABEL) else {
                continue;
            };
            if self.known.insert(container.id.clone()) {
                self.pending.insert(container.id.clone());
            }
            if !self.pending.contains(&container.id) {
                continue;
            }
            match self
                .syncer
                .catch_up(&container.id, image, &self.output)
                .await
            {
                Ok(_) => {
                    self.pending.remove(&container.id);
                    self.failures.remove(&container.id);
                }
                Err(e) => {
                    let failures = self.failures.entry(container.id.clone()).or_default();
                    *failures += 1;
                    if *failures == 1 {
                        tracing::warn!(
                            "Catching up container {} failed (retrying): {}",
                            container.name,
                            e.message
                        );
                    }
                }
            }
        }
    }
}

/// The next event of the subscription.
async fn next_event(events: &mut Option<Events>) -> Option<Result<ContainerEvent, EngineError>> {
    events.as_mut()?.next().await
}
