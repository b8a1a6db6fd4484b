//! The kubectl-CLI deploy path: when a config sets `deploy.kubectl.flags`, the user asks for
//! kubectl's own behaviour, so skiff runs the real `kubectl apply`/`kubectl delete` with the
//! hydrated manifests on standard input, as Skaffold does ([`KubectlCli`]); and the deploy
//! hooks of `deploy.kubectl.hooks`, on the host and in running containers
//! ([`DeployHookRunner`]).
//!
//! kubectl's output lines are shown as deploy output, each behind ` - ` as Skaffold shows them.
//! Skaffold applies only the manifests that changed since its previous apply; skiff applies
//! all of them each time (kubectl leaves unchanged objects alone anyway).

pub mod cli;
mod container_hook;
pub mod hooks;
mod process;

pub use cli::KubectlCli;
pub use hooks::{DeployHookEnv, DeployHookRunner};
