//! Pod logs through kube-rs: plain reads, follow streams across appended lines, and a pod
//! replaced while its log is followed.

use crate::support::{apply, deployment, pod, pod_when, ready_pods, rolled_out, within};
use futures_util::{AsyncBufReadExt, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};
use skiff_kube_fake::FakeCluster;

fn follow() -> LogParams {
    LogParams {
        follow: true,
        container: Some("app".into()),
        ..LogParams::default()
    }
}

#[tokio::test]
async fn reads_tail_and_timestamps() {
    let fake = FakeCluster::start().await.unwrap();
    let api: Api<Pod> = Api::namespaced(fake.client(), "default");
    apply(&api, &pod("web", "app:1")).await;
    for line in ["one", "two", "three"] {
        fake.append_log("default", "web", "app", line).unwrap();
    }
    assert_eq!(
        api.logs("web", &LogParams::default()).await.unwrap(),
        "one\ntwo\nthree\n"
    );
    let tail = api
        .logs(
            "web",
            &LogParams {
                tail_lines: Some(1),
                timestamps: true,
                ..LogParams::default()
            },
        )
        .await
        .unwrap();
    let (stamp, text) = tail.split_once(' ').unwrap();
    assert!(stamp.parse::<jiff::Timestamp>().is_ok(), "{stamp}");
    assert_eq!(text, "three\n");
    assert!(
        fake.append_log("default", "web", "sidecar", "x").is_err(),
        "unknown container"
    );
}

#[tokio::test]
async fn follow_streams_appended_lines_until_the_pod_is_deleted() {
    let fake = FakeCluster::start().await.unwrap();
    let api: Api<Pod> = Api::namespaced(fake.client(), "default");
    apply(&api, &pod("web", "app:1")).await;
    pod_when(&fake, "web", |p| {
        p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
    })
    .await;
    fake.append_log("default", "web", "app", "first").unwrap();
    let mut lines = api.log_stream("web", &follow()).await.unwrap().lines();
    assert_eq!(
        within("backlog", lines.next()).await.unwrap().unwrap(),
        "first"
    );
    fake.append_log("default", "web", "app", "second").unwrap();
    assert_eq!(
        within("appended line", lines.next())
            .await
            .unwrap()
            .unwrap(),
        "second"
    );
    fake.pods().delete("default", "web").unwrap();
    assert!(within("end of stream", lines.next()).await.is_none());
}

#[tokio::test]
async fn a_pod_replaced_mid_log_ends_its_stream_and_the_new_pod_has_its_own_log() {
    let fake = FakeCluster::start().await.unwrap();
    rolled_out(&fake, &deployment("web", "app:1", 1)).await;
    let old = ready_pods(&fake, "web", 1).await.remove(0);
    let api: Api<Pod> = Api::namespaced(fake.client(), "default");
    fake.append_log("default", &old, "app", "old pod says hi")
        .unwrap();
    let mut lines = api.log_stream(&old, &follow()).await.unwrap().lines();
    assert_eq!(
        within("old line", lines.next()).await.unwrap().unwrap(),
        "old pod says hi"
    );

    let new = fake.pods().replace("default", &old).unwrap();
    assert!(within("old stream ends", lines.next()).await.is_none());
    ready_pods(&fake, "web", 1).await;
    let mut lines = api.log_stream(&new, &follow()).await.unwrap().lines();
    fake.append_log("default", &new, "app", "new pod says hi")
        .unwrap();
    assert_eq!(
        within("new line", lines.next()).await.unwrap().unwrap(),
        "new pod says hi"
    );
}
