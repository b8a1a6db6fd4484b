//! The order manifests are applied and deleted in, and which objects are cluster-scoped.
//!
//! Skaffold hands its manifests to `kubectl apply` in the order rendering produced, and
//! kubectl keeps that order. Applied through the API one object at a time, the order matters:
//! a namespace has to exist before the objects in it, a CustomResourceDefinition before its
//! custom resources. skiff uses Helm's install order, the one Kubernetes users know: by kind
//! (namespaces and policies, then service accounts, secrets and config, storage, CRDs, RBAC,
//! services, workloads, ingresses, API services, webhooks), kinds it does not list (custom
//! resources) last in alphabetical order, and the manifests' own order within a kind.
//! Deletion goes the other way (Helm's uninstall order).

use std::collections::HashSet;

use k8s_openapi::Resource;
use k8s_openapi::api::admissionregistration::{v1 as admission, v1alpha1 as admission_alpha};
use k8s_openapi::api::authentication::v1 as authentication;
use k8s_openapi::api::authorization::v1 as authorization;
use k8s_openapi::api::certificates::{v1 as certificates, v1beta1 as certificates_beta};
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::flowcontrol::v1 as flowcontrol;
use k8s_openapi::api::networking::v1 as networking;
use k8s_openapi::api::node::v1 as node;
use k8s_openapi::api::rbac::v1 as rbac;
use k8s_openapi::api::resource::{v1alpha3 as dra_alpha, v1beta2 as dra};
use k8s_openapi::api::scheduling::v1 as scheduling;
use k8s_openapi::api::storage::{v1 as storage, v1beta1 as storage_beta};
use k8s_openapi::api::{
    apiserverinternal::v1alpha1 as internal, storagemigration::v1alpha1 as migration,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService;
use serde_json::Value;

/// The kinds in the order they are applied (Helm's install order).
pub const APPLY_ORDER: [&str; 38] = [
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// The kinds in the order they are deleted (Helm's uninstall order): webhooks first so they
/// cannot block the rest, namespaces last.
pub const DELETE_ORDER: [&str; 38] = [
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
    "Ingress",
    "IngressClass",
    "Service",
    "CronJob",
    "Job",
    "StatefulSet",
    "HorizontalPodAutoscaler",
    "Deployment",
    "ReplicaSet",
    "ReplicationController",
    "Pod",
    "DaemonSet",
    "RoleBindingList",
    "RoleBinding",
    "RoleList",
    "Role",
    "ClusterRoleBindingList",
    "ClusterRoleBinding",
    "ClusterRoleList",
    "ClusterRole",
    "CustomResourceDefinition",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "StorageClass",
    "ConfigMap",
    "SecretList",
    "Secret",
    "ServiceAccount",
    "PodDisruptionBudget",
    "PodSecurityPolicy",
    "LimitRange",
    "ResourceQuota",
    "NetworkPolicy",
    "Namespace",
    "PriorityClass",
];

/// Sorts manifest documents, stably, into the order they are applied in.
pub fn sort_for_apply(docs: &mut [Value]) {
    sort_by_kind(docs, &APPLY_ORDER);
}

/// Sorts manifest documents, stably, into the order they are deleted in.
pub fn sort_for_delete(docs: &mut [Value]) {
    sort_by_kind(docs, &DELETE_ORDER);
}

/// Sorts by the kinds' places in `order`; unlisted kinds go last, alphabetically.
fn sort_by_kind(docs: &mut [Value], order: &[&str]) {
    docs.sort_by(|a, b| {
        let (a, b) = (kind(a), kind(b));
        let place = |kind: &str| order.iter().position(|k| *k == kind);
        match (place(a), place(b)) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.cmp(b),
        }
    });
}

/// Lists built-in kinds by their k8s-openapi type: `(group, kind)` pairs, each checked at
/// compile time to be cluster-scoped.
macro_rules! cluster_scoped {
    ($($ty:ty),* $(,)?) => {
        const BUILT_IN_CLUSTER_SCOPED: &[(&str, &str)] = &[$((<$ty>::GROUP, <$ty>::KIND)),*];
        const _: () = { $(assert_cluster_scoped::<$ty>();)* };
    };
}

/// Compiles only for a cluster-scoped type.
const fn assert_cluster_scoped<T: Resource<Scope = k8s_openapi::ClusterResourceScope>>() {}

cluster_scoped![
    core::Namespace,
    core::Node,
    core::PersistentVolume,
    core::ComponentStatus,
    admission::MutatingWebhookConfiguration,
    admission::ValidatingWebhookConfiguration,
    admission::ValidatingAdmissionPolicy,
    admission::ValidatingAdmissionPolicyBinding,
    admission_alpha::MutatingAdmissionPolicy,
    admission_alpha::MutatingAdmissionPolicyBinding,
    internal::StorageVersion,
    authentication::SelfSubjectReview,
    authentication::TokenReview,
    authorization::SelfSubjectAccessReview,
    authorization::SelfSubjectRulesReview,
    authorization::SubjectAccessReview,
    certificates::CertificateSigningRequest,
    certificates_beta::ClusterTrustBundle,
    flowcontrol::FlowSchema,
    flowcontrol::PriorityLevelConfiguration,
    networking::IngressClass,
    networking::IPAddress,
    networking::ServiceCIDR,
    node::RuntimeClass,
    rbac::ClusterRole,
    rbac::ClusterRoleBinding,
    dra::DeviceClass,
    dra::ResourceSlice,
    dra_alpha::DeviceTaintRule,
    scheduling::PriorityClass,
    storage::CSIDriver,
    storage::CSINode,
    storage::StorageClass,
    storage::VolumeAttachment,
    storage_beta::VolumeAttributesClass,
    migration::StorageVersionMigration,
    CustomResourceDefinition,
    APIService,
];

/// Which objects of a manifest list live outside namespaces: Kubernetes' built-in
/// cluster-scoped kinds, and the kinds of the list's own CustomResourceDefinitions with
/// `scope: Cluster`. Any other kind is taken to be namespaced.
#[derive(Debug, Clone, Default)]
pub struct Scopes {
    /// `(group, kind)` of the cluster-scoped custom kinds the manifests define.
    custom: HashSet<(String, String)>,
}

impl Scopes {
    /// The scopes known from Kubernetes and from the CRDs among `docs`.
    pub fn from_manifests(docs: &[Value]) -> Self {
        let custom = docs
            .iter()
            .filter(|doc| kind(doc) == CustomResourceDefinition::KIND)
            .filter_map(|doc| {
                let spec = doc.get("spec")?;
                if spec.get("scope")?.as_str()? != "Cluster" {
                    return None;
                }
                let group = spec.get("group")?.as_str()?;
                let kind = spec.get("names")?.get("kind")?.as_str()?;
                Some((group.to_owned(), kind.to_owned()))
            })
            .collect();
        Self { custom }
    }

    /// Whether `doc` is cluster-scoped (so it gets no namespace).
    pub fn is_cluster_scoped(&self, doc: &Value) -> bool {
        let api_version = doc
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let (group, kind) = (group_of(api_version), kind(doc));
        is_built_in_cluster_scoped(api_version, kind)
            || self.custom.contains(&(group.to_owned(), kind.to_owned()))
    }
}

/// Whether `kind` of `api_version` (`v1`, `rbac.authorization.k8s.io/v1`) is a built-in
/// cluster-scoped kind.
pub fn is_built_in_cluster_scoped(api_version: &str, kind: &str) -> bool {
    let group = group_of(api_version);
    BUILT_IN_CLUSTER_SCOPED.contains(&(group, kind))
}

/// The API group of an `apiVersion`: empty for the core group's `v1`.
fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(group, _)| group)
}

