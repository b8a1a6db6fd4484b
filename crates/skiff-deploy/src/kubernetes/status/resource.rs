//! One resource's status check as a state machine: each poll the target passes in the
//! workload and its diagnosed pods as it just read them, with the time, and gets back the
//! resource's state and the subtask events to emit.

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use skiff_events::errors::{Failure, actionable};
use skiff_events::{Status, StatusCheckUpdate};
use skiff_proto::enums::StatusCode;

use super::aggregate::Counts;
use super::deadline::{Deadline, POLL_PERIOD, TOLERANT_POLL_PERIOD, deployment_deadline};
use super::deployment::{self, deployment_rollout};
use super::messages::{self, failed_line, ready_line, resource_id};
use super::pod::PodStatus;
use super::progress::{
    CheckState, Progress, Report, SubtaskUpdate, pod_problem, pod_ready, succeeded,
};
use super::rollout::RolloutStatus;
use super::standalone;
use super::statefulset::stateful_set_rollout;
use super::workload::{CheckSettings, Workload, admission_failure};

/// The pod errors that end a resource's check at once (unless failures are tolerated until
/// the deadline): waiting longer will not fix them.
const UNRECOVERABLE: [StatusCode; 4] = [
    StatusCode::StatuscheckImagePullErr,
    StatusCode::StatuscheckRunContainerErr,
    StatusCode::StatuscheckContainerTerminated,
    StatusCode::StatuscheckContainerRestarting,
];

/// The kinds of resource Skaffold checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Deployment,
    StatefulSet,
    StandalonePods,
}

/// The status check of one Deployment, StatefulSet, or namespace's standalone pods.
#[derive(Debug, Clone)]
pub struct ResourceCheck {
    kind: Kind,
    name: String,
    namespace: String,
    deadline: Deadline,
    tolerate_failures: bool,
    /// The latest status of the workload itself.
    status: RolloutStatus,
    /// Whether the status or a pod's code changed since the last report.
    changed: bool,
    /// Whether the check is over.
    done: bool,
    /// The workload's pods as last seen, in name order.
    pods: Vec<PodStatus>,
}

impl ResourceCheck {
    /// The check of `deployment`, started at `started`; a Deployment's own
    /// `progressDeadlineSeconds` can replace the configured deadline.
    pub fn deployment(deployment: &Deployment, settings: CheckSettings, started: Instant) -> Self {
        let limit = deployment_deadline(settings.deadline, deployment);
        Self::new(
            Kind::Deployment,
            &deployment.metadata,
            limit,
            settings,
            started,
        )
    }

    /// The check of `set`, started at `started`.
    pub fn stateful_set(set: &StatefulSet, settings: CheckSettings, started: Instant) -> Self {
        Self::new(
            Kind::StatefulSet,
            &set.metadata,
            settings.deadline,
            settings,
            started,
        )
    }

    /// The check of the standalone pods of `namespace`, started at `started`.
    pub fn standalone_pods(namespace: &str, settings: CheckSettings, started: Instant) -> Self {
        let meta = ObjectMeta {
            namespace: Some(namespace.into()),
            ..ObjectMeta::default()
        };
        Self::new(
            Kind::StandalonePods,
            &meta,
            settings.deadline,
            settings,
            started,
        )
    }

    /// The check of the workload `meta` describes.
    fn new(
        kind: Kind,
        meta: &ObjectMeta,
        limit: Duration,
        settings: CheckSettings,
        started: Instant,
    ) -> Self {
        Self {
            kind,
            name: meta.name.clone().unwrap_or_default(),
            namespace: meta.namespace.clone().unwrap_or_default(),
            deadline: Deadline::new(limit, started),
            tolerate_failures: settings.tolerate_failures,
            status: RolloutStatus::new(StatusCode::Ok, ""),
            changed: false,
            done: false,
            pods: Vec::new(),
        }
    }

    /// The resource's subtask id: `deployment/web`, `dev:statefulset/db`, or `pods`.
    pub fn id(&self) -> String {
        match self.kind {
            Kind::Deployment => resource_id(&self.namespace, "deployment", &self.name),
            Kind::StatefulSet => resource_id(&self.namespace, "statefulset", &self.name),
            Kind::StandalonePods => "pods".to_owned(),
        }
    }

