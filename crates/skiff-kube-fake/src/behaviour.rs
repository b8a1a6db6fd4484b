//! How a scripted container behaves once its pod exists: the kubelet simulation turns this into
//! the pod status a real kubelet would report.

use std::time::Duration;

/// The fate of a container (or, for [`PodBehaviour::Unschedulable`], of its whole pod).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PodBehaviour {
    /// Pulled, started, ready at once.
    Ready,
    /// `ContainerCreating` for the given time, then ready.
    ReadyAfter(Duration),
    /// Running but never ready (a failing readiness probe).
    NotReady,
    /// Waiting with `ErrImagePull`.
    ErrImagePull,
    /// Waiting with `ImagePullBackOff` (`Back-off pulling image "…"`).
    ImagePullBackOff,
    /// Started, exited with `exit_code` and restarted `restarts` times; waiting in `CrashLoopBackOff`.
    CrashLoopBackOff {
        /// Exit code of the last run.
        exit_code: i32,
        /// `restartCount`.
        restarts: u32,
    },
    /// Waiting with any other reason (`ContainerCreating`, `RunContainerError`,
    /// `CreateContainerConfigError`, …).
    Waiting {
        /// `state.waiting.reason`.
        reason: String,
        /// `state.waiting.message`.
        message: String,
    },
    /// The pod is never scheduled: `PodScheduled=False`, reason `Unschedulable`.
    Unschedulable {
        /// The scheduler's message (`0/1 nodes are available: 1 Insufficient cpu.`).
        message: String,
    },
    /// Ran to completion with exit code 0 (a Job's pod): phase `Succeeded` once all containers are done.
    Completed,
    /// Terminated with a non-zero exit code: phase `Failed` once all containers are done.
    Failed {
        /// The exit code.
        exit_code: i32,
    },
}
