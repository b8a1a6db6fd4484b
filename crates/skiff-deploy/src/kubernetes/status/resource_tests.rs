use std::collections::HashMap;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{Event, Pod};
use skiff_proto::enums::SuggestionCode;

use super::*;
use crate::kubernetes::status::fixtures::object;
use crate::kubernetes::status::{Aggregate, diagnose};

const IMAGE: &str = "localhost:5000/web:abc";

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn settings() -> CheckSettings {
    CheckSettings {
        deadline: secs(600),
        tolerate_failures: false,
    }
}

/// Deployment `web` with one replica, `status` and `extra_spec` (YAML), as the API returns it.
fn deployment(namespace: &str, extra_spec: &str, status: &str) -> Deployment {
    object(&format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {namespace}
  uid: d-1
  generation: 1
  labels: {{app: web, skaffold.dev/run-id: r1}}
  annotations: {{deployment.kubernetes.io/revision: '1'}}
spec:
  replicas: 1
  {extra_spec}
  selector: {{matchLabels: {{app: web}}}}
  strategy: {{type: RollingUpdate, rollingUpdate: {{maxSurge: 25%, maxUnavailable: 25%}}}}
  template:
    metadata: {{labels: {{app: web, skaffold.dev/run-id: r1}}}}
    spec: {{containers: [{{name: web, image: '{IMAGE}'}}]}}
status: {status}"
    ))
}

const ROLLING_OUT: &str = "{observedGeneration: 1, replicas: 1, updatedReplicas: 1, unavailableReplicas: 1, \
    conditions: [{type: Available, status: 'False', reason: MinimumReplicasUnavailable}, \
    {type: Progressing, status: 'True', reason: ReplicaSetUpdated}]}";

const ROLLED_OUT: &str = "{observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1, \
    conditions: [{type: Available, status: 'True', reason: MinimumReplicasAvailable}, \
    {type: Progressing, status: 'True', reason: NewReplicaSetAvailable}]}";

/// The ReplicaSet the Deployment controller creates for `deployment`.
fn replica_set(namespace: &str, conditions: &str) -> ReplicaSet {
    object(&format!(
        "apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d9c
  namespace: {namespace}
  uid: rs-1
  creationTimestamp: '2024-01-01T00:00:00Z'
  labels: {{app: web, pod-template-hash: 5d9c, skaffold.dev/run-id: r1}}
  ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: web, uid: d-1, controller: true, blockOwnerDeletion: true}}]
spec:
  replicas: 1
  selector: {{matchLabels: {{app: web, pod-template-hash: 5d9c}}}}
  template:
    metadata: {{labels: {{app: web, pod-template-hash: 5d9c, skaffold.dev/run-id: r1}}}}
    spec: {{containers: [{{name: web, image: '{IMAGE}'}}]}}
status: {{replicas: 1, conditions: {conditions}}}"
    ))
}

/// Pod `name` of `owner` (a ReplicaSet or StatefulSet uid, or none) with the YAML `status`.
fn pod(namespace: &str, name: &str, owner: Option<(&str, &str)>, status: &str) -> Pod {
    let owners = owner.map_or(String::new(), |(kind, uid)| {
        format!(
            "\n  ownerReferences: [{{apiVersion: apps/v1, kind: {kind}, name: owner, uid: {uid}, controller: true}}]"
        )
    });
    object(&format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {namespace}
  uid: {name}-uid
  labels: {{app: web, skaffold.dev/run-id: r1}}{owners}
spec:
  containers: [{{name: web, image: '{IMAGE}'}}]
status:
{status}"
    ))
}

