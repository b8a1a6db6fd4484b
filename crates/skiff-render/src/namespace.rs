//! Namespaces: which namespace a run deploys to, and writing it into rendered manifests
//! (Skaffold's `SetNamespace` and `RunContext.GetNamespace`).
//!
//! - Injection happens only when `-n/--namespace` is given and rendering is not `--offline`
//!   ([`injected_namespace`]); `deploy.kubectl.defaultNamespace` is not written into manifests,
//!   it is only where kubectl applies ([`configured_namespace`]).
//! - Only transformable manifests (see [`TransformRules`]) get the namespace — Skaffold's rule,
//!   so a ConfigMap keeps no namespace and kubectl's `--namespace` places it. Well-known
//!   cluster-scoped kinds are skipped (Skaffold would write a namespace into an allowlisted
//!   `ClusterWorkflowTemplate`, which the API server then ignores).
//! - A manifest without `metadata.namespace` (or with `null`, `""` or the same value) gets it; a
//!   manifest that names another namespace keeps it, and unless the requested namespace is
//!   `default` that is reported as a [`NamespaceConflict`] (Skaffold prints it as a warning).

use std::collections::BTreeMap;
use std::fmt;

use serde_yaml_ng::{Mapping, Value};
use skiff_proto::enums::StatusCode;

use crate::visit::{GroupKind, TransformRules, check_mappings};
use crate::{ManifestList, RenderError};

/// The namespace Kubernetes uses when none is given.
pub const DEFAULT_NAMESPACE: &str = "default";

/// `(group, kind)` of cluster-scoped resources that may be allowlisted but take no namespace.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("networking.k8s.io", "IngressClass"),
    ("node.k8s.io", "RuntimeClass"),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    ("apiregistration.k8s.io", "APIService"),
    ("argoproj.io", "ClusterWorkflowTemplate"),
];

/// A manifest that already names a namespace other than the requested one; it keeps its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceConflict {
    /// The manifest's kind.
    pub kind: String,
    /// The manifest's `metadata.name` (`""` if it has none).
    pub name: String,
    /// The namespace the manifest names.
    pub existing: String,
    /// The namespace that was requested.
    pub requested: String,
}

impl fmt::Display for NamespaceConflict {
    /// Skaffold's warning text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a manifest already has namespace set \"{}\" which conflicts with namespace on the CLI \"{}\"",
            self.existing, self.requested
        )
    }
}

/// The namespace to write into manifests: the `-n/--namespace` value, unless it is empty or
/// rendering is offline.
pub fn injected_namespace(cli_namespace: Option<&str>, offline: bool) -> Option<&str> {
    cli_namespace.filter(|ns| !ns.is_empty() && !offline)
}

/// The namespace kubectl deploys into: the `-n/--namespace` value if given, else the
/// `deploy.kubectl.defaultNamespace` of the last pipeline that sets one (a warning is logged
/// when pipelines disagree), expanded as an environment template. `None` means neither is set;
/// the kube context's namespace applies. Fails with `RENDER_SET_NAMESPACE_ERR` if the template
/// does not expand.
pub fn configured_namespace<'a>(
    cli_namespace: Option<&str>,
    default_namespaces: impl IntoIterator<Item = &'a str>,
) -> Result<Option<String>, RenderError> {
    if let Some(ns) = cli_namespace.filter(|ns| !ns.is_empty()) {
        return Ok(Some(ns.to_string()));
    }
    let mut chosen = "";
    for ns in default_namespaces {
        if !chosen.is_empty() && chosen != ns {
            tracing::warn!(
                "multiple deploy.kubectl.defaultNamespace values set ({chosen}, {ns}), only last pipeline's value will be used"
            );
        }
        chosen = ns;
    }
    if chosen.is_empty() {
        return Ok(None);
    }
    skiff_config::template::expand_env_template(chosen, &BTreeMap::new())
        .map(Some)
        .map_err(|err| {
            RenderError::new(
                StatusCode::RenderSetNamespaceErr,
                format!("expanding deploy.kubectl.defaultNamespace {chosen:?}: {err}"),
            )
        })
}

