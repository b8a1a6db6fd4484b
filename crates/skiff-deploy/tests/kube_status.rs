//! The Kubernetes status check against the fake API server: its controllers roll Deployments
//! out and its kubelet simulation gives each pod the state its image is scripted for.

use std::time::Duration;

use serde_json::{Value, json};
use skiff_deploy::DeployError;
use skiff_deploy::kubernetes::monitor::{Selection, StatusCheckSettings, status_check};
use skiff_deploy::kubernetes::status::CheckSettings;
use skiff_events::{Output, Stream};
use skiff_kube_fake::{FakeCluster, PodBehaviour};
use skiff_proto::enums::{StatusCode, SuggestionCode};
use skiff_proto::v2::StatusCheckSubtaskEvent;
use skiff_proto::v2::event::EventType;
use skiff_testenv::{Printed, recorded_events, recorded_output};
use tokio::time::Instant;

const RUN_ID: &str = "r1";

/// How long any status check in these tests may take before the test fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(20);

/// A Deployment of one replica labelled with the run id, container `app` running `image`.
fn deployment(name: &str, image: &str) -> Value {
    let labels = json!({"app": name, "skaffold.dev/run-id": RUN_ID});
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default", "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
        },
    })
}

/// A standalone Pod labelled with the run id, container `app` running `image`.
fn pod(name: &str, image: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": {"skaffold.dev/run-id": RUN_ID}},
        "spec": {"containers": [{"name": "app", "image": image}]},
    })
}

fn settings(deadline: Duration) -> StatusCheckSettings {
    StatusCheckSettings {
        check: CheckSettings {
            deadline,
            tolerate_failures: false,
        },
        fail_fast: true,
    }
}

/// A status check of the run in `default` with `settings`, its result, what it printed and
/// how long it took.
async fn check(
    fake: &FakeCluster,
    settings: StatusCheckSettings,
) -> (Result<(), DeployError>, Output, Printed, Duration) {
    let (output, printed) = recorded_output();
    let selection = Selection::run(RUN_ID, ["default"]);
    let start = Instant::now();
    let result = tokio::time::timeout(
        LIMIT,
        status_check(&fake.client(), &selection, settings, &output),
    )
    .await
    .expect("the status check ends");
    (result, output, printed, start.elapsed())
}

fn status_events(output: &Output) -> Vec<StatusCheckSubtaskEvent> {
    recorded_events(output.hub(), Stream::Events, |e| match e {
        EventType::StatusCheckSubtaskEvent(s) => Some(s.clone()),
        _ => None,
    })
}

/// The `(status, code)` of each event about `resource`, in order.
fn history_of(events: &[StatusCheckSubtaskEvent], resource: &str) -> Vec<(String, i32)> {
    events
        .iter()
        .filter(|e| e.resource == resource)
        .map(|e| (e.status.clone(), e.status_code))
        .collect()
}

/// The name of the one pod labelled `app=<app>`, once it exists.
async fn only_pod(fake: &FakeCluster, app: &str) -> String {
    let selector = format!("app={app}");
    assert!(
        fake.wait_until(LIMIT, |f| f
            .pods()
            .names("default", &selector)
            .unwrap()
            .len()
            == 1)
            .await,
        "the pod of {app} appears"
    );
    fake.pods().names("default", &selector).unwrap().remove(0)
}

#[tokio::test]
async fn a_rollout_that_succeeds_is_ready_and_stabilized() {
    let fake = FakeCluster::start().await.unwrap();
    fake.create(deployment("web", "app:1")).unwrap();

    let (result, output, printed, _) = check(&fake, StatusCheckSettings::default()).await;
    result.unwrap();

    let text = printed.text();
    assert!(
        text.starts_with("Waiting for deployments to stabilize...\n"),
        "{text}"
    );
    assert!(text.contains(" - deployment/web is ready.\n"), "{text}");
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("Deployments stabilized in "), "{text}");

    let events = status_events(&output);
    assert_eq!(
        history_of(&events, "deployment/web"),
        [
            (
                "InProgress".into(),
                StatusCode::StatuscheckDeploymentRolloutPending as i32
            ),
            ("Succeeded".into(), StatusCode::StatuscheckSuccess as i32),
        ]
    );
    assert!(events.iter().all(|e| e.task_id == "Deploy-0"));
    let pod = only_pod(&fake, "web").await;
    assert_eq!(
        history_of(&events, &format!("pod/{pod}")).last(),
        Some(&("Succeeded".into(), StatusCode::StatuscheckSuccess as i32)),
        "{events:?}"
    );
}

