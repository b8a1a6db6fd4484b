//! The event hub: one ordered, bounded history of Skaffold v2 events with live fan-out to any
//! number of subscribers, the `State` those events produce, typed emitters with Skaffold's exact
//! ids and status strings, and the event-log file writer; with them, the `Output` phases write
//! to (the terminal, or a log file for a phase `--mute-logs` mutes), the `Failure` a step
//! reports and the spelling of durations shown to the user.

pub mod duration;
mod emit;
pub mod errors;
pub mod event_log;
pub mod exit_status;
mod history;
mod hub;
mod log_file;
mod muted;
mod names;
mod output;
pub mod state;

pub use emit::{BuildPlatforms, BuildStep, StatusCheckUpdate, Subtask};
pub use history::{History, Retention};
pub use hub::{DEFAULT_APP_LOG_CAP, DEFAULT_HISTORY_CAP, Hub, HubLimits, Stream, Subscription};
pub use log_file::LogFile;
pub use muted::{MutedPhases, UnknownMutedPhase};
pub use names::{Phase, SUBTASK_ID_NONE, Status};
pub use output::{Output, Sink};
pub use state::{AutoTrigger, InitialState};