    /// How long the resource may take to stabilize.
    pub fn deadline(&self) -> Duration {
        self.deadline.limit()
    }

    /// Whether the check is over (succeeded, failed or cancelled).
    pub fn is_finished(&self) -> bool {
        self.done
    }

    /// Whether the check was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.status.code == StatusCode::StatuscheckUserCancelled
    }

    /// One poll: the workload and its pods (diagnosed from [`Workload::pods`]) as just read,
    /// at `now`. A finished check ignores further polls.
    pub fn observe(
        &mut self,
        workload: &Workload<'_>,
        pods: &[PodStatus],
        now: Instant,
    ) -> Progress {
        if self.done {
            return self.progress(Vec::new());
        }
        let mut pods: Vec<&PodStatus> = pods.iter().collect();
        pods.sort_by(|a, b| a.name.cmp(&b.name));
        let status = self.workload_status(workload, &pods);
        self.update_status(status);
        let updates = if self.status.code == StatusCode::StatuscheckSuccess {
            self.pods = pods.into_iter().cloned().collect();
            self.pods
                .iter()
                .filter(|pod| pod.phase != "Succeeded")
                .map(pod_ready)
                .collect()
        } else if let Some(refused) = admission_failure(workload) {
            self.update_status(RolloutStatus::new(StatusCode::StatuscheckUnknown, refused));
            Vec::new()
        } else {
            self.record_pods(pods)
        };
        if !self.done && self.unrecoverable() && !self.tolerate_failures {
            self.done = true;
        }
        self.check_deadline(now);
        self.progress(updates)
    }

    /// A poll that could not read the workload because the cluster did not answer: the
    /// resource stays pending (until its deadline) with `STATUSCHECK_KUBECTL_CONNECTION_ERR`.
    pub fn observe_unreachable(&mut self, error: &str, now: Instant) -> Progress {
        if !self.done {
            self.update_status(RolloutStatus::new(
                StatusCode::StatuscheckKubectlConnectionErr,
                format!("cannot reach the cluster: {error}\n"),
            ));
            self.check_deadline(now);
        }
        self.progress(Vec::new())
    }

    /// Cancels the check of a resource still pending (the user stopped, or another resource
    /// failed first).
    pub fn cancel(&mut self) {
        if !self.done {
            self.update_status(RolloutStatus::new(
                StatusCode::StatuscheckUserCancelled,
                "check cancelled\n",
            ));
        }
    }

    /// The periodic report of a pending resource (Skaffold's every-5-seconds line): `None`
    /// when the check is over, nothing changed since the last report, or there is nothing to
    /// say. (Skaffold only notices pod changes made in the poll just before a report; here
    /// every change since the last report counts.)
    pub fn report(&mut self) -> Option<Report> {
        if self.done {
            return None;
        }
        let text = self.report_text()?;
        let update = StatusCheckUpdate {
            message: self.status.message.clone(),
            status_code: self.status.code as i32,
            err: Some(actionable(
                self.status.code,
                self.status.message.clone(),
                None,
            )),
        };
        Some(Report {
            update: self.subtask(Status::InProgress, update),
            text,
        })
    }

    /// The lines and event for a finished resource, given the counts after it was recorded:
    /// `is ready.` with the pending count, or the pending report (if not yet shown) and
    /// `failed. Error: …`. Nothing for a cancelled check.
    ///
    /// Skaffold's failed event carries the resource's last rollout message and code; here it
    /// carries the failure the line shows.
    pub fn summary(&mut self, counts: Counts) -> Option<Report> {
        if self.status_code() == StatusCode::StatuscheckUserCancelled {
            return None;
        }
        let id = self.id();
        if self.status.code == StatusCode::StatuscheckSuccess {
            return Some(Report {
                update: self.subtask(Status::Succeeded, succeeded()),
                text: ready_line(&id, counts.pending, counts.total),
            });
        }
        let mut text = self.report_text().unwrap_or_default();
        text.push_str(&failed_line(&id, &self.status_message()));
        let failure = self.failure();
        let update = StatusCheckUpdate {
            message: String::new(),
            status_code: failure.code as i32,
            err: Some(failure.actionable()),
        };
        Some(Report {
            update: self.subtask(Status::Failed, update),
            text,
        })
    }

    /// The resource's code: success or cancellation as such, else the first failing pod's
    /// code, else the workload's.
    pub fn status_code(&self) -> StatusCode {
        match self.status.code {
            code @ (StatusCode::StatuscheckUserCancelled | StatusCode::StatuscheckSuccess) => code,
            code => self.failing_pod().map_or(code, |pod| pod.code),
        }
    }

    /// Why the resource is not stable: its code, the first failing pod's message (else the
    /// workload's) and that pod's suggestion.
    pub fn failure(&self) -> Failure {
        Failure {
            code: self.status_code(),
            message: self.status_message().trim_end_matches('\n').to_owned(),
            suggestion: self.failing_pod().and_then(|pod| pod.suggestion.clone()),
        }
    }

    fn workload_status(&self, workload: &Workload<'_>, pods: &[&PodStatus]) -> RolloutStatus {
        match workload {
            Workload::Deployment { deployment, .. } => deployment_rollout(deployment)
                .status(self.tolerate_failures, |text| {
                    deployment::clean(&self.name, text)
                }),
            Workload::StatefulSet(set) => {
                stateful_set_rollout(set).status(self.tolerate_failures, str::to_owned)
            }
            Workload::StandalonePods => standalone::status(pods),
        }
    }

    /// Records the workload's status; a new one is to be reported.
    fn update_status(&mut self, status: RolloutStatus) {
        if self.status != status {
            self.done = status.is_final();
            self.status = status;
            self.changed = true;
        }
    }

    /// Records the pods, returning an event for each pod whose code changed to a problem.
    fn record_pods(&mut self, pods: Vec<&PodStatus>) -> Vec<SubtaskUpdate> {
        let mut updates = Vec::new();
        for pod in &pods {
            let known = self.pods.iter().find(|p| p.name == pod.name);
            if known.is_some_and(|p| p.code == pod.code) {
                continue;
            }
            self.changed = true;
            if pod.code != StatusCode::StatuscheckSuccess && !pod.message.is_empty() {
                updates.push(pod_problem(pod));
            }
        }
        self.pods = pods.into_iter().cloned().collect();
        updates
    }

    fn unrecoverable(&self) -> bool {
        self.pods
            .iter()
            .any(|pod| UNRECOVERABLE.contains(&pod.code))
    }

    fn check_deadline(&mut self, now: Instant) {
        if !self.done && self.deadline.passed(now) {
            self.update_status(RolloutStatus::new(
                StatusCode::StatuscheckDeadlineExceeded,
                self.deadline.exceeded_message(),
            ));
        }
    }

    fn progress(&self, updates: Vec<SubtaskUpdate>) -> Progress {
        let state = if !self.done {
            let slow = self.tolerate_failures && self.unrecoverable();
            CheckState::Pending {
                next_poll: if slow {
                    TOLERANT_POLL_PERIOD
                } else {
                    POLL_PERIOD
                },
            }
        } else {
            match self.status_code() {
                StatusCode::StatuscheckSuccess => CheckState::Succeeded,
                StatusCode::StatuscheckUserCancelled => CheckState::Cancelled,
                _ => CheckState::Failed(self.failure()),
            }
        };
        Progress { state, updates }
    }

    fn failing_pod(&self) -> Option<&PodStatus> {
        self.pods
            .iter()
            .find(|pod| pod.code != StatusCode::StatuscheckSuccess)
    }

    /// The first failing pod's message, else the workload's.
    fn status_message(&self) -> String {
        match self.failing_pod() {
            Some(pod) => format!("{}\n", pod.message),
            None => self.status.message.clone(),
        }
    }

    /// The report text, once per change: the status, then each pod with a problem.
    fn report_text(&mut self) -> Option<String> {
        if !std::mem::take(&mut self.changed) {
            return None;
        }
        if self.status.message.is_empty() {
            return None;
        }
        let pods = self
            .pods
            .iter()
            .filter(|pod| !pod.message.is_empty())
            .map(|pod| (pod.id(), pod.message.as_str(), pod.logs.as_slice()));
        Some(messages::report(&self.id(), &self.status_message(), pods))
    }

    fn subtask(&self, status: Status, update: StatusCheckUpdate) -> SubtaskUpdate {
        SubtaskUpdate {
            id: self.id(),
            status,
            update,
            log: None,
        }
    }
}

#[cfg(test)]
#[path = "resource_tests.rs"]
mod tests;
