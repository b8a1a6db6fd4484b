//! `ActionableErr` values: a Skaffold `StatusCode`, a message and suggestions for the user.

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
