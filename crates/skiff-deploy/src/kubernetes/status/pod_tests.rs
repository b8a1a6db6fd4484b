use super::*;
use crate::kubernetes::status::fixtures::object;

/// A pod of Deployment `web` in namespace `dev` with `status` (YAML), as the API returns it.
fn pod(status: &str) -> Pod {
    object(&format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: web-5d9c-xk2
  namespace: dev
  uid: p-1
  labels: {{app: web, skaffold.dev/run-id: r1}}
  ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d9c, uid: rs-1, controller: true}}]
spec:
  containers: [{{name: web, image: 'localhost:5000/web:abc'}}]
status:
{status}"
    ))
}

const SCHEDULED: &str = "  conditions:
  - {type: PodReadyToStartContainers, status: 'True'}
  - {type: Initialized, status: 'True'}
  - {type: Ready, status: 'False', reason: ContainersNotReady, message: 'containers with unready status: [web]'}
  - {type: ContainersReady, status: 'False', reason: ContainersNotReady}
  - {type: PodScheduled, status: 'True'}";

/// A scheduled, pending pod whose container `web` is in `state` (YAML).
fn pod_with_container(phase: &str, state: &str, restarts: u32) -> Pod {
    pod(&format!(
        "  phase: {phase}
{SCHEDULED}
  containerStatuses:
  - name: web
    image: 'localhost:5000/web:abc'
    imageID: ''
    ready: false
    restartCount: {restarts}
    started: false
    state: {state}"
    ))
}

fn status(pod: &Pod) -> PodStatus {
    let diagnosis = diagnose(pod);
    assert_eq!(diagnosis.logs_wanted(), None);
    diagnosis.finish(None, &[])
}

fn event(reason: &str, kind: &str, message: &str, at: &str) -> Event {
    object(&format!(
        "metadata: {{name: web-5d9c-xk2.{reason}, namespace: dev}}
involvedObject: {{apiVersion: v1, kind: Pod, name: web-5d9c-xk2, namespace: dev, uid: p-1}}
reason: {reason}
type: {kind}
message: '{message}'
lastTimestamp: '{at}'
count: 3"
    ))
}

