//! What can go wrong deploying: a [`Failure`] with a Skaffold `StatusCode`, a message and, where
//! Skaffold has one, a suggestion for the user.

use skiff_docker::EngineError;
use skiff_events::errors::Failure;
use skiff_proto::enums::{StatusCode, SuggestionCode};

/// The suggestion given when the engine cannot be reached.
pub const CHECK_ENGINE_ACTION: &str =
    "Check that docker is running (start the engine, or point DOCKER_HOST at it).";

/// A deploy, status check or cleanup that failed.
pub type DeployError = Failure;

/// A failed engine call while doing `what`. An engine that cannot be reached gets
/// `DEPLOY_CLUSTER_CONNECTION_ERR` (the engine is the docker target's cluster) and the
/// check-docker suggestion; any other engine error gets `otherwise`.
pub fn engine_error(what: &str, err: &EngineError, otherwise: StatusCode) -> DeployError {
    let message = format!("{what}: {err}");
    if err.is_unreachable() {
        DeployError::new(StatusCode::DeployClusterConnectionErr, message)
            .suggest(SuggestionCode::CheckDockerRunning, CHECK_ENGINE_ACTION)
    } else {
        DeployError::new(otherwise, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_unreachable_engine_is_a_connection_error() {
        let down = EngineError::NotRunning {
            host: "unix:///nowhere".into(),
            detail: "connection refused".into(),
        };
        let err = engine_error("creating container app", &down, StatusCode::DeployUnknown);
        assert_eq!(err.code, StatusCode::DeployClusterConnectionErr);
        assert!(err.message.starts_with("creating container app: "));
        assert_eq!(
            err.suggestion.map(|(code, _)| code),
            Some(SuggestionCode::CheckDockerRunning)
        );

        let refused = EngineError::PullFailed {
            reference: "app:1".into(),
            message: "not found".into(),
        };
        let err = engine_error("pulling app", &refused, StatusCode::DeployUnknown);
        assert_eq!(err.code, StatusCode::DeployUnknown);
        assert_eq!(err.suggestion, None);
    }
}
