//! The status check's loop: one poll in flight per pending resource, a report of the pending
//! ones every five seconds, and each finished resource recorded in the aggregate.

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use kube::Client;
use skiff_events::{Output, Phase};
use tokio::time::{Instant, MissedTickBehavior};

use super::discover::{Selection, discover};
use super::emit;
use super::read::{Snapshot, Target, describe, read};
use crate::DEPLOYER_SUBTASK;
use crate::DeployError;
use crate::kubernetes::status::{
    Aggregate, CheckSettings, CheckState, DEFAULT_DEADLINE, POLL_PERIOD, REPORT_PERIOD,
    ResourceCheck, WAITING, stabilized,
};

/// How long one poll may wait for the API server before it counts as unanswered.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How the status check runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusCheckSettings {
    /// The deadline and `tolerateFailuresUntilDeadline`.
    pub check: CheckSettings,
    /// Whether the first failing resource cancels the others' checks (Skaffold's hidden
    /// `--fast-fail-status-check`, on by default).
    pub fail_fast: bool,
}

impl Default for StatusCheckSettings {
    /// Skaffold's defaults: ten minutes, failures not tolerated, fail fast.
    fn default() -> Self {
        Self {
            check: CheckSettings {
                deadline: DEFAULT_DEADLINE,
                tolerate_failures: false,
            },
            fail_fast: true,
        }
    }
}

/// Checks the resources of `selection` until each is stable, has failed or ran out of time,
/// reporting through `output` (events of task `Deploy-N`); the error is the status check's
/// result (`N/M deployment(s) failed` with the first failure's code and suggestion), or the
/// failure to list the run's resources (`STATUSCHECK_*_FETCH_ERR`).
pub async fn status_check(
    client: &Client,
    selection: &Selection,
    settings: StatusCheckSettings,
    output: &Output,
) -> Result<(), DeployError> {
    let started = Instant::now();
    output.write(Phase::Deploy, DEPLOYER_SUBTASK, WAITING);
    let found = discover(client, selection, settings.check, started.into_std()).await?;
    let mut monitor = Monitor::new(found, settings.fail_fast, output);
    monitor
        .run(client, &selection.label_selector, started)
        .await?;
    output.write(
        Phase::Deploy,
        DEPLOYER_SUBTASK,
        &stabilized(started.elapsed()),
    );
    Ok(())
}

/// The checks of one status check and their tally.
struct Monitor<'a> {
    targets: Vec<Target>,
    checks: Vec<ResourceCheck>,
    aggregate: Aggregate,
    output: &'a Output,
}

/// A poll's result: which check it is for, and what was read (or why nothing was).
type Polled = (usize, Result<Snapshot, String>);

impl<'a> Monitor<'a> {
    fn new(found: Vec<(Target, ResourceCheck)>, fail_fast: bool, output: &'a Output) -> Self {
        let (targets, checks): (Vec<_>, Vec<_>) = found.into_iter().unzip();
        Self {
            aggregate: Aggregate::new(checks.len(), fail_fast),
            targets,
            checks,
            output,
        }
    }

    /// Polls every check until all are over, then gives the aggregate result.
    async fn run(
        &mut self,
        client: &Client,
        selector: &str,
        started: Instant,
    ) -> Result<(), DeployError> {
        let targets = self.targets.clone();
        let poll = |index: usize, at: Instant| {
            let target = targets[index].clone();
            poll(client.clone(), target, selector.to_owned(), index, at)
        };
        let mut polls = FuturesUnordered::new();
        for (index, check) in self.checks.iter().enumerate() {
            emit::started(self.output, &check.id(), self.targets[index].pending_code());
            polls.push(poll(index, started));
        }
        let mut reports = tokio::time::interval_at(started + REPORT_PERIOD, REPORT_PERIOD);
        reports.set_missed_tick_behavior(MissedTickBehavior::Delay);
        while !polls.is_empty() {
            tokio::select! {
                Some((index, read)) = polls.next() => {
                    match self.observe(index, read) {
                        Next::Poll(after) => {
                            // A slow poll period must not let the deadline pass unnoticed.
                            let last = started + self.checks[index].deadline() + POLL_PERIOD;
                            polls.push(poll(index, (Instant::now() + after).min(last)));
                        }
                        Next::Done => {}
                        Next::CancelOthers => {
                            polls.clear();
                            self.cancel_pending();
                        }
                    }
                }
                _ = reports.tick() => self.report_pending(),
            }
        }
        self.aggregate.finish()
    }

    /// Feeds a poll's result to its check and emits what changed.
    fn observe(&mut self, index: usize, read: Result<Snapshot, String>) -> Next {
        let now = std::time::Instant::now();
        let check = &mut self.checks[index];
        let progress = match &read {
            Ok(snapshot) => check.observe(&snapshot.workload(), &snapshot.pods, now),
            Err(why) => check.observe_unreachable(why, now),
        };
        for update in &progress.updates {
            emit::update(self.output, update);
        }
        match progress.state {
            CheckState::Pending { next_poll } => Next::Poll(next_poll),
            _ if self.finish(index) => Next::CancelOthers,
            _ => Next::Done,
        }
    }

    /// Records a finished check and emits its summary; whether the others are to be
    /// cancelled.
    fn finish(&mut self, index: usize) -> bool {
        let check = &mut self.checks[index];
        let recorded = self.aggregate.record(check);
        if let Some(summary) = check.summary(recorded.counts) {
            emit::report(self.output, &summary);
        }
        recorded.cancel_others
    }

    /// Cancels every check still pending.
    fn cancel_pending(&mut self) {
        for check in self.checks.iter_mut().filter(|c| !c.is_finished()) {
            check.cancel();
            self.aggregate.record(check);
            emit::cancelled(self.output, &check.id());
        }
    }

    /// The five-second report of each pending check that has news.
    fn report_pending(&mut self) {
        for check in self.checks.iter_mut().filter(|c| !c.is_finished()) {
            if let Some(report) = check.report() {
                emit::report(self.output, &report);
            }
        }
    }
}

/// What to do after a poll.
enum Next {
    /// Poll again after this long.
    Poll(Duration),
    /// The check is over.
    Done,
    /// The check failed and the others are to be cancelled.
    CancelOthers,
}

/// Reads `target` at `at`, giving up after [`READ_TIMEOUT`].
async fn poll(
    client: Client,
    target: Target,
    selector: String,
    index: usize,
    at: Instant,
) -> Polled {
    tokio::time::sleep_until(at).await;
    let read = tokio::time::timeout(READ_TIMEOUT, read(client, &target, &selector)).await;
    let read = match read {
        Ok(Ok(snapshot)) => Ok(snapshot),
        Ok(Err(err)) => Err(describe(&err)),
        Err(_) => Err(format!("no answer within {}s", READ_TIMEOUT.as_secs())),
    };
    (index, read)
}
