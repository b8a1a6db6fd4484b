//! What phases write for the user: each chunk goes to the terminal (or wherever the command
//! sends it) and into the event history as a STANDARD `skaffoldLogEvent` of its task and subtask.

use std::sync::Arc;

use skiff_proto::enums::LogLevel;

use crate::hub::Hub;
use crate::names::{Phase, SUBTASK_ID_NONE};

/// A destination for user-facing text (stdout, a buffer, nothing with `--quiet`).
pub type Sink = Arc<dyn Fn(&str) + Send + Sync>;

/// Writes phase output to a sink and to the hub.
#[derive(Clone)]
pub struct Output {
    hub: Hub,
    sink: Sink,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output").finish_non_exhaustive()
    }
}

impl Output {
    /// Output recorded in `hub` and shown through `sink`.
    pub fn new(hub: Hub, sink: Sink) -> Self {
        Self { hub, sink }
    }

    /// Writes `text` as output of `phase` and `subtask` (an artifact, a deployer index, …).
    pub fn write(&self, phase: Phase, subtask: &str, text: &str) {
        (self.sink)(text);
        self.hub.log(phase, subtask, LogLevel::Standard, text);
    }

    /// Writes `text` as output of `phase` that belongs to no subtask.
    pub fn phase(&self, phase: Phase, text: &str) {
        self.write(phase, SUBTASK_ID_NONE, text);
    }

    /// Writes `text` to the terminal only, as Skaffold writes application logs: they reach
    /// clients as `ApplicationLogEvent`s, not as output of a phase.
    pub fn terminal(&self, text: &str) {
        (self.sink)(text);
    }

    /// The hub the output is recorded in.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HubLimits, InitialState, Stream};
    use skiff_proto::v2::event::EventType;
    use std::sync::Mutex;

    #[test]
    fn output_reaches_the_sink_and_the_history() {
        let hub = Hub::new(&InitialState::default(), HubLimits::default());
        let seen = Arc::new(Mutex::new(String::new()));
        let sink_seen = Arc::clone(&seen);
        let output = Output::new(
            hub.clone(),
            Arc::new(move |t: &str| sink_seen.lock().unwrap().push_str(t)),
        );
        output.write(Phase::Build, "img", "Building [img]...\n");
        output.phase(Phase::Build, "done\n");
        assert_eq!(*seen.lock().unwrap(), "Building [img]...\ndone\n");
        let logs: Vec<(String, String)> = hub
            .history(Stream::Events)
            .iter()
            .filter_map(|e| match &e.event_type {
                Some(EventType::SkaffoldLogEvent(l)) => {
                    Some((l.task_id.clone(), l.subtask_id.clone()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            logs,
            [
                ("Build-0".to_owned(), "img".to_owned()),
                ("Build-0".to_owned(), "-1".to_owned())
            ]
        );
    }
}
