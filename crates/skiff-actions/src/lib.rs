//! Containers run to completion on the local engine: verification tests (`verify[]`,
//! `skiff verify`) and custom actions (`customActions[]`, `skiff exec`), with the task and
//! subtask events, output and error messages Skaffold gives them.

mod error;
pub mod exec;
mod image;
mod local;
mod network;
mod phase;
pub mod verify;

pub use error::{ActionError, TaskError};
pub use local::{LocalRun, LocalRunOptions};
