//! Deployments: their rollout as `kubectl rollout status` sees it, the ReplicaSet of their
//! current template, and the pods the status check looks at.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::rollout::Rollout;

/// The label the Deployment controller adds to each ReplicaSet's template.
const POD_TEMPLATE_HASH: &str = "pod-template-hash";

/// The reason of a Deployment's `Progressing` condition once `progressDeadlineSeconds` passed.
const TIMED_OUT: &str = "ProgressDeadlineExceeded";

/// What `kubectl rollout status deployment/<name> --watch=false` reports.
pub fn deployment_rollout(deployment: &Deployment) -> Rollout {
    let name = deployment.metadata.name.as_deref().unwrap_or_default();
    let generation = deployment.metadata.generation.unwrap_or(0);
    let status = deployment.status.clone().unwrap_or_default();
    if generation > status.observed_generation.unwrap_or(0) {
        return Rollout::Pending("Waiting for deployment spec update to be observed...\n".into());
    }
    let timed_out = status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == "Progressing" && c.reason.as_deref() == Some(TIMED_OUT));
    if timed_out {
        return Rollout::Failed(format!(
            "deployment \"{name}\" exceeded its progress deadline"
        ));
    }
    let wanted = deployment.spec.as_ref().and_then(|s| s.replicas);
    let updated = status.updated_replicas.unwrap_or(0);
    let replicas = status.replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    let waiting = |what: String| {
        Rollout::Pending(format!(
            "Waiting for deployment \"{name}\" rollout to finish: {what}...\n"
        ))
    };
    match wanted {
        Some(wanted) if updated < wanted => waiting(format!(
            "{updated} out of {wanted} new replicas have been updated"
        )),
        _ if replicas > updated => waiting(format!(
            "{} old replicas are pending termination",
            replicas - updated
        )),
        _ if available < updated => waiting(format!(
            "{available} of {updated} updated replicas are available"
        )),
        _ => Rollout::Done(format!("deployment \"{name}\" successfully rolled out\n")),
    }
}

/// kubectl's text about Deployment `name` as Skaffold shows it: without `deployment "<name>" `
/// and starting in lower case (`waiting for rollout to finish: …`).
pub(super) fn clean(name: &str, text: &str) -> String {
    let clean = text.replace(&format!("deployment \"{name}\" "), "");
    let mut chars = clean.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => clean,
    }
}

/// The ReplicaSet that runs `deployment`'s current template: among the ReplicaSets it
/// controls, oldest first, the first whose template equals the Deployment's once the
/// `pod-template-hash` label is set aside. `None` before the controller created it.
pub(super) fn new_replica_set<'a>(
    deployment: &Deployment,
    replica_sets: &'a [ReplicaSet],
) -> Option<&'a ReplicaSet> {
    let template = without_hash(&deployment.spec.as_ref()?.template);
    let mut owned: Vec<&ReplicaSet> = replica_sets
        .iter()
        .filter(|rs| controlled_by(&rs.metadata, &deployment.metadata))
        .collect();
    owned.sort_by(|a, b| {
        (&a.metadata.creation_timestamp, &a.metadata.name)
            .cmp(&(&b.metadata.creation_timestamp, &b.metadata.name))
    });
    owned.into_iter().find(|rs| {
        rs.spec
            .as_ref()
            .and_then(|spec| spec.template.as_ref())
            .is_some_and(|t| without_hash(t) == template)
    })
}

/// The pods of `deployment`'s current ReplicaSet.
pub(super) fn pods_of<'p>(
    deployment: &Deployment,
    replica_sets: &[ReplicaSet],
    pods: &'p [Pod],
) -> Vec<&'p Pod> {
    let Some(current) = new_replica_set(deployment, replica_sets) else {
        return Vec::new();
    };
    pods.iter()
        .filter(|pod| controlled_by(&pod.metadata, &current.metadata))
        .collect()
}

/// Why the current ReplicaSet cannot create pods, when an admission webhook refuses them:
/// Skaffold fails the Deployment at once then, as polling again would not help.
pub(super) fn admission_failure(
    deployment: &Deployment,
    replica_sets: &[ReplicaSet],
) -> Option<String> {
    let current = new_replica_set(deployment, replica_sets)?;
    let conditions = current.status.as_ref()?.conditions.as_ref()?;
    conditions
        .iter()
        .find(|c| {
            c.type_ == "ReplicaFailure"
                && c.status == "True"
                && c.reason.as_deref() == Some("FailedCreate")
                && c.message.as_deref().is_some_and(|m| m.contains("admission webhook"))
        })
        .map(|c| {
            format!(
                "replica set creation failed: following errors occurred ReplicaFailureAdmissionErr: {}\n",
                c.message.as_deref().unwrap_or_default()
            )
        })
}

/// Whether the object with `child` metadata is controlled by the one with `owner` metadata.
pub(super) fn controlled_by(child: &ObjectMeta, owner: &ObjectMeta) -> bool {
    let Some(uid) = owner.uid.as_deref() else {
        return false;
    };
    controller_uid(child) == Some(uid)
}

