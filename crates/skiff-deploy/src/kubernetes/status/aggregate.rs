//! The outcome of a whole status check, from the outcomes of its resources.

use skiff_events::errors::Failure;
use skiff_proto::enums::StatusCode;

use super::resource::ResourceCheck;

/// How many resources a status check has, and how many are still pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// All resources checked.
    pub total: usize,
    /// Those not finished yet.
    pub pending: usize,
}

/// What recording a finished resource means for the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// The counts after this resource, for its summary line.
    pub counts: Counts,
    /// Whether the other resources' checks are to be cancelled: this one failed and the check
    /// fails fast.
    pub cancel_others: bool,
}

/// Tallies finished resources into the status check's result.
#[derive(Debug, Clone)]
pub struct Aggregate {
    total: usize,
    pending: usize,
    failed: usize,
    cancelled: usize,
    fail_fast: bool,
    first_failure: Option<Failure>,
}

impl Aggregate {
    /// The tally of `total` resources. With `fail_fast` (Skaffold's default) the first failure
    /// cancels the other checks and gives the result its code.
    pub fn new(total: usize, fail_fast: bool) -> Self {
        Self {
            total,
            pending: total,
            failed: 0,
            cancelled: 0,
            fail_fast,
            first_failure: None,
        }
    }

    /// Records a finished resource.
    pub fn record(&mut self, check: &ResourceCheck) -> Recorded {
        self.pending = self.pending.saturating_sub(1);
        let failed = if check.is_cancelled() {
            self.cancelled += 1;
            false
        } else {
            check.status_code() != StatusCode::StatuscheckSuccess
        };
        if failed {
            self.failed += 1;
            if self.fail_fast && self.first_failure.is_none() {
                self.first_failure = Some(check.failure());
            }
        }
        Recorded {
            counts: Counts {
                total: self.total,
                pending: self.pending,
            },
            cancel_others: failed && self.fail_fast,
        }
    }

    /// The status check's result: `N/M deployment(s) status check cancelled` when every
    /// check was cancelled, `N/M deployment(s) failed` when any failed, else success.
    ///
    /// A failure has the first failing resource's code (`STATUSCHECK_INTERNAL_ERROR` without
    /// fail-fast, as in Skaffold) and, unlike Skaffold, that resource's suggestion.
    pub fn finish(&self) -> Result<(), Failure> {
        if self.total > 0 && self.cancelled == self.total {
            return Err(Failure::new(
                StatusCode::StatuscheckUserCancelled,
                format!(
                    "{}/{} deployment(s) status check cancelled",
                    self.cancelled, self.total
                ),
            ));
        }
        if self.failed == 0 {
            return Ok(());
        }
        let message = format!("{}/{} deployment(s) failed", self.failed, self.total);
        Err(match &self.first_failure {
            Some(first)
                if !matches!(first.code, StatusCode::StatuscheckSuccess | StatusCode::Ok) =>
            {
                Failure {
                    code: first.code,
                    message,
                    suggestion: first.suggestion.clone(),
                }
            }
            _ => Failure::new(StatusCode::StatuscheckInternalError, message),
        })
    }
}
