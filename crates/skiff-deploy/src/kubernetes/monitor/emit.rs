//! What a status check sends out: `statusCheckSubtaskEvent`s (task `Deploy-N`), the
//! event-only log messages that come with pod changes, and the lines for the terminal.

use skiff_events::{Output, Phase, Status, StatusCheckUpdate};
use skiff_proto::enums::{LogLevel, StatusCode};

use crate::kubernetes::status::{Report, SubtaskUpdate};

/// Emits `update`, and its log message as a `skaffoldLogEvent` of the resource (not written to
/// the terminal, as in Skaffold).
pub(super) fn update(output: &Output, update: &SubtaskUpdate) {
    let hub = output.hub();
    hub.status_check_subtask(&update.id, update.status, update.update.clone());
    if let Some(log) = &update.log {
        hub.log(Phase::Deploy, &update.id, LogLevel::Standard, log);
    }
}

/// Emits a report's event and writes its lines as output of the resource.
pub(super) fn report(output: &Output, report: &Report) {
    update(output, &report.update);
    output.write(Phase::Deploy, &report.update.id, &report.text);
}

/// The event of a resource whose check starts, pending with `code`.
pub(super) fn started(output: &Output, id: &str, code: StatusCode) {
    output.hub().status_check_subtask(
        id,
        Status::InProgress,
        StatusCheckUpdate {
            message: format!("waiting for {id} to stabilize"),
            status_code: code as i32,
            err: None,
        },
    );
}

/// The event of a resource whose check was cancelled.
pub(super) fn cancelled(output: &Output, id: &str) {
    output.hub().status_check_subtask(
        id,
        Status::Canceled,
        StatusCheckUpdate {
            message: "check cancelled".to_owned(),
            status_code: StatusCode::StatuscheckUserCancelled as i32,
            err: None,
        },
    );
}
