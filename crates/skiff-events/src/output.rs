//! What phases write for the user: each chunk goes to the terminal (or wherever the command
//! sends it) and into the event history as a STANDARD `skaffoldLogEvent` of its task and subtask.
//! A muted phase (`--mute-logs`) writes to a log file instead, and its text becomes no event:
//! in Skaffold the file replaces the writer that emits them.

use std::sync::Arc;

use skiff_proto::enums::LogLevel;

use crate::hub::Hub;
use crate::log_file::LogFile;
use crate::muted::MutedPhases;
use crate::names::{Phase, SUBTASK_ID_NONE};

/// A destination for user-facing text (stdout, a buffer, nothing with `--quiet`).
pub type Sink = Arc<dyn Fn(&str) + Send + Sync>;

/// Where an [`Output`]'s text goes.
#[derive(Clone)]
enum Destination {
    /// The sink, and the hub as log events.
    Sink(Sink),
    /// A muted phase's log file only.
    File(Arc<LogFile>),
}

/// Writes phase output to a sink and to the hub, or to a muted phase's log file.
#[derive(Clone)]
pub struct Output {
    hub: Hub,
    destination: Destination,
    muted: MutedPhases,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output")
            .field("muted", &self.muted)
            .finish_non_exhaustive()
    }
}

impl Output {
    /// Output recorded in `hub` and shown through `sink`, nothing muted.
    pub fn new(hub: Hub, sink: Sink) -> Self {
        Self {
            hub,
            destination: Destination::Sink(sink),
            muted: MutedPhases::NONE,
        }
    }

    /// The same output, with `muted` the phases whose own output goes to log files
    /// (`--mute-logs`). Each phase asks [`Output::mutes`] and writes through
    /// [`Output::to_file`] where Skaffold does.
    pub fn muting(&self, muted: MutedPhases) -> Self {
        Self {
            muted,
            ..self.clone()
        }
    }

    /// Whether `phase`'s own output goes to a log file.
    pub fn mutes(&self, phase: Phase) -> bool {
        self.muted.mutes(phase)
    }

    /// An output that writes everything to `file` instead, and records none of it as log
    /// events; task and subtask events still go to the same hub.
    pub fn to_file(&self, file: LogFile) -> Self {
        Self {
            destination: Destination::File(Arc::new(file)),
            ..self.clone()
        }
    }

    /// Writes `text` as output of `phase` and `subtask` (an artifact, a deployer index, …).
    pub fn write(&self, phase: Phase, subtask: &str, text: &str) {
        match &self.destination {
            Destination::Sink(sink) => {
                sink(text);
                self.hub.log(phase, subtask, LogLevel::Standard, text);
            }
            Destination::File(file) => file.write(text),
        }
    }

    /// Writes `text` as output of `phase` that belongs to no subtask.
    pub fn phase(&self, phase: Phase, text: &str) {
        self.write(phase, SUBTASK_ID_NONE, text);
    }

    /// Writes `text` to the terminal only, as Skaffold writes application logs: they reach
    /// clients as `ApplicationLogEvent`s, not as output of a phase. (An output writing to a log
    /// file writes it there.)
    pub fn terminal(&self, text: &str) {
        match &self.destination {
            Destination::Sink(sink) => sink(text),
            Destination::File(file) => file.write(text),
        }
    }

    /// The hub the output is recorded in.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log_file::create_under;
    use crate::{HubLimits, InitialState, Status, Stream};
    use skiff_proto::v2::event::EventType;
    use std::sync::Mutex;

    /// An output on a fresh hub, and what its sink received.
    fn recorded() -> (Output, Arc<Mutex<String>>) {
        let hub = Hub::new(&InitialState::default(), HubLimits::default());
        let seen = Arc::new(Mutex::new(String::new()));
        let sink_seen = Arc::clone(&seen);
        let output = Output::new(
            hub,
            Arc::new(move |t: &str| sink_seen.lock().unwrap().push_str(t)),
        );
        (output, seen)
    }

    /// The (task, subtask, message) of every `skaffoldLogEvent` in `hub`'s history.
    fn log_events(hub: &Hub) -> Vec<(String, String, String)> {
        hub.history(Stream::Events)
            .iter()
            .filter_map(|e| match &e.event_type {
                Some(EventType::SkaffoldLogEvent(l)) => {
                    Some((l.task_id.clone(), l.subtask_id.clone(), l.message.clone()))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn output_reaches_the_sink_and_the_history() {
        let (output, seen) = recorded();
        output.write(Phase::Build, "img", "Building [img]...\n");
        output.phase(Phase::Build, "done\n");
        assert_eq!(*seen.lock().unwrap(), "Building [img]...\ndone\n");
        assert_eq!(
            log_events(output.hub()),
            [
                (
                    "Build-0".to_owned(),
                    "img".to_owned(),
                    "Building [img]...\n".to_owned()
                ),
                ("Build-0".to_owned(), "-1".to_owned(), "done\n".to_owned())
            ]
        );
    }

    #[test]
    fn an_output_mutes_the_phases_it_is_given() {
        let (output, _) = recorded();
        assert!(!output.mutes(Phase::Build));
        let muted = output.muting("build".parse().unwrap());
        assert!(muted.mutes(Phase::Build));
        assert!(!muted.mutes(Phase::Deploy));
        assert!(!output.mutes(Phase::Build));
        assert!(muted.muting(MutedPhases::ALL).mutes(Phase::StatusCheck));
    }

    #[test]
    fn a_file_output_writes_only_to_its_file_and_emits_no_log_events() {
        let dir = tempfile::tempdir().unwrap();
        let (output, seen) = recorded();
        let file = create_under(dir.path(), &["build", "img.log"]).unwrap();
        let path = file.path().to_path_buf();
        let to_file = output.to_file(file);
        to_file
            .hub()
            .task_in_progress(Phase::Build, "Build containers");
        to_file.write(Phase::Build, "img", "Step 1/2 : FROM busybox\n");
        to_file.phase(Phase::Build, "Step 2/2 : CMD sh\n");
        to_file.terminal("app line\n");
        output.write(Phase::Build, "img", " - writing logs to x\n");
        to_file.hub().task_succeeded(Phase::Build);

        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "Step 1/2 : FROM busybox\nStep 2/2 : CMD sh\napp line\n"
        );
        assert_eq!(*seen.lock().unwrap(), " - writing logs to x\n");
        assert_eq!(
            log_events(output.hub()),
            [(
                "Build-0".to_owned(),
                "img".to_owned(),
                " - writing logs to x\n".to_owned()
            )]
        );
        let statuses: Vec<String> = output
            .hub()
            .history(Stream::Events)
            .iter()
            .filter_map(|e| match &e.event_type {
                Some(EventType::TaskEvent(t)) => Some(t.status.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            statuses,
            [Status::InProgress.as_str(), Status::Succeeded.as_str()]
        );
    }
}
