//! The `State` reducer: how each event changes what `GetState` returns, and the reset helpers
//! Skaffold applies at the start of a build or a deploy.
//!
//! Two deliberate improvements over Skaffold: `statusCheckState.status` follows the StatusCheck
//! task, and `fileSyncState.status` follows file-sync events and the Sync task (Skaffold leaves
//! both at `NotStarted` forever).

use std::collections::BTreeMap;

use skiff_proto::enums::StatusCode;
use skiff_proto::v2::{
    BuildState, DeployState, Event, ExecState, FileSyncState, Metadata, RenderState, State,
    StatusCheckState, TestState, VerifyState, event::EventType,
};

use crate::names::{Phase, Status};

/// What the initial `State` of a session is made from.
#[derive(Debug, Clone, Default)]
pub struct InitialState {
    /// Image names of every artifact of every pipeline.
    pub artifacts: Vec<String>,
    /// `--auto-build`.
    pub auto_build: bool,
    /// `--auto-sync`.
    pub auto_sync: bool,
    /// `--auto-deploy`.
    pub auto_deploy: bool,
    /// The pipeline's metadata (build, deploy, render, run id).
    pub metadata: Metadata,
}

const NOT_STARTED: &str = Status::NotStarted.as_str();

fn not_started_status_check() -> StatusCheckState {
    StatusCheckState {
        status: NOT_STARTED.into(),
        resources: BTreeMap::new(),
        status_code: StatusCode::Ok as i32,
    }
}

/// The state before anything has run: every artifact and phase `NotStarted`.
pub fn initial_state(init: &InitialState) -> State {
    let ok = StatusCode::Ok as i32;
    State {
        build_state: Some(BuildState {
            artifacts: init
                .artifacts
                .iter()
                .map(|a| (a.clone(), NOT_STARTED.into()))
                .collect(),
            auto_trigger: init.auto_build,
            status_code: ok,
        }),
        deploy_state: Some(DeployState {
            status: NOT_STARTED.into(),
            auto_trigger: init.auto_deploy,
            status_code: ok,
        }),
        forwarded_ports: BTreeMap::new(),
        status_check_state: Some(not_started_status_check()),
        file_sync_state: Some(FileSyncState {
            status: NOT_STARTED.into(),
            auto_trigger: init.auto_sync,
        }),
        debugging_containers: Vec::new(),
        metadata: Some(init.metadata.clone()),
        test_state: Some(TestState {
            status: NOT_STARTED.into(),
            status_code: ok,
        }),
        render_state: Some(RenderState {
            status: NOT_STARTED.into(),
            status_code: ok,
        }),
        verify_state: Some(VerifyState {
            status: NOT_STARTED.into(),
            status_code: ok,
        }),
        exec_state: Some(ExecState {
            status: NOT_STARTED.into(),
            status_code: ok,
        }),
    }
}

/// Applies one event to the state.
pub fn apply(state: &mut State, event: &Event) {
    let Some(event_type) = &event.event_type else {
        return;
    };
    match event_type {
        EventType::BuildSubtaskEvent(e) if e.step == Phase::Build.as_str() => {
            build_state(state)
                .artifacts
                .insert(e.artifact.clone(), e.status.clone());
        }
        EventType::TestEvent(e) => {
            state.test_state.get_or_insert_default().status = e.status.clone()
        }
        EventType::RenderEvent(e) => {
            state.render_state.get_or_insert_default().status = e.status.clone()
        }
        EventType::VerifyEvent(e) => {
            state.verify_state.get_or_insert_default().status = e.status.clone()
        }
        EventType::ExecEvent(e) => {
            state.exec_state.get_or_insert_default().status = e.status.clone()
        }
        EventType::DeploySubtaskEvent(e) => {
            state.deploy_state.get_or_insert_default().status = e.status.clone()
        }
        EventType::PortEvent(e) => {
            state.forwarded_ports.insert(e.local_port, e.clone());
        }
        EventType::StatusCheckSubtaskEvent(e) => {
            state
                .status_check_state
                .get_or_insert_with(not_started_status_check)
                .resources
                .insert(e.resource.clone(), e.status.clone());
        }
        EventType::FileSyncEvent(e) => {
            state.file_sync_state.get_or_insert_default().status = e.status.clone()
        }
        EventType::TaskEvent(e) if e.task == Phase::StatusCheck.as_str() => {
            state
                .status_check_state
                .get_or_insert_with(not_started_status_check)
                .status = e.status.clone();
        }
        EventType::TaskEvent(e) if e.task == Phase::Sync.as_str() => {
            state.file_sync_state.get_or_insert_default().status = e.status.clone()
        }
        EventType::DebuggingContainerEvent(e) if e.status == Status::Started.as_str() => {
            state.debugging_containers.push(e.clone());
        }
        EventType::DebuggingContainerEvent(e) if e.status == Status::Terminated.as_str() => {
            state.debugging_containers.retain(|c| {
                !(c.namespace == e.namespace
                    && c.pod_name == e.pod_name
                    && c.container_name == e.container_name)
            });
        }
        _ => {}
    }
}

