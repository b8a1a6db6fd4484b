//! Skaffold's pod validator: what state a pod is in, read from its conditions, its
//! containers, the logs of a failing container and its most recent event.

use k8s_openapi::api::core::v1::{
    ContainerStateWaiting, ContainerStatus, Event, Pod, PodCondition, PodStatus as K8sPodStatus,
};
use skiff_events::errors::Failure;
use skiff_proto::enums::{StatusCode, SuggestionCode};

use super::events::{self, PodRef};
use super::messages::resource_id;
use super::taints;

/// What logs containing this say about a container: its binary is for another platform.
const EXEC_FORMAT_ERROR: &str = "exec format error";

/// Where Docker's own explanation starts in a `RunContainerError` message.
const DAEMON_ERROR: &str = "Error response from daemon:";

/// One pod's state as the status check reports it (Skaffold's validated pod resource).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodStatus {
    /// The pod's name.
    pub name: String,
    /// The pod's namespace.
    pub namespace: String,
    /// Its phase: `Pending`, `Running`, `Succeeded`, `Failed` (empty when not reported).
    pub phase: String,
    /// Whether its `Ready` condition is true.
    pub ready: bool,
    /// `STATUSCHECK_SUCCESS` for a pod in good health, else why it is not.
    pub code: StatusCode,
    /// What is wrong with it (empty for a pod in good health or one merely starting).
    pub message: String,
    /// What the user can do about it, for the codes Skaffold has a suggestion for.
    pub suggestion: Option<(SuggestionCode, String)>,
    /// The failing container's log lines, `[pod container] line`.
    pub logs: Vec<String>,
}

impl PodStatus {
    /// The pod's id in events and lines: `pod/<name>`, or `<namespace>:pod/<name>`.
    pub fn id(&self) -> String {
        resource_id(&self.namespace, "pod", &self.name)
    }

    /// The pod's problem as a failure.
    pub(super) fn failure(&self) -> Failure {
        Failure {
            code: self.code,
            message: self.message.clone(),
            suggestion: self.suggestion.clone(),
        }
    }
}

/// A pod whose conditions and containers were read, waiting for the logs of the container
/// [`logs_wanted`](Self::logs_wanted) names, if any, and for the pod's events.
#[derive(Debug, Clone)]
pub struct PodDiagnosis {
    status: PodStatus,
    uid: Option<String>,
    logs_of: Option<String>,
}

/// Starts diagnosing `pod`.
pub fn diagnose(pod: &Pod) -> PodDiagnosis {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let status = pod.status.clone().unwrap_or_default();
    let conditions = status.conditions.as_deref().unwrap_or_default();
    let phase = status.phase.clone().unwrap_or_default();
    let assessment = if phase == "Succeeded" {
        Assessment::healthy()
    } else {
        assess(&name, &status)
    };
    PodDiagnosis {
        status: PodStatus {
            namespace: pod.metadata.namespace.clone().unwrap_or_default(),
            ready: has(conditions, "Ready", "True"),
            phase,
            code: assessment.code,
            message: assessment.message,
            suggestion: None,
            logs: Vec::new(),
            name,
        },
        uid: pod.metadata.uid.clone(),
        logs_of: assessment.logs_of,
    }
}

impl PodDiagnosis {
    /// The container whose logs would explain the pod's state (it crashed, exited with an
    /// error, or is an init container still running).
    pub fn logs_wanted(&self) -> Option<&str> {
        self.logs_of.as_deref()
    }

