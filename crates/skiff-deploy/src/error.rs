//! What can go wrong deploying: a Skaffold `StatusCode`, a message and, where Skaffold has one,
//! a suggestion for the user.

use skiff_docker::EngineError;
use skiff_events::errors::actionable;
use skiff_proto::enums::{StatusCode, SuggestionCode};
use skiff_proto::v2::ActionableErr;

/// The suggestion given when the engine cannot be reached.
pub const CHECK_ENGINE_ACTION: &str =
    "Check that docker is running (start the engine, or point DOCKER_HOST at it).";

/// A deploy, status check or cleanup that failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct DeployError {
    /// Skaffold's status code for the failure.
    pub code: StatusCode,
    /// What happened, naming the container, image or port concerned.
    pub message: String,
    /// What the user can do about it.
    pub suggestion: Option<(SuggestionCode, String)>,
}

impl DeployError {
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

    /// A failed engine call while doing `what`. An engine that cannot be reached gets
    /// `DEPLOY_CLUSTER_CONNECTION_ERR` (the engine is the docker target's cluster) and the
    /// check-docker suggestion; any other engine error gets `otherwise`.
    pub fn engine(what: &str, err: &EngineError, otherwise: StatusCode) -> Self {
        let message = format!("{what}: {err}");
        if err.is_unreachable() {
            DeployError::new(StatusCode::DeployClusterConnectionErr, message)
                .suggest(SuggestionCode::CheckDockerRunning, CHECK_ENGINE_ACTION)
        } else {
            DeployError::new(otherwise, message)
        }
    }

    /// The `ActionableErr` events and API responses carry.
    pub fn actionable(&self) -> ActionableErr {
        actionable(self.code, self.message.clone(), self.suggestion.clone())
    }
}

impl From<DeployError> for ActionableErr {
    fn from(err: DeployError) -> Self {
        err.actionable()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_engine_suggests_checking_docker() {
        let down = EngineError::NotRunning {
            host: "unix:///nowhere".into(),
            detail: "connection refused".into(),
        };
        let err = DeployError::engine("creating container app", &down, StatusCode::DeployUnknown);
        assert_eq!(err.code, StatusCode::DeployClusterConnectionErr);
        let actionable = err.actionable();
        assert!(actionable.message.starts_with("creating container app: "));
        assert_eq!(
            actionable.suggestions[0].suggestion_code,
            SuggestionCode::CheckDockerRunning as i32
        );
    }
}
