//! Typed emitters: every event a phase sends, with Skaffold's exact task ids, subtask ids and
//! status strings, so no caller has to assemble them by hand.

use skiff_proto::enums::LogLevel;
use skiff_proto::v2::{
    ActionableErr, ApplicationLogEvent, BuildSubtaskEvent, DeploySubtaskEvent, ExecSubtaskEvent,
    FileSyncEvent, MetaEvent, Metadata, PortForwardEvent, RenderSubtaskEvent, SkaffoldLogEvent,
    StatusCheckSubtaskEvent, TaskEvent, TestSubtaskEvent, VerifySubtaskEvent, event::EventType,
};

use crate::hub::Hub;
use crate::names::{Phase, Status};

/// The step of a build subtask event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildStep {
    /// Looking the artifact up in the cache.
    Cache,
    /// Building the artifact.
    Build,
}

impl BuildStep {
    /// The step name as it appears in events.
    pub const fn as_str(self) -> &'static str {
        match self {
            BuildStep::Cache => "Cache",
            BuildStep::Build => "Build",
        }
    }
}

/// A phase whose subtask events share the `{id, task_id, status, actionableErr}` shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subtask {
    /// `testEvent`, one per tester.
    Test,
    /// `renderEvent`, one per renderer.
    Render,
    /// `deploySubtaskEvent`, one per deployer.
    Deploy,
    /// `verifyEvent`, one per verification test.
    Verify,
    /// `execEvent`, one per custom-action container.
    Exec,
}

impl Subtask {
    /// The phase whose task id the subtask events carry.
    pub const fn phase(self) -> Phase {
        match self {
            Subtask::Test => Phase::Test,
            Subtask::Render => Phase::Render,
            Subtask::Deploy => Phase::Deploy,
            Subtask::Verify => Phase::Verify,
            Subtask::Exec => Phase::Exec,
        }
    }
}

impl Hub {
    /// `TaskEvent` InProgress. Starting a `DevLoop` task begins a new iteration first (its
    /// application logs start empty).
    pub fn task_in_progress(&self, phase: Phase, description: &str) {
        let event = |iteration: i32| {
            EventType::TaskEvent(TaskEvent {
                id: phase.task_id(iteration),
                task: phase.as_str().into(),
                description: description.into(),
                iteration,
                status: Status::InProgress.as_str().into(),
                actionable_err: None,
            })
        };
        if phase == Phase::DevLoop {
            self.begin_iteration(event);
        } else {
            self.emit_in_iteration(event);
        }
    }

    /// `TaskEvent` Succeeded (Skaffold sends no description with it).
    pub fn task_succeeded(&self, phase: Phase) {
        self.task_ended(phase, Status::Succeeded, None);
    }

    /// `TaskEvent` Failed with the error; the first error of a session is also logged once.
    pub fn task_failed(&self, phase: Phase, err: ActionableErr) {
        self.send_error_message_once(phase, crate::SUBTASK_ID_NONE, &err.message);
        self.task_ended(phase, Status::Failed, Some(err));
    }

    fn task_ended(&self, phase: Phase, status: Status, err: Option<ActionableErr>) {
        self.emit_in_iteration(|iteration| {
            EventType::TaskEvent(TaskEvent {
                id: phase.task_id(iteration),
                task: phase.as_str().into(),
                description: String::new(),
                iteration,
                status: status.as_str().into(),
                actionable_err: err,
            })
        });
    }

    /// A `buildSubtaskEvent` for an artifact (`id` and `artifact` are the image name).
    pub fn build_subtask(
        &self,
        artifact: &str,
        step: BuildStep,
        status: Status,
        platforms: &BuildPlatforms,
        err: Option<ActionableErr>,
    ) {
        self.emit_in_iteration(|iteration| {
            EventType::BuildSubtaskEvent(BuildSubtaskEvent {
                id: artifact.into(),
                task_id: Phase::Build.task_id(iteration),
                artifact: artifact.into(),
                step: step.as_str().into(),
                status: status.as_str().into(),
                actionable_err: err,
                host_platform: platforms.host.clone(),
                target_platforms: platforms.targets.clone(),
            })
        });
    }

