//! The pipelines skiff runs (`build`, and the phases that follow as they land) over the event
//! hub: each phase emits Skaffold's task and subtask events and writes its output through the
//! hub, so the terminal, the API and the event log all see the same thing.

pub mod build;
pub mod deploy;
pub mod dev;
mod error;
pub mod exec;
pub mod metadata;
pub mod prebuilt;
pub mod render;
pub mod test;
pub mod verify;

pub use error::PipelineError;