    /// The pod's status, given the logs of the container [`logs_wanted`](Self::logs_wanted)
    /// names (their text, or why they could not be read; `None` when not fetched) and the
    /// events of its namespace.
    pub fn finish(mut self, logs: Option<Result<String, String>>, events: &[Event]) -> PodStatus {
        if let (Some(container), Some(logs)) = (self.logs_of.as_deref(), logs) {
            if logs
                .as_ref()
                .is_ok_and(|text| text.contains(EXEC_FORMAT_ERROR))
            {
                self.status.code = StatusCode::StatuscheckContainerExecError;
            }
            self.status.logs = log_lines(&self.status, container, logs);
        }
        let status = &mut self.status;
        if events::refinable(status.code) {
            let pod = PodRef {
                name: &status.name,
                namespace: &status.namespace,
                uid: self.uid.as_deref(),
            };
            if let Some((code, message)) = events::latest_warning(&pod, events) {
                status.code = code;
                status.message = message;
            }
        }
        status.suggestion = suggestion(status.code);
        self.status
    }
}

/// A pod's state before its logs and events are looked at.
struct Assessment {
    code: StatusCode,
    message: String,
    logs_of: Option<String>,
}

impl Assessment {
    fn new(code: StatusCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            logs_of: None,
        }
    }

    fn healthy() -> Self {
        Self::new(StatusCode::StatuscheckSuccess, "")
    }

    fn with_logs_of(mut self, container: &str) -> Self {
        self.logs_of = Some(container.to_owned());
        self
    }
}

/// The state of a pod that has not succeeded, from its conditions and then its containers.
fn assess(name: &str, status: &K8sPodStatus) -> Assessment {
    let conditions = status.conditions.as_deref().unwrap_or_default();
    if has(conditions, "Ready", "True") {
        return Assessment::healthy();
    }
    if let Some(c) = find(conditions, "PodScheduled", "False") {
        let (code, message) = taints::unschedulable(
            c.reason.as_deref().unwrap_or_default(),
            c.message.as_deref().unwrap_or_default(),
        );
        return Assessment::new(code, message);
    }
    let scheduled = conditions.iter().any(|c| {
        matches!(
            (c.type_.as_str(), c.status.as_str()),
            ("PodScheduled", "True") | ("ContainersReady", "False") | ("Ready", "False")
        )
    });
    if scheduled {
        return containers(status);
    }
    if let Some(c) = conditions.iter().find(|c| c.status == "Unknown") {
        return Assessment::new(
            StatusCode::StatuscheckUnknown,
            c.message.clone().unwrap_or_default(),
        );
    }
    Assessment::new(
        StatusCode::StatuscheckUnknown,
        format!("unable to determine current service state of pod \"{name}\""),
    )
}

/// The state of a scheduled pod from its containers, init containers first: the first one
/// waiting or exited with an error decides.
fn containers(status: &K8sPodStatus) -> Assessment {
    let init = status
        .init_container_statuses
        .as_deref()
        .unwrap_or_default();
    let main = status.container_statuses.as_deref().unwrap_or_default();
    for container in init.iter().chain(main) {
        let Some(state) = container.state.as_ref() else {
            continue;
        };
        if let Some(waiting) = &state.waiting {
            let assessment = waiting_container(container, waiting);
            if assessment.code == StatusCode::StatuscheckPodInitializing {
                return initializing(init).unwrap_or(assessment);
            }
            return assessment;
        }
        if let Some(exit_code) = state
            .terminated
            .as_ref()
            .map(|t| t.exit_code)
            .filter(|&code| code != 0)
        {
            return Assessment::new(
                StatusCode::StatuscheckContainerTerminated,
                format!(
                    "container {} terminated with exit code {exit_code}",
                    container.name
                ),
            )
            .with_logs_of(&container.name);
        }
    }
    Assessment::healthy()
}

/// What the first init container still waiting or running holds the pod up with.
fn initializing(init: &[ContainerStatus]) -> Option<Assessment> {
    init.iter().find_map(|c| {
        let state = c.state.as_ref()?;
        let code = StatusCode::StatuscheckPodInitializing;
        if state.waiting.is_some() {
            Some(Assessment::new(
                code,
                format!("waiting for init container {} to start", c.name),
            ))
        } else if state.running.is_some() {
            Some(
                Assessment::new(
                    code,
                    format!("waiting for init container {} to complete", c.name),
                )
                .with_logs_of(&c.name),
            )
        } else {
            None
        }
    })
}

