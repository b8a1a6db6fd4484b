//! Catch-up as a small reconciler over a watch of the run's pods: whenever a container of the
//! run starts — in a new pod (a replacement, a scale-up) or restarted in its pod (its
//! `restartCount` grew) — it gets the files synced since its image was built, which Skaffold
//! loses.
//!
//! Triggers are the watch events (the watch re-lists and resumes by itself, with backoff) and a
//! retry tick while a catch-up failed. Each runs the same step: catch up every running
//! container not yet caught up at its current restart count. Catching up twice is harmless: it
//! copies the same files again.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::runtime::watcher;
use skiff_events::Output;
use tokio::sync::watch;

use super::syncer::PodSyncer;
use super::targets::container_image;
use crate::kubernetes::exec::Target;
use crate::kubernetes::pod_watch::watch_pods;
use crate::logs::stopped;
use crate::target::{Background, StoppableTask};

/// How long a failed catch-up waits before it is tried again.
const RETRY_AFTER: Duration = Duration::from_millis(500);

/// Catches up the containers of a run's pods as they start, until stopped or dropped.
#[derive(Debug)]
pub struct PodCatchUp(StoppableTask);

impl Background for PodCatchUp {
    /// Stops following; returns once a catch-up under way has finished.
    async fn stop(self) {
        self.0.stop().await;
    }
}

impl PodSyncer {
    /// Starts catching up every container of the run's pods (those there now and those created
    /// later) whenever it starts, writing through `output` as [`PodSyncer::sync`] does. The dev
    /// loop calls this once per session and [`PodSyncer::image_rebuilt`] after each build.
    /// The containers running when it starts count as caught up: they got every sync. Must be
    /// called within a Tokio runtime; dropping the handle stops it without waiting.
    ///
    /// A container catches up right after it started, so its program may see the image's
    /// files for a moment first. No sync hooks run: a catch-up restores files.
    pub fn follow_restarts(&self, output: Output) -> PodCatchUp {
        let follower = Follower {
            syncer: self.clone(),
            output,
            caught_up: HashMap::new(),
            pending: HashMap::new(),
            listed: HashSet::new(),
        };
        PodCatchUp(StoppableTask::spawn("the pod sync catch-up", |stopped| {
            follower.run(stopped)
        }))
    }
}

/// One container of one pod (pods by uid: a replacement with the same name is another pod).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ContainerKey {
    uid: String,
    container: String,
}

/// A running container that needs a catch-up.
#[derive(Debug)]
struct Pending {
    target: Target,
    /// The image its spec names.
    image: String,
    /// Its restart count when seen running.
    restarts: i32,
    /// Failed catch-ups in a row (only the first is reported as a warning).
    failures: u32,
}

/// The reconciler's state.
struct Follower {
    syncer: PodSyncer,
    output: Output,
    /// The restart count each running container was last caught up at.
    caught_up: HashMap<ContainerKey, i32>,
    pending: HashMap<ContainerKey, Pending>,
    /// The namespaces (by index) whose first listing is complete: the containers of that
    /// listing are the baseline, not started since.
    listed: HashSet<usize>,
}

impl Follower {
    /// Runs until `stop` is signalled or its sender dropped.
    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        tokio::select! {
            biased;
            () = stopped(&mut stop) => {}
            () = self.reconcile() => {}
        }
    }

    /// The watch → converge loop; returns only if every watch ends (they retry forever).
    async fn reconcile(&mut self) {
        let (apis, selector) = self.syncer.scope();
        let mut events = watch_pods(apis, selector);
        loop {
            tokio::select! {
                event = events.next() => match event {
                    Some((index, Ok(event))) => self.on_event(index, event),
                    Some((_, Err(e))) => tracing::debug!("watching the pods to catch up: {e}"),
                    None => return,
                },
                () = tokio::time::sleep(RETRY_AFTER), if !self.pending.is_empty() => {}
            }
            self.converge().await;
        }
    }

    /// Applies one watch event.
    fn on_event(&mut self, index: usize, event: watcher::Event<Pod>) {
        match event {
            watcher::Event::Apply(pod) => self.on_pod(index, &pod, false),
            watcher::Event::InitApply(pod) => {
                let baseline = !self.listed.contains(&index);
                self.on_pod(index, &pod, baseline);
            }
            watcher::Event::InitDone => {
                self.listed.insert(index);
            }
            watcher::Event::Delete(pod) => {
                let uid = pod.uid().unwrap_or_default();
                self.caught_up.retain(|key, _| key.uid != uid);
                self.pending.retain(|key, _| key.uid != uid);
            }
            watcher::Event::Init => {}
        }
    }

    /// Notes the running containers of `pod` not caught up at their restart count; those of
    /// the `baseline` are taken as caught up.
    fn on_pod(&mut self, index: usize, pod: &Pod, baseline: bool) {
        let Some(uid) = pod.uid() else { return };
        let api = &self.syncer.scope().0[index];
        let statuses = pod
            .status
            .iter()
            .flat_map(|s| s.container_statuses.iter().flatten());
        for status in statuses {
            let key = ContainerKey {
                uid: uid.clone(),
                container: status.name.clone(),
            };
            let running = status.state.as_ref().is_some_and(|s| s.running.is_some());
            let Some(image) = container_image(pod, &status.name) else {
                continue;
            };
            if !running || self.caught_up.get(&key) == Some(&status.restart_count) {
                continue;
            }
            if baseline {
                self.caught_up.insert(key, status.restart_count);
                continue;
            }
            let target = Target {
                api: api.clone(),
                pod: pod.name_any(),
                container: status.name.clone(),
            };
            let failures = self.pending.get(&key).map_or(0, |p| p.failures);
            self.pending.insert(
                key,
                Pending {
                    target,
                    image: image.to_owned(),
                    restarts: status.restart_count,
                    failures,
                },
            );
        }
    }

    /// Catches up every pending container; the failed ones stay pending.
    async fn converge(&mut self) {
        let keys: Vec<ContainerKey> = self.pending.keys().cloned().collect();
        for key in keys {
            let Some(pending) = self.pending.get_mut(&key) else {
                continue;
            };
            match self
                .syncer
                .catch_up(&pending.target, &pending.image, &self.output)
                .await
            {
                Ok(_) => {
                    self.caught_up.insert(key.clone(), pending.restarts);
                    self.pending.remove(&key);
                }
                Err(e) => {
                    pending.failures += 1;
                    if pending.failures == 1 {
                        tracing::warn!(
                            "Catching up {} failed (retrying): {}",
                            pending.target.describe(),
                            e.message
                        );
                    }
                }
            }
        }
    }
}
