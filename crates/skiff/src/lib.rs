//! skiff: fast, Skaffold-compatible continuous development for containers and Kubernetes.
//!
//! This crate is the `skiff` binary: the command line ([`cli`]), the validated options it
//! produces ([`options`]), the commands that run them ([`commands`]), env-file loading
//! ([`envfile`]), log output ([`logging`]) and exit codes ([`exit`]).

#![warn(missing_docs)]

pub mod api_session;
pub mod build_info;
pub mod cli;
pub mod commands;
mod configs;
pub mod envfile;
pub mod exit;
pub mod logging;
pub mod options;
pub mod session;
pub mod signals;
