//! What a pod's Kubernetes events add to its status: Skaffold looks at the most recent one
//! when the pod's conditions and containers say nothing precise.

use k8s_openapi::api::core::v1::Event;
use skiff_proto::enums::StatusCode;

/// The pod an event must be about.
pub(super) struct PodRef<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    pub uid: Option<&'a str>,
}

/// The codes Skaffold lets a pod's events refine: success, and the vague ones.
pub(super) fn refinable(code: StatusCode) -> bool {
    matches!(
        code,
        StatusCode::StatuscheckUnknown
            | StatusCode::StatuscheckContainerWaitingUnknown
            | StatusCode::StatuscheckUnknownUnschedulable
            | StatusCode::StatuscheckSuccess
            | StatusCode::StatuscheckPodInitializing
    )
}

/// The status the pod's most recent event (by `lastTimestamp`, the first of equals) gives it,
/// unless that event is `Normal`: `FailedScheduling` and `Unhealthy` have their own codes,
/// any other reason is reported as `Reason: message`.
pub(super) fn latest_warning(pod: &PodRef<'_>, events: &[Event]) -> Option<(StatusCode, String)> {
    let mut latest: Option<&Event> = None;
    for event in events.iter().filter(|e| is_about(e, pod)) {
        if latest.is_none_or(|l| l.last_timestamp < event.last_timestamp) {
            latest = Some(event);
        }
    }
    let event = latest?;
    if event.type_.as_deref() == Some("Normal") {
        return None;
    }
    let reason = event.reason.as_deref().unwrap_or_default();
    let message = event.message.clone().unwrap_or_default();
    Some(match reason {
        "FailedScheduling" => (StatusCode::StatuscheckFailedScheduling, message),
        "Unhealthy" => (StatusCode::StatuscheckUnhealthy, message),
        _ => (
            StatusCode::StatuscheckUnknownEvent,
            format!("{reason}: {message}"),
        ),
    })
}

/// Whether `event` is about `pod`.
fn is_about(event: &Event, pod: &PodRef<'_>) -> bool {
    let about = &event.involved_object;
    about.kind.as_deref() == Some("Pod")
        && about.name.as_deref() == Some(pod.name)
        && about.namespace.as_deref().unwrap_or_default() == pod.namespace
        && (pod.uid.is_none() || about.uid.as_deref() == pod.uid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubernetes::status::fixtures::object;

    const POD: PodRef<'static> = PodRef {
        name: "web-1",
        namespace: "dev",
        uid: Some("p-1"),
    };

    fn event(name: &str, about: &str, kind: &str, reason: &str, at: &str) -> Event {
        object(&format!(
            "metadata: {{name: {name}, namespace: dev}}
involvedObject: {{kind: Pod, name: {about}, namespace: dev, uid: p-1}}
type: {kind}
reason: {reason}
message: 'msg of {name}'
lastTimestamp: '{at}'"
        ))
    }

    #[test]
    fn the_latest_warning_about_the_pod_decides() {
        let events = [
            event("a", "web-1", "Warning", "BackOff", "2024-01-01T00:00:01Z"),
            event("b", "web-1", "Warning", "Unhealthy", "2024-01-01T00:00:03Z"),
            event(
                "c",
                "other",
                "Warning",
                "FailedMount",
                "2024-01-01T00:00:09Z",
            ),
        ];
        assert_eq!(
            latest_warning(&POD, &events),
            Some((StatusCode::StatuscheckUnhealthy, "msg of b".into()))
        );
        assert_eq!(
            latest_warning(&POD, &events[..1]),
            Some((
                StatusCode::StatuscheckUnknownEvent,
                "BackOff: msg of a".into()
            ))
        );
        let scheduling = event(
            "d",
            "web-1",
            "Warning",
            "FailedScheduling",
            "2024-01-01T00:00:05Z",
        );
        assert_eq!(
            latest_warning(&POD, &[scheduling]).map(|(code, _)| code),
            Some(StatusCode::StatuscheckFailedScheduling)
        );
    }

    #[test]
    fn a_normal_latest_event_says_nothing() {
        let events = [
            event("a", "web-1", "Warning", "BackOff", "2024-01-01T00:00:01Z"),
            event("b", "web-1", "Normal", "Started", "2024-01-01T00:00:02Z"),
        ];
        assert_eq!(latest_warning(&POD, &events), None);
        assert_eq!(latest_warning(&POD, &[]), None);
    }

    #[test]
    fn of_equally_recent_events_the_first_counts() {
        let events = [
            event("a", "web-1", "Warning", "First", "2024-01-01T00:00:01Z"),
            event("b", "web-1", "Warning", "Second", "2024-01-01T00:00:01Z"),
        ];
        assert_eq!(
            latest_warning(&POD, &events),
            Some((
                StatusCode::StatuscheckUnknownEvent,
                "First: msg of a".into()
            ))
        );
    }
}
