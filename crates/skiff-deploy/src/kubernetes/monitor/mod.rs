//! Skaffold's status check against the API server: the run's Deployments, StatefulSets and
//! standalone pods are found by the run-id label, then each is read every second (the
//! [`status`](super::status) state machine decides when to look again) until it is stable,
//! fails, or its deadline passes.
//!
//! Each poll reads the workload, its ReplicaSets and pods, the pods' events and the logs a
//! pod's diagnosis asks for (the last [`LOG_TAIL_LINES`] lines), and feeds them to the
//! resource's [`ResourceCheck`](super::status::ResourceCheck). The subtask events and lines it
//! hands back go to the [`Output`](skiff_events::Output) and its hub: pod changes as they are
//! seen, pending resources every five seconds, each finished resource's summary, and
//! `Deployments stabilized in …` at the end. With fail-fast (Skaffold's default) the first
//! failure cancels the other checks; the result is [`Aggregate::finish`]'s.
//!
//! Nothing is spawned: dropping the future stops every poll.
//!
//! Unlike Skaffold, each resource gets an `InProgress` event when its check starts (so clients
//! see it pending from the start, not only after five seconds), and a cancelled resource gets a
//! `Canceled` event instead of none (it would otherwise stay `InProgress` for ever).
//!
//! [`Aggregate::finish`]: super::status::Aggregate::finish

mod discover;
mod driver;
mod emit;
mod read;

pub use discover::Selection;
pub use driver::{StatusCheckSettings, status_check};
pub use read::LOG_TAIL_LINES;