/// The state of a pod with a container waiting for `waiting.reason`.
fn waiting_container(container: &ContainerStatus, waiting: &ContainerStateWaiting) -> Assessment {
    let name = &container.name;
    let reason = waiting.reason.as_deref().unwrap_or_default();
    let message = waiting.message.as_deref().unwrap_or_default();
    match reason {
        "PodInitializing" => Assessment::new(StatusCode::StatuscheckPodInitializing, ""),
        "ContainerCreating" => Assessment::new(
            StatusCode::StatuscheckContainerCreating,
            format!("creating container {name}"),
        ),
        "CrashLoopBackOff" => Assessment::new(
            StatusCode::StatuscheckContainerRestarting,
            format!("container {name} is backing off waiting to restart"),
        )
        .with_logs_of(name),
        "ErrImagePull" | "ImagePullBackOff" | "ErrImagePullBackOff" => Assessment::new(
            StatusCode::StatuscheckImagePullErr,
            format!(
                "container {name} is waiting to start: {} can't be pulled",
                container.image
            ),
        ),
        "RunContainerError" if daemon_error(message).is_some() => Assessment::new(
            StatusCode::StatuscheckRunContainerErr,
            format!(
                "container {name} in error: {}",
                daemon_error(message).unwrap_or_default()
            ),
        ),
        // Go's rendering of the waiting state, as Skaffold prints it.
        _ => Assessment::new(
            StatusCode::StatuscheckContainerWaitingUnknown,
            format!(
                "container {name} in error: &ContainerStateWaiting{{Reason:{reason},Message:{message},}}"
            ),
        ),
    }
}

/// Docker's explanation in a `RunContainerError` message: the rest of the line after
/// `Error response from daemon:`, without surrounding spaces.
fn daemon_error(message: &str) -> Option<&str> {
    let start = message.find(DAEMON_ERROR)? + DAEMON_ERROR.len();
    let rest = &message[start..];
    Some(
        rest.split('\n')
            .next()
            .unwrap_or_default()
            .trim_matches(' '),
    )
}

/// The log lines a pod's status carries for `container`; logs showing a binary built for
/// another platform turn the pod's code into `STATUSCHECK_CONTAINER_EXEC_ERROR`.
fn log_lines(status: &PodStatus, container: &str, logs: Result<String, String>) -> Vec<String> {
    let pod = &status.name;
    match logs {
        Ok(text) => text
            .split('\n')
            .filter(|line| !line.is_empty())
            .map(|line| format!("[{pod} {container}] {line}"))
            .collect(),
        Err(error) => vec![format!(
            "Error retrieving logs for pod {pod}: {error}.\nTry `kubectl logs {pod} -n {} -c {container}`",
            status.namespace
        )],
    }
}

/// Skaffold's suggestion for a pod with `code`.
fn suggestion(code: StatusCode) -> Option<(SuggestionCode, String)> {
    let (suggestion, action) = match code {
        StatusCode::StatuscheckContainerTerminated => (
            SuggestionCode::CheckContainerLogs,
            "Try checking container logs",
        ),
        StatusCode::StatuscheckUnhealthy => (
            SuggestionCode::CheckReadinessProbe,
            "Try checking container config `readinessProbe`",
        ),
        StatusCode::StatuscheckImagePullErr => (
            SuggestionCode::CheckContainerImage,
            "Try checking container config `image`",
        ),
        _ => return None,
    };
    Some((suggestion, action.to_owned()))
}

fn find<'c>(conditions: &'c [PodCondition], kind: &str, status: &str) -> Option<&'c PodCondition> {
    conditions
        .iter()
        .find(|c| c.type_ == kind && c.status == status)
}

fn has(conditions: &[PodCondition], kind: &str, status: &str) -> bool {
    find(conditions, kind, status).is_some()
}

#[cfg(test)]
#[path = "pod_tests.rs"]
mod tests;
