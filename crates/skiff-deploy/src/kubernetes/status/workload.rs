//! What the target passes to a status check each poll: the workload as it just read it.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::Pod;

use super::{deployment, standalone, statefulset};

/// How the status check is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckSettings {
    /// The configured deadline ([`configured_deadline`](super::configured_deadline)).
    pub deadline: Duration,
    /// `tolerateFailuresUntilDeadline`: keep polling after errors until the deadline.
    pub tolerate_failures: bool,
}

/// A workload as the target just read it.
#[derive(Debug, Clone, Copy)]
pub enum Workload<'a> {
    /// A Deployment and the ReplicaSets of its namespace.
    Deployment {
        /// The Deployment.
        deployment: &'a Deployment,
        /// The namespace's ReplicaSets (those the Deployment controls are picked out).
        replica_sets: &'a [ReplicaSet],
    },
    /// A StatefulSet.
    StatefulSet(&'a StatefulSet),
    /// The standalone pods of a namespace, judged from the pods alone.
    StandalonePods,
}

impl Workload<'_> {
    /// The pods, among the namespace's pods labelled with the run's id, whose state counts
    /// for this workload: those of a Deployment's current ReplicaSet, those a StatefulSet
    /// controls, or those no controller owns.
    pub fn pods<'p>(&self, pods: &'p [Pod]) -> Vec<&'p Pod> {
        match self {
            Self::Deployment {
                deployment,
                replica_sets,
            } => deployment::pods_of(deployment, replica_sets, pods),
            Self::StatefulSet(set) => statefulset::pods_of(set, pods),
            Self::StandalonePods => standalone::pods_of(pods),
        }
    }
}

/// Why a Deployment's current ReplicaSet cannot create pods, if an admission webhook refused.
pub(super) fn admission_failure(workload: &Workload<'_>) -> Option<String> {
    match workload {
        Workload::Deployment {
            deployment,
            replica_sets,
        } => deployment::admission_failure(deployment, replica_sets),
        _ => None,
    }
}
