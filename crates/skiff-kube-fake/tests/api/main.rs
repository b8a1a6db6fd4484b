//! kube-rs (and kubectl) against the fake API server: one test binary, one module per capability.

mod apply;
mod helm_support;
mod kubectl;
mod logs;
mod nodes;
mod streams;
mod support;
mod watch;
mod workloads;