    /// A test, render, deploy, verify or exec subtask event.
    pub fn subtask(&self, kind: Subtask, id: &str, status: Status, err: Option<ActionableErr>) {
        self.emit_in_iteration(|iteration| {
            let task_id = kind.phase().task_id(iteration);
            let id = id.to_owned();
            let status = status.as_str().to_owned();
            match kind {
                Subtask::Test => EventType::TestEvent(TestSubtaskEvent {
                    id,
                    task_id,
                    status,
                    actionable_err: err,
                }),
                Subtask::Render => EventType::RenderEvent(RenderSubtaskEvent {
                    id,
                    task_id,
                    status,
                    actionable_err: err,
                }),
                Subtask::Deploy => EventType::DeploySubtaskEvent(DeploySubtaskEvent {
                    id,
                    task_id,
                    status,
                    actionable_err: err,
                }),
                Subtask::Verify => EventType::VerifyEvent(VerifySubtaskEvent {
                    id,
                    task_id,
                    status,
                    actionable_err: err,
                }),
                Subtask::Exec => EventType::ExecEvent(ExecSubtaskEvent {
                    id,
                    task_id,
                    status,
                    actionable_err: err,
                }),
            }
        });
    }

    /// A `statusCheckSubtaskEvent` for a resource. As in Skaffold, it carries the *Deploy* task
    /// id.
    pub fn status_check_subtask(&self, resource: &str, status: Status, check: StatusCheckUpdate) {
        self.emit_in_iteration(|iteration| {
            EventType::StatusCheckSubtaskEvent(StatusCheckSubtaskEvent {
                id: resource.into(),
                task_id: Phase::Deploy.task_id(iteration),
                resource: resource.into(),
                status: status.as_str().into(),
                message: check.message,
                status_code: check.status_code,
                actionable_err: check.err,
            })
        });
    }

    /// A `portEvent` for an established forward; its task id is `PortForward-<iteration>`.
    pub fn port_forwarded(&self, forward: PortForwardEvent) {
        self.emit_in_iteration(|iteration| {
            EventType::PortEvent(PortForwardEvent {
                task_id: Phase::PortForward.task_id(iteration),
                ..forward
            })
        });
    }

    /// A `fileSyncEvent` for files synced into the containers of an image.
    pub fn file_sync(
        &self,
        image: &str,
        file_count: i32,
        status: Status,
        err: Option<ActionableErr>,
    ) {
        self.emit_in_iteration(|iteration| {
            EventType::FileSyncEvent(FileSyncEvent {
                id: image.into(),
                task_id: Phase::Sync.task_id(iteration),
                file_count,
                image: image.into(),
                status: status.as_str().into(),
                actionable_err: err,
            })
        });
    }

    /// A `skaffoldLogEvent`: output written by a phase.
    pub fn log(&self, phase: Phase, subtask_id: &str, level: LogLevel, message: &str) {
        self.emit_in_iteration(|iteration| {
            EventType::SkaffoldLogEvent(SkaffoldLogEvent {
                task_id: phase.task_id(iteration),
                subtask_id: subtask_id.into(),
                level: level as i32,
                message: message.into(),
            })
        });
    }

    /// The first error message of a session as a STANDARD log line (later calls do nothing).
    pub fn send_error_message_once(&self, phase: Phase, subtask_id: &str, message: &str) {
        self.once_for_error(|iteration| {
            EventType::SkaffoldLogEvent(SkaffoldLogEvent {
                task_id: phase.task_id(iteration),
                subtask_id: subtask_id.into(),
                level: LogLevel::Standard as i32,
                message: format!("{message}\n"),
            })
        });
    }

    /// An `applicationLogEvent`: one line a deployed container wrote.
    pub fn application_log(&self, log: ApplicationLogEvent) {
        self.emit(EventType::ApplicationLogEvent(log));
    }

    /// The `metaEvent` that opens a session.
    pub fn meta(&self, entry: &str, metadata: Metadata) {
        self.emit(EventType::MetaEvent(MetaEvent {
            entry: entry.into(),
            metadata: Some(metadata),
        }));
    }
}

/// Host and target platforms reported with build subtask events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildPlatforms {
    /// The host, e.g. `linux/amd64`.
    pub host: String,
    /// Comma-separated target platforms (may be empty).
    pub targets: String,
}