#[tokio::test]
async fn an_image_that_cannot_be_pulled_fails_at_once() {
    let fake = FakeCluster::start().await.unwrap();
    fake.on_image("app:missing", PodBehaviour::ImagePullBackOff);
    fake.create(deployment("web", "app:missing")).unwrap();

    let (result, output, printed, took) = check(&fake, StatusCheckSettings::default()).await;
    let err = result.unwrap_err();
    assert_eq!(err.code, StatusCode::StatuscheckImagePullErr);
    assert_eq!(err.message, "1/1 deployment(s) failed");
    assert_eq!(
        err.suggestion.map(|(code, _)| code),
        Some(SuggestionCode::CheckContainerImage)
    );
    assert!(
        took < Duration::from_secs(5),
        "no waiting for the deadline: {took:?}"
    );
    let text = printed.text();
    assert!(
        text.contains(
            " - deployment/web failed. Error: container app is waiting to start: app:missing can't be pulled.\n"
        ),
        "{text}"
    );
    assert!(!text.contains("Deployments stabilized"), "{text}");
    let failed = status_events(&output)
        .into_iter()
        .rfind(|e| e.resource == "deployment/web")
        .unwrap();
    assert_eq!(failed.status, "Failed");
    assert_eq!(
        failed.status_code,
        StatusCode::StatuscheckImagePullErr as i32
    );
}

#[tokio::test]
async fn a_crash_looping_container_fails_with_its_logs() {
    let fake = FakeCluster::start().await.unwrap();
    fake.on_image(
        "app:crash",
        PodBehaviour::CrashLoopBackOff {
            exit_code: 1,
            restarts: 3,
        },
    );
    fake.create(deployment("web", "app:crash")).unwrap();
    let pod = only_pod(&fake, "web").await;
    fake.append_log("default", &pod, "app", "starting\n")
        .unwrap();
    fake.append_log("default", &pod, "app", "panic: no config\n")
        .unwrap();

    let (result, _, printed, _) = check(&fake, StatusCheckSettings::default()).await;
    let err = result.unwrap_err();
    assert_eq!(err.code, StatusCode::StatuscheckContainerRestarting);
    let text = printed.text();
    assert!(
        text.contains(&format!(
            "    - pod/{pod}: container app is backing off waiting to restart\n      > [{pod} app] starting\n      > [{pod} app] panic: no config\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(
            " - deployment/web failed. Error: container app is backing off waiting to restart.\n"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn a_resource_still_pending_at_its_deadline_fails() {
    let fake = FakeCluster::start().await.unwrap();
    fake.on_image("app:never-ready", PodBehaviour::NotReady);
    fake.create(deployment("web", "app:never-ready")).unwrap();

    let (result, _, printed, took) = check(&fake, settings(Duration::from_secs(1))).await;
    let err = result.unwrap_err();
    assert_eq!(err.code, StatusCode::StatuscheckDeadlineExceeded);
    assert_eq!(err.message, "1/1 deployment(s) failed");
    assert!(
        took >= Duration::from_secs(2),
        "one last poll after the deadline: {took:?}"
    );
    let text = printed.text();
    assert!(
        text.contains(" - deployment/web failed. Error: could not stabilize within 1s.\n"),
        "{text}"
    );
}

#[tokio::test]
async fn standalone_pods_are_checked_together() {
    let fake = FakeCluster::start().await.unwrap();
    fake.on_image(
        "app:slow",
        PodBehaviour::ReadyAfter(Duration::from_millis(1500)),
    );
    fake.create(pod("one", "app:1")).unwrap();
    fake.create(pod("two", "app:slow")).unwrap();

    let (result, output, printed, took) = check(&fake, StatusCheckSettings::default()).await;
    result.unwrap();
    assert!(
        took >= Duration::from_millis(1500),
        "waits for the slow pod: {took:?}"
    );
    assert!(printed.text().contains(" - pods is ready.\n"));
    let events = status_events(&output);
    assert_eq!(
        history_of(&events, "pods"),
        [
            (
                "InProgress".into(),
                StatusCode::StatuscheckStandalonePodsPending as i32
            ),
            ("Succeeded".into(), StatusCode::StatuscheckSuccess as i32),
        ]
    );
    assert_eq!(
        history_of(&events, "pod/two"),
        [
            (
                "InProgress".into(),
                StatusCode::StatuscheckContainerCreating as i32
            ),
            ("Succeeded".into(), StatusCode::StatuscheckSuccess as i32),
        ]
    );
}

#[tokio::test]
async fn the_first_failure_cancels_the_other_checks() {
    let fake = FakeCluster::start().await.unwrap();
    fake.on_image("app:missing", PodBehaviour::ImagePullBackOff);
    fake.on_image("app:never-ready", PodBehaviour::NotReady);
    fake.create(deployment("broken", "app:missing")).unwrap();
    fake.create(deployment("waiting", "app:never-ready"))
        .unwrap();

    let (result, output, printed, took) = check(&fake, StatusCheckSettings::default()).await;
    let err = result.unwrap_err();
    assert_eq!(err.code, StatusCode::StatuscheckImagePullErr);
    assert_eq!(err.message, "1/2 deployment(s) failed");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let text = printed.text();
    assert!(text.contains(" - deployment/broken failed."), "{text}");
    assert!(!text.contains("deployment/waiting"), "{text}");
    assert_eq!(
        history_of(&status_events(&output), "deployment/waiting"),
        [
            (
                "InProgress".into(),
                StatusCode::StatuscheckDeploymentRolloutPending as i32
            ),
            (
                "Canceled".into(),
                StatusCode::StatuscheckUserCancelled as i32
            ),
        ]
    );
}

#[tokio::test]
async fn without_fail_fast_every_check_runs_to_its_end() {
    let fake = FakeCluster::start().await.unwrap();
    fake.on_image("app:missing", PodBehaviour::ImagePullBackOff);
    fake.create(deployment("broken", "app:missing")).unwrap();
    fake.create(deployment("fine", "app:1")).unwrap();

    let settings = StatusCheckSettings {
        fail_fast: false,
        ..StatusCheckSettings::default()
    };
    let (result, _, printed, _) = check(&fake, settings).await;
    let err = result.unwrap_err();
    assert_eq!(err.code, StatusCode::StatuscheckInternalError);
    assert_eq!(err.message, "1/2 deployment(s) failed");
    assert!(printed.text().contains(" - deployment/fine is ready."));
}

#[tokio::test]
async fn a_run_with_nothing_to_check_is_stable_at_once() {
    let fake = FakeCluster::start().await.unwrap();
    let unlabelled = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "other", "namespace": "default"},
        "spec": {"containers": [{"name": "app", "image": "app:1"}]},
    });
    fake.create(unlabelled).unwrap();

    let (result, output, printed, _) = check(&fake, StatusCheckSettings::default()).await;
    result.unwrap();
    assert!(status_events(&output).is_empty());
    assert!(printed.text().contains("Deployments stabilized in "));
}

#[tokio::test]
async fn an_unreachable_cluster_fails_the_listing() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let client = kube::Client::try_from(kube::Config::new(url.parse().unwrap())).unwrap();
    let (output, _) = recorded_output();
    let err = status_check(
        &client,
        &Selection::run(RUN_ID, ["default"]),
        StatusCheckSettings::default(),
        &output,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, StatusCode::StatuscheckDeploymentFetchErr);
    assert!(
        err.message
            .starts_with("could not fetch deployments in namespace \"default\": "),
        "{}",
        err.message
    );
    assert_eq!(
        err.suggestion.map(|(code, _)| code),
        Some(SuggestionCode::CheckClusterConnection)
    );
}