/// Writes `namespace` (`""` means `default`) into the transformable, namespaced manifests of
/// `list` (see the module docs) and returns the manifests that keep another namespace. Fails
/// with `RENDER_SET_NAMESPACE_ERR` if a document is not a mapping or a manifest's `metadata` is
/// not a mapping; nothing is changed then.
pub fn set_namespace(
    list: &mut ManifestList,
    namespace: &str,
    rules: &TransformRules,
) -> Result<Vec<NamespaceConflict>, RenderError> {
    let namespace = if namespace.is_empty() {
        DEFAULT_NAMESPACE
    } else {
        namespace
    };
    let failure = |reason: String| {
        RenderError::new(
            StatusCode::RenderSetNamespaceErr,
            format!("setting namespace in manifests: {reason}"),
        )
    };
    check_mappings(list).map_err(failure)?;
    let targets = namespace_targets(list, rules).map_err(failure)?;
    let mut conflicts = Vec::new();
    for i in targets {
        let Value::Mapping(manifest) = &mut list.docs_mut()[i] else {
            continue;
        };
        match conflict(manifest, namespace) {
            Ok(()) => write_namespace(manifest, namespace),
            Err(Some(found)) => conflicts.push(found),
            Err(None) => {}
        }
    }
    Ok(conflicts)
}

/// `Ok` if `manifest` takes `namespace`; otherwise the conflict to report, if any.
fn conflict(manifest: &Mapping, namespace: &str) -> Result<(), Option<NamespaceConflict>> {
    let metadata = manifest.get("metadata");
    match metadata.and_then(|m| m.get("namespace")) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(existing)) if existing.is_empty() || existing == namespace => Ok(()),
        Some(_) if namespace == DEFAULT_NAMESPACE => Err(None),
        Some(existing) => {
            let text =
                |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
            Err(Some(NamespaceConflict {
                kind: text(manifest.get("kind")),
                name: text(metadata.and_then(|m| m.get("name"))),
                existing: scalar_text(existing),
                requested: namespace.to_string(),
            }))
        }
    }
}

/// Sets `metadata.namespace`, adding `metadata` at the end if it is missing or `null`.
fn write_namespace(manifest: &mut Mapping, namespace: &str) {
    if !manifest.get("metadata").is_some_and(Value::is_mapping) {
        manifest.insert("metadata".into(), Value::Mapping(Mapping::new()));
    }
    if let Some(Value::Mapping(metadata)) = manifest.get_mut("metadata") {
        metadata.insert("namespace".into(), namespace.into());
    }
}

/// The positions of the manifests that take a namespace; fails if one's `metadata` is neither
/// absent, `null` nor a mapping.
fn namespace_targets(list: &ManifestList, rules: &TransformRules) -> Result<Vec<usize>, String> {
    let mut targets = Vec::new();
    for (i, doc) in list.docs().iter().enumerate() {
        let Some(manifest_rules) = rules.for_manifest(doc) else {
            continue;
        };
        if is_cluster_scoped(&manifest_rules.group_kind) {
            continue;
        }
        match doc.get("metadata") {
            None | Some(Value::Null | Value::Mapping(_)) => targets.push(i),
            Some(other) => {
                return Err(format!(
                    "document {}: metadata is {}, not a mapping",
                    i + 1,
                    scalar_text(other)
                ));
            }
        }
    }
    Ok(targets)
}

fn is_cluster_scoped(gk: &GroupKind) -> bool {
    CLUSTER_SCOPED
        .iter()
        .any(|(group, kind)| gk.group == *group && gk.kind == *kind)
}

/// A value as one line of YAML.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => serde_yaml_ng::to_string(other)
            .map(|s| s.trim_end().replace('\n', " "))
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use skiff_config::model::ResourceSelectorConfig;

    use super::*;
    use crate::testing::{assert_starts_with, assert_yaml, edited, manifests};

    /// Sets `namespace` in `text` under `rules`, asserts that the documents then read like
    /// `expected`, and returns the conflicts.
    #[track_caller]
    fn check_with(
        rules: &TransformRules,
        text: &str,
        namespace: &str,
        expected: &str,
    ) -> Vec<NamespaceConflict> {
        let mut list = manifests(text);
        let conflicts = set_namespace(&mut list, namespace, rules).unwrap();
        assert_yaml(&list, expected);
        conflicts
    }

    /// [`check_with`] Skaffold's default rules.
    #[track_caller]
    fn check(text: &str, namespace: &str, expected: &str) -> Vec<NamespaceConflict> {
        check_with(&TransformRules::default(), text, namespace, expected)
    }

    #[test]
    fn sets_missing_empty_and_null_namespaces_on_transformable_kinds() {
        let input = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: a}
