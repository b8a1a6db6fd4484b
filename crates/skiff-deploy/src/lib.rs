//! Deploy targets. Each target deploys built images, checks that they came up, publishes their
//! ports, streams their logs and removes what it deployed.

pub mod docker;
pub mod error;
pub mod kubernetes;
pub mod logs;
pub mod ports;
pub mod sync;
pub mod target;

/// The deployer index of a target in deploy subtask events and output (one deployer per run).
pub(crate) const DEPLOYER_SUBTASK: &str = "0";

pub use error::DeployError;
pub use target::{Background, Target};
