//! The exact strings Skaffold's v2 events use: phase (task) names, statuses and task ids.

use std::fmt;

/// The subtask id of log lines that belong to no subtask.
pub const SUBTASK_ID_NONE: &str = "-1";

/// A phase of a Skaffold session; its name is the `task` of a `TaskEvent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// One iteration of `dev`/`debug`.
    DevLoop,
    /// Session initialisation.
    Init,
    /// Building artifacts.
    Build,
    /// Running tests against built images.
    Test,
    /// Rendering manifests.
    Render,
    /// Deploying to the target.
    Deploy,
    /// Running verification tests.
    Verify,
    /// Waiting for deployed resources to become ready.
    StatusCheck,
    /// Forwarding ports.
    PortForward,
    /// Syncing files into running containers.
    Sync,
    /// Initialising the dev loop.
    DevInit,
    /// Running a custom action.
    Exec,
    /// Removing what was deployed.
    Cleanup,
}

impl Phase {
    /// The phase name as it appears in events (`"DevLoop"`, `"Build"`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Phase::DevLoop => "DevLoop",
            Phase::Init => "Init",
            Phase::Build => "Build",
            Phase::Test => "Test",
            Phase::Render => "Render",
            Phase::Deploy => "Deploy",
            Phase::Verify => "Verify",
            Phase::StatusCheck => "StatusCheck",
            Phase::PortForward => "PortForward",
            Phase::Sync => "Sync",
            Phase::DevInit => "DevInit",
            Phase::Exec => "Exec",
            Phase::Cleanup => "Cleanup",
        }
    }

    /// The task id of this phase in the given iteration: `"<Phase>-<iteration>"`.
    pub fn task_id(self, iteration: i32) -> String {
        format!("{}-{iteration}", self.as_str())
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The status string of a task, subtask or state field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Nothing has happened yet.
    NotStarted,
    /// Running.
    InProgress,
    /// Finished successfully.
    Succeeded,
    /// Finished with an error.
    Failed,
    /// Stopped before it finished.
    Canceled,
    /// A debugging container appeared.
    Started,
    /// A debugging container went away.
    Terminated,
}

impl Status {
    /// The status as it appears in events and `State` (`"InProgress"`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::NotStarted => "NotStarted",
            Status::InProgress => "InProgress",
            Status::Succeeded => "Succeeded",
            Status::Failed => "Failed",
            Status::Canceled => "Canceled",
            Status::Started => "Started",
            Status::Terminated => "Terminated",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_ids_follow_skaffold() {
        assert_eq!(Phase::DevLoop.task_id(1), "DevLoop-1");
        assert_eq!(Phase::Build.task_id(0), "Build-0");
        assert_eq!(Phase::StatusCheck.task_id(12), "StatusCheck-12");
        assert_eq!(Status::InProgress.to_string(), "InProgress");
    }
}
