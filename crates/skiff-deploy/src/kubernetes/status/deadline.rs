//! How long a resource may take to stabilize, and when that time is up.

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use skiff_events::duration::go_duration;

/// The deadline when no config sets `statusCheckDeadlineSeconds`.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(600);

/// How often Skaffold polls each resource.
pub const POLL_PERIOD: Duration = Duration::from_secs(1);

/// How often it polls a resource whose pods hit an unrecoverable error while failures are
/// tolerated until the deadline (slower, to spare the API server).
pub const TOLERANT_POLL_PERIOD: Duration = Duration::from_secs(10);

/// How often it reports the resources that are still pending.
pub const REPORT_PERIOD: Duration = Duration::from_secs(5);

/// The `progressDeadlineSeconds` the API server gives a Deployment that sets none; a
/// Deployment with this value gets the configured deadline instead.
const KUBERNETES_DEFAULT_PROGRESS_DEADLINE: i32 = 600;

/// The deadline the configs ask for: the largest positive `statusCheckDeadlineSeconds` among
/// them, else [`DEFAULT_DEADLINE`].
pub fn configured_deadline(seconds_per_config: impl IntoIterator<Item = i32>) -> Duration {
    seconds_per_config
        .into_iter()
        .max()
        .and_then(|s| u64::try_from(s).ok())
        .filter(|&s| s > 0)
        .map_or(DEFAULT_DEADLINE, Duration::from_secs)
}

/// A Deployment's deadline: its own `progressDeadlineSeconds` when it sets one other than
/// Kubernetes' default of 600, else `configured`.
pub fn deployment_deadline(configured: Duration, deployment: &Deployment) -> Duration {
    let own = deployment
        .spec
        .as_ref()
        .and_then(|spec| spec.progress_deadline_seconds);
    match own {
        Some(seconds) if seconds != KUBERNETES_DEFAULT_PROGRESS_DEADLINE => {
            Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
        }
        _ => configured,
    }
}

/// A resource's deadline, counted from when its check started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    limit: Duration,
    started: Instant,
}

impl Deadline {
    /// A deadline `limit` after `started`.
    pub fn new(limit: Duration, started: Instant) -> Self {
        Self { limit, started }
    }

    /// How long the resource may take.
    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// Whether the time is up at `now`. As in Skaffold, one more poll period is allowed after
    /// the limit, for a last look.
    pub fn passed(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.started) >= self.limit + POLL_PERIOD
    }

    /// Why a resource that was still pending failed: `could not stabilize within 10m0s`.
    pub fn exceeded_message(&self) -> String {
        format!("could not stabilize within {}\n", go_duration(self.limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubernetes::status::fixtures::object;

    #[test]
    fn the_largest_configured_deadline_wins_and_unset_means_ten_minutes() {
        assert_eq!(configured_deadline([]), DEFAULT_DEADLINE);
        assert_eq!(configured_deadline([0]), DEFAULT_DEADLINE);
        assert_eq!(configured_deadline([-5]), DEFAULT_DEADLINE);
        assert_eq!(configured_deadline([30, 90, 0]), Duration::from_secs(90));
    }

    #[test]
    fn a_deployment_s_own_progress_deadline_wins_unless_it_is_the_default() {
        let configured = Duration::from_secs(90);
        let with = |seconds: &str| -> Deployment {
            object(&format!(
                "metadata: {{name: web}}\nspec: {{progressDeadlineSeconds: {seconds}, selector: {{}}}}"
            ))
        };
        assert_eq!(
            deployment_deadline(configured, &with("30")),
            Duration::from_secs(30)
        );
        assert_eq!(deployment_deadline(configured, &with("600")), configured);
        assert_eq!(
            deployment_deadline(configured, &object("metadata: {name: web}")),
            configured
        );
    }

    #[test]
    fn the_deadline_passes_one_poll_after_its_limit() {
        let start = Instant::now();
        let deadline = Deadline::new(Duration::from_secs(30), start);
        assert!(!deadline.passed(start + Duration::from_secs(30)));
        assert!(deadline.passed(start + Duration::from_secs(31)));
        assert_eq!(
            deadline.exceeded_message(),
            "could not stabilize within 30s\n"
        );
        assert_eq!(
            Deadline::new(DEFAULT_DEADLINE, start).exceeded_message(),
            "could not stabilize within 10m0s\n"
        );
    }
}
