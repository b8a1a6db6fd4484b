//! Standalone pods (pods no controller owns): Skaffold checks all of a namespace's as one
//! resource named `pods`.

use k8s_openapi::api::core::v1::Pod;
use skiff_proto::enums::StatusCode;

use super::deployment::controller_uid;
use super::pod::PodStatus;
use super::rollout::RolloutStatus;

/// The pods among `pods` that no controller owns.
pub(super) fn pods_of(pods: &[Pod]) -> Vec<&Pod> {
    pods.iter()
        .filter(|pod| controller_uid(&pod.metadata).is_none())
        .collect()
}

/// The status of the standalone pods: failed as soon as one pod's phase is `Failed`, pending
/// while any is neither ready nor `Succeeded` (or none was seen yet), else stable.
pub(super) fn status(pods: &[&PodStatus]) -> RolloutStatus {
    if pods.is_empty() {
        return RolloutStatus::new(StatusCode::StatuscheckStandalonePodsPending, "");
    }
    let mut pending = Vec::new();
    for pod in pods {
        match pod.phase.as_str() {
            "Failed" => {
                return RolloutStatus::new(
                    StatusCode::StatuscheckUnknown,
                    format!("pod {} failed", pod.name),
                );
            }
            "Succeeded" => {}
            "Running" if pod.ready => {}
            _ => pending.push(pod.name.as_str()),
        }
    }
    if pending.is_empty() {
        RolloutStatus::new(StatusCode::StatuscheckSuccess, "")
    } else {
        RolloutStatus::new(
            StatusCode::StatuscheckStandalonePodsPending,
            format!("pods not ready: [{}]", pending.join(" ")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubernetes::status::fixtures::object;

    fn pod(name: &str, phase: &str, ready: bool) -> PodStatus {
        PodStatus {
            name: name.into(),
            namespace: "default".into(),
            phase: phase.into(),
            ready,
            code: StatusCode::StatuscheckSuccess,
            message: String::new(),
            suggestion: None,
            logs: Vec::new(),
        }
    }

    #[test]
    fn pods_with_a_controller_are_not_standalone() {
        let pods: [Pod; 2] = [
            object("metadata: {name: solo}"),
            object(
                "metadata: {name: owned, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: rs, uid: u, controller: true}]}",
            ),
        ];
        let names: Vec<_> = pods_of(&pods)
            .into_iter()
            .map(|p| p.metadata.name.as_deref().unwrap())
            .collect();
        assert_eq!(names, ["solo"]);
    }

    #[test]
    fn standalone_pods_are_stable_once_each_is_ready_or_done() {
        assert_eq!(
            status(&[]).code,
            StatusCode::StatuscheckStandalonePodsPending
        );
        let (a, b) = (pod("a", "Pending", false), pod("b", "Running", false));
        assert_eq!(
            status(&[&a, &b]),
            RolloutStatus::new(
                StatusCode::StatuscheckStandalonePodsPending,
                "pods not ready: [a b]"
            )
        );
        let (ready, done) = (pod("a", "Running", true), pod("job", "Succeeded", false));
        assert_eq!(
            status(&[&ready, &done]).code,
            StatusCode::StatuscheckSuccess
        );
        let failed = pod("f", "Failed", false);
        assert_eq!(
            status(&[&a, &failed]),
            RolloutStatus::new(StatusCode::StatuscheckUnknown, "pod f failed")
        );
    }
}
