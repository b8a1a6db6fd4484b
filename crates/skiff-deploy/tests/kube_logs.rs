//! The Kubernetes log streamer against the fake API server: lines of the run's pods appear once
//! with Skaffold's prefix and as `ApplicationLogEvent`s, and a replaced pod's lines follow
//! without a lost or repeated line.

use std::time::Duration;

use serde_json::json;
use skiff_deploy::Background;
use skiff_deploy::kubernetes::logs::PodLogStreamer;
use skiff_deploy::logs::{LogPrefix, LogSettings};
use skiff_events::Stream;
use skiff_kube_fake::FakeCluster;
use skiff_proto::v2::event::EventType;
use skiff_testenv::{Printed, recorded_events, recorded_output};

/// How long a test waits for something it expects.
const PATIENCE: Duration = Duration::from_secs(10);

const RUN_ID: &str = "run-logs";

/// A running pod of `default` whose name starts with `prefix` and is not in `except`.
async fn running_pod(fake: &FakeCluster, prefix: &str, except: &[String]) -> String {
    let accept = |name: &str| name.starts_with(prefix) && !except.iter().any(|e| e == name);
    let found = fake.running_pod("default", PATIENCE, accept).await;
    found.unwrap_or_else(|| panic!("no running pod {prefix}*"))
}

async fn printed_contains(printed: &Printed, text: &str) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !printed.text().contains(text) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited for {text:?}, printed: {:?}",
            printed.text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn labelled_pod_template() -> serde_json::Value {
    json!({
        "metadata": {"labels": {"app": "web", "skaffold.dev/run-id": RUN_ID}},
        "spec": {"containers": [{"name": "app", "image": "web:1"}]},
    })
}

#[tokio::test]
async fn a_replaced_pods_lines_follow_once_with_prefixes() {
    let fake = FakeCluster::start().await.unwrap();
    let deployment = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": labelled_pod_template()},
    });
    fake.create(deployment).unwrap();
    let first = running_pod(&fake, "web-", &[]).await;
    fake.append_log("default", &first, "app", "one").unwrap();

    let (output, printed) = recorded_output();
    let settings = LogSettings {
        prefix: LogPrefix::Container,
        ..LogSettings::default()
    };
    let streamer = PodLogStreamer::start(
        fake.client(),
        &["default".to_owned()],
        RUN_ID,
        settings,
        output.clone(),
    );
    printed_contains(&printed, "[app] one\n").await;
    fake.append_log("default", &first, "app", "two").unwrap();
    printed_contains(&printed, "[app] two\n").await;

    let second = fake.pods().replace("default", &first).unwrap();
    assert_ne!(second, first);
    running_pod(&fake, &second, &[]).await;
    fake.append_log("default", &second, "app", "three").unwrap();
    printed_contains(&printed, "[app] three\n").await;
    // Time for a wrongly repeated line to show up.
    tokio::time::sleep(Duration::from_millis(400)).await;
    streamer.stop().await;

    assert_eq!(printed.text(), "[app] one\n[app] two\n[app] three\n");
    let events = recorded_events(output.hub(), Stream::ApplicationLogs, |e| match e {
        EventType::ApplicationLogEvent(l) => Some((l.pod_name.clone(), l.message.clone())),
        _ => None,
    });
    assert_eq!(
        events,
        [
            (first.clone(), "one\n".to_owned()),
            (first, "two\n".to_owned()),
            (second, "three\n".to_owned()),
        ]
    );
}

#[tokio::test]
async fn a_pod_recreated_under_its_name_is_followed_from_its_first_line() {
    let fake = FakeCluster::start().await.unwrap();
    let mut pod = labelled_pod_template();
    pod["apiVersion"] = json!("v1");
    pod["kind"] = json!("Pod");
    pod["metadata"]["name"] = json!("solo");
    pod["metadata"]["namespace"] = json!("default");
    fake.create(pod).unwrap();
    running_pod(&fake, "solo", &[]).await;

    let (output, printed) = recorded_output();
    let settings = LogSettings {
        prefix: LogPrefix::PodAndContainer,
        color: true,
        ..LogSettings::default()
    };
    let _streamer = PodLogStreamer::start(
        fake.client(),
        &["default".to_owned()],
        RUN_ID,
        settings,
        output,
    );
    fake.append_log("default", "solo", "app", "before").unwrap();
    printed_contains(&printed, "\x1b[91m[solo app] \x1b[0mbefore\n").await;

    assert_eq!(fake.pods().replace("default", "solo").unwrap(), "solo");
    let recreated = fake
        .wait_until(PATIENCE, |f| {
            f.get("v1", "Pod", Some("default"), "solo")
                .is_some_and(|p| p["status"]["phase"] == "Running")
        })
        .await;
    assert!(recreated);
    // The fake only keeps lines for a pod once it is known, so wait for the new one.
    let ok = fake
        .wait_until(PATIENCE, |f| {
            f.append_log("default", "solo", "app", "after").is_ok()
        })
        .await;
    assert!(ok);
    printed_contains(&printed, "[solo app] \x1b[0mafter\n").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        printed.text().matches("before").count(),
        1,
        "{:?}",
        printed.text()
    );
    assert_eq!(printed.text().matches("after").count(), 1);
}
