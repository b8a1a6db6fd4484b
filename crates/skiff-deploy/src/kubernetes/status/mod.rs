//! Skaffold's status check of deployed Deployments, StatefulSets and standalone pods, without
//! I/O or timers: the target lists the objects and passes them in with the current time.
//!
//! One [`ResourceCheck`] per workload: each poll the target diagnoses the workload's pods
//! ([`diagnose`], then the logs it asks for, then the pod's events), calls
//! [`ResourceCheck::observe`] and acts on the [`Progress`]; every [`REPORT_PERIOD`] it prints
//! [`ResourceCheck::report`] for the checks still pending; when a check finishes it records it
//! in the [`Aggregate`] and prints [`ResourceCheck::summary`].
//!
//! Where Skaffold is broken this does the right thing (each place says so): a failed
//! resource's event carries the failure rather than the last rollout message, the aggregate
//! failure keeps the failing resource's code and suggestion, a StatefulSet with the `OnDelete`
//! strategy is ready even when failures are tolerated, a report shows every change since the
//! previous report (Skaffold's only those of the last poll), and pods are judged from the same
//! snapshot as their workload rather than from the previous poll's.

mod aggregate;
mod deadline;
mod deployment;
mod events;
#[cfg(test)]
mod fixtures;
mod messages;
mod pod;
mod progress;
mod resource;
mod rollout;
mod standalone;
mod statefulset;
mod taints;
mod workload;

pub use aggregate::{Aggregate, Counts, Recorded};
pub use deadline::{
    DEFAULT_DEADLINE, Deadline, POLL_PERIOD, REPORT_PERIOD, TOLERANT_POLL_PERIOD,
    configured_deadline, deployment_deadline,
};
pub use deployment::deployment_rollout;
pub use messages::{WAITING, ready_line, resource_id, stabilized};
pub use pod::{PodDiagnosis, PodStatus, diagnose};
pub use progress::{CheckState, Progress, Report, SubtaskUpdate};
pub use resource::ResourceCheck;
pub use rollout::Rollout;
pub use statefulset::stateful_set_rollout;
pub use workload::{CheckSettings, Workload};
