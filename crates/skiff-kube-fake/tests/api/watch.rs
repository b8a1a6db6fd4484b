//! Watches through kube-rs: the raw watch API and `kube::runtime::watcher`.

use crate::support::{apply, within};
use futures_util::{Stream, StreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, WatchEvent, WatchParams};
use kube::runtime::watcher::{self, Event};
use serde_json::json;
use skiff_kube_fake::FakeCluster;
use std::time::Duration;

fn config_map(name: &str, app: &str, value: &str) -> serde_json::Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": {"app": app}}, "data": {"v": value}})
}

/// A watcher event reduced to what the tests compare.
#[derive(Debug, PartialEq)]
enum Seen {
    Init,
    InitApply(String),
    InitDone,
    Apply(String, String),
    Delete(String),
    Gone,
}

async fn next_seen(
    stream: &mut (impl Stream<Item = Result<Event<ConfigMap>, watcher::Error>> + Unpin),
) -> Seen {
    let name = |cm: &ConfigMap| cm.metadata.name.clone().unwrap();
    match within("watcher event", stream.next())
        .await
        .expect("watcher stream ended")
    {
        Ok(Event::Init) => Seen::Init,
        Ok(Event::InitApply(cm)) => Seen::InitApply(name(&cm)),
        Ok(Event::InitDone) => Seen::InitDone,
        Ok(Event::Apply(cm)) => Seen::Apply(name(&cm), cm.data.unwrap_or_default()["v"].clone()),
        Ok(Event::Delete(cm)) => Seen::Delete(name(&cm)),
        Err(watcher::Error::WatchError(status)) if status.code == 410 => Seen::Gone,
        Err(other) => panic!("unexpected watcher error: {other}"),
    }
}

#[tokio::test]
async fn watcher_sees_added_modified_and_deleted_objects_it_selects() {
    let fake = FakeCluster::start().await.unwrap();
    let api: Api<ConfigMap> = Api::namespaced(fake.client(), "default");
    apply(&api, &config_map("before", "web", "0")).await;
    let mut stream =
        watcher::watcher(api.clone(), watcher::Config::default().labels("app=web")).boxed();
    for want in [Seen::Init, Seen::InitApply("before".into()), Seen::InitDone] {
        assert_eq!(next_seen(&mut stream).await, want);
    }
    apply(&api, &config_map("other", "db", "x")).await;
    apply(&api, &config_map("a", "web", "1")).await;
    apply(&api, &config_map("a", "web", "2")).await;
    api.delete("a", &DeleteParams::default()).await.unwrap();
    assert_eq!(
        next_seen(&mut stream).await,
        Seen::Apply("a".into(), "1".into())
    );
    assert_eq!(
        next_seen(&mut stream).await,
        Seen::Apply("a".into(), "2".into())
    );
    assert_eq!(next_seen(&mut stream).await, Seen::Delete("a".into()));
    // Relabelling out of the selection looks like a deletion to this watch.
    apply(&api, &config_map("before", "db", "0")).await;
    assert_eq!(next_seen(&mut stream).await, Seen::Delete("before".into()));
}

#[tokio::test]
async fn watcher_relists_after_410_gone() {
    let fake = FakeCluster::start().await.unwrap();
    let api: Api<ConfigMap> = Api::namespaced(fake.client(), "default");
    let mut stream = watcher::watcher(api.clone(), watcher::Config::default()).boxed();
    assert_eq!(next_seen(&mut stream).await, Seen::Init);
    assert_eq!(next_seen(&mut stream).await, Seen::InitDone);
    apply(&api, &config_map("a", "web", "1")).await;
    assert_eq!(
        next_seen(&mut stream).await,
        Seen::Apply("a".into(), "1".into())
    );

    fake.expire_watches();
    assert_eq!(next_seen(&mut stream).await, Seen::Gone);
    for want in [Seen::Init, Seen::InitApply("a".into()), Seen::InitDone] {
        assert_eq!(next_seen(&mut stream).await, want);
    }
    apply(&api, &config_map("b", "web", "1")).await;
    assert_eq!(
        next_seen(&mut stream).await,
        Seen::Apply("b".into(), "1".into())
    );
    let lists = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/configmaps") && !r.query.contains("watch="))
        .count();
    assert_eq!(lists, 2, "listed once at start and once after the 410");
}

#[tokio::test]
async fn streaming_list_watcher_gets_initial_events_and_a_closing_bookmark() {
    let fake = FakeCluster::start().await.unwrap();
    let api: Api<ConfigMap> = Api::namespaced(fake.client(), "default");
    apply(&api, &config_map("a", "web", "1")).await;
    let mut stream =
        watcher::watcher(api.clone(), watcher::Config::default().streaming_lists()).boxed();
    for want in [Seen::Init, Seen::InitApply("a".into()), Seen::InitDone] {
        assert_eq!(next_seen(&mut stream).await, want);
    }
    apply(&api, &config_map("a", "web", "2")).await;
    assert_eq!(
        next_seen(&mut stream).await,
        Seen::Apply("a".into(), "2".into())
    );
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.query.contains("sendInitialEvents=true"))
    );
}

#[tokio::test]
async fn raw_watch_resumes_sends_bookmarks_and_expires() {
    let fake = FakeCluster::builder()
        .bookmark_interval(Duration::from_millis(100))
        .start()
        .await
        .unwrap();
    let api: Api<ConfigMap> = Api::namespaced(fake.client(), "default");
    let created = apply(&api, &config_map("a", "web", "1")).await;
    let rv = created.metadata.resource_version.unwrap();
    apply(&api, &config_map("a", "web", "2")).await;

    let params = WatchParams::default().timeout(5);
    let mut events = api.watch(&params, &rv).await.unwrap().boxed();
    match within("modified", events.next()).await.unwrap().unwrap() {
        WatchEvent::Modified(cm) => assert_eq!(cm.data.unwrap()["v"], "2", "resumed after {rv}"),
        other => panic!("expected MODIFIED, got {other:?}"),
    }
    match within("bookmark", events.next()).await.unwrap().unwrap() {
        WatchEvent::Bookmark(bookmark) => {
            assert!(bookmark.metadata.resource_version.parse::<u64>().is_ok())
        }
        other => panic!("expected BOOKMARK, got {other:?}"),
    }

    fake.expire_watches();
    let mut expired = api.watch(&params, &rv).await.unwrap().boxed();
    match within("expired", expired.next()).await.unwrap().unwrap() {
        WatchEvent::Error(status) => {
            assert_eq!((status.code, status.reason.as_str()), (410, "Expired"))
        }
        other => panic!("expected a 410 ERROR event, got {other:?}"),
    }
    assert!(
        within("end of the expired watch", expired.next())
            .await
            .is_none()
    );
}