/// What a status-check subtask event reports beyond its status.
#[derive(Debug, Clone, Default)]
pub struct StatusCheckUpdate {
    /// A human-readable message (`"Succeeded"` on success).
    pub message: String,
    /// The `StatusCode` as a number.
    pub status_code: i32,
    /// The error, for pending and failed resources.
    pub err: Option<ActionableErr>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::InitialState;
    use crate::{HubLimits, Stream};

    fn hub() -> Hub {
        Hub::new(
            &InitialState {
                artifacts: vec!["img".into()],
                ..Default::default()
            },
            HubLimits::default(),
        )
    }

    fn task_events(hub: &Hub) -> Vec<TaskEvent> {
        hub.history(Stream::Events)
            .iter()
            .filter_map(|e| match &e.event_type {
                Some(EventType::TaskEvent(t)) => Some(t.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn dev_loop_iterations_number_task_ids() {
        let hub = hub();
        hub.task_in_progress(Phase::Build, "Build containers");
        hub.task_in_progress(Phase::DevLoop, "");
        hub.task_in_progress(Phase::Build, "Build containers");
        hub.task_succeeded(Phase::Build);
        let ids: Vec<_> = task_events(&hub)
            .iter()
            .map(|t| (t.id.clone(), t.status.clone()))
            .collect();
        assert_eq!(
            ids,
            [
                ("Build-0", "InProgress"),
                ("DevLoop-1", "InProgress"),
                ("Build-1", "InProgress"),
                ("Build-1", "Succeeded")
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
        assert!(task_events(&hub)[3].description.is_empty());
    }

    #[test]
    fn failure_logs_the_first_error_once() {
        let hub = hub();
        hub.task_failed(Phase::Build, crate::errors::unknown(Phase::Build, "first"));
        hub.task_failed(Phase::Build, crate::errors::unknown(Phase::Build, "second"));
        let logs: Vec<_> = hub
            .history(Stream::Events)
            .iter()
            .filter_map(|e| match &e.event_type {
                Some(EventType::SkaffoldLogEvent(l)) => Some(l.message.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(logs, ["first\n"]);
        assert_eq!(
            task_events(&hub)[1]
                .actionable_err
                .as_ref()
                .unwrap()
                .message,
            "second"
        );
    }

    #[test]
    fn subtasks_carry_their_phase_task_ids() {
        let hub = hub();
        hub.task_in_progress(Phase::DevLoop, "");
        hub.build_subtask(
            "img",
            BuildStep::Build,
            Status::InProgress,
            &BuildPlatforms::default(),
            None,
        );
        hub.subtask(Subtask::Render, "0", Status::Succeeded, None);
        hub.status_check_subtask("pod/x", Status::Succeeded, StatusCheckUpdate::default());
        hub.port_forwarded(PortForwardEvent {
            local_port: 9000,
            ..Default::default()
        });
        let ids: Vec<String> = hub
            .history(Stream::Events)
            .iter()
            .filter_map(|e| match &e.event_type {
                Some(EventType::BuildSubtaskEvent(b)) => Some(b.task_id.clone()),
                Some(EventType::RenderEvent(r)) => Some(r.task_id.clone()),
                Some(EventType::StatusCheckSubtaskEvent(s)) => Some(s.task_id.clone()),
                Some(EventType::PortEvent(p)) => Some(p.task_id.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(ids, ["Build-1", "Render-1", "Deploy-1", "PortForward-1"]);
        let state = hub.state();
        assert_eq!(state.build_state.unwrap().artifacts["img"], "InProgress");
        assert_eq!(state.render_state.unwrap().status, "Succeeded");
        assert!(state.forwarded_ports.contains_key(&9000));
    }

    #[test]
    fn application_logs_reset_each_iteration() {
        let hub = hub();
        let line = |m: &str| ApplicationLogEvent {
            message: m.into(),
            ..Default::default()
        };
        hub.application_log(line("before"));
        assert_eq!(hub.history(Stream::ApplicationLogs).len(), 1);
        hub.task_in_progress(Phase::DevLoop, "");
        hub.application_log(line("after"));
        let logs = hub.history(Stream::ApplicationLogs);
        assert_eq!(logs.len(), 1);
        assert!(
            hub.history(Stream::Events)
                .iter()
                .all(|e| !matches!(e.event_type, Some(EventType::ApplicationLogEvent(_))))
        );
    }
}
