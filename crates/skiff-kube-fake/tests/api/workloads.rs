//! The controllers and the kubelet simulation, seen through kube-rs: rollouts, failing pods,
//! deadlines, replacement, cascading deletes, Jobs and Events.

use crate::support::{
    STEP, api_error, apply, deployment, pod_when, ready_pods, rolled_out, within,
};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, DeleteParams, ListParams, LogParams, Patch, PatchParams};
use serde_json::json;
use skiff_kube_fake::{FakeCluster, PodBehaviour};
use std::time::Duration;

fn waiting_reason(pod: &Pod) -> Option<String> {
    pod.status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .first()?
        .state
        .as_ref()?
        .waiting
        .as_ref()?
        .reason
        .clone()
}

fn condition<'a>(
    d: &'a Deployment,
    kind: &str,
) -> Option<&'a k8s_openapi::api::apps::v1::DeploymentCondition> {
    d.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == kind)
}

#[tokio::test]
async fn deployment_rolls_out_to_available_and_rolls_again_on_a_new_template() {
    let fake = FakeCluster::start().await.unwrap();
    let first = rolled_out(&fake, &deployment("web", "app:1", 2)).await;
    let status = first.status.clone().unwrap();
    assert_eq!(
        (
            status.replicas,
            status.updated_replicas,
            status.ready_replicas,
            status.available_replicas
        ),
        (Some(2), Some(2), Some(2), Some(2))
    );
    assert_eq!(status.observed_generation, Some(1));
    assert_eq!(condition(&first, "Available").unwrap().status, "True");

    let pods = ready_pods(&fake, "web", 2).await;
    let pod = fake.get("v1", "Pod", Some("default"), &pods[0]).unwrap();
    let owner = &pod["metadata"]["ownerReferences"][0];
    assert_eq!(
        (owner["kind"].as_str(), owner["controller"].as_bool()),
        (Some("ReplicaSet"), Some(true))
    );
    let hash = pod["metadata"]["labels"]["pod-template-hash"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(owner["name"], format!("web-{hash}"));

    let second = rolled_out(&fake, &deployment("web", "app:2", 2)).await;
    assert_eq!(second.status.unwrap().observed_generation, Some(2));
    let fresh = ready_pods(&fake, "web", 2).await;
    assert!(
        fresh.iter().all(|p| !pods.contains(p)),
        "all pods replaced: {pods:?} -> {fresh:?}"
    );
    for name in &fresh {
        assert_eq!(
            fake.get("v1", "Pod", Some("default"), name).unwrap()["spec"]["containers"][0]["image"],
            "app:2"
        );
    }
    let sets: Api<ReplicaSet> = Api::namespaced(fake.client(), "default");
    let mut replicas: Vec<i32> = sets
        .list(&ListParams::default().labels("app=web"))
        .await
        .unwrap()
        .items
        .iter()
        .map(|rs| rs.spec.as_ref().unwrap().replicas.unwrap())
        .collect();
    replicas.sort();
    assert_eq!(replicas, [0, 2], "the old replica set is scaled down");
}

#[tokio::test]
async fn image_pull_backoff_reports_like_a_kubelet() {
    let fake = FakeCluster::start().await.unwrap();
    fake.on_image("registry.local/app:missing", PodBehaviour::ImagePullBackOff);
    let deployments: Api<Deployment> = Api::namespaced(fake.client(), "default");
    apply(
        &deployments,
        &deployment("web", "registry.local/app:missing", 1),
    )
    .await;
    assert!(
        fake.wait_until(STEP, |f| f
            .pods()
            .names("default", "app=web")
            .unwrap()
            .len()
            == 1)
            .await
    );
    let name = fake.pods().names("default", "app=web").unwrap().remove(0);
    let pod = pod_when(&fake, &name, |p| waiting_reason(p).is_some()).await;

    let status = pod.status.unwrap();
    assert_eq!(status.phase.as_deref(), Some("Pending"));
    let container = &status.container_statuses.unwrap()[0];
    let waiting = container.state.as_ref().unwrap().waiting.as_ref().unwrap();
    assert_eq!(waiting.reason.as_deref(), Some("ImagePullBackOff"));
    assert_eq!(
        waiting.message.as_deref(),
        Some("Back-off pulling image \"registry.local/app:missing\"")
    );
    assert_eq!((container.ready, container.restart_count), (false, 0));
    let ready = status
        .conditions
        .unwrap()
        .into_iter()
        .find(|c| c.type_ == "Ready")
        .unwrap();
    assert_eq!(
        (ready.status.as_str(), ready.reason.as_deref()),
        ("False", Some("ContainersNotReady"))
    );

    let pods: Api<Pod> = Api::namespaced(fake.client(), "default");
    let err = api_error(pods.logs(&name, &LogParams::default()).await.unwrap_err());
    assert_eq!(err.code, 400);
    assert!(
        err.message
            .ends_with("is waiting to start: trying and failing to pull image"),
        "{}",
        err.message
    );

    let d = deployments.get("web").await.unwrap();
    assert_eq!(condition(&d, "Available").unwrap().status, "False");
    assert_eq!(
        condition(&d, "Progressing").unwrap().reason.as_deref(),
        Some("ReplicaSetUpdated")
    );
}

#[tokio::test]
async fn crash_loop_backoff_reports_restarts_and_the_last_exit() {
    let fake = FakeCluster::start().await.unwrap();
    fake.on_image(
        "app:crash",
        PodBehaviour::CrashLoopBackOff {
            exit_code: 137,
            restarts: 3,
        },
    );
    let pods: Api<Pod> = Api::namespaced(fake.client(), "default");
    apply(&pods, &crate::support::pod("crasher", "app:crash")).await;
    let pod = pod_when(&fake, "crasher", |p| waiting_reason(p).is_some()).await;
    assert_eq!(waiting_reason(&pod).as_deref(), Some("CrashLoopBackOff"));
    let status = pod.status.unwrap();
    assert_eq!(status.phase.as_deref(), Some("Running"));
    let container = &status.container_statuses.unwrap()[0];
    assert_eq!(container.restart_count, 3);
    let last = container
        .last_state
        .as_ref()
        .unwrap()
        .terminated
        .as_ref()
        .unwrap();
    assert_eq!(
        (last.exit_code, last.reason.as_deref()),
        (137, Some("Error"))
    );
}

#[tokio::test]
async fn a_stalled_rollout_exceeds_its_progress_deadline() {
    let fake = FakeCluster::start().await.unwrap();
    fake.on_image("app:slow", PodBehaviour::NotReady);
    let mut manifest = deployment("web", "app:slow", 1);
    manifest["spec"]["progressDeadlineSeconds"] = json!(1);
    let api: Api<Deployment> = Api::namespaced(fake.client(), "default");
    apply(&api, &manifest).await;
    let timed_out = within("progress deadline", async {
        loop {
            let d = api.get("web").await.unwrap();
            if let Some(c) = condition(&d, "Progressing").filter(|c| c.status == "False") {
                return c.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert_eq!(
        timed_out.reason.as_deref(),
        Some("ProgressDeadlineExceeded")
    );
    assert!(
        timed_out
            .message
            .unwrap()
            .ends_with("has timed out progressing.")
    );
}

#[tokio::test]
async fn replaced_pods_come_back_and_deletes_cascade() {
    let fake = FakeCluster::start().await.unwrap();
    rolled_out(&fake, &deployment("web", "app:1", 1)).await;
    let before = ready_pods(&fake, "web", 1).await;
    let after = fake.pods().replace("default", &before[0]).unwrap();
    assert_ne!(after, before[0]);
    assert_eq!(ready_pods(&fake, "web", 1).await, [after]);

    let api: Api<Deployment> = Api::namespaced(fake.client(), "default");
    api.delete("web", &DeleteParams::default()).await.unwrap();
    assert!(
        fake.list("apps/v1", "ReplicaSet", Some("default"))
            .is_empty()
    );
    assert!(fake.list("v1", "Pod", Some("default")).is_empty());
}

#[tokio::test]
async fn jobs_complete_and_their_template_is_immutable() {
    let fake = FakeCluster::start().await.unwrap();
    fake.on_image("task:1", PodBehaviour::Completed);
    let jobs: Api<Job> = Api::namespaced(fake.client(), "default");
    let job = |image: &str| {
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "task"},
            "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "t", "image": image}]}}}})
    };
    apply(&jobs, &job("task:1")).await;
    let done = within(
        "job completion",
        kube::runtime::wait::await_condition(
            jobs.clone(),
            "task",
            kube::runtime::wait::conditions::is_job_completed(),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(done.status.unwrap().succeeded, Some(1));
    let err = jobs
        .patch(
            "task",
            &PatchParams::apply("skaffold").force(),
            &Patch::Apply(job("task:2")),
        )
        .await
        .unwrap_err();
    let status = api_error(err);
    assert_eq!(status.code, 422);
    assert!(
        status.message.contains("spec.template: Invalid value")
            && status.message.ends_with("field is immutable"),
        "{}",
        status.message
    );
}

#[tokio::test]
async fn recorded_events_are_listed_by_involved_object() {
    let fake = FakeCluster::start().await.unwrap();
    let pods: Api<Pod> = Api::namespaced(fake.client(), "default");
    let created = apply(&pods, &crate::support::pod("web", "app:1")).await;
    fake.record_event(
        "default",
        "Pod",
        "web",
        "Warning",
        "FailedScheduling",
        "0/1 nodes are available: 1 Insufficient cpu.",
    )
    .unwrap();
    let events: Api<Event> = Api::namespaced(fake.client(), "default");
    let selected = events
        .list(&ListParams::default().fields("involvedObject.name=web,involvedObject.kind=Pod"))
        .await
        .unwrap();
    assert_eq!(selected.items.len(), 1);
    let event = &selected.items[0];
    assert_eq!(
        (event.type_.as_deref(), event.reason.as_deref()),
        (Some("Warning"), Some("FailedScheduling"))
    );
    assert_eq!(event.involved_object.uid, created.metadata.uid);
    assert!(
        events
            .list(&ListParams::default().fields("involvedObject.name=other"))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}
