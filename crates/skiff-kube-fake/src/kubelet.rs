//! The kubelet simulation: gives every pod the status a real kubelet would report for the
//! scripted behaviour of its containers (phase, conditions, `containerStatuses[].state`).

use crate::behaviour::PodBehaviour;
use crate::error::{ApiError, ApiResult};
use crate::names;
use crate::object;
use crate::script::Script;
use crate::store::{ObjectKey, Part, ResourceKey, Store};
use serde_json::{Value, json};
use std::time::Duration;

/// What one container is doing, as the status reports it.
enum ContainerState {
    Running {
        ready: bool,
    },
    Waiting {
        reason: String,
        message: String,
        started_before: bool,
    },
    CrashLooping {
        exit_code: i32,
        restarts: u32,
    },
    Terminated {
        exit_code: i32,
    },
}

impl ContainerState {
    fn of(behaviour: &PodBehaviour, image: &str, elapsed: Duration) -> Self {
        let waiting = |reason: &str, message: String| Self::Waiting {
            reason: reason.into(),
            message,
            started_before: false,
        };
        match behaviour {
            PodBehaviour::Ready | PodBehaviour::Unschedulable { .. } => {
                Self::Running { ready: true }
            }
            PodBehaviour::ReadyAfter(delay) if elapsed >= *delay => Self::Running { ready: true },
            PodBehaviour::ReadyAfter(_) => waiting("ContainerCreating", String::new()),
            PodBehaviour::NotReady => Self::Running { ready: false },
            PodBehaviour::ErrImagePull => waiting(
                "ErrImagePull",
                format!(
                    "failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": not found"
                ),
            ),
            PodBehaviour::ImagePullBackOff => waiting(
                "ImagePullBackOff",
                format!("Back-off pulling image \"{image}\""),
            ),
            PodBehaviour::CrashLoopBackOff {
                exit_code,
                restarts,
            } => Self::CrashLooping {
                exit_code: *exit_code,
                restarts: *restarts,
            },
            PodBehaviour::Waiting { reason, message } => waiting(reason, message.clone()),
            PodBehaviour::Completed => Self::Terminated { exit_code: 0 },
            PodBehaviour::Failed { exit_code } => Self::Terminated {
                exit_code: *exit_code,
            },
        }
    }

    fn ready(&self) -> bool {
        matches!(self, Self::Running { ready: true })
    }

    fn started(&self) -> bool {
        !matches!(
            self,
            Self::Waiting {
                started_before: false,
                ..
            }
        )
    }

    fn status(&self, container: &Value, pod: &Value, since: &str) -> Value {
        let name = container.get("name").cloned().unwrap_or_default();
        let image = container
            .get("image")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let container_id = format!(
            "containerd://{}",
            names::template_hash(&json!([object::uid(pod), name]))
        );
        let image_id = format!("{image}@sha256:{}", names::template_hash(&json!(image)));
        let terminated = |exit_code: i32| {
            json!({
                "exitCode": exit_code,
                "reason": if exit_code == 0 { "Completed" } else { "Error" },
                "startedAt": since,
                "finishedAt": since,
                "containerID": container_id,
            })
        };
        let (state, last_state, restarts) = match self {
            Self::Running { .. } => (json!({"running": {"startedAt": since}}), json!({}), 0),
            Self::Waiting {
                reason, message, ..
            } => {
                let mut waiting = json!({"reason": reason});
                if !message.is_empty() {
                    waiting["message"] = json!(message);
                }
                (json!({ "waiting": waiting }), json!({}), 0)
            }
            Self::CrashLooping {
                exit_code,
                restarts,
            } => {
                let pod_ref = format!(
                    "{}_{}({})",
                    object::name(pod),
                    object::meta(pod, "namespace").unwrap_or_default(),
                    object::uid(pod)
                );
                let message = format!(
                    "back-off 5m0s restarting failed container={} pod={pod_ref}",
                    name.as_str().unwrap_or_default()
                );
                (
                    json!({"waiting": {"reason": "CrashLoopBackOff", "message": message}}),
                    json!({ "terminated": terminated(*exit_code) }),
                    *restarts,
                )
            }
            Self::Terminated { exit_code } => (
                json!({ "terminated": terminated(*exit_code) }),
                json!({}),
                0,
            ),
        };
        let pulled = !matches!(self, Self::Waiting { reason, .. } if reason.contains("Image") || reason == "ContainerCreating");
        json!({
            "name": name,
            "state": state,
            "lastState": last_state,
            "ready": self.ready(),
            "restartCount": restarts,
            "image": image,
            "imageID": if pulled { image_id } else { String::new() },
            "containerID": if self.started() { json!(container_id) } else { Value::Null },
            "started": matches!(self, Self::Running { .. }),
        })
    }
}

