//! A fake Kubernetes API server for skiff's tests.
//!
//! No real API server can run where skiff is tested, so this crate serves the API over real
//! HTTP on 127.0.0.1 (a random port): kube-rs talks to it through [`FakeCluster::client`], and
//! `kubectl` through the kubeconfig [`FakeCluster::write_kubeconfig`] writes. It answers with
//! real API JSON: discovery, an in-memory store with one global resourceVersion, list/watch with
//! selectors and `410 Expired`, server-side apply with field managers, merge and strategic-merge
//! patches, cascading deletes, `Status` errors with the API's codes and reasons, pod logs, and
//! exec and port-forward over WebSocket as kube-rs's `ws` feature speaks them.
//!
//! Built-in controllers (switchable with [`FakeCluster::builder`]) turn Deployments,
//! ReplicaSets, StatefulSets and Jobs into pods and write their status; a kubelet simulation
//! gives each pod the status a kubelet would report for its scripted [`PodBehaviour`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use skiff_kube_fake::{FakeCluster, PodBehaviour};
//! let fake = FakeCluster::start().await?;
//! fake.on_image("registry.local/app:bad", PodBehaviour::ImagePullBackOff);
//! let client = fake.client();
//! // … deploy with `client`, then inspect:
//! assert!(fake.requests().iter().any(|r| r.is_server_side_apply()));
//! # Ok(()) }
//! ```
//!
//! kubectl works through the written kubeconfig for `apply --server-side --validate=false`,
//! client-side `apply --validate=false`, `get -o json|yaml|jsonpath`, `rollout status`,
//! `describe`, `logs`, `delete` and `exec` (also `-i`, so `tar` file sync runs for real).
//!
//! The helm CLI works through it too (`install`/`upgrade` with `--wait`, `get`, `uninstall`):
//! `/openapi/v2` is an empty document (so client-side validation finds no schema and skips),
//! Secrets and ConfigMaps may be sent in protobuf (helm's release storage does), and Services
//! get a cluster IP.
//!
//! Not simulated: admission, RBAC, authentication; OpenAPI schemas (`/openapi/v3` answers 404,
//! `/openapi/v2` has no definitions); Table output (plain `kubectl get` prints only names and
//! ages); `kubectl port-forward` (it tunnels SPDY through the WebSocket; kube-rs's
//! port-forward works); protobuf other than the request bodies above; aggregated discovery;
//! JSON patch (`application/json-patch+json` answers 415); `dryRun`; graceful deletion (deletes
//! are immediate); list paging (`limit` is ignored, lists are complete).

mod api;
mod behaviour;
mod cluster;
mod controller;
mod defaults;
mod discovery;
mod error;
mod exec;
mod fieldset;
mod kubelet;
mod logs;
mod names;
mod object;
mod patch;
mod pods;
mod portforward;
mod protobuf;
mod query;
mod registry;
mod requests;
mod router;
mod script;
mod selector;
mod state;
mod store;
mod validate;
mod watch;
mod ws;

pub use behaviour::PodBehaviour;
pub use cluster::{FakeCluster, FakeClusterBuilder, FakeError};
pub use error::ApiError;
pub use exec::{ExecFn, ExecHandler, ExecOutput, ExecRequest};
pub use pods::Pods;
pub use requests::RequestRecord;
pub use script::PodTarget;
