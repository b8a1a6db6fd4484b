//! The status check of deployed containers (Skaffold has none for docker): each container is
//! watched until it is stable, and the first one that fails ends the check.
//!
//! A container is stable once it has run for [`STABLE_AFTER`] without restarting and, when its
//! image has a `HEALTHCHECK`, reports `healthy`; one that exited with code 0 has completed,
//! which counts as success. A non-zero exit fails with `STATUSCHECK_CONTAINER_TERMINATED`, a
//! restart with `STATUSCHECK_CONTAINER_RESTARTING`, an `unhealthy` report with
//! `STATUSCHECK_UNHEALTHY`, each with the container's last log lines; a container still not
//! stable at the deadline fails with `STATUSCHECK_DEADLINE_EXCEEDED`.

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use skiff_docker::{ContainerDetails, Engine};
use skiff_events::duration::{go_duration, humanize};
use skiff_events::{Output, Phase, Status, StatusCheckUpdate};
use skiff_proto::enums::{StatusCode, SuggestionCode};
use tokio::time::Instant;

use super::{DEFAULT_STATUS_CHECK_DEADLINE, DeployedContainer, DockerTarget};
use crate::DEPLOYER_SUBTASK;
use crate::error::{DeployError, engine_error};

/// How long a container must run, without restarting, to count as stable. Long enough for a
/// program that fails at start-up (a missing file, a bad flag, a port in use) to have exited,
/// short enough not to slow every deploy down.
pub const STABLE_AFTER: Duration = Duration::from_secs(1);

/// How often each container's state is read.
const POLL_PERIOD: Duration = Duration::from_millis(200);

/// How many of a failed container's last log lines its error carries.
const LOG_LINES: usize = 20;

/// The status code of a container that is not stable yet (a container is the docker target's
/// standalone pod).
const PENDING: StatusCode = StatusCode::StatuscheckStandalonePodsPending;

/// Why a container is not stable (its message is the one-line headline), with its last log
/// lines.
struct Unstable {
    headline: DeployError,
    logs: Vec<String>,
}

impl From<DeployError> for Unstable {
    fn from(headline: DeployError) -> Self {
        Self {
            headline,
            logs: Vec::new(),
        }
    }
}

impl Unstable {
    /// The headline followed by the log lines, as Skaffold shows a pod's logs (`  > line`).
    fn error(&self) -> DeployError {
        let mut error = self.headline.clone();
        for line in &self.logs {
            error.message.push_str("\n  > ");
            error.message.push_str(line);
        }
        error
    }
}

impl DockerTarget {
    /// Waits until every container of `containers` is stable, reporting each as a
    /// `statusCheckSubtaskEvent` (`container/<name>`) and with Skaffold's status-check lines;
    /// the first container that fails ends the check with its error.
    pub(crate) async fn check_containers(
        &self,
        containers: &[DeployedContainer],
        output: &Output,
    ) -> Result<(), DeployError> {
        let deadline = self
            .settings
            .status_check
            .map_or(DEFAULT_STATUS_CHECK_DEADLINE, |s| s.deadline);
        let hub = output.hub();
        let start = Instant::now();
        output.write(
            Phase::Deploy,
            DEPLOYER_SUBTASK,
            "Waiting for deployments to stabilize...\n",
        );
        for container in containers {
            hub.status_check_subtask(
                &container.resource(),
                Status::InProgress,
                StatusCheckUpdate {
                    message: format!("waiting for container {} to stabilize", container.name),
                    status_code: PENDING as i32,
                    err: None,
                },
            );
        }
        let mut watches: FuturesUnordered<_> = containers
            .iter()
            .map(|c| async move { (c, watch(&self.engine, c, start + deadline, deadline).await) })
            .collect();
        let total = containers.len();
        let mut pending = total;
        while let Some((container, result)) = watches.next().await {
            pending -= 1;
            let resource = container.resource();
            match result {
                Ok(()) => {
                    hub.status_check_subtask(
                        &resource,
                        Status::Succeeded,
                        StatusCheckUpdate {
                            message: Status::Succeeded.as_str().to_owned(),
                            status_code: StatusCode::StatuscheckSuccess as i32,
                            err: None,
                        },
                    );
                    let still = if pending > 0 {
                        format!(" [{pending}/{total} deployment(s) still pending]")
                    } else {
                        String::new()
                    };
                    output.write(
                        Phase::Deploy,
                        &resource,
                        &format!(" - {resource} is ready.{still}\n"),
                    );
                }
                Err(failure) => {
                    let error = failure.error();
                    hub.status_check_subtask(
                        &resource,
                        Status::Failed,
                        StatusCheckUpdate {
                            message: String::new(),
                            status_code: error.code as i32,
                            err: Some(error.actionable()),
                        },
                    );
                    let mut report: String = failure
                        .logs
                        .iter()
                        .map(|l| format!("    > {l}\n"))
                        .collect();
                    report.push_str(&format!(
                        " - {resource} failed. Error: {}.\n",
                        failure.headline.message
                    ));
                    output.write(Phase::Deploy, &resource, &report);
                    return Err(DeployError {
                        message: format!("1/{total} deployment(s) failed: {}", error.message),
                        ..error
                    });
                }
            }
        }
        output.write(
            Phase::Deploy,
            DEPLOYER_SUBTASK,
            &format!("Deployments stabilized in {}\n", humanize(start.elapsed())),
        );
        Ok(())
    }
}

