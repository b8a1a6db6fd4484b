//! The Docker Engine API client shared by the docker builder and the docker target. It speaks to
//! dockerd or to Podman's Docker-compatible socket, negotiating the API version.

mod archive;
mod classify;
mod container;
mod context;
mod engine;
mod error;
mod events;
mod exec;
mod image_config;
mod inspect;
mod kill;
mod network;
mod pause;
mod reference;
mod remove_image;
mod run_until;
mod stamped_logs;
mod transient;

pub use container::{ContainerSpec, LogLine, LogStream, PublishedPort, RunEnd};
pub use context::{context_tar, context_tar_with, files_tar};
pub use engine::{BuildRequest, DEFAULT_HOST, Engine, EngineVersion, digest_in_status};
pub use error::EngineError;
pub use events::ContainerEvent;
pub use exec::{ExecChunk, ExecOutput, ExecResult, ExecSession};
pub use inspect::ContainerDetails;
pub use kill::Kill;
pub use network::LabeledContainer;
pub use pause::x86_64_program;
pub use reference::split_tag;
pub use run_until::RunUntil;
pub use stamped_logs::{LogWindow, StampedLine};
