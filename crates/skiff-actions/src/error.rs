//! What fails a container of a test or action, and what fails the phase, in Skaffold's words.

use skiff_build::go_quote;
use skiff_docker::EngineError;
use skiff_events::{Phase, errors};
use skiff_proto::enums::StatusCode;
use skiff_proto::v2::ActionableErr;

/// Why one container (a verification test, a custom action's task) failed.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// The program exited with a non-zero code.
    #[error(
        "{} running container image {} errored during run with status code: {code}",
        go_quote(name),
        go_quote(image)
    )]
    Exited {
        /// The test or task name.
        name: String,
        /// The image reference the container ran.
        image: String,
        /// The exit code.
        code: i64,
    },
    /// A verification test ran longer than its `timeout`.
    #[error(
        "{} running container image {} timed out after : {after}",
        go_quote(name),
        go_quote(image)
    )]
    TimedOut {
        /// The test name.
        name: String,
        /// The image reference the container ran.
        image: String,
        /// The timeout, as Go prints a duration (`5s`).
        after: String,
    },
    /// A sibling task failed first and the action fails fast.
    #[error("context canceled")]
    Canceled,
    /// The action ran longer than its `timeout`.
    #[error("context deadline exceeded")]
    DeadlineExceeded,
    /// The engine refused to create or start the container (a missing network, a bad name, …).
    #[error("creating container in local docker: {0}")]
    Create(EngineError),
    /// The engine failed while the container ran.
    #[error(transparent)]
    Engine(EngineError),
}

/// Why the verify or exec phase failed.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// `skiff verify` on a config without `verify` test cases.
    #[error("verify command expects non-zero number of test cases")]
    NoVerifyTests,
    /// A test or action set to run in a Kubernetes cluster.
    #[error(
        "{what}: executionMode.kubernetesCluster is not supported by skiff, which runs it on the local engine; use executionMode.local (the default)"
    )]
    KubernetesCluster {
        /// `verify test "name"` or `custom action "name"`.
        what: String,
    },
    /// `skiff exec` named an action no config defines.
    #[error("custom action {0} not found")]
    ActionNotFound(String),
    /// The run's network could not be created.
    #[error("creating skaffold network {name}: {source}")]
    Network {
        /// The network name.
        name: String,
        /// What the engine said.
        source: EngineError,
    },
    /// A container's image could not be found or pulled.
    #[error(transparent)]
    Image(EngineError),
    /// The first failure of an action that fails fast.
    #[error(transparent)]
    Task(TaskError),
    /// Every failure, in the order they happened.
    #[error("{}", aggregate(.0))]
    Tasks(Vec<String>),
}

/// Skaffold's list of several errors: `"<n> error(s) occurred:\n* …\n* …"`.
fn aggregate(messages: &[String]) -> String {
    let items: Vec<String> = messages.iter().map(|m| format!("* {m}")).collect();
    format!(
        "{} error(s) occurred:\n{}",
        messages.len(),
        items.join("\n")
    )
}

impl ActionError {
    /// The `ActionableErr` the failed task event of `phase` carries. Failures Skaffold matches
    /// to no known problem carry the phase's unknown code, as there.
    pub fn actionable(&self, phase: Phase) -> ActionableErr {
        let code = match self {
            ActionError::NoVerifyTests => StatusCode::InitUnknown,
            ActionError::KubernetesCluster { .. } => StatusCode::InitCreateDeployerError,
            _ => return errors::unknown(phase, self.to_string()),
        };
        errors::actionable(code, self.to_string(), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_skaffolds() {
        let exited = TaskError::Exited {
            name: "task4".into(),
            image: "alpine:3.15.4".into(),
            code: 1,
        };
        assert_eq!(
            exited.to_string(),
            r#""task4" running container image "alpine:3.15.4" errored during run with status code: 1"#
        );
        let timed_out = TaskError::TimedOut {
            name: "alpine-1".into(),
            image: "alpine:3.15.4".into(),
            after: "5s".into(),
        };
        assert_eq!(
            format!("verify test failed: {timed_out}"),
            r#"verify test failed: "alpine-1" running container image "alpine:3.15.4" timed out after : 5s"#
        );
        assert_eq!(
            ActionError::Tasks(vec!["a".into()]).to_string(),
            "1 error(s) occurred:\n* a"
        );
        assert_eq!(
            ActionError::Tasks(vec!["a".into(), "b".into()]).to_string(),
            "2 error(s) occurred:\n* a\n* b"
        );
        assert_eq!(
            ActionError::Task(TaskError::Canceled).to_string(),
            "context canceled"
        );
    }

    #[test]
    fn unknown_failures_carry_the_phase_code() {
        let err = ActionError::ActionNotFound("nope".into()).actionable(Phase::Exec);
        assert_eq!(err.err_code, StatusCode::UnknownError as i32);
        assert_eq!(err.message, "custom action nope not found");
        assert_eq!(err.suggestions.len(), 1);
        let err = ActionError::NoVerifyTests.actionable(Phase::Verify);
        assert_eq!(err.err_code, StatusCode::InitUnknown as i32);
        assert!(err.suggestions.is_empty());
    }
}
