//! The Kubernetes target's logic that needs no API server: the status check of deployed
//! workloads as a state machine fed with the objects the target watched, the order manifests
//! are applied in, and what kind of cluster a kube context points at.

pub mod cluster;
pub mod order;
pub mod status;