fn condition(kind: &str, ok: bool, since: &str, reason: Option<(&str, String)>) -> Value {
    let mut c = json!({"type": kind, "status": if ok { "True" } else { "False" }, "lastProbeTime": null, "lastTransitionTime": since});
    if let Some((reason, message)) = reason {
        c["reason"] = json!(reason);
        if !message.is_empty() {
            c["message"] = json!(message);
        }
    }
    c
}

/// The status a kubelet reports for `pod` whose containers behave as `behaviours` (one per
/// container, in order) `elapsed` after the pod appeared at `since`.
pub fn pod_status(
    pod: &Value,
    behaviours: &[PodBehaviour],
    elapsed: Duration,
    since: &str,
) -> Value {
    if let Some(PodBehaviour::Unschedulable { message }) = behaviours
        .iter()
        .find(|b| matches!(b, PodBehaviour::Unschedulable { .. }))
    {
        return json!({
            "phase": "Pending",
            "conditions": [condition("PodScheduled", false, since, Some(("Unschedulable", message.clone())))],
            "qosClass": "BestEffort",
        });
    }
    let containers = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let states: Vec<ContainerState> = containers
        .iter()
        .zip(behaviours)
        .map(|(c, b)| {
            ContainerState::of(
                b,
                c.get("image").and_then(Value::as_str).unwrap_or_default(),
                elapsed,
            )
        })
        .collect();
    let phase = if states.iter().any(|s| !s.started()) {
        "Pending"
    } else if states
        .iter()
        .all(|s| matches!(s, ContainerState::Terminated { .. }))
    {
        if states
            .iter()
            .all(|s| matches!(s, ContainerState::Terminated { exit_code: 0 }))
        {
            "Succeeded"
        } else {
            "Failed"
        }
    } else {
        "Running"
    };
    let unready: Vec<String> = containers
        .iter()
        .zip(&states)
        .filter(|(_, s)| !s.ready())
        .map(|(c, _)| {
            c.get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    let all_ready = unready.is_empty();
    let finished = phase == "Succeeded" || phase == "Failed";
    let not_ready = (!all_ready).then(|| {
        if finished {
            ("PodCompleted", String::new())
        } else {
            (
                "ContainersNotReady",
                format!("containers with unready status: [{}]", unready.join(" ")),
            )
        }
    });
    let pod_ip = format!(
        "10.244.0.{}",
        2 + names::template_hash(&json!(object::uid(pod)))
            .bytes()
            .map(u32::from)
            .sum::<u32>()
            % 250
    );
    json!({
        "phase": phase,
        "conditions": [
            condition("PodReadyToStartContainers", true, since, None),
            condition("Initialized", true, since, None),
            condition("Ready", all_ready, since, not_ready.clone()),
            condition("ContainersReady", all_ready, since, not_ready),
            condition("PodScheduled", true, since, None),
        ],
        "hostIP": "10.0.0.1",
        "hostIPs": [{"ip": "10.0.0.1"}],
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": since,
        "containerStatuses": containers.iter().zip(&states).map(|(c, s)| s.status(c, pod, since)).collect::<Vec<_>>(),
        "qosClass": "BestEffort",
    })
}

/// Brings every pod's status in line with its scripted behaviour.
pub fn reconcile(store: &mut Store, script: &mut Script) {
    let pods_key = ResourceKey::core("pods");
    let Some(rt) = store.registry().find("", "v1", "pods").cloned() else {
        return;
    };
    let pods: Vec<Value> = store.list(&pods_key, None).cloned().collect();
    for pod in pods {
        let uid = object::uid(&pod).to_string();
        let images: Vec<&str> = pod
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .map(|c| c.get("image").and_then(Value::as_str).unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default();
        let Some(behaviours) = images
            .iter()
            .map(|image| script.behaviour(&uid, image))
            .collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        let (seen, since) = script.first_seen(&uid);
        let status = pod_status(&pod, &behaviours, seen.elapsed(), &since);
        if pod.get("status") != Some(&status) {
            let key = ObjectKey::new(
                pods_key.clone(),
                object::meta(&pod, "namespace").unwrap_or_default(),
                object::name(&pod),
            );
            if let Err(err) = store.update(&rt, &key, json!({ "status": status }), Part::Status) {
                tracing::debug!("kubelet: pod {}: {err}", key.name);
            }
        }
    }
}

/// Whether a pod reports `Ready=True`.
pub fn is_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

/// The `state.waiting.reason` of a container that never started, if it is waiting.
pub fn waiting_reason<'a>(pod: &'a Value, container: &str) -> Option<&'a str> {
    pod.pointer("/status/containerStatuses")?
        .as_array()?
        .iter()
        .find(|s| {
            s["name"] == container
                && s["started"] != true
                && s["lastState"].get("terminated").is_none()
        })?
        .pointer("/state/waiting/reason")?
        .as_str()
}

/// The container a log or exec request means: the one named (it must exist), or the only one.
pub fn resolve_container(pod: &Value, requested: Option<&str>) -> ApiResult<String> {
    let pod_name = object::name(pod);
    let names: Vec<&str> = ["/spec/containers", "/spec/initContainers"]
        .iter()
        .filter_map(|p| pod.pointer(p).and_then(Value::as_array))
        .flatten()
        .filter_map(|c| c.get("name").and_then(Value::as_str))
        .collect();
    match requested.filter(|r| !r.is_empty()) {
        Some(name) if names.contains(&name) => Ok(name.to_string()),
        Some(name) => Err(ApiError::bad_request(format!(
            "container {name} is not valid for pod {pod_name}"
        ))),
        None => match pod
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            Some([only]) => Ok(only
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()),
            _ => Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                names.join(" ")
            ))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(images: &[&str]) -> Value {
        let containers: Vec<Value> = images
            .iter()
            .enumerate()
            .map(|(i, image)| json!({"name": format!("c{i}"), "image": image}))
            .collect();
        json!({"metadata": {"name": "p", "namespace": "ns", "uid": "u"}, "spec": {"containers": containers}})
    }

    const T: &str = "2025-01-01T00:00:00Z";

    #[test]
    fn containers_resolve_by_name_or_uniqueness() {
        let one = pod(&["a"]);
        assert_eq!(resolve_container(&one, None).unwrap(), "c0");
        assert_eq!(
            resolve_container(&one, Some("nope")).unwrap_err().message,
            "container nope is not valid for pod p"
        );
        let two = pod(&["a", "b"]);
        let err = resolve_container(&two, None).unwrap_err();
        assert_eq!(
            err.message,
            "a container name must be specified for pod p, choose one of: [c0 c1]"
        );
        assert_eq!(resolve_container(&two, Some("c1")).unwrap(), "c1");
    }

    #[test]
    fn ready_pod_is_running_and_ready() {
        let s = pod_status(&pod(&["a"]), &[PodBehaviour::Ready], Duration::ZERO, T);
        assert_eq!(s["phase"], "Running");
        assert_eq!(
            s["containerStatuses"][0]["state"]["running"]["startedAt"],
            T
        );
        assert!(is_ready(&json!({ "status": s })));
    }

    #[test]
    fn image_pull_backoff_looks_like_a_kubelet_report() {
        let p = pod(&["reg/app:1"]);
        let s = pod_status(&p, &[PodBehaviour::ImagePullBackOff], Duration::ZERO, T);
        assert_eq!(s["phase"], "Pending");
        let waiting = &s["containerStatuses"][0]["state"]["waiting"];
        assert_eq!(waiting["reason"], "ImagePullBackOff");
        assert_eq!(waiting["message"], "Back-off pulling image \"reg/app:1\"");
        assert_eq!(
            s["conditions"][2]["message"],
            "containers with unready status: [c0]"
        );
        assert_eq!(
            waiting_reason(&json!({"status": s}), "c0"),
            Some("ImagePullBackOff")
        );
    }

    #[test]
    fn crash_loop_keeps_the_last_termination() {
        let s = pod_status(
            &pod(&["a"]),
            &[PodBehaviour::CrashLoopBackOff {
                exit_code: 2,
                restarts: 4,
            }],
            Duration::ZERO,
            T,
        );
        assert_eq!(s["phase"], "Running");
        let c = &s["containerStatuses"][0];
        assert_eq!(
            (
                c["restartCount"].as_u64(),
                c["lastState"]["terminated"]["exitCode"].as_i64()
            ),
            (Some(4), Some(2))
        );
        assert!(
            c["state"]["waiting"]["message"]
                .as_str()
                .unwrap()
                .contains("pod=p_ns(u)")
        );
    }

    #[test]
    fn ready_after_waits_then_runs_and_jobs_finish() {
        let b = [PodBehaviour::ReadyAfter(Duration::from_secs(1))];
        assert_eq!(
            pod_status(&pod(&["a"]), &b, Duration::ZERO, T)["phase"],
            "Pending"
        );
        assert_eq!(
            pod_status(&pod(&["a"]), &b, Duration::from_secs(2), T)["phase"],
            "Running"
        );
        let done = [
            PodBehaviour::Completed,
            PodBehaviour::Failed { exit_code: 1 },
        ];
        assert_eq!(
            pod_status(&pod(&["a"]), &done[..1], Duration::ZERO, T)["phase"],
            "Succeeded"
        );
        assert_eq!(
            pod_status(&pod(&["a", "b"]), &done, Duration::ZERO, T)["phase"],
            "Failed"
        );
        let unsched = pod_status(
            &pod(&["a"]),
            &[PodBehaviour::Unschedulable {
                message: "0/1 nodes".into(),
            }],
            Duration::ZERO,
            T,
        );
        assert_eq!(unsched["conditions"][0]["reason"], "Unschedulable");
    }
}