fn build_state(state: &mut State) -> &mut BuildState {
    state.build_state.get_or_insert_default()
}

fn auto_triggers(state: &State) -> (bool, bool, bool) {
    (
        state.build_state.as_ref().is_some_and(|s| s.auto_trigger),
        state
            .file_sync_state
            .as_ref()
            .is_some_and(|s| s.auto_trigger),
        state.deploy_state.as_ref().is_some_and(|s| s.auto_trigger),
    )
}

/// A fresh state before a build: the same artifacts (all `NotStarted`), metadata and auto
/// triggers; every phase back to `NotStarted`, forwarded ports cleared.
pub fn reset_on_build(state: &mut State) {
    let (auto_build, auto_sync, auto_deploy) = auto_triggers(state);
    let init = InitialState {
        artifacts: state
            .build_state
            .as_ref()
            .map(|b| b.artifacts.keys().cloned().collect())
            .unwrap_or_default(),
        auto_build,
        auto_sync,
        auto_deploy,
        metadata: state.metadata.clone().unwrap_or_default(),
    };
    *state = initial_state(&init);
}

/// Before tests: the test status back to `NotStarted`.
pub fn reset_on_test(state: &mut State) {
    state.test_state.get_or_insert_default().status = NOT_STARTED.into();
}

/// Before a deploy: deploy status and code reset, status check reset, forwarded ports and
/// debugging containers cleared.
pub fn reset_on_deploy(state: &mut State) {
    let deploy = state.deploy_state.get_or_insert_default();
    deploy.status = NOT_STARTED.into();
    deploy.status_code = StatusCode::Ok as i32;
    state.status_check_state = Some(not_started_status_check());
    state.forwarded_ports.clear();
    state.debugging_containers.clear();
}

/// A phase whose automatic triggering can be switched through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AutoTrigger {
    /// Rebuild on source changes.
    Build,
    /// Sync files on source changes.
    Sync,
    /// Redeploy after builds and manifest changes.
    Deploy,
}

impl AutoTrigger {
    /// The phase name used in messages (`auto Build is already set to true`).
    pub const fn as_str(self) -> &'static str {
        match self {
            AutoTrigger::Build => "Build",
            AutoTrigger::Sync => "Sync",
            AutoTrigger::Deploy => "Deploy",
        }
    }
}

/// The current auto-trigger value of a phase.
pub fn auto_trigger(state: &State, phase: AutoTrigger) -> bool {
    let (build, sync, deploy) = auto_triggers(state);
    match phase {
        AutoTrigger::Build => build,
        AutoTrigger::Sync => sync,
        AutoTrigger::Deploy => deploy,
    }
}

