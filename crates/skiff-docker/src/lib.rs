//! The Docker Engine API client shared by the docker builder and the docker target. It speaks to
//! dockerd or to Podman's Docker-compatible socket, negotiating the API version.

mod container;
mod context;
mod engine;
mod error;
mod network;
mod reference;

pub use container::{ContainerSpec, LogLine, LogStream, PublishedPort, RunEnd};
pub use context::{context_tar, context_tar_with};
pub use engine::{BuildRequest, DEFAULT_HOST, Engine, EngineVersion, digest_in_status};
pub use error::EngineError;
pub use network::LabeledContainer;
pub use reference::split_tag;
