//! `ActionableErr` values (a Skaffold `StatusCode`, a message and suggestions for the user), and
//! the [`Failure`] of a step that becomes one.

use skiff_proto::enums::{StatusCode, SuggestionCode};
use skiff_proto::v2::{ActionableErr, Suggestion};

use crate::names::Phase;

/// The suggestion attached to errors no known problem matches.
pub const OPEN_ISSUE_ACTION: &str =
    "If above error is unexpected, please open an issue to report this error";

/// An `ActionableErr` with the given code, message and suggestions.
pub fn actionable(
    code: StatusCode,
    message: impl Into<String>,
    suggestions: impl IntoIterator<Item = (SuggestionCode, String)>,
) -> ActionableErr {
    ActionableErr {
        err_code: code as i32,
        message: message.into(),
        suggestions: suggestions
            .into_iter()
            .map(|(code, action)| Suggestion {
                suggestion_code: code as i32,
                action,
            })
            .collect(),
    }
}

/// A step that failed (a build, a deploy, a test, …): Skaffold's status code, the message and,
/// where Skaffold has one, a suggestion for the user. It becomes the `ActionableErr` that task
/// and subtask events carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    /// Skaffold's status code for the failure.
    pub code: StatusCode,
    /// What happened, naming what it happened to.
    pub message: String,
    /// What the user can do about it, when Skaffold suggests something.
    pub suggestion: Option<(SuggestionCode, String)>,
}

impl Failure {
    /// A failure with `code` and `message` and no suggestion.
    pub fn new(code: StatusCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            suggestion: None,
        }
    }

    /// The same failure with a suggestion.
    pub fn suggest(mut self, code: SuggestionCode, action: impl Into<String>) -> Self {
        self.suggestion = Some((code, action.into()));
        self
    }

    /// The `ActionableErr` events and API responses carry.
    pub fn actionable(&self) -> ActionableErr {
        actionable(self.code, self.message.clone(), self.suggestion.clone())
    }
}

impl From<Failure> for ActionableErr {
    fn from(failure: Failure) -> Self {
        actionable(failure.code, failure.message, failure.suggestion)
    }
}

/// The `StatusCode` Skaffold gives an error of a phase that matches no known problem.
pub const fn unknown_code_for_phase(phase: Phase) -> StatusCode {
    match phase {
        Phase::Build => StatusCode::BuildUnknown,
        Phase::Init => StatusCode::InitUnknown,
        Phase::Test => StatusCode::TestUnknown,
        Phase::Deploy => StatusCode::DeployUnknown,
        Phase::StatusCheck => StatusCode::StatuscheckUnknown,
        Phase::Sync => StatusCode::SyncUnknown,
        Phase::DevInit => StatusCode::DevinitUnknown,
        Phase::Cleanup => StatusCode::CleanupUnknown,
        Phase::DevLoop | Phase::Render | Phase::Verify | Phase::Exec | Phase::PortForward => {
            StatusCode::UnknownError
        }
    }
}

/// An error of `phase` that matches no known problem: the phase's unknown code and the
/// open-an-issue suggestion.
pub fn unknown(phase: Phase, message: impl Into<String>) -> ActionableErr {
    actionable(
        unknown_code_for_phase(phase),
        message,
        [(SuggestionCode::OpenIssue, OPEN_ISSUE_ACTION.to_owned())],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_carries_its_code_message_and_suggestion() {
        let failure = Failure::new(StatusCode::DeployUnknown, "boom")
            .suggest(SuggestionCode::CheckDockerRunning, "start docker");
        assert_eq!(failure.to_string(), "boom");
        let err = failure.actionable();
        assert_eq!(err.err_code, StatusCode::DeployUnknown as i32);
        assert_eq!(err.message, "boom");
        assert_eq!(
            err.suggestions,
            [Suggestion {
                suggestion_code: SuggestionCode::CheckDockerRunning as i32,
                action: "start docker".into(),
            }]
        );
        assert_eq!(ActionableErr::from(failure), err);
        let bare = Failure::new(StatusCode::TestUnknown, "no hint").actionable();
        assert!(bare.suggestions.is_empty());
    }

    #[test]
    fn unknown_errors_map_per_phase() {
        assert_eq!(
            unknown_code_for_phase(Phase::Build),
            StatusCode::BuildUnknown
        );
        assert_eq!(
            unknown_code_for_phase(Phase::Render),
            StatusCode::UnknownError
        );
        let err = unknown(Phase::Deploy, "boom");
        assert_eq!(err.err_code, StatusCode::DeployUnknown as i32);
        assert_eq!(
            err.suggestions[0].suggestion_code,
            SuggestionCode::OpenIssue as i32
        );
    }
}
