//! What a status check hands back: the resource's state, the subtask events to emit and the
//! text for the terminal.

use std::time::Duration;

use skiff_events::errors::Failure;
use skiff_events::{Status, StatusCheckUpdate};
use skiff_proto::enums::StatusCode;

use super::messages::{pod_running_log, pod_update_log};
use super::pod::PodStatus;

/// Where a resource's check stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckState {
    /// Not stable yet: look again after `next_poll`.
    Pending {
        /// How long to wait before the next poll.
        next_poll: Duration,
    },
    /// Rolled out.
    Succeeded,
    /// Failed, or could not stabilize before the deadline.
    Failed(Failure),
    /// The check was cancelled (by the user, or because another resource failed).
    Cancelled,
}

/// A `statusCheckSubtaskEvent` to emit.
#[derive(Debug, Clone)]
pub struct SubtaskUpdate {
    /// The subtask id: the resource (`deployment/web`, `dev:pod/web-1`, `pods`).
    pub id: String,
    /// `InProgress`, `Succeeded` or `Failed`.
    pub status: Status,
    /// The message, code and error the event carries.
    pub update: StatusCheckUpdate,
    /// The text of the `skaffoldLogEvent` Skaffold emits with it (subtask `id`, not written
    /// to the terminal).
    pub log: Option<String>,
}

/// What one poll of a resource found.
#[derive(Debug, Clone)]
pub struct Progress {
    /// The resource's state.
    pub state: CheckState,
    /// Events for the pods whose state changed, or that are ready once the resource is.
    pub updates: Vec<SubtaskUpdate>,
}

/// A resource's event and the text written to the terminal (under subtask `update.id`) with
/// it.
#[derive(Debug, Clone)]
pub struct Report {
    /// The resource's `statusCheckSubtaskEvent`.
    pub update: SubtaskUpdate,
    /// The lines for the terminal.
    pub text: String,
}

/// The update of a subtask that succeeded.
pub(super) fn succeeded() -> StatusCheckUpdate {
    StatusCheckUpdate {
        message: Status::Succeeded.as_str().to_owned(),
        status_code: StatusCode::StatuscheckSuccess as i32,
        err: None,
    }
}

/// The event for a pod of a workload that rolled out.
pub(super) fn pod_ready(pod: &PodStatus) -> SubtaskUpdate {
    let id = pod.id();
    SubtaskUpdate {
        log: Some(pod_running_log(&id)),
        id,
        status: Status::Succeeded,
        update: succeeded(),
    }
}

/// The event for a pod whose code changed to a problem.
pub(super) fn pod_problem(pod: &PodStatus) -> SubtaskUpdate {
    let id = pod.id();
    SubtaskUpdate {
        log: Some(pod_update_log(&id, &pod.message)),
        id,
        status: Status::InProgress,
        update: StatusCheckUpdate {
            message: pod.message.clone(),
            status_code: pod.code as i32,
            err: Some(pod.failure().actionable()),
        },
    }
}
