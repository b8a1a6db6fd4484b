//! Why a pod could not be scheduled, read from the taints the scheduler's message names.

use std::sync::LazyLock;

use regex::Regex;
use skiff_proto::enums::StatusCode;

/// A taint in a scheduler message: `{node.kubernetes.io/memory-pressure: }`.
static TAINT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{(.*?):.*?\}").expect("the taint pattern is valid"));

/// The status code and message of a pod whose `PodScheduled` condition is false with
/// `reason` and `message`. Node pressure (memory, disk, PID) wins over the other taints; of
/// those the first one named wins. A message that names no taint is passed on as it is.
pub(super) fn unschedulable(reason: &str, message: &str) -> (StatusCode, String) {
    let taints: Vec<&str> = TAINT
        .captures_iter(message)
        .map(|c| c.get(1).map_or("", |m| m.as_str()))
        .collect();
    if taints.is_empty() {
        return (
            StatusCode::StatuscheckUnknownUnschedulable,
            format!("{reason}: {message}"),
        );
    }
    let mut code = StatusCode::StatuscheckUnknownUnschedulable;
    let explained: Vec<&str> = taints
        .iter()
        .map(|taint| {
            let (text, taint_code, pressure) = match *taint {
                "node.kubernetes.io/memory-pressure" => (
                    "1 node has memory pressure",
                    StatusCode::StatuscheckNodeMemoryPressure,
                    true,
                ),
                "node.kubernetes.io/disk-pressure" => (
                    "1 node has disk pressure",
                    StatusCode::StatuscheckNodeDiskPressure,
                    true,
                ),
                "node.kubernetes.io/pid-pressure" => (
                    "1 node has PID pressure",
                    StatusCode::StatuscheckNodePidPressure,
                    true,
                ),
                "node.kubernetes.io/not-ready" => (
                    "1 node is not ready",
                    StatusCode::StatuscheckNodeNotReady,
                    false,
                ),
                "node.kubernetes.io/unreachable" => (
                    "1 node is unreachable",
                    StatusCode::StatuscheckNodeUnreachable,
                    false,
                ),
                "node.kubernetes.io/unschedulable" => (
                    "1 node is unschedulable",
                    StatusCode::StatuscheckNodeUnschedulable,
                    false,
                ),
                "node.kubernetes.io/network-unavailable" => (
                    "1 node's network not available",
                    StatusCode::StatuscheckNodeNetworkUnavailable,
                    false,
                ),
                // Skaffold leaves a blank entry for a taint it does not know.
                _ => return "",
            };
            if pressure || code == StatusCode::StatuscheckUnknownUnschedulable {
                code = taint_code;
            }
            text
        })
        .collect();
    (
        code,
        format!(
            "{reason}: 0/{} nodes available: {}",
            explained.len(),
            explained.join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_known_taint_is_explained_and_pressure_wins() {
        let message = "0/7 nodes are available: \
            1 node(s) had taint {node.kubernetes.io/memory-pressure: }, that the pod didn't tolerate, \
            1 node(s) had taint {node.kubernetes.io/disk-pressure: }, that the pod didn't tolerate, \
            1 node(s) had taint {node.kubernetes.io/pid-pressure: }, that the pod didn't tolerate, \
            1 node(s) had taint {node.kubernetes.io/not-ready: }, that the pod didn't tolerate, \
            1 node(s) had taint {node.kubernetes.io/unreachable: }, that the pod didn't tolerate, \
            1 node(s) had taint {node.kubernetes.io/unschedulable: }, that the pod didn't tolerate, \
            1 node(s) had taint {node.kubernetes.io/network-unavailable: }, that the pod didn't tolerate, ";
        assert_eq!(
            unschedulable("Unschedulable", message),
            (
                StatusCode::StatuscheckNodePidPressure,
                "Unschedulable: 0/7 nodes available: 1 node has memory pressure, \
                 1 node has disk pressure, 1 node has PID pressure, 1 node is not ready, \
                 1 node is unreachable, 1 node is unschedulable, 1 node's network not available"
                    .to_owned()
            )
        );
    }

    #[test]
    fn the_first_non_pressure_taint_wins_and_unknown_taints_stay_blank() {
        let message = "0/2 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, \
            1 node(s) had untolerated taint {node.kubernetes.io/not-ready: NoSchedule}, \
            1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }.";
        assert_eq!(
            unschedulable("Unschedulable", message),
            (
                StatusCode::StatuscheckNodeNotReady,
                "Unschedulable: 0/3 nodes available: , 1 node is not ready, 1 node is unreachable"
                    .to_owned()
            )
        );
    }

    #[test]
    fn a_message_without_taints_is_passed_on() {
        assert_eq!(
            unschedulable(
                "Unschedulable",
                "0/1 nodes are available: 1 Insufficient cpu."
            ),
            (
                StatusCode::StatuscheckUnknownUnschedulable,
                "Unschedulable: 0/1 nodes are available: 1 Insufficient cpu.".to_owned()
            )
        );
    }
}
