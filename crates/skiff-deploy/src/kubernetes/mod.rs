//! The Kubernetes target, natively over kube-rs: connecting through the kubeconfig
//! ([`client`]), server-side apply and delete of rendered manifests ([`apply`], [`delete`], in
//! the [`order`] Kubernetes needs), Skaffold's status check ([`status`] as a state machine,
//! [`monitor`] feeding it from the API), pod logs followed across restarts and replacements
//! ([`logs`]), port-forwards that re-resolve their pod on every connection ([`port_forward`]),
//! file sync into the run's pods over the exec API, with catch-up after restarts ([`sync`]),
//! what kind of cluster a kube context points at ([`cluster`]), and all of it as one deploy
//! [`Target`](crate::Target) ([`target`]).
//!
//! With `deploy.kubectl.flags`, the real kubectl applies and deletes instead, and
//! `deploy.kubectl.hooks` run around each deploy ([`kubectl`]).
//!
//! `deploy.helm` releases are installed, upgraded and uninstalled by the helm binary ([`helm`]).
//!
//! Locally built images are loaded into kind and k3d clusters with their own tools ([`load`]).

pub mod apply;
pub mod client;
pub mod cluster;
pub mod delete;
mod exec;
pub mod helm;
pub mod kubectl;
pub mod load;
pub mod logs;
pub mod monitor;
pub mod order;
mod pod_watch;
pub mod port_forward;
pub mod status;
pub mod sync;
pub mod target;
