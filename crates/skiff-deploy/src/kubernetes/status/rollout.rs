//! A workload's rollout as `kubectl rollout status --watch=false` reports it, and the status
//! Skaffold makes of that report.

use skiff_proto::enums::StatusCode;

/// What `kubectl rollout status --watch=false` says about a workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollout {
    /// Still rolling out: what kubectl prints, e.g. `Waiting for deployment "web" rollout to
    /// finish: 0 of 1 updated replicas are available...\n`.
    Pending(String),
    /// Rolled out: `deployment "web" successfully rolled out\n`.
    Done(String),
    /// kubectl fails with this error, e.g. `deployment "web" exceeded its progress deadline`.
    Failed(String),
}

/// A workload's status code and message for one poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RolloutStatus {
    pub code: StatusCode,
    pub message: String,
}

impl RolloutStatus {
    pub fn new(code: StatusCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// Whether the check of a resource with this status is over: it succeeded, or failed in a
    /// way polling again cannot fix.
    pub fn is_final(&self) -> bool {
        !matches!(
            self.code,
            StatusCode::StatuscheckKubectlConnectionErr
                | StatusCode::StatuscheckDeploymentRolloutPending
                | StatusCode::StatuscheckStandalonePodsPending
                | StatusCode::StatuscheckConfigConnectorInProgress
                | StatusCode::StatuscheckCustomResourceInProgress
                | StatusCode::StatuscheckNodeUnschedulable
                | StatusCode::StatuscheckUnknownUnschedulable
        )
    }
}

impl Rollout {
    /// The status Skaffold gives this report, with kubectl's text passed through `clean`. A
    /// failure counts as pending, with no message, while failures are tolerated.
    pub(super) fn status(
        &self,
        tolerate_failures: bool,
        clean: impl Fn(&str) -> String,
    ) -> RolloutStatus {
        match self {
            Self::Done(text) => RolloutStatus::new(StatusCode::StatuscheckSuccess, clean(text)),
            Self::Pending(text) => {
                RolloutStatus::new(StatusCode::StatuscheckDeploymentRolloutPending, clean(text))
            }
            Self::Failed(_) if tolerate_failures => {
                RolloutStatus::new(StatusCode::StatuscheckDeploymentRolloutPending, "")
            }
            Self::Failed(error) => {
                RolloutStatus::new(StatusCode::StatuscheckUnknown, error.clone())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rollout_report_becomes_a_status() {
        let keep = |s: &str| s.to_owned();
        assert_eq!(
            Rollout::Done("done\n".into()).status(false, keep),
            RolloutStatus::new(StatusCode::StatuscheckSuccess, "done\n")
        );
        assert_eq!(
            Rollout::Pending("Waiting\n".into()).status(false, |s| s.to_lowercase()),
            RolloutStatus::new(StatusCode::StatuscheckDeploymentRolloutPending, "waiting\n")
        );
        let failed = Rollout::Failed("exceeded".into());
        assert_eq!(
            failed.status(false, keep),
            RolloutStatus::new(StatusCode::StatuscheckUnknown, "exceeded")
        );
        assert_eq!(
            failed.status(true, keep),
            RolloutStatus::new(StatusCode::StatuscheckDeploymentRolloutPending, "")
        );
    }

    #[test]
    fn only_pending_codes_keep_a_check_going() {
        let status = |code| RolloutStatus::new(code, "");
        assert!(status(StatusCode::StatuscheckSuccess).is_final());
        assert!(status(StatusCode::StatuscheckUnknown).is_final());
        assert!(status(StatusCode::StatuscheckDeadlineExceeded).is_final());
        assert!(!status(StatusCode::StatuscheckDeploymentRolloutPending).is_final());
        assert!(!status(StatusCode::StatuscheckStandalonePodsPending).is_final());
        assert!(!status(StatusCode::StatuscheckKubectlConnectionErr).is_final());
    }
}