/// The uid of the object's controller, if it has one.
pub(super) fn controller_uid(meta: &ObjectMeta) -> Option<&str> {
    meta.owner_references
        .iter()
        .flatten()
        .find(|r| r.controller == Some(true))
        .map(|r| r.uid.as_str())
}

/// A pod template with the `pod-template-hash` label removed (and no label map when that
/// leaves it empty, as Kubernetes compares an empty map equal to none).
fn without_hash(template: &PodTemplateSpec) -> PodTemplateSpec {
    let mut template = template.clone();
    if let Some(meta) = template.metadata.as_mut()
        && let Some(labels) = meta.labels.as_mut()
    {
        labels.remove(POD_TEMPLATE_HASH);
        if labels.is_empty() {
            meta.labels = None;
        }
    }
    template
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubernetes::status::fixtures::object;

    fn deployment(status: &str) -> Deployment {
        object(&format!(
            "metadata: {{name: web, namespace: default, uid: d-1, generation: 2}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec: {{containers: [{{name: web, image: web:v2}}]}}
status: {status}"
        ))
    }

    #[test]
    fn rollout_messages_are_kubectl_s() {
        let cases = [
            (
                "{observedGeneration: 1}",
                Rollout::Pending("Waiting for deployment spec update to be observed...\n".into()),
            ),
            (
                "{observedGeneration: 2, replicas: 1, updatedReplicas: 1}",
                Rollout::Pending("Waiting for deployment \"web\" rollout to finish: 1 out of 2 new replicas have been updated...\n".into()),
            ),
            (
                "{observedGeneration: 2, replicas: 3, updatedReplicas: 2}",
                Rollout::Pending("Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination...\n".into()),
            ),
            (
                "{observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 0}",
                Rollout::Pending("Waiting for deployment \"web\" rollout to finish: 0 of 2 updated replicas are available...\n".into()),
            ),
            (
                "{observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2}",
                Rollout::Done("deployment \"web\" successfully rolled out\n".into()),
            ),
            (
                "{observedGeneration: 2, conditions: [{type: Progressing, status: 'False', reason: ProgressDeadlineExceeded}]}",
                Rollout::Failed("deployment \"web\" exceeded its progress deadline".into()),
            ),
        ];
        for (status, expected) in cases {
            assert_eq!(
                deployment_rollout(&deployment(status)),
                expected,
                "{status}"
            );
        }
    }

    #[test]
    fn skaffold_drops_the_deployment_name_and_lowers_the_first_letter() {
        assert_eq!(
            clean(
                "web",
                "Waiting for deployment \"web\" rollout to finish: 0 of 1 updated replicas are available...\n"
            ),
            "waiting for rollout to finish: 0 of 1 updated replicas are available...\n"
        );
        assert_eq!(
            clean("web", "deployment \"web\" successfully rolled out\n"),
            "successfully rolled out\n"
        );
        assert_eq!(clean("web", ""), "");
    }

    fn replica_set(name: &str, created: &str, image: &str, conditions: &str) -> ReplicaSet {
        object(&format!(
            "metadata:
  name: {name}
  uid: {name}-uid
  creationTimestamp: '{created}'
  ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: web, uid: d-1, controller: true}}]
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web, pod-template-hash: {name}}}}}
    spec: {{containers: [{{name: web, image: '{image}'}}]}}
status: {{replicas: 1, conditions: {conditions}}}"
        ))
    }

    fn pod(name: &str, owner: &str) -> Pod {
        object(&format!(
            "metadata:
  name: {name}
  ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: {owner}, uid: {owner}-uid, controller: true}}]"
        ))
    }

    #[test]
    fn only_pods_of_the_current_template_s_replica_set_count() {
        let d = deployment("{}");
        let sets = [
            replica_set("web-new", "2024-01-02T00:00:00Z", "web:v2", "[]"),
            replica_set("web-old", "2024-01-01T00:00:00Z", "web:v1", "[]"),
        ];
        assert_eq!(
            new_replica_set(&d, &sets).and_then(|rs| rs.metadata.name.as_deref()),
            Some("web-new")
        );
        let pods = [pod("web-old-a", "web-old"), pod("web-new-b", "web-new")];
        let names: Vec<_> = pods_of(&d, &sets, &pods)
            .into_iter()
            .map(|p| p.metadata.name.as_deref().unwrap())
            .collect();
        assert_eq!(names, ["web-new-b"]);
        assert!(pods_of(&d, &sets[1..], &pods).is_empty());
    }

    #[test]
    fn a_replica_set_refused_by_an_admission_webhook_is_reported() {
        let d = deployment("{}");
        let refused = replica_set(
            "web-new",
            "2024-01-02T00:00:00Z",
            "web:v2",
            "[{type: ReplicaFailure, status: 'True', reason: FailedCreate, message: 'admission webhook \"policy\" denied the request'}]",
        );
        assert_eq!(
            admission_failure(&d, std::slice::from_ref(&refused)).as_deref(),
            Some(
                "replica set creation failed: following errors occurred ReplicaFailureAdmissionErr: admission webhook \"policy\" denied the request\n"
            )
        );
        let fine = replica_set("web-new", "2024-01-02T00:00:00Z", "web:v2", "[]");
        assert_eq!(admission_failure(&d, &[fine]), None);
    }
}
