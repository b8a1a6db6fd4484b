//! Keeps one log stream attached to every started container of the run's pods: watch →
//! converge.
//!
//! Triggers are the watch events of the run's pods (a pod created, a container started or
//! restarted, a pod deleted) and a follower that ended. Each runs the same idempotent step for
//! the pod concerned: attach a follower to every container that runs, or that may have written
//! lines nobody read, and has none. The watch re-lists and resumes by itself, with backoff; a
//! failed follower is attached again with backoff.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};
use kube::runtime::watcher;
use kube::{Api, Client, ResourceExt};
use tokio::sync::watch;
use tokio::time::Instant;

use super::follower::{Ended, Follow, Followed, follow};
use crate::kubernetes::pod_watch::watch_pods;
use crate::logs::attachment::Attachment;
use crate::logs::cursor::Cursor;
use crate::logs::followers::{Followers, follow_end};
use crate::logs::format::{LineFormat, LineSink, Palette};
use crate::logs::{LogSettings, stopped};

/// One container of one pod (pods by uid: a replacement with the same name is another pod).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct ContainerKey {
    /// The pod's uid.
    pub(super) uid: String,
    /// The container's name.
    pub(super) container: String,
}

/// What the streamer knows about one container.
#[derive(Debug)]
struct Tracked {
    api: Api<Pod>,
    pod: String,
    format: Arc<LineFormat>,
    attachment: Attachment,
    /// Running, as the last pod event said.
    running: bool,
    /// Its restart count, as the last pod event said.
    restarts: i32,
    /// Its pod was deleted.
    gone: bool,
}

/// The reconciler's state.
pub(super) struct Reconciler {
    apis: Vec<Api<Pod>>,
    /// `skaffold.dev/run-id=<run id>`.
    label: String,
    settings: LogSettings,
    sink: LineSink,
    palette: Palette,
    containers: HashMap<ContainerKey, Tracked>,
    followers: Followers<ContainerKey, Ended, String>,
    /// The namespaces (by index) whose first listing is complete: the tail applies to the
    /// containers of that listing only.
    listed: HashSet<usize>,
    stop: watch::Receiver<bool>,
}

impl Reconciler {
    /// A reconciler for the pods carrying `label` in `namespaces`, stopped through `stop`.
    pub(super) fn new(
        client: Client,
        namespaces: &[String],
        label: &str,
        settings: LogSettings,
        sink: LineSink,
        stop: watch::Receiver<bool>,
    ) -> Self {
        Self {
            apis: namespaces
                .iter()
                .map(|ns| Api::namespaced(client.clone(), ns))
                .collect(),
            label: label.to_owned(),
            settings,
            sink,
            palette: Palette::default(),
            containers: HashMap::new(),
            followers: Followers::new(),
            listed: HashSet::new(),
            stop,
        }
    }

    /// Runs until stopped, then waits for the followers to show what they read.
    pub(super) async fn run(mut self) {
        let mut stop = self.stop.clone();
        tokio::select! {
            biased;
            () = stopped(&mut stop) => {}
            () = self.reconcile() => {}
        }
        self.followers.wait_all().await;
    }

    /// The watch → converge loop; returns only if every watch ends (they retry forever).
    async fn reconcile(&mut self) {
        let mut events = watch_pods(&self.apis, &self.label);
        loop {
            tokio::select! {
                Some((key, followed)) = self.followers.next(), if !self.followers.is_empty() => {
                    if self.finished(&key, followed) {
                        self.attach_if_needed(&key);
                    }
                }
                event = events.next() => match event {
                    Some((index, Ok(event))) => self.on_event(index, event),
                    Some((_, Err(e))) => tracing::debug!("watching the pods of {}: {e}", self.label),
                    None => return,
                },
            }
        }
    }

    /// Applies one watch event.
    fn on_event(&mut self, index: usize, event: watcher::Event<Pod>) {
        match event {
            watcher::Event::Apply(pod) => self.on_pod(index, &pod, false),
            watcher::Event::InitApply(pod) => {
                let initial = !self.listed.contains(&index);
                self.on_pod(index, &pod, initial);
            }
            watcher::Event::Delete(pod) => self.on_deleted(&pod),
            watcher::Event::InitDone => {
                self.listed.insert(index);
            }
            watcher::Event::Init => {}
        }
    }