/// A document's `kind` (empty when it has none).
fn kind(doc: &Value) -> &str {
    doc.get("kind").and_then(Value::as_str).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn doc(api_version: &str, kind: &str, name: &str) -> Value {
        json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name}})
    }

    fn names(docs: &[Value]) -> Vec<&str> {
        docs.iter()
            .map(|d| d["metadata"]["name"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn namespaces_and_crds_come_first_and_custom_resources_last() {
        let mut docs = vec![
            doc("apps/v1", "Deployment", "web"),
            doc("example.com/v1", "Widget", "w1"),
            doc("v1", "Service", "web"),
            doc(
                "apiextensions.k8s.io/v1",
                "CustomResourceDefinition",
                "widgets",
            ),
            doc("v1", "Namespace", "dev"),
            doc("apps/v1", "Deployment", "api"),
            doc("example.com/v1", "Gadget", "g1"),
            doc("v1", "ConfigMap", "settings"),
            doc("example.com/v1", "Widget", "w0"),
        ];
        sort_for_apply(&mut docs);
        assert_eq!(
            names(&docs),
            [
                "dev", "settings", "widgets", "web", "web", "api", "g1", "w1", "w0"
            ]
        );
        assert_eq!(docs[3]["kind"], "Service");

        sort_for_delete(&mut docs);
        assert_eq!(
            names(&docs),
            [
                "web", "web", "api", "widgets", "settings", "dev", "g1", "w1", "w0"
            ]
        );
        assert_eq!(docs[0]["kind"], "Service");
    }

    #[test]
    fn the_orders_list_the_same_kinds() {
        let mut apply = APPLY_ORDER.to_vec();
        let mut delete = DELETE_ORDER.to_vec();
        apply.sort_unstable();
        delete.sort_unstable();
        assert_eq!(apply, delete);
    }

    #[test]
    fn built_in_scopes_depend_on_group_and_kind() {
        assert!(is_built_in_cluster_scoped("v1", "Namespace"));
        assert!(is_built_in_cluster_scoped(
            "rbac.authorization.k8s.io/v1",
            "ClusterRole"
        ));
        assert!(is_built_in_cluster_scoped(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition"
        ));
        assert!(is_built_in_cluster_scoped(
            "storage.k8s.io/v1",
            "StorageClass"
        ));
        assert!(!is_built_in_cluster_scoped(
            "rbac.authorization.k8s.io/v1",
            "Role"
        ));
        assert!(!is_built_in_cluster_scoped("apps/v1", "Deployment"));
        assert!(!is_built_in_cluster_scoped("example.com/v1", "Namespace"));
    }

    #[test]
    fn crds_in_the_manifests_tell_the_scope_of_their_kinds() {
        let crd = |kind: &str, scope: &str| {
            json!({
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "metadata": {"name": "x"},
                "spec": {"group": "example.com", "scope": scope, "names": {"kind": kind}},
            })
        };
        let docs = [crd("Cluster", "Cluster"), crd("Widget", "Namespaced")];
        let scopes = Scopes::from_manifests(&docs);
        assert!(scopes.is_cluster_scoped(&doc("example.com/v1", "Cluster", "c")));
        assert!(!scopes.is_cluster_scoped(&doc("example.com/v1", "Widget", "w")));
        assert!(!scopes.is_cluster_scoped(&doc("other.io/v1", "Cluster", "c")));
        assert!(scopes.is_cluster_scoped(&docs[0]));
        assert!(scopes.is_cluster_scoped(&doc("v1", "Namespace", "dev")));
        assert!(!scopes.is_cluster_scoped(&doc("v1", "ConfigMap", "c")));
    }
}
