//! What the engine tests of verification tests and custom actions share: a session (engine,
//! hub, captured output, run options), configs from YAML, and checks of what the engine and
//! the event log hold afterwards.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use skiff_actions::LocalRunOptions;
use skiff_config::SkaffoldConfig;
use skiff_deploy::docker::{RUN_ID_LABEL, network_name};
use skiff_docker::Engine;
use skiff_events::{Hub, HubLimits, InitialState, Output, Stream};
use skiff_proto::v2::Event;
use skiff_proto::v2::event::EventType;

/// One run against the test engine.
pub struct Session {
    /// The engine.
    pub engine: Engine,
    /// The hub the run's events go to.
    pub hub: Hub,
    /// The run's output (also captured in `printed`).
    pub output: Output,
    /// The run id, env file variables and network.
    pub opts: LocalRunOptions,
    printed: Arc<Mutex<String>>,
}

impl Session {
    /// A session on `DOCKER_HOST` with a fresh run id; `None` (after a note) when the test
    /// environment is absent.
    pub async fn new() -> Option<Session> {
        let engine = skiff_testenv::engine("DOCKER_HOST").await?;
        let hub = Hub::new(&InitialState::default(), HubLimits::default());
        let printed = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&printed);
        let output = Output::new(
            hub.clone(),
            Arc::new(move |t: &str| sink.lock().unwrap().push_str(t)),
        );
        let opts = LocalRunOptions {
            run_id: skiff_testenv::unique("run"),
            env: Vec::new(),
            network: None,
        };
        Some(Session {
            engine,
            hub,
            output,
            opts,
            printed,
        })
    }

    /// Everything the run printed.
    pub fn printed(&self) -> String {
        self.printed.lock().unwrap().clone()
    }

    /// The event history.
    pub fn events(&self) -> Vec<Arc<Event>> {
        self.hub.history(Stream::Events)
    }

    /// The history as the `--event-log-file` writer leaves it in `<file>.v2`.
    pub fn event_log(&self) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = skiff_events::event_log::append_v2(&self.hub, &dir.path().join("events"))
            .expect("write the event log");
        std::fs::read_to_string(path).unwrap()
    }

    /// The run's network name when it creates its own.
    pub fn run_network(&self) -> String {
        network_name(&self.opts.run_id)
    }

    /// Asserts that no container of the run and not the run's network is left on the engine.
    pub async fn assert_nothing_left(&self) {
        let label = format!("{RUN_ID_LABEL}={}", self.opts.run_id);
        let left = self.engine.containers_with_label(&label).await.unwrap();
        assert!(left.is_empty(), "containers left behind: {left:?}");
        assert!(
            !self
                .engine
                .network_exists(&self.run_network())
                .await
                .unwrap(),
            "the run's network was left behind"
        );
    }
}

/// The config a skaffold.yaml text describes (its first document).
pub fn config(yaml: &str) -> SkaffoldConfig {
    let set = skiff_config::load_str(yaml, "skaffold.yaml").expect("a valid config");
    set.entries.into_iter().next().unwrap().config
}

/// `(id, status, error message)` of every subtask event of the verify or exec phase, in order.
pub fn subtasks(events: &[Arc<Event>]) -> Vec<(String, String, String)> {
    events
        .iter()
        .filter_map(|e| match &e.event_type {
            Some(EventType::ExecEvent(s)) => Some((
                s.id.clone(),
                s.status.clone(),
                s.actionable_err.as_ref().map(|a| a.message.clone()),
            )),
            Some(EventType::VerifyEvent(s)) => Some((
                s.id.clone(),
                s.status.clone(),
                s.actionable_err.as_ref().map(|a| a.message.clone()),
            )),
            _ => None,
        })
        .map(|(id, status, message)| (id, status, message.unwrap_or_default()))
        .collect()
}

/// `(id, status, description, error message)` of every task event, in order.
pub fn tasks(events: &[Arc<Event>]) -> Vec<(String, String, String, String)> {
    events
        .iter()
        .filter_map(|e| match &e.event_type {
            Some(EventType::TaskEvent(t)) => Some((
                t.id.clone(),
                t.status.clone(),
                t.description.clone(),
                t.actionable_err
                    .as_ref()
                    .map(|a| a.message.clone())
                    .unwrap_or_default(),
            )),
            _ => None,
        })
        .collect()
}

/// The status history of subtask `id`.
pub fn statuses_of(events: &[Arc<Event>], id: &str) -> Vec<String> {
    subtasks(events)
        .into_iter()
        .filter(|(i, _, _)| i == id)
        .map(|(_, status, _)| status)
        .collect()
}

/// The failure message of subtask `id`.
pub fn failure_of(events: &[Arc<Event>], id: &str) -> String {
    subtasks(events)
        .into_iter()
        .find(|(i, status, _)| i == id && status == "Failed")
        .map(|(_, _, message)| message)
        .unwrap_or_else(|| panic!("{id} did not fail"))
}

/// `(task id, subtask id, message)` of every `skaffoldLogEvent`.
pub fn logs(events: &[Arc<Event>]) -> Vec<(String, String, String)> {
    events
        .iter()
        .filter_map(|e| match &e.event_type {
            Some(EventType::SkaffoldLogEvent(l)) => {
                Some((l.task_id.clone(), l.subtask_id.clone(), l.message.clone()))
            }
            _ => None,
        })
        .collect()
}