spec: {}
---
apiVersion: v1
kind: Service
metadata: {name: b, namespace: ""}
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: null}
---
apiVersion: v1
kind: Pod
---
apiVersion: v1
kind: ConfigMap
metadata: {name: d}
"#;
        let expected = edited(
            input,
            &[
                ("{name: a}", "{name: a, namespace: team}"),
                ("namespace: \"\"", "namespace: team"),
                ("namespace: null", "namespace: team"),
                (
                    "kind: Pod\n---",
                    "kind: Pod\nmetadata: {namespace: team}\n---",
                ),
            ],
        );
        assert!(check(input, "team", &expected).is_empty());
    }

    #[test]
    fn existing_namespaces_are_kept_and_reported() {
        let input = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: other}\n";
        let conflicts = check(input, "team", input);
        assert_eq!(
            conflicts,
            [NamespaceConflict {
                kind: "Pod".into(),
                name: "p".into(),
                existing: "other".into(),
                requested: "team".into(),
            }]
        );
        assert_eq!(
            conflicts[0].to_string(),
            "a manifest already has namespace set \"other\" which conflicts with namespace on the CLI \"team\""
        );

        assert!(
            check(input, "", input).is_empty(),
            "default never conflicts"
        );

        check(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
            "",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\n",
        );
    }

    #[test]
    fn cluster_scoped_kinds_are_skipped_even_when_selected() {
        let selector: ResourceSelectorConfig = serde_yaml_ng::from_str(
            "allow:\n- groupKind: ClusterRole.rbac.authorization.k8s.io\n  labels: ['.*']\n",
        )
        .unwrap();
        let input = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: r}
---
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata: {name: t}
"#;
        let rules = TransformRules::default().with_selector(&selector);
        check_with(&rules, input, "team", input);
    }

    #[test]
    fn bad_metadata_fails_without_changes() {
        let input = "apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nkind: Pod\nmetadata: [x]\n";
        let mut list = manifests(input);
        let err = set_namespace(&mut list, "team", &TransformRules::default()).unwrap_err();
        assert_eq!(err.code, StatusCode::RenderSetNamespaceErr);
        assert_eq!(
            err.message,
            "setting namespace in manifests: document 2: metadata is - x, not a mapping"
        );
        assert_yaml(&list, input);
    }

    #[test]
    fn injection_needs_the_flag_and_online_rendering() {
        assert_eq!(injected_namespace(Some("team"), false), Some("team"));
        assert_eq!(injected_namespace(Some("team"), true), None);
        assert_eq!(injected_namespace(Some(""), false), None);
        assert_eq!(injected_namespace(None, false), None);
    }

    #[test]
    fn configured_namespace_prefers_the_flag_then_the_last_default() {
        assert_eq!(
            configured_namespace(Some("cli"), ["a"]).unwrap().as_deref(),
            Some("cli")
        );
        assert_eq!(
            configured_namespace(None, ["a", "b"]).unwrap().as_deref(),
            Some("b")
        );
        assert_eq!(configured_namespace(Some(""), ["a", ""]).unwrap(), None);
        assert_eq!(
            configured_namespace(None, [r#"{{ "team" | upper }}-ns"#])
                .unwrap()
                .as_deref(),
            Some("TEAM-ns")
        );
        let err = configured_namespace(None, ["{{ .X"]).unwrap_err();
        assert_eq!(err.code, StatusCode::RenderSetNamespaceErr);
        assert_starts_with(
            &err.message,
            "expanding deploy.kubectl.defaultNamespace \"{{ .X\"",
        );
    }
}
