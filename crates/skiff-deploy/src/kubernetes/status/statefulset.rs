//! StatefulSets: their rollout as `kubectl rollout status` sees it, and their pods.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;

use super::deployment::controlled_by;
use super::rollout::Rollout;

/// What `kubectl rollout status statefulset/<name> --watch=false` reports.
///
/// kubectl refuses StatefulSets with the `OnDelete` strategy, which Skaffold then counts as
/// rolled out — except while failures are tolerated, when it waits for the deadline; here
/// such a StatefulSet is always rolled out. A StatefulSet without a strategy has the API
/// server's default, `RollingUpdate`.
pub fn stateful_set_rollout(set: &StatefulSet) -> Rollout {
    let spec = set.spec.clone().unwrap_or_default();
    let strategy = spec.update_strategy.unwrap_or_default();
    if strategy.type_.as_deref().unwrap_or("RollingUpdate") != "RollingUpdate" {
        return Rollout::Done(String::new());
    }
    let status = set.status.clone().unwrap_or_default();
    let observed = status.observed_generation.unwrap_or(0);
    if observed == 0 || set.metadata.generation.unwrap_or(0) > observed {
        return Rollout::Pending("Waiting for statefulset spec update to be observed...\n".into());
    }
    let ready = status.ready_replicas.unwrap_or(0);
    let updated = status.updated_replicas.unwrap_or(0);
    if let Some(wanted) = spec.replicas.filter(|&wanted| ready < wanted) {
        return Rollout::Pending(format!(
            "Waiting for {} pods to be ready...\n",
            wanted - ready
        ));
    }
    if let Some(rolling) = strategy.rolling_update {
        if let (Some(wanted), Some(partition)) = (spec.replicas, rolling.partition)
            && updated < wanted - partition
        {
            return Rollout::Pending(format!(
                "Waiting for partitioned roll out to finish: {updated} out of {} new pods have been updated...\n",
                wanted - partition
            ));
        }
        return Rollout::Done(format!(
            "partitioned roll out complete: {updated} new pods have been updated...\n"
        ));
    }
    let update_revision = status.update_revision.unwrap_or_default();
    if status.current_revision.unwrap_or_default() != update_revision {
        return Rollout::Pending(format!(
            "waiting for statefulset rolling update to complete {updated} pods at revision {update_revision}...\n"
        ));
    }
    Rollout::Done(format!(
        "statefulset rolling update complete {} pods at revision {update_revision}...\n",
        status.current_replicas.unwrap_or(0)
    ))
}

/// The pods `set` controls.
pub(super) fn pods_of<'p>(set: &StatefulSet, pods: &'p [Pod]) -> Vec<&'p Pod> {
    pods.iter()
        .filter(|pod| controlled_by(&pod.metadata, &set.metadata))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubernetes::status::fixtures::object;

    fn set(strategy: &str, status: &str) -> StatefulSet {
        object(&format!(
            "metadata: {{name: db, namespace: default, uid: s-1, generation: 2}}
spec:
  replicas: 2
  serviceName: db
  selector: {{matchLabels: {{app: db}}}}
  updateStrategy: {strategy}
  template: {{metadata: {{labels: {{app: db}}}}}}
status: {status}"
        ))
    }

    #[test]
    fn rollout_messages_are_kubectl_s() {
        let rolling = "{type: RollingUpdate}";
        let cases = [
            (
                rolling,
                "{replicas: 2, observedGeneration: 1}",
                Rollout::Pending("Waiting for statefulset spec update to be observed...\n".into()),
            ),
            (
                rolling,
                "{replicas: 2, observedGeneration: 2, readyReplicas: 1}",
                Rollout::Pending("Waiting for 1 pods to be ready...\n".into()),
            ),
            (
                rolling,
                "{replicas: 2, observedGeneration: 2, readyReplicas: 2, updatedReplicas: 1, currentRevision: db-1, updateRevision: db-2}",
                Rollout::Pending(
                    "waiting for statefulset rolling update to complete 1 pods at revision db-2...\n".into(),
                ),
            ),
            (
                rolling,
                "{replicas: 2, observedGeneration: 2, readyReplicas: 2, updatedReplicas: 2, currentReplicas: 2, currentRevision: db-2, updateRevision: db-2}",
                Rollout::Done("statefulset rolling update complete 2 pods at revision db-2...\n".into()),
            ),
            (
                "{type: RollingUpdate, rollingUpdate: {partition: 1}}",
                "{replicas: 2, observedGeneration: 2, readyReplicas: 2, updatedReplicas: 0}",
                Rollout::Pending(
                    "Waiting for partitioned roll out to finish: 0 out of 1 new pods have been updated...\n".into(),
                ),
            ),
            (
                "{type: RollingUpdate, rollingUpdate: {partition: 1}}",
                "{replicas: 2, observedGeneration: 2, readyReplicas: 2, updatedReplicas: 1}",
                Rollout::Done("partitioned roll out complete: 1 new pods have been updated...\n".into()),
            ),
            ("{type: OnDelete}", "{replicas: 0}", Rollout::Done(String::new())),
        ];
        for (strategy, status, expected) in cases {
            assert_eq!(
                stateful_set_rollout(&set(strategy, status)),
                expected,
                "{status}"
            );
        }
    }

    #[test]
    fn only_the_set_s_own_pods_count() {
        let s = set("{type: RollingUpdate}", "{replicas: 0}");
        let pods: [Pod; 2] = [
            object(
                "metadata: {name: db-0, ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: db, uid: s-1, controller: true}]}",
            ),
            object(
                "metadata: {name: other-0, ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: other, uid: s-2, controller: true}]}",
            ),
        ];
        let names: Vec<_> = pods_of(&s, &pods)
            .into_iter()
            .map(|p| p.metadata.name.as_deref().unwrap())
            .collect();
        assert_eq!(names, ["db-0"]);
    }
}