#[tokio::test]
async fn a_resource_still_pending_is_reported_every_five_seconds() {
    let fake = FakeCluster::start().await.unwrap();
    fake.on_image("app:never-ready", PodBehaviour::NotReady);
    fake.create(deployment("web", "app:never-ready")).unwrap();

    let (result, output, printed, _) = check(&fake, settings(Duration::from_secs(5))).await;
    assert_eq!(
        result.unwrap_err().code,
        StatusCode::StatuscheckDeadlineExceeded
    );
    let report = " - deployment/web: waiting for rollout to finish: 0 of 1 updated replicas are available...\n";
    let text = printed.text();
    assert_eq!(text.matches(report).count(), 1, "{text}");
    let failed = " - deployment/web failed. Error: could not stabilize within 5s.\n";
    assert!(
        text.find(report) < text.find(failed),
        "the report comes before the failure: {text}"
    );
    assert_eq!(
        history_of(&status_events(&output), "deployment/web"),
        [
            (
                "InProgress".into(),
                StatusCode::StatuscheckDeploymentRolloutPending as i32
            ),
            (
                "InProgress".into(),
                StatusCode::StatuscheckDeploymentRolloutPending as i32
            ),
            (
                "Failed".into(),
                StatusCode::StatuscheckDeadlineExceeded as i32
            ),
        ]
    );
}

#[tokio::test]
async fn tolerated_failures_keep_the_check_going_until_the_deadline() {
    let fake = FakeCluster::start().await.unwrap();
    fake.on_image("app:missing", PodBehaviour::ImagePullBackOff);
    fake.create(deployment("web", "app:missing")).unwrap();

    let settings = StatusCheckSettings {
        check: CheckSettings {
            deadline: Duration::from_secs(2),
            tolerate_failures: true,
        },
        fail_fast: true,
    };
    let (result, _, printed, took) = check(&fake, settings).await;
    assert_eq!(
        result.unwrap_err().code,
        StatusCode::StatuscheckImagePullErr
    );
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(6),
        "ends one poll after the deadline, though tolerated failures poll every 10 s: {took:?}"
    );
    assert!(printed.text().contains(" - deployment/web failed."));
}
