//! The resource types the fake serves: the built-in kinds skiff touches plus whatever applied
//! CustomResourceDefinitions declare.

use crate::error::{ApiError, ApiResult};
use serde_json::Value;

/// The verbs every stored resource supports.
pub const VERBS: [&str; 8] = [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// A subresource listed in discovery (`pods/log`, `deployments/status`).
#[derive(Debug, Clone, PartialEq)]
pub struct Subresource {
    /// The part after the slash: `log`, `exec`, `portforward`, `status`.
    pub name: String,
    /// The kind discovery reports for it.
    pub kind: String,
    /// Its verbs.
    pub verbs: Vec<&'static str>,
}

/// One served resource of one group version.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceType {
    /// API group, `""` for core.
    pub group: String,
    /// Version (`v1`).
    pub version: String,
    /// Kind (`Deployment`).
    pub kind: String,
    /// Plural, lowercase (`deployments`): the URL segment.
    pub plural: String,
    /// Singular, lowercase.
    pub singular: String,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// kubectl short names (`deploy`).
    pub short_names: Vec<String>,
    /// Subresources.
    pub subresources: Vec<Subresource>,
    /// The CustomResourceDefinition that declared this type, if any.
    pub crd: Option<String>,
}

impl ResourceType {
    /// `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Whether `status` is a subresource (so main-resource writes keep the stored status).
    pub fn has_status(&self) -> bool {
        self.subresources.iter().any(|s| s.name == "status")
    }

    /// A stored object as this version of the resource presents it (its `apiVersion` and `kind`).
    pub fn present(&self, object: &Value) -> Value {
        let mut object = object.clone();
        object["apiVersion"] = Value::String(self.api_version());
        object["kind"] = Value::String(self.kind.clone());
        object
    }

    /// Whether the path `…/<name>/<sub>` is served.
    pub fn has_subresource(&self, sub: &str) -> bool {
        self.subresources.iter().any(|s| s.name == sub)
    }
}

/// All served resource types, in discovery order.
#[derive(Debug, Clone)]
pub struct Registry {
    types: Vec<ResourceType>,
}

fn status_sub(kind: &str) -> Subresource {
    Subresource {
        name: "status".into(),
        kind: kind.into(),
        verbs: vec!["get", "patch", "update"],
    }
}

fn builtin(
    group: &str,
    kind: &str,
    plural: &str,
    namespaced: bool,
    short: &[&str],
    status: bool,
) -> ResourceType {
    ResourceType {
        group: group.into(),
        version: "v1".into(),
        kind: kind.into(),
        plural: plural.into(),
        singular: kind.to_lowercase(),
        namespaced,
        short_names: short.iter().map(|s| s.to_string()).collect(),
        subresources: if status {
            vec![status_sub(kind)]
        } else {
            Vec::new()
        },
        crd: None,
    }
}

impl Default for Registry {
    fn default() -> Self {
        let mut pods = builtin("", "Pod", "pods", true, &["po"], true);
        pods.subresources.extend([
            Subresource {
                name: "log".into(),
                kind: "Pod".into(),
                verbs: vec!["get"],
            },
            Subresource {
                name: "exec".into(),
                kind: "PodExecOptions".into(),
                verbs: vec!["create", "get"],
            },
            Subresource {
                name: "portforward".into(),
                kind: "PodPortForwardOptions".into(),
                verbs: vec!["create", "get"],
            },
        ]);
        let types = vec![
            builtin("", "Namespace", "namespaces", false, &["ns"], true),
            builtin("", "Node", "nodes", false, &["no"], true),
            pods,
            builtin("", "Service", "services", true, &["svc"], true),
            builtin("", "ConfigMap", "configmaps", true, &["cm"], false),
            builtin("", "Secret", "secrets", true, &[], false),
            builtin(
                "",
                "ServiceAccount",
                "serviceaccounts",
                true,
                &["sa"],
                false,
            ),
            builtin("", "Event", "events", true, &["ev"], false),
            builtin(
                "",
                "PersistentVolumeClaim",
                "persistentvolumeclaims",
                true,
                &["pvc"],
                true,
            ),
            builtin("apps", "Deployment", "deployments", true, &["deploy"], true),
            builtin("apps", "StatefulSet", "statefulsets", true, &["sts"], true),
            builtin("apps", "DaemonSet", "daemonsets", true, &["ds"], true),
            builtin("apps", "ReplicaSet", "replicasets", true, &["rs"], true),
            builtin("batch", "Job", "jobs", true, &[], true),
            builtin("batch", "CronJob", "cronjobs", true, &["cj"], true),
            builtin(
                "apiextensions.k8s.io",
                "CustomResourceDefinition",
                "customresourcedefinitions",
                false,
                &["crd", "crds"],
                true,
            ),
            builtin(
                "networking.k8s.io",
                "Ingress",
                "ingresses",
                true,
                &["ing"],
                true,
            ),
        ];
        Self { types }
    }
}

impl Registry {
    /// The type served at `/<group>/<version>/<plural>`.
    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<&ResourceType> {
        self.types
            .iter()
            .find(|t| t.group == group && t.version == version && t.plural == plural)
    }

    /// The type of an `apiVersion` + `kind` pair.
    pub fn find_kind(&self, api_version: &str, kind: &str) -> Option<&ResourceType> {
        self.types
            .iter()
            .find(|t| t.api_version() == api_version && t.kind == kind)
    }

    /// Every type, in discovery order.
    pub fn all(&self) -> &[ResourceType] {
        &self.types
    }