/// A scheduled pod's status whose container `web` is in `state`.
fn waiting_status(phase: &str, state: &str, restarts: u32) -> String {
    format!(
        "  phase: {phase}
  conditions:
  - {{type: Initialized, status: 'True'}}
  - {{type: Ready, status: 'False', reason: ContainersNotReady}}
  - {{type: ContainersReady, status: 'False', reason: ContainersNotReady}}
  - {{type: PodScheduled, status: 'True'}}
  containerStatuses:
  - {{name: web, image: '{IMAGE}', imageID: '', ready: false, restartCount: {restarts}, state: {state}}}"
    )
}

const READY: &str = "  phase: Running
  conditions:
  - {type: Initialized, status: 'True'}
  - {type: Ready, status: 'True'}
  - {type: ContainersReady, status: 'True'}
  - {type: PodScheduled, status: 'True'}
  containerStatuses:
  - {name: web, image: web, imageID: x, ready: true, restartCount: 0, state: {running: {startedAt: '2024-01-01T00:00:00Z'}}}";

/// The target's side of a poll: picks the workload's pods, fetches the logs they ask for
/// from `logs` (by container) and diagnoses them with `events`.
fn diagnosed(
    workload: &Workload<'_>,
    pods: &[Pod],
    events: &[Event],
    logs: &HashMap<&str, Result<String, String>>,
) -> Vec<PodStatus> {
    workload
        .pods(pods)
        .into_iter()
        .map(|pod| {
            let diagnosis = diagnose(pod);
            let wanted = diagnosis.logs_wanted().and_then(|c| logs.get(c)).cloned();
            diagnosis.finish(wanted, events)
        })
        .collect()
}

/// Polls `check` once with a Deployment in `status` and `pods`.
fn poll_deployment(
    check: &mut ResourceCheck,
    d: &Deployment,
    sets: &[ReplicaSet],
    pods: &[Pod],
    at: Instant,
) -> Progress {
    let workload = Workload::Deployment {
        deployment: d,
        replica_sets: sets,
    };
    let statuses = diagnosed(&workload, pods, &[], &HashMap::new());
    check.observe(&workload, &statuses, at)
}