#[test]
fn a_ready_pod_is_in_good_health() {
    let ready = pod("  phase: Running
  conditions:
  - {type: Initialized, status: 'True'}
  - {type: Ready, status: 'True'}
  - {type: ContainersReady, status: 'True'}
  - {type: PodScheduled, status: 'True'}
  containerStatuses:
  - {name: web, image: web, imageID: x, ready: true, restartCount: 0, state: {running: {startedAt: '2024-01-01T00:00:00Z'}}}");
    let status = status(&ready);
    assert_eq!(status.code, StatusCode::StatuscheckSuccess);
    assert_eq!(status.message, "");
    assert!(status.ready);
    assert_eq!(status.phase, "Running");
    assert_eq!(status.id(), "dev:pod/web-5d9c-xk2");
    assert_eq!(status.suggestion, None);
}

#[test]
fn an_image_that_cannot_be_pulled_names_container_and_image() {
    for reason in ["ErrImagePull", "ImagePullBackOff"] {
        let stuck = pod_with_container(
            "Pending",
            &format!(
                "{{waiting: {{reason: {reason}, message: 'Back-off pulling image \"localhost:5000/web:abc\"'}}}}"
            ),
            0,
        );
        let status = status(&stuck);
        assert_eq!(status.code, StatusCode::StatuscheckImagePullErr, "{reason}");
        assert_eq!(
            status.message,
            "container web is waiting to start: localhost:5000/web:abc can't be pulled"
        );
        assert_eq!(
            status.suggestion,
            Some((
                SuggestionCode::CheckContainerImage,
                "Try checking container config `image`".to_owned()
            ))
        );
    }
}

#[test]
fn a_creating_container_is_named() {
    let creating = pod_with_container("Pending", "{waiting: {reason: ContainerCreating}}", 0);
    let status = status(&creating);
    assert_eq!(status.code, StatusCode::StatuscheckContainerCreating);
    assert_eq!(status.message, "creating container web");
    assert!(!status.ready);
}

#[test]
fn a_crash_looping_container_carries_its_logs() {
    let crashing = pod_with_container(
        "Running",
        "{waiting: {reason: CrashLoopBackOff, message: 'back-off 40s restarting failed container=web'}}",
        4,
    );
    let diagnosis = diagnose(&crashing);
    assert_eq!(diagnosis.logs_wanted(), Some("web"));
    let status = diagnosis
        .clone()
        .finish(Some(Ok("starting\npanic: no config\n\n".into())), &[]);
    assert_eq!(status.code, StatusCode::StatuscheckContainerRestarting);
    assert_eq!(
        status.message,
        "container web is backing off waiting to restart"
    );
    assert_eq!(
        status.logs,
        [
            "[web-5d9c-xk2 web] starting",
            "[web-5d9c-xk2 web] panic: no config"
        ]
    );
    assert_eq!(status.suggestion, None);

    let wrong_platform = diagnosis
        .clone()
        .finish(Some(Ok("exec /app: exec format error\n".into())), &[]);
    assert_eq!(
        wrong_platform.code,
        StatusCode::StatuscheckContainerExecError
    );

    let unreadable = diagnosis.finish(Some(Err("exit status 1".into())), &[]);
    assert_eq!(
        unreadable.logs,
        [
            "Error retrieving logs for pod web-5d9c-xk2: exit status 1.\nTry `kubectl logs web-5d9c-xk2 -n dev -c web`"
        ]
    );
}

#[test]
fn a_container_killed_for_memory_reports_its_exit_code() {
    let oom = pod_with_container(
        "Running",
        "{terminated: {reason: OOMKilled, exitCode: 137, startedAt: '2024-01-01T00:00:00Z', finishedAt: '2024-01-01T00:00:05Z'}}",
        1,
    );
    let diagnosis = diagnose(&oom);
    assert_eq!(diagnosis.logs_wanted(), Some("web"));
    let status = diagnosis.finish(Some(Ok(String::new())), &[]);
    assert_eq!(status.code, StatusCode::StatuscheckContainerTerminated);
    assert_eq!(
        status.message,
        "container web terminated with exit code 137"
    );
    assert!(status.logs.is_empty());
    assert_eq!(
        status.suggestion,
        Some((
            SuggestionCode::CheckContainerLogs,
            "Try checking container logs".to_owned()
        ))
    );
}

#[test]
fn a_container_that_exited_cleanly_is_no_problem() {
    let done = pod_with_container(
        "Running",
        "{terminated: {reason: Completed, exitCode: 0}}",
        0,
    );
    assert_eq!(status(&done).code, StatusCode::StatuscheckSuccess);
}

#[test]
fn run_container_errors_keep_docker_s_explanation() {
    let failing = pod_with_container(
        "Pending",
        "{waiting: {reason: RunContainerError, message: \"failed to start: Error response from daemon: OCI runtime create failed: no such file  \\nmore\"}}",
        0,
    );
    let status = status(&failing);
    assert_eq!(status.code, StatusCode::StatuscheckRunContainerErr);
    assert_eq!(
        status.message,
        "container web in error: OCI runtime create failed: no such file"
    );
}

#[test]
fn other_waiting_reasons_show_the_waiting_state() {
    let config = pod_with_container(
        "Pending",
        "{waiting: {reason: CreateContainerConfigError, message: 'secret \"db\" not found'}}",
        0,
    );
    let status = status(&config);
    assert_eq!(status.code, StatusCode::StatuscheckContainerWaitingUnknown);
    assert_eq!(
        status.message,
        "container web in error: &ContainerStateWaiting{Reason:CreateContainerConfigError,Message:secret \"db\" not found,}"
    );
}

#[test]
fn an_unschedulable_pod_explains_the_taints() {
    let unschedulable = pod("  phase: Pending
  conditions:
  - type: PodScheduled
    status: 'False'
    reason: Unschedulable
    message: '0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.'");
    let status = status(&unschedulable);
    assert_eq!(status.code, StatusCode::StatuscheckNodeDiskPressure);
    assert_eq!(
        status.message,
        "Unschedulable: 0/1 nodes available: 1 node has disk pressure"
    );
}

#[test]
fn an_init_container_holds_the_pod_up() {
    let init = |state: &str| {
        pod(&format!(
            "  phase: Pending
{SCHEDULED}
  initContainerStatuses:
  - {{name: migrate, image: migrate, imageID: '', ready: false, restartCount: 0, state: {state}}}
  containerStatuses:
  - {{name: web, image: web, imageID: '', ready: false, restartCount: 0, state: {{waiting: {{reason: PodInitializing}}}}}}"
        ))
    };
    let running = diagnose(&init("{running: {startedAt: '2024-01-01T00:00:00Z'}}"));
    assert_eq!(running.logs_wanted(), Some("migrate"));
    let status = running.finish(Some(Ok("migrating\n".into())), &[]);
    assert_eq!(status.code, StatusCode::StatuscheckPodInitializing);
    assert_eq!(
        status.message,
        "waiting for init container migrate to complete"
    );
    assert_eq!(status.logs, ["[web-5d9c-xk2 migrate] migrating"]);

    let waiting = diagnose(&init("{waiting: {reason: PodInitializing}}"));
    assert_eq!(waiting.logs_wanted(), None);
    assert_eq!(
        waiting.finish(None, &[]).message,
        "waiting for init container migrate to start"
    );
}

#[test]
fn a_failing_readiness_probe_shows_in_the_pod_s_events() {
    let unready = pod_with_container(
        "Running",
        "{running: {startedAt: '2024-01-01T00:00:00Z'}}",
        0,
    );
    let events = [
        event(
            "Started",
            "Normal",
            "Started container web",
            "2024-01-01T00:00:01Z",
        ),
        event(
            "Unhealthy",
            "Warning",
            "Readiness probe failed: HTTP probe failed with statuscode: 503",
            "2024-01-01T00:00:09Z",
        ),
    ];
    let status = diagnose(&unready).finish(None, &events);
    assert_eq!(status.code, StatusCode::StatuscheckUnhealthy);
    assert_eq!(
        status.message,
        "Readiness probe failed: HTTP probe failed with statuscode: 503"
    );
    assert_eq!(
        status.suggestion,
        Some((
            SuggestionCode::CheckReadinessProbe,
            "Try checking container config `readinessProbe`".to_owned()
        ))
    );
}

#[test]
fn events_do_not_override_a_precise_container_state() {
    let stuck = pod_with_container("Pending", "{waiting: {reason: ImagePullBackOff}}", 0);
    let events = [event(
        "Failed",
        "Warning",
        "Failed to pull image",
        "2024-01-01T00:00:09Z",
    )];
    assert_eq!(
        diagnose(&stuck).finish(None, &events).code,
        StatusCode::StatuscheckImagePullErr
    );
}

#[test]
fn a_pod_with_no_conditions_yet_is_undetermined() {
    let fresh = pod("  phase: Pending");
    let status = status(&fresh);
    assert_eq!(status.code, StatusCode::StatuscheckUnknown);
    assert_eq!(
        status.message,
        "unable to determine current service state of pod \"web-5d9c-xk2\""
    );
    let unknown = pod("  phase: Unknown
  conditions: [{type: Ready, status: Unknown, message: node lost}]");
    assert_eq!(status_message(&unknown), "node lost");
}

fn status_message(pod: &Pod) -> String {
    status(pod).message
}

#[test]
fn a_succeeded_pod_is_in_good_health_whatever_its_containers_say() {
    let done = pod("  phase: Succeeded
  conditions: [{type: Ready, status: 'False', reason: PodCompleted}]
  containerStatuses:
  - {name: web, image: web, imageID: '', ready: false, restartCount: 0, state: {terminated: {exitCode: 0, reason: Completed}}}");
    let status = status(&done);
    assert_eq!(status.code, StatusCode::StatuscheckSuccess);
    assert_eq!(status.phase, "Succeeded");
}
