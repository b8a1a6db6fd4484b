//! One watch over the labelled pods of several namespaces, as the log streamer and the sync
//! catch-up follow a run's pods: each namespace's kube-rs watcher (with its default backoff,
//! so it resumes after errors and expired resource versions), merged into one stream whose
//! events are tagged with the index of their namespace's API.

use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::runtime::{WatchStreamExt, watcher};

/// A watch event of the pods of one namespace (by the index of its API).
pub(crate) type PodEvents =
    BoxStream<'static, (usize, Result<watcher::Event<Pod>, watcher::Error>)>;

/// Watches the pods labelled `selector` through each of `apis`.
pub(crate) fn watch_pods(apis: &[Api<Pod>], selector: &str) -> PodEvents {
    let config = watcher::Config::default().labels(selector);
    let streams = apis.iter().enumerate().map(|(index, api)| {
        watcher(api.clone(), config.clone())
            .default_backoff()
            .map(move |event| (index, event))
            .boxed()
    });
    stream::select_all(streams).boxed()
}
