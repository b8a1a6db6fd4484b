//! A pipeline that failed: the phase and what Skaffold reports for it.

use skiff_events::Phase;
use skiff_proto::enums::StatusCode;
use skiff_proto::v2::ActionableErr;

/// A failed phase, with the `ActionableErr` its task event carries.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", .actionable.message)]
pub struct PipelineError {
    /// The phase that failed.
    pub phase: Phase,
    /// Code, message and suggestions.
    pub actionable: ActionableErr,
}

impl PipelineError {
    /// A failure of `phase`.
    pub fn new(phase: Phase, actionable: ActionableErr) -> Self {
        Self { phase, actionable }
    }

    /// The status code.
    pub fn code(&self) -> StatusCode {
        StatusCode::try_from(self.actionable.err_code).unwrap_or(StatusCode::UnknownError)
    }

    /// The suggested actions, one per line, for the terminal.
    pub fn suggestions(&self) -> Vec<&str> {
        self.actionable
            .suggestions
            .iter()
            .map(|s| s.action.as_str())
            .filter(|a| !a.is_empty())
            .collect()
    }
}
