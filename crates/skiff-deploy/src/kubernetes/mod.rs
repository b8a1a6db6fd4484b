//! The Kubernetes target, natively over kube-rs: connecting through the kubeconfig
//! ([`client`]), server-side apply and delete of rendered manifests ([`apply`], [`delete`], in
//! the [`order`] Kubernetes needs), Skaffold's status check ([`status`] as a state machine,
//! [`monitor`] feeding it from the API), pod logs followed across restarts and replacements
//! ([`logs`]), port-forwards that re-resolve their pod on every connection ([`port_forward`]),
//! and what kind of cluster a kube context points at ([`cluster`]).

pub mod apply;
pub mod client;
pub mod cluster;
pub mod delete;
pub mod logs;
pub mod monitor;
pub mod order;
pub mod port_forward;
pub mod status;