    /// The served groups (core excluded) with their versions, in first-seen order.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for t in self.types.iter().filter(|t| !t.group.is_empty()) {
            match groups.iter_mut().find(|(g, _)| *g == t.group) {
                Some((_, versions)) if !versions.contains(&t.version) => {
                    versions.push(t.version.clone())
                }
                Some(_) => {}
                None => groups.push((t.group.clone(), vec![t.version.clone()])),
            }
        }
        groups
    }

    /// The types of one group version.
    pub fn resources(&self, group: &str, version: &str) -> Vec<&ResourceType> {
        self.types
            .iter()
            .filter(|t| t.group == group && t.version == version)
            .collect()
    }

    /// Makes (or re-makes) the types a CustomResourceDefinition declares servable.
    pub fn register_crd(&mut self, crd: &Value) -> ApiResult<()> {
        let types = crd_types(crd)?;
        let name = types
            .first()
            .and_then(|t| t.crd.clone())
            .unwrap_or_default();
        self.unregister_crd(&name);
        self.types.extend(types);
        Ok(())
    }

    /// Removes the types a CustomResourceDefinition declared.
    pub fn unregister_crd(&mut self, crd_name: &str) {
        self.types.retain(|t| t.crd.as_deref() != Some(crd_name));
    }
}

/// The resource types one CRD declares (one per served version), validated as the API server
/// validates the CRD's names.
fn crd_types(crd: &Value) -> ApiResult<Vec<ResourceType>> {
    let name = crd
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let text = |ptr: &str| {
        crd.pointer(ptr)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let invalid = |field: &str, detail: String| {
        ApiError::invalid(
            "CustomResourceDefinition",
            "apiextensions.k8s.io",
            name,
            field,
            &detail,
        )
    };
    let (group, plural, kind) = (
        text("/spec/group"),
        text("/spec/names/plural"),
        text("/spec/names/kind"),
    );
    for (field, value) in [
        ("spec.group", &group),
        ("spec.names.plural", &plural),
        ("spec.names.kind", &kind),
    ] {
        if value.is_empty() {
            return Err(invalid(field, "Required value".into()));
        }
    }
    if name != format!("{plural}.{group}") {
        return Err(invalid(
            "metadata.name",
            format!("Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group"),
        ));
    }
    let namespaced = match text("/spec/scope").as_str() {
        "Namespaced" => true,
        "Cluster" => false,
        other => {
            return Err(invalid(
                "spec.scope",
                format!(
                    "Unsupported value: \"{other}\": supported values: \"Cluster\", \"Namespaced\""
                ),
            ));
        }
    };
    let singular = Some(text("/spec/names/singular"))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| kind.to_lowercase());
    let short_names: Vec<String> = crd
        .pointer("/spec/names/shortNames")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let versions = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let served: Vec<ResourceType> = versions
        .iter()
        .filter(|v| v.get("served").and_then(Value::as_bool).unwrap_or(true))
        .filter_map(|v| {
            let version = v.get("name").and_then(Value::as_str)?;
            let subresources = if v.pointer("/subresources/status").is_some() {
                vec![status_sub(&kind)]
            } else {
                Vec::new()
            };
            Some(ResourceType {
                group: group.clone(),
                version: version.to_string(),
                kind: kind.clone(),
                plural: plural.clone(),
                singular: singular.clone(),
                namespaced,
                short_names: short_names.clone(),
                subresources,
                crd: Some(name.to_string()),
            })
        })
        .collect();
    if served.is_empty() {
        return Err(invalid(
            "spec.versions",
            "Invalid value: must have exactly one version marked as storage version".into(),
        ));
    }
    Ok(served)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn crd(name: &str) -> Value {
        json!({
            "metadata": {"name": name},
            "spec": {
                "group": "example.com",
                "scope": "Namespaced",
                "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
                "versions": [
                    {"name": "v1", "served": true, "storage": true, "subresources": {"status": {}}},
                    {"name": "v1alpha1", "served": false, "storage": false}
                ]
            }
        })
    }

    #[test]
    fn builtins_have_the_right_scope() {
        let reg = Registry::default();
        assert!(!reg.find("", "v1", "namespaces").unwrap().namespaced);
        assert!(!reg.find("", "v1", "nodes").unwrap().namespaced);
        assert!(reg.find("apps", "v1", "deployments").unwrap().namespaced);
        assert!(
            reg.find("", "v1", "pods")
                .unwrap()
                .has_subresource("portforward")
        );
        assert_eq!(reg.find_kind("batch/v1", "Job").unwrap().plural, "jobs");
        assert!(
            reg.groups()
                .iter()
                .any(|(g, v)| g == "apps" && v == &["v1"])
        );
    }

    #[test]
    fn crd_registers_served_versions_only() {
        let mut reg = Registry::default();
        reg.register_crd(&crd("widgets.example.com")).unwrap();
        let t = reg.find("example.com", "v1", "widgets").unwrap();
        assert!(t.namespaced && t.has_status());
        assert!(reg.find("example.com", "v1alpha1", "widgets").is_none());
        reg.register_crd(&crd("widgets.example.com")).unwrap();
        assert_eq!(
            reg.resources("example.com", "v1").len(),
            1,
            "re-registering replaces"
        );
        reg.unregister_crd("widgets.example.com");
        assert!(reg.find_kind("example.com/v1", "Widget").is_none());
    }

    #[test]
    fn crd_name_must_match_plural_and_group() {
        let err = Registry::default()
            .register_crd(&crd("widget.example.com"))
            .unwrap_err();
        assert_eq!((err.code, err.reason), (422, "Invalid"));
        assert!(
            err.message.contains("must be spec.names.plural"),
            "{}",
            err.message
        );
    }
}