/// Watches one container until it is stable, fails, or `deadline` passes.
async fn watch(
    engine: &Engine,
    container: &DeployedContainer,
    deadline: Instant,
    allowed: Duration,
) -> Result<(), Unstable> {
    // When the container was first seen running, and its restart count then.
    let mut running_since: Option<(Instant, i64)> = None;
    loop {
        let details = engine.inspect_container(&container.id).await.map_err(|e| {
            engine_error(
                &format!("reading the state of container {}", container.name),
                &e,
                StatusCode::StatuscheckUnknown,
            )
        })?;
        let Some(details) = details else {
            return Err(DeployError::new(
                StatusCode::StatuscheckContainerTerminated,
                format!("container {} was removed", container.name),
            )
            .into());
        };
        let now = Instant::now();
        if let Some(failure) = failure(&details, running_since) {
            return Err(with_logs(engine, container, failure).await);
        }
        match details.status.as_str() {
            "exited" => return Ok(()),
            "running" => {
                let (since, _) = *running_since.get_or_insert((now, details.restart_count));
                let healthy = details.health.as_deref().is_none_or(|h| h == "healthy");
                if healthy && now.duration_since(since) >= STABLE_AFTER {
                    return Ok(());
                }
            }
            _ => {}
        }
        if now >= deadline {
            return Err(DeployError::new(
                StatusCode::StatuscheckDeadlineExceeded,
                format!("could not stabilize within {}", go_duration(allowed)),
            )
            .into());
        }
        tokio::time::sleep(POLL_PERIOD.min(deadline - now)).await;
    }
}

/// The failure `details` shows, if any, given when the container was first seen running.
fn failure(
    details: &ContainerDetails,
    running_since: Option<(Instant, i64)>,
) -> Option<DeployError> {
    let name = &details.name;
    let restarted = running_since.is_some_and(|(_, count)| details.restart_count > count);
    match details.status.as_str() {
        "exited" if details.exit_code == 0 => None,
        "exited" | "dead" => {
            let mut headline = format!(
                "container {name} terminated with exit code {}",
                details.exit_code
            );
            if !details.error.is_empty() {
                headline.push_str(&format!(": {}", details.error));
            }
            Some(
                DeployError::new(StatusCode::StatuscheckContainerTerminated, headline).suggest(
                    SuggestionCode::CheckContainerLogs,
                    "Check the container's output above and fix the program or the image's command.",
                ),
            )
        }
        "restarting" => Some(restarting(name, details.exit_code)),
        _ if restarted => Some(restarting(name, details.exit_code)),
        "running" if details.health.as_deref() == Some("unhealthy") => Some(
            DeployError::new(
                StatusCode::StatuscheckUnhealthy,
                format!("container {name} is unhealthy"),
            )
            .suggest(
                SuggestionCode::CheckReadinessProbe,
                "Check the image's HEALTHCHECK command and what the container writes.",
            ),
        ),
        _ => None,
    }
}

fn restarting(name: &str, exit_code: i64) -> DeployError {
    DeployError::new(
        StatusCode::StatuscheckContainerRestarting,
        format!("container {name} is restarting after exiting with code {exit_code}"),
    )
    .suggest(
        SuggestionCode::CheckContainerLogs,
        "Check the container's output above and fix what makes it exit.",
    )
}

/// `headline` with the container's last log lines (none when they cannot be read).
async fn with_logs(
    engine: &Engine,
    container: &DeployedContainer,
    headline: DeployError,
) -> Unstable {
    let lines = engine.log_lines(&container.id, false, Some(LOG_LINES));
    let logs = lines
        .filter_map(|line| async move { line.ok() })
        .map(|line| line.text.trim_end_matches(['\n', '\r']).to_owned())
        .collect()
        .await;
    Unstable { headline, logs }
}
