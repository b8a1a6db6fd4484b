//! Building artifacts: builders (docker through the Engine API, custom scripts), tag policies,
//! the dependencies of each artifact and the cache keyed by them, push, and the artifact graph.

pub mod builder;
pub mod cache;
pub mod custom;
pub mod docker;
pub mod docker_cli;
pub mod dockerfile;
pub mod dockerignore;
pub mod hooks;
pub mod scheduler;
pub mod sources;
pub mod tag;

pub use dockerfile::gopath::go_quote;
