//! A tester that failed: Skaffold's status code, the message and the suggestion it gives.

use skiff_events::errors;
use skiff_proto::enums::{StatusCode, SuggestionCode};
use skiff_proto::v2::ActionableErr;

/// Why a tester (or listing its dependencies) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TestError {
    /// Skaffold's code for the failure (`TEST_CUSTOM_CMD_RUN_NON_ZERO_EXIT_ERR`, …).
    pub code: StatusCode,
    /// What happened.
    pub message: String,
    /// What the user can do about it, when Skaffold suggests something.
    pub suggestion: Option<(SuggestionCode, String)>,
}

impl TestError {
    /// A failure with `code` and `message` and no suggestion.
    pub fn new(code: StatusCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            suggestion: None,
        }
    }

    /// Adds the suggestion.
    pub fn suggest(mut self, code: SuggestionCode, action: impl Into<String>) -> Self {
        self.suggestion = Some((code, action.into()));
        self
    }

    /// The failure as the `ActionableErr` of a `testEvent`.
    pub fn actionable(&self) -> ActionableErr {
        errors::actionable(self.code, self.message.clone(), self.suggestion.clone())
    }
}