/// Sets the auto-trigger value of a phase.
pub fn set_auto_trigger(state: &mut State, phase: AutoTrigger, value: bool) {
    match phase {
        AutoTrigger::Build => state.build_state.get_or_insert_default().auto_trigger = value,
        AutoTrigger::Sync => state.file_sync_state.get_or_insert_default().auto_trigger = value,
        AutoTrigger::Deploy => state.deploy_state.get_or_insert_default().auto_trigger = value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_proto::v2::{
        BuildSubtaskEvent, DebuggingContainerEvent, DeploySubtaskEvent, PortForwardEvent,
        StatusCheckSubtaskEvent, TaskEvent, TestSubtaskEvent,
    };

    fn init() -> State {
        initial_state(&InitialState {
            artifacts: vec!["app".into(), "web".into()],
            auto_build: true,
            auto_sync: false,
            auto_deploy: true,
            metadata: Metadata {
                run_id: "run-1".into(),
                ..Default::default()
            },
        })
    }

    fn ev(t: EventType) -> Event {
        Event {
            timestamp: None,
            event_type: Some(t),
        }
    }

    #[test]
    fn initial_state_is_all_not_started() {
        let s = init();
        let b = s.build_state.as_ref().unwrap();
        assert_eq!(b.artifacts["app"], "NotStarted");
        assert!(b.auto_trigger);
        assert!(!s.file_sync_state.as_ref().unwrap().auto_trigger);
        assert_eq!(s.status_check_state.as_ref().unwrap().status, "NotStarted");
        assert_eq!(s.exec_state.as_ref().unwrap().status, "NotStarted");
        assert_eq!(s.metadata.as_ref().unwrap().run_id, "run-1");
    }

    #[test]
    fn only_build_steps_change_artifacts() {
        let mut s = init();
        let sub = |step: &str, status: &str| {
            ev(EventType::BuildSubtaskEvent(BuildSubtaskEvent {
                artifact: "app".into(),
                step: step.into(),
                status: status.into(),
                ..Default::default()
            }))
        };
        apply(&mut s, &sub("Cache", "Failed"));
        assert_eq!(
            s.build_state.as_ref().unwrap().artifacts["app"],
            "NotStarted"
        );
        apply(&mut s, &sub("Build", "InProgress"));
        assert_eq!(
            s.build_state.as_ref().unwrap().artifacts["app"],
            "InProgress"
        );
        apply(&mut s, &sub("Build", "Succeeded"));
        assert_eq!(
            s.build_state.as_ref().unwrap().artifacts["app"],
            "Succeeded"
        );
    }

    #[test]
    fn phase_statuses_follow_subtasks() {
        let mut s = init();
        apply(
            &mut s,
            &ev(EventType::TestEvent(TestSubtaskEvent {
                status: "Failed".into(),
                ..Default::default()
            })),
        );
        apply(
            &mut s,
            &ev(EventType::DeploySubtaskEvent(DeploySubtaskEvent {
                status: "InProgress".into(),
                ..Default::default()
            })),
        );
        assert_eq!(s.test_state.as_ref().unwrap().status, "Failed");
        assert_eq!(s.deploy_state.as_ref().unwrap().status, "InProgress");
    }

    #[test]
    fn status_check_resources_and_status_follow_events() {
        let mut s = init();
        apply(
            &mut s,
            &ev(EventType::TaskEvent(TaskEvent {
                task: "StatusCheck".into(),
                status: "InProgress".into(),
                ..Default::default()
            })),
        );
        apply(
            &mut s,
            &ev(EventType::StatusCheckSubtaskEvent(
                StatusCheckSubtaskEvent {
                    resource: "ns:pod/foo".into(),
                    status: "Succeeded".into(),
                    ..Default::default()
                },
            )),
        );
        let sc = s.status_check_state.as_ref().unwrap();
        assert_eq!(sc.status, "InProgress");
        assert_eq!(sc.resources["ns:pod/foo"], "Succeeded");
    }

    #[test]
    fn ports_and_debugging_containers() {
        let mut s = init();
        apply(
            &mut s,
            &ev(EventType::PortEvent(PortForwardEvent {
                local_port: 9000,
                ..Default::default()
            })),
        );
        assert!(s.forwarded_ports.contains_key(&9000));
        let dbg = |status: &str| DebuggingContainerEvent {
            status: status.into(),
            pod_name: "p".into(),
            container_name: "c".into(),
            namespace: "ns".into(),
            ..Default::default()
        };
        apply(
            &mut s,
            &ev(EventType::DebuggingContainerEvent(dbg("Started"))),
        );
        assert_eq!(s.debugging_containers.len(), 1);
        apply(
            &mut s,
            &ev(EventType::DebuggingContainerEvent(dbg("Terminated"))),
        );
        assert!(s.debugging_containers.is_empty());
    }

    #[test]
    fn resets_match_skaffold() {
        let mut s = init();
        apply(
            &mut s,
            &ev(EventType::PortEvent(PortForwardEvent {
                local_port: 9000,
                ..Default::default()
            })),
        );
        apply(
            &mut s,
            &ev(EventType::DeploySubtaskEvent(DeploySubtaskEvent {
                status: "Succeeded".into(),
                ..Default::default()
            })),
        );
        set_auto_trigger(&mut s, AutoTrigger::Sync, true);
        let mut deployed = s.clone();
        reset_on_deploy(&mut deployed);
        assert!(deployed.forwarded_ports.is_empty());
        assert_eq!(deployed.deploy_state.as_ref().unwrap().status, "NotStarted");
        assert_eq!(deployed.build_state, s.build_state);

        apply(
            &mut s,
            &ev(EventType::TestEvent(TestSubtaskEvent {
                status: "Succeeded".into(),
                ..Default::default()
            })),
        );
        reset_on_build(&mut s);
        assert_eq!(s.test_state.as_ref().unwrap().status, "NotStarted");
        assert!(s.forwarded_ports.is_empty());
        assert!(
            auto_trigger(&s, AutoTrigger::Sync),
            "auto triggers survive a build reset"
        );
        assert_eq!(s.build_state.as_ref().unwrap().artifacts.len(), 2);
        assert_eq!(s.metadata.as_ref().unwrap().run_id, "run-1");
    }
}
