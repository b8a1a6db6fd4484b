//! Deploy targets. Each target deploys built images, checks that they came up, publishes their
//! ports, streams their logs and removes what it deployed.

pub mod docker;
pub mod error;
pub mod kubernetes;
pub mod logs;
pub mod ports;
pub mod sync;
pub mod target;

pub use error::DeployError;
pub use target::{Background, Target};