    /// Tracks the started containers of `pod` and attaches where a follower is missing.
    fn on_pod(&mut self, index: usize, pod: &Pod, initial: bool) {
        let Some(uid) = pod.uid() else { return };
        let Some(status) = &pod.status else { return };
        let statuses = status.init_container_statuses.iter().flatten();
        let statuses = statuses.chain(status.container_statuses.iter().flatten());
        for container in
            statuses.filter(|c| c.container_id.as_deref().is_some_and(|id| !id.is_empty()))
        {
            let key = ContainerKey {
                uid: uid.clone(),
                container: container.name.clone(),
            };
            self.track(index, pod, &key, initial);
            self.update(&key, container);
            self.attach_if_needed(&key);
        }
    }

    /// Starts tracking a container seen for the first time.
    fn track(&mut self, index: usize, pod: &Pod, key: &ContainerKey, initial: bool) {
        if self.containers.contains_key(key) {
            return;
        }
        let image = pod
            .spec
            .as_ref()
            .and_then(|spec| spec.containers.first())
            .and_then(|c| c.image.clone())
            .unwrap_or_default();
        let color = self.settings.color.then(|| self.palette.pick(&image));
        let name = pod.name_any();
        let format = LineFormat::for_pod(&name, &key.container, self.settings.prefix, color);
        let tail = if initial {
            self.settings.tail_lines
        } else {
            None
        };
        let tracked = Tracked {
            api: self.apis[index].clone(),
            pod: name,
            format: Arc::new(format),
            attachment: Attachment::new(Cursor::start(tail)),
            running: false,
            restarts: 0,
            gone: false,
        };
        self.containers.insert(key.clone(), tracked);
    }

    /// Records what the pod event says about a container.
    fn update(&mut self, key: &ContainerKey, status: &ContainerStatus) {
        let Some(tracked) = self.containers.get_mut(key) else {
            return;
        };
        tracked.running = status.state.as_ref().is_some_and(|s| s.running.is_some());
        if status.restart_count != tracked.restarts {
            tracked.restarts = status.restart_count;
            tracked.attachment.mark_unread();
        }
    }

    /// Forgets the containers of a deleted pod; those still followed go when their follower
    /// ends (the server ends their streams).
    fn on_deleted(&mut self, pod: &Pod) {
        let Some(uid) = pod.uid() else { return };
        self.containers.retain(|key, tracked| {
            if key.uid == uid {
                tracked.gone = true;
            }
            !tracked.gone || tracked.attachment.following()
        });
    }

    /// Records how the follower of `key` ended; whether its container is still tracked.
    fn finished(&mut self, key: &ContainerKey, followed: Option<Followed>) -> bool {
        let Some(tracked) = self.containers.get_mut(key) else {
            return false;
        };
        let pod_gone = matches!(&followed, Some(f) if f.result == Ok(Ended::PodGone));
        if tracked.gone || pod_gone {
            self.containers.remove(key);
            return false;
        }
        let what = format_args!("{} container {}", tracked.pod, key.container);
        tracked.attachment.ended(follow_end(followed, what));
        true
    }

    /// Attaches a follower to a container that runs or may have unread lines, unless one is
    /// attached already or its pod is gone.
    fn attach_if_needed(&mut self, key: &ContainerKey) {
        let Some(tracked) = self.containers.get_mut(key) else {
            return;
        };
        let attachment = &mut tracked.attachment;
        if attachment.following() || tracked.gone || !(tracked.running || attachment.unread()) {
            return;
        }
        let (cursor, delay) = attachment.begin(Instant::now());
        let job = Follow {
            api: tracked.api.clone(),
            key: key.clone(),
            pod: tracked.pod.clone(),
            format: Arc::clone(&tracked.format),
            sink: self.sink.clone(),
            cursor,
            delay,
        };
        self.followers
            .spawn(key.clone(), follow(job, self.stop.clone()));
    }
}