fn failure(progress: &Progress) -> &Failure {
    match &progress.state {
        CheckState::Failed(failure) => failure,
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn pending(seconds: u64) -> CheckState {
    CheckState::Pending {
        next_poll: secs(seconds),
    }
}

#[test]
fn a_fresh_rollout_goes_from_creating_to_ready() {
    let t0 = Instant::now();
    let rolling = deployment("default", "", ROLLING_OUT);
    let sets = [replica_set("default", "[]")];
    let owner = Some(("ReplicaSet", "rs-1"));
    let mut check = ResourceCheck::deployment(&rolling, settings(), t0);
    assert_eq!(check.id(), "deployment/web");
    assert_eq!(check.deadline(), secs(600));

    let creating = [pod(
        "default",
        "web-5d9c-xk2",
        owner,
        &waiting_status("Pending", "{waiting: {reason: ContainerCreating}}", 0),
    )];
    let progress = poll_deployment(&mut check, &rolling, &sets, &creating, t0 + secs(1));
    assert_eq!(progress.state, pending(1));
    let [update] = &progress.updates[..] else {
        panic!("one pod update expected: {:?}", progress.updates);
    };
    assert_eq!(update.id, "pod/web-5d9c-xk2");
    assert_eq!(update.status, Status::InProgress);
    assert_eq!(update.update.message, "creating container web");
    assert_eq!(
        update.update.status_code,
        StatusCode::StatuscheckContainerCreating as i32
    );
    assert_eq!(
        update.log.as_deref(),
        Some(" - pod/web-5d9c-xk2: creating container web\n")
    );

    let report = check.report().expect("a first report");
    assert_eq!(
        report.text,
        " - deployment/web: creating container web\n    - pod/web-5d9c-xk2: creating container web\n"
    );
    assert_eq!(report.update.id, "deployment/web");
    assert_eq!(report.update.status, Status::InProgress);
    assert_eq!(
        report.update.update.message,
        "waiting for rollout to finish: 0 of 1 updated replicas are available...\n"
    );
    assert_eq!(
        report.update.update.status_code,
        StatusCode::StatuscheckDeploymentRolloutPending as i32
    );
    assert!(check.report().is_none(), "nothing changed since");

    let again = poll_deployment(&mut check, &rolling, &sets, &creating, t0 + secs(2));
    assert!(again.updates.is_empty());
    assert!(check.report().is_none());

    let started = [pod(
        "default",
        "web-5d9c-xk2",
        owner,
        &waiting_status(
            "Running",
            "{running: {startedAt: '2024-01-01T00:00:02Z'}}",
            0,
        ),
    )];
    let progress = poll_deployment(&mut check, &rolling, &sets, &started, t0 + secs(3));
    assert!(progress.updates.is_empty());
    assert_eq!(
        check.report().map(|r| r.text).as_deref(),
        Some(
            " - deployment/web: waiting for rollout to finish: 0 of 1 updated replicas are available...\n"
        )
    );

    let done = deployment("default", "", ROLLED_OUT);
    let ready = [pod("default", "web-5d9c-xk2", owner, READY)];
    let progress = poll_deployment(&mut check, &done, &sets, &ready, t0 + secs(4));
    assert_eq!(progress.state, CheckState::Succeeded);
    let [update] = &progress.updates[..] else {
        panic!("one pod update expected");
    };
    assert_eq!(
        (
            update.id.as_str(),
            update.status,
            update.update.message.as_str()
        ),
        ("pod/web-5d9c-xk2", Status::Succeeded, "Succeeded")
    );
    assert_eq!(
        update.log.as_deref(),
        Some(" - pod/web-5d9c-xk2: running.\n")
    );
    assert!(check.is_finished());
    assert!(check.report().is_none());

    let mut aggregate = Aggregate::new(1, true);
    let recorded = aggregate.record(&check);
    assert!(!recorded.cancel_others);
    let summary = check.summary(recorded.counts).unwrap();
    assert_eq!(summary.text, " - deployment/web is ready.\n");
    assert_eq!(summary.update.status, Status::Succeeded);
    assert_eq!(
        summary.update.update.status_code,
        StatusCode::StatuscheckSuccess as i32
    );
    assert_eq!(aggregate.finish(), Ok(()));

    let later = poll_deployment(&mut check, &rolling, &sets, &creating, t0 + secs(5));
    assert_eq!(
        later.state,
        CheckState::Succeeded,
        "a finished check stays finished"
    );
}

#[test]
fn an_image_pull_error_fails_at_once_and_cancels_the_others() {
    let t0 = Instant::now();
    let rolling = deployment("dev", "", ROLLING_OUT);
    let sets = [replica_set("dev", "[]")];
    let pulling = [pod(
        "dev",
        "web-5d9c-xk2",
        Some(("ReplicaSet", "rs-1")),
        &waiting_status(
            "Pending",
            &format!(
                "{{waiting: {{reason: ImagePullBackOff, message: 'Back-off pulling image \"{IMAGE}\"'}}}}"
            ),
            0,
        ),
    )];
    let mut check = ResourceCheck::deployment(&rolling, settings(), t0);
    let set: StatefulSet = object("metadata: {name: db, namespace: dev, uid: s-1}");
    let mut other = ResourceCheck::stateful_set(&set, settings(), t0);
    assert_eq!(other.id(), "dev:statefulset/db");

    let progress = poll_deployment(&mut check, &rolling, &sets, &pulling, t0 + secs(1));
    let message = format!("container web is waiting to start: {IMAGE} can't be pulled");
    let expected = Failure::new(StatusCode::StatuscheckImagePullErr, message.clone()).suggest(
        SuggestionCode::CheckContainerImage,
        "Try checking container config `image`",
    );
    assert_eq!(failure(&progress), &expected);
    assert_eq!(progress.updates.len(), 1);
    assert_eq!(progress.updates[0].id, "dev:pod/web-5d9c-xk2");
    assert_eq!(progress.updates[0].update.err, Some(expected.actionable()));

    let mut aggregate = Aggregate::new(2, true);
    let recorded = aggregate.record(&check);
    assert!(recorded.cancel_others);
    assert_eq!(
        recorded.counts,
        Counts {
            total: 2,
            pending: 1
        }
    );
    let summary = check.summary(recorded.counts).unwrap();
    assert_eq!(
        summary.text,
        format!(
            " - dev:deployment/web: {message}\n    - dev:pod/web-5d9c-xk2: {message}\n - dev:deployment/web failed. Error: {message}.\n"
        )
    );
    assert_eq!(summary.update.status, Status::Failed);
    assert_eq!(summary.update.update.err, Some(expected.actionable()));

    other.cancel();
    assert!(other.is_cancelled() && other.is_finished());
    assert_eq!(
        other
            .observe(&Workload::StatefulSet(&set), &[], t0 + secs(2))
            .state,
        CheckState::Cancelled
    );
    let recorded = aggregate.record(&other);
    assert!(!recorded.cancel_others);
    assert!(other.summary(recorded.counts).is_none());
    assert_eq!(
        aggregate.finish(),
        Err(Failure::new(
            StatusCode::StatuscheckImagePullErr,
            "1/2 deployment(s) failed"
        )
        .suggest(
            SuggestionCode::CheckContainerImage,
            "Try checking container config `image`"
        ))
    );
}

#[test]
fn tolerated_failures_poll_slowly_until_the_deadline() {
    let t0 = Instant::now();
    let rolling = deployment("default", "progressDeadlineSeconds: 30", ROLLING_OUT);
    let sets = [replica_set("default", "[]")];
    let pulling = [pod(
        "default",
        "web-5d9c-xk2",
        Some(("ReplicaSet", "rs-1")),
        &waiting_status(
            "Pending",
            "{waiting: {reason: ErrImagePull, message: 'not found'}}",
            0,
        ),
    )];
    let tolerant = CheckSettings {
        tolerate_failures: true,
        ..settings()
    };
    let mut check = ResourceCheck::deployment(&rolling, tolerant, t0);
    assert_eq!(check.deadline(), secs(30));
    let progress = poll_deployment(&mut check, &rolling, &sets, &pulling, t0 + secs(1));
    assert_eq!(progress.state, pending(10));
    let progress = poll_deployment(&mut check, &rolling, &sets, &pulling, t0 + secs(30));
    assert_eq!(progress.state, pending(10));

    let progress = poll_deployment(&mut check, &rolling, &sets, &pulling, t0 + secs(31));
    let failure = failure(&progress);
    assert_eq!(
        failure.code,
        StatusCode::StatuscheckImagePullErr,
        "the pod's error wins"
    );
    assert_eq!(
        failure.message,
        format!("container web is waiting to start: {IMAGE} can't be pulled")
    );
}

#[test]
fn a_rollout_that_never_starts_exceeds_the_deadline() {
    let t0 = Instant::now();
    let waiting = deployment(
        "default",
        "",
        "{observedGeneration: 1, replicas: 0, updatedReplicas: 0}",
    );
    let mut check = ResourceCheck::deployment(&waiting, settings(), t0);
    let progress = poll_deployment(&mut check, &waiting, &[], &[], t0 + secs(1));
    assert_eq!(progress.state, pending(1));
    assert_eq!(
        check.report().unwrap().text,
        " - deployment/web: waiting for rollout to finish: 0 out of 1 new replicas have been updated...\n"
    );
    let progress = poll_deployment(&mut check, &waiting, &[], &[], t0 + secs(600));
    assert_eq!(progress.state, pending(1));

    let progress = poll_deployment(&mut check, &waiting, &[], &[], t0 + secs(601));
    assert_eq!(
        failure(&progress),
        &Failure::new(
            StatusCode::StatuscheckDeadlineExceeded,
            "could not stabilize within 10m0s"
        )
    );
    let mut aggregate = Aggregate::new(1, true);
    let summary = check.summary(aggregate.record(&check).counts).unwrap();
    assert_eq!(
        summary.text,
        " - deployment/web: could not stabilize within 10m0s\n - deployment/web failed. Error: could not stabilize within 10m0s.\n"
    );
    assert_eq!(
        aggregate.finish().unwrap_err(),
        Failure::new(
            StatusCode::StatuscheckDeadlineExceeded,
            "1/1 deployment(s) failed"
        )
    );
}

#[test]
fn a_crash_loop_fails_with_the_container_s_last_logs() {
    let t0 = Instant::now();
    let rolling = deployment("default", "", ROLLING_OUT);
    let sets = [replica_set("default", "[]")];
    let crashing = [pod(
        "default",
        "web-5d9c-xk2",
        Some(("ReplicaSet", "rs-1")),
        &waiting_status(
            "Running",
            "{waiting: {reason: CrashLoopBackOff, message: 'back-off 20s restarting failed container=web'}}",
            3,
        ),
    )];
    let workload = Workload::Deployment {
        deployment: &rolling,
        replica_sets: &sets,
    };
    let logs = HashMap::from([("web", Ok("listening\npanic: no config\n".to_owned()))]);
    let pods = diagnosed(&workload, &crashing, &[], &logs);
    let mut check = ResourceCheck::deployment(&rolling, settings(), t0);
    let progress = check.observe(&workload, &pods, t0 + secs(1));
    assert_eq!(
        failure(&progress),
        &Failure::new(
            StatusCode::StatuscheckContainerRestarting,
            "container web is backing off waiting to restart"
        )
    );
    let summary = check
        .summary(Counts {
            total: 1,
            pending: 0,
        })
        .unwrap();
    assert_eq!(
        summary.text,
        " - deployment/web: container web is backing off waiting to restart
    - pod/web-5d9c-xk2: container web is backing off waiting to restart
      > [web-5d9c-xk2 web] listening
      > [web-5d9c-xk2 web] panic: no config
 - deployment/web failed. Error: container web is backing off waiting to restart.
"
    );
}

#[test]
fn an_oom_killed_container_fails_with_its_exit_code() {
    let t0 = Instant::now();
    let rolling = deployment("default", "", ROLLING_OUT);
    let sets = [replica_set("default", "[]")];
    let killed = [pod(
        "default",
        "web-5d9c-xk2",
        Some(("ReplicaSet", "rs-1")),
        &waiting_status(
            "Running",
            "{terminated: {reason: OOMKilled, exitCode: 137}}",
            0,
        ),
    )];
    let mut check = ResourceCheck::deployment(&rolling, settings(), t0);
    let progress = poll_deployment(&mut check, &rolling, &sets, &killed, t0 + secs(1));
    assert_eq!(
        failure(&progress),
        &Failure::new(
            StatusCode::StatuscheckContainerTerminated,
            "container web terminated with exit code 137"
        )
        .suggest(
            SuggestionCode::CheckContainerLogs,
            "Try checking container logs"
        )
    );
}

#[test]
fn an_unschedulable_pod_stays_pending_until_the_deadline() {
    let t0 = Instant::now();
    let rolling = deployment("default", "", ROLLING_OUT);
    let sets = [replica_set("default", "[]")];
    let unschedulable = [pod(
        "default",
        "web-5d9c-xk2",
        Some(("ReplicaSet", "rs-1")),
        "  phase: Pending
  conditions:
  - type: PodScheduled
    status: 'False'
    reason: Unschedulable
    message: '0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }. preemption: 0/1 nodes are available.'",
    )];
    let mut check = ResourceCheck::deployment(&rolling, settings(), t0);
    let progress = poll_deployment(&mut check, &rolling, &sets, &unschedulable, t0 + secs(1));
    assert_eq!(progress.state, pending(1));
    let message = "Unschedulable: 0/1 nodes available: 1 node has disk pressure";
    assert_eq!(
        check.report().unwrap().text,
        format!(" - deployment/web: {message}\n    - pod/web-5d9c-xk2: {message}\n")
    );
    let progress = poll_deployment(&mut check, &rolling, &sets, &unschedulable, t0 + secs(601));
    assert_eq!(
        failure(&progress),
        &Failure::new(StatusCode::StatuscheckNodeDiskPressure, message)
    );
}

#[test]
fn a_failing_readiness_probe_is_reported_from_the_pod_s_events() {
    let t0 = Instant::now();
    let rolling = deployment("default", "", ROLLING_OUT);
    let sets = [replica_set("default", "[]")];
    let running = [pod(
        "default",
        "web-5d9c-xk2",
        Some(("ReplicaSet", "rs-1")),
        &waiting_status(
            "Running",
            "{running: {startedAt: '2024-01-01T00:00:00Z'}}",
            0,
        ),
    )];
    let unhealthy: Event = object(
        "metadata: {name: web-5d9c-xk2.17a, namespace: default}
involvedObject: {apiVersion: v1, kind: Pod, name: web-5d9c-xk2, namespace: default, uid: web-5d9c-xk2-uid, fieldPath: 'spec.containers{web}'}
reason: Unhealthy
type: Warning
message: 'Readiness probe failed: Get \"http://10.244.0.5:8080/healthz\": dial tcp 10.244.0.5:8080: connect: connection refused'
lastTimestamp: '2024-01-01T00:00:12Z'
count: 7
source: {component: kubelet, host: kind-control-plane}",
    );
    let workload = Workload::Deployment {
        deployment: &rolling,
        replica_sets: &sets,
    };
    let pods = diagnosed(&workload, &running, &[unhealthy], &HashMap::new());
    let mut check = ResourceCheck::deployment(&rolling, settings(), t0);
    let progress = check.observe(&workload, &pods, t0 + secs(1));
    assert_eq!(progress.state, pending(1), "an unhealthy pod may recover");
    assert_eq!(
        progress.updates[0].update.status_code,
        StatusCode::StatuscheckUnhealthy as i32
    );
    let progress = check.observe(&workload, &pods, t0 + secs(601));
    let failure = failure(&progress);
    assert_eq!(failure.code, StatusCode::StatuscheckUnhealthy);
    assert!(failure.message.starts_with("Readiness probe failed: Get "));
    assert_eq!(
        failure.suggestion.as_ref().map(|(code, _)| *code),
        Some(SuggestionCode::CheckReadinessProbe)
    );
}

#[test]
fn a_deployment_past_its_progress_deadline_fails_unless_failures_are_tolerated() {
    let t0 = Instant::now();
    let stuck = deployment(
        "default",
        "",
        "{observedGeneration: 1, replicas: 1, updatedReplicas: 1, \
         conditions: [{type: Progressing, status: 'False', reason: ProgressDeadlineExceeded}]}",
    );
    let mut check = ResourceCheck::deployment(&stuck, settings(), t0);
    let progress = poll_deployment(&mut check, &stuck, &[], &[], t0 + secs(1));
    assert_eq!(
        failure(&progress),
        &Failure::new(
            StatusCode::StatuscheckUnknown,
            "deployment \"web\" exceeded its progress deadline"
        )
    );
    let tolerant = CheckSettings {
        tolerate_failures: true,
        ..settings()
    };
    let mut check = ResourceCheck::deployment(&stuck, tolerant, t0);
    let progress = poll_deployment(&mut check, &stuck, &[], &[], t0 + secs(1));
    assert_eq!(progress.state, pending(1));
    assert!(check.report().is_none(), "a tolerated error has no message");
}

#[test]
fn a_replica_set_refused_by_a_webhook_fails_the_deployment() {
    let t0 = Instant::now();
    let rolling = deployment("default", "", ROLLING_OUT);
    let refused = [replica_set(
        "default",
        "[{type: ReplicaFailure, status: 'True', reason: FailedCreate, message: 'admission webhook \"deny.example.com\" denied the request'}]",
    )];
    let mut check = ResourceCheck::deployment(&rolling, settings(), t0);
    let progress = poll_deployment(&mut check, &rolling, &refused, &[], t0 + secs(1));
    assert_eq!(
        failure(&progress),
        &Failure::new(
            StatusCode::StatuscheckUnknown,
            "replica set creation failed: following errors occurred ReplicaFailureAdmissionErr: admission webhook \"deny.example.com\" denied the request"
        )
    );
}

#[test]
fn a_stateful_set_rolling_update_completes() {
    let t0 = Instant::now();
    let set = |status: &str| -> StatefulSet {
        object(&format!(
            "apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: db, namespace: default, uid: s-1, generation: 2}}
spec:
  replicas: 2
  serviceName: db
  podManagementPolicy: OrderedReady
  selector: {{matchLabels: {{app: db}}}}
  updateStrategy: {{type: RollingUpdate, rollingUpdate: {{partition: 0}}}}
  template: {{metadata: {{labels: {{app: db}}}}, spec: {{containers: [{{name: db, image: db}}]}}}}
status: {status}"
        ))
    };
    let updating = set(
        "{observedGeneration: 2, replicas: 2, readyReplicas: 2, currentReplicas: 1, updatedReplicas: 1, \
         currentRevision: db-6c5d, updateRevision: db-7f8b}",
    );
    let owner = Some(("StatefulSet", "s-1"));
    let pods = [
        pod("default", "db-0", owner, READY),
        pod("default", "db-1", owner, READY),
    ];
    let mut check = ResourceCheck::stateful_set(&updating, settings(), t0);
    assert_eq!(check.id(), "statefulset/db");
    let workload = Workload::StatefulSet(&updating);
    let statuses = diagnosed(&workload, &pods, &[], &HashMap::new());
    let progress = check.observe(&workload, &statuses, t0 + secs(1));
    assert_eq!(progress.state, pending(1));
    assert_eq!(
        check.report().unwrap().text,
        " - statefulset/db: Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...\n"
    );

    let updated = set(
        "{observedGeneration: 2, replicas: 2, readyReplicas: 2, currentReplicas: 2, updatedReplicas: 2, \
         currentRevision: db-7f8b, updateRevision: db-7f8b}",
    );
    let workload = Workload::StatefulSet(&updated);
    let progress = check.observe(&workload, &statuses, t0 + secs(2));
    assert_eq!(progress.state, CheckState::Succeeded);
    let ids: Vec<_> = progress.updates.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["pod/db-0", "pod/db-1"]);
}

#[test]
fn standalone_pods_are_one_resource() {
    let t0 = Instant::now();
    let mut check = ResourceCheck::standalone_pods("dev", settings(), t0);
    assert_eq!(check.id(), "pods");
    let creating = [
        pod(
            "dev",
            "solo",
            None,
            &waiting_status("Pending", "{waiting: {reason: ContainerCreating}}", 0),
        ),
        pod(
            "dev",
            "owned",
            Some(("ReplicaSet", "rs-9")),
            &waiting_status("Pending", "{waiting: {reason: ImagePullBackOff}}", 0),
        ),
    ];
    let workload = Workload::StandalonePods;
    let statuses = diagnosed(&workload, &creating, &[], &HashMap::new());
    assert_eq!(statuses.len(), 1, "owned pods are not standalone");
    let progress = check.observe(&workload, &statuses, t0 + secs(1));
    assert_eq!(progress.state, pending(1));
    assert_eq!(
        check.report().unwrap().text,
        " - pods: creating container web\n    - dev:pod/solo: creating container web\n"
    );

    let done = [
        pod("dev", "solo", None, READY),
        pod(
            "dev",
            "job",
            None,
            "  phase: Succeeded\n  conditions: [{type: Ready, status: 'False', reason: PodCompleted}]",
        ),
    ];
    let statuses = diagnosed(&workload, &done, &[], &HashMap::new());
    let progress = check.observe(&workload, &statuses, t0 + secs(2));
    assert_eq!(progress.state, CheckState::Succeeded);
    let ids: Vec<_> = progress.updates.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(
        ids,
        ["dev:pod/solo"],
        "a completed pod gets no running event"
    );
    assert_eq!(
        check
            .summary(Counts {
                total: 2,
                pending: 1
            })
            .unwrap()
            .text,
        " - pods is ready. [1/2 deployment(s) still pending]\n"
    );
}

#[test]
fn a_failed_standalone_pod_fails_the_check() {
    let t0 = Instant::now();
    let mut check = ResourceCheck::standalone_pods("default", settings(), t0);
    let failed = [pod(
        "default",
        "solo",
        None,
        "  phase: Failed\n  conditions: [{type: Ready, status: 'False'}]\n  containerStatuses:\n  - {name: web, image: web, imageID: '', ready: false, restartCount: 0, state: {terminated: {exitCode: 0}}}",
    )];
    let statuses = diagnosed(&Workload::StandalonePods, &failed, &[], &HashMap::new());
    let progress = check.observe(&Workload::StandalonePods, &statuses, t0 + secs(1));
    assert_eq!(
        failure(&progress),
        &Failure::new(StatusCode::StatuscheckUnknown, "pod solo failed")
    );
}

#[test]
fn an_unreachable_cluster_keeps_the_check_pending_until_the_deadline() {
    let t0 = Instant::now();
    let rolling = deployment("default", "", ROLLING_OUT);
    let mut check = ResourceCheck::deployment(&rolling, settings(), t0);
    let progress = check.observe_unreachable("connection refused", t0 + secs(1));
    assert_eq!(progress.state, pending(1));
    assert_eq!(
        check.report().unwrap().update.update.status_code,
        StatusCode::StatuscheckKubectlConnectionErr as i32
    );
    let progress = check.observe_unreachable("connection refused", t0 + secs(601));
    assert_eq!(
        failure(&progress).code,
        StatusCode::StatuscheckDeadlineExceeded
    );
}

#[test]
fn without_fail_fast_a_failure_has_the_internal_error_code() {
    let t0 = Instant::now();
    let stuck = deployment(
        "default",
        "",
        "{observedGeneration: 1, conditions: [{type: Progressing, status: 'False', reason: ProgressDeadlineExceeded}]}",
    );
    let mut failed = ResourceCheck::deployment(&stuck, settings(), t0);
    poll_deployment(&mut failed, &stuck, &[], &[], t0 + secs(1));
    let mut aggregate = Aggregate::new(1, false);
    assert!(!aggregate.record(&failed).cancel_others);
    assert_eq!(
        aggregate.finish(),
        Err(Failure::new(
            StatusCode::StatuscheckInternalError,
            "1/1 deployment(s) failed"
        ))
    );
}

#[test]
fn a_check_everyone_cancelled_is_cancelled() {
    let t0 = Instant::now();
    let rolling = deployment("default", "", ROLLING_OUT);
    let mut aggregate = Aggregate::new(2, true);
    for _ in 0..2 {
        let mut check = ResourceCheck::deployment(&rolling, settings(), t0);
        check.cancel();
        assert!(aggregate.record(&check).counts.pending < 2);
    }
    assert_eq!(
        aggregate.finish(),
        Err(Failure::new(
            StatusCode::StatuscheckUserCancelled,
            "2/2 deployment(s) status check cancelled"
        ))
    );
    assert_eq!(Aggregate::new(0, true).finish(), Ok(()));
}
