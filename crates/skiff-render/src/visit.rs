//! Which manifests and fields skiff may rewrite, and the walk over them.
//!
//! Skaffold transforms only the kinds on its allowlist (`TransformAllowlist` in
//! `pkg/skaffold/kubernetes/manifest/visitor.go`): Pod, Service, Deployment, ReplicaSet,
//! StatefulSet, DaemonSet, Job, CronJob, a few known custom resources (Knative Service, Agones
//! Fleet/GameServer, Argo Rollout/Workflow/CronWorkflow/WorkflowTemplate/
//! ClusterWorkflowTemplate, Cloud Run Job/WorkerPool, Confluent and Strimzi resources), and any
//! Google Config Connector resource (group `<x>.cnrm.cloud.google.com`). Everything else —
//! ConfigMaps, Secrets, CRDs, `kind: List`, … — is passed through untouched. `resourceSelector`
//! in skaffold.yaml (and `--transform-rules-file`, same shape) adds or removes kinds and says
//! which field paths count as images or labels ([`TransformRules::with_selector`]).
//!
//! A transformable manifest is walked depth-first; each mapping entry is offered to a visitor
//! together with its path: the keys from the root joined by `.` with a leading `.` (list items
//! add nothing, so a container image is at `.spec.template.spec.containers.image`). The visitor
//! rewrites the entry or asks to descend into it.

use std::collections::HashMap;

use serde_yaml_ng::Value;
use skiff_config::model::{ResourceFilter, ResourceSelectorConfig};

use crate::ManifestList;

/// The path entry that matches every field (every `image` field, every `metadata`).
pub(crate) const ANY_PATH: &str = ".*";

/// Skaffold's default allowlist: `(GroupKind, image paths)`; every entry allows all labels.
const DEFAULT_ALLOW: &[(&str, &[&str])] = &[
    ("Pod", &[ANY_PATH]),
    ("Service", &[ANY_PATH]),
    ("DaemonSet.apps", &[ANY_PATH]),
    ("Deployment.apps", &[ANY_PATH]),
    ("ReplicaSet.apps", &[ANY_PATH]),
    ("StatefulSet.apps", &[ANY_PATH]),
    ("CronJob.batch", &[ANY_PATH]),
    ("Job.batch", &[ANY_PATH]),
    ("DaemonSet.extensions", &[ANY_PATH]),
    ("Deployment.extensions", &[ANY_PATH]),
    ("ReplicaSet.extensions", &[ANY_PATH]),
    ("Service.serving.knative.dev", &[ANY_PATH]),
    ("Fleet.agones.dev", &[ANY_PATH]),
    ("GameServer.agones.dev", &[ANY_PATH]),
    ("Rollout.argoproj.io", &[ANY_PATH]),
    ("Workflow.argoproj.io", &[ANY_PATH]),
    ("CronWorkflow.argoproj.io", &[ANY_PATH]),
    ("WorkflowTemplate.argoproj.io", &[ANY_PATH]),
    ("ClusterWorkflowTemplate.argoproj.io", &[ANY_PATH]),
    ("Connect.platform.confluent.io", CONFLUENT_IMAGES),
    ("ControlCenter.platform.confluent.io", CONFLUENT_IMAGES),
    ("Kafka.platform.confluent.io", CONFLUENT_IMAGES),
    ("KsqlDB.platform.confluent.io", CONFLUENT_IMAGES),
    ("SchemaRegistry.platform.confluent.io", CONFLUENT_IMAGES),
    ("Zookeeper.platform.confluent.io", CONFLUENT_IMAGES),
    ("Job.run.googleapis.com", &[ANY_PATH]),
    ("WorkerPool.run.googleapis.com", &[ANY_PATH]),
    ("KafkaConnect.kafka.strimzi.io", &[".spec.image"]),
    (
        "Kafka.kafka.strimzi.io",
        // Skaffold writes the last path with a trailing `.`, so it never matches; fixed here.
        &[
            ".spec.kafka.image",
            ".spec.zookeeper.image",
            ".spec.entityOperator.topicOperator.image",
            ".spec.entityOperator.userOperator.image",
            ".spec.kafkaExporter.image",
        ],
    ),
];

const CONFLUENT_IMAGES: &[&str] = &[".spec.image.application", ".spec.image.init"];

/// Skaffold's default denylist: `(GroupKind, label paths)`. Job pod templates are immutable and
/// StatefulSet volume claim templates cannot change, so the run id must not go there.
const DEFAULT_DENY: &[(&str, &str)] = &[
    (
        "StatefulSet.apps",
        ".spec.volumeClaimTemplates.metadata.labels",
    ),
    ("Job.batch", ".spec.template.metadata.labels"),
];

/// A resource type: API group (`""` for the core group) and kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupKind {
    /// The API group, e.g. `apps`; `""` for core kinds.
    pub group: String,
    /// The kind, e.g. `Deployment`.
    pub kind: String,
}

impl GroupKind {
    /// Parses the compact `Kind.group` form (`Deployment.apps`, `Pod`): the kind runs up to the
    /// first `.`.
    pub fn parse(group_kind: &str) -> Self {
        let (kind, group) = group_kind.split_once('.').unwrap_or((group_kind, ""));
        Self {
            group: group.to_string(),
            kind: kind.to_string(),
        }
    }

    /// The type of a manifest from its `apiVersion` (`group/version` or `version`) and `kind`;
    /// a malformed or missing `apiVersion` gives the core group.
    pub fn of(manifest: &Value) -> Self {
        let text = |key| {
            manifest
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        let group = match text("apiVersion").split_once('/') {
            Some((group, version)) if !version.contains('/') => group,
            _ => "",
        };
        Self {
            group: group.to_string(),
            kind: text("kind").to_string(),
        }
    }

    /// Whether this is a Google Config Connector resource (group `<name>.cnrm.cloud.google.com`),
    /// which Skaffold always transforms.
    fn is_config_connector(&self) -> bool {
        const SUFFIX: &str = "cnrm.cloud.google.com";
        self.group.match_indices(SUFFIX).any(|(i, _)| {
            let before = &self.group.as_bytes()[..i];
            before.len() >= 2
                && before[before.len() - 1] == b'.'
                && before[before.len() - 2].is_ascii_alphabetic()
        })
    }
}

/// The field paths one rule names for a resource type (paths in the `.a.b.c` form; `.*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Filter {
    /// Paths whose value is an image reference.
    pub(crate) image: Vec<String>,
    /// Paths of label maps (the last element is the labels field inside the mapping before it).
    pub(crate) labels: Vec<String>,
}

impl Filter {
    /// A filter from skaffold.yaml, with `.*` inside longer paths removed
    /// (`.spec.containers.*.image` is `.spec.containers.image`), as Skaffold does.
    fn from_config(rule: &ResourceFilter) -> Self {
        let normalize = |paths: &[String]| {
            paths
                .iter()
                .map(|p| match p.as_str() {
                    ANY_PATH => p.clone(),
                    _ => p.replace(ANY_PATH, ""),
                })
                .collect()
        };
        Self {
            image: normalize(&rule.image),
            labels: normalize(&rule.labels),
        }
    }

    fn denies_everything(&self) -> bool {
        self.image.iter().chain(&self.labels).any(|p| p == ANY_PATH)
    }
}

/// Which resource types and fields skiff rewrites: Skaffold's default allow- and denylists,
/// optionally changed by a `resourceSelector`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransformRules {
    allow: HashMap<GroupKind, Filter>,
    deny: HashMap<GroupKind, Filter>,
}

impl Default for TransformRules {
    /// Skaffold's built-in lists.
    fn default() -> Self {
        let allow = DEFAULT_ALLOW
            .iter()
            .map(|(gk, images)| {
                let filter = Filter {
                    image: images.iter().map(|p| p.to_string()).collect(),
                    labels: vec![ANY_PATH.to_string()],
                };
                (GroupKind::parse(gk), filter)
            })
            .collect();
        let deny = DEFAULT_DENY
            .iter()
            .map(|(gk, labels)| {
                let filter = Filter {
                    image: Vec::new(),
                    labels: vec![labels.to_string()],
                };
                (GroupKind::parse(gk), filter)
            })
            .collect();
        Self { allow, deny }
    }
}

impl TransformRules {
    /// These rules with `selector` applied on top: each `allow` entry replaces the rule for its
    /// type and removes the type from the denylist; each `deny` entry replaces the deny rule and
    /// removes the type from the allowlist. Apply skaffold.yaml's selector first, then the
    /// `--transform-rules-file`'s, as Skaffold does.
    pub fn with_selector(mut self, selector: &ResourceSelectorConfig) -> Self {
        for rule in &selector.allow {
            let gk = GroupKind::parse(&rule.group_kind);
            self.deny.remove(&gk);
            self.allow.insert(gk, Filter::from_config(rule));
        }
        for rule in &selector.deny {
            let gk = GroupKind::parse(&rule.group_kind);
            self.allow.remove(&gk);
            self.deny.insert(gk, Filter::from_config(rule));
        }
        self
    }

    /// The rules for one manifest, or `None` if skiff leaves it untouched: its `apiVersion` and
    /// `kind` must be strings and its type allowlisted (and not denied with `.*`) or a Config
    /// Connector resource.
    pub(crate) fn for_manifest(&self, manifest: &Value) -> Option<ManifestRules<'_>> {
        let typed = ["apiVersion", "kind"]
            .iter()
            .all(|key| manifest.get(key).is_some_and(Value::is_string));
        if !typed {
            return None;
        }
        let gk = GroupKind::of(manifest);
        let allow = self.allow.get(&gk);
        let deny = self.deny.get(&gk);
        let config_connector = gk.is_config_connector();
        let allowed = allow.is_some() && !deny.is_some_and(Filter::denies_everything);
        (allowed || config_connector).then_some(ManifestRules {
            group_kind: gk,
            allow,
            deny,
            config_connector,
        })
    }
}

/// The rules that apply to one transformable manifest.
pub(crate) struct ManifestRules<'r> {
    /// The manifest's type.
    pub(crate) group_kind: GroupKind,
    /// Its allowlist entry.
    pub(crate) allow: Option<&'r Filter>,
    /// Its denylist entry.
    pub(crate) deny: Option<&'r Filter>,
    /// Whether it is a Config Connector resource.
    pub(crate) config_connector: bool,
}

/// A mapping entry offered to a [`FieldVisitor`]: where it stands, and the rules of the manifest
/// it is in.
pub(crate) struct Field<'a, 'r> {
    /// The rules of the manifest being walked.
    pub(crate) rules: &'a ManifestRules<'r>,
    /// The keys from the root, each after a `.` (`.spec.template.spec.containers.image`).
    pub(crate) path: &'a str,
    /// The entry's own key (the last key of `path`).
    pub(crate) key: &'a str,
}

/// Looks at (and may rewrite) the fields of a manifest.
pub(crate) trait FieldVisitor {
    /// Called for each entry `field: value`; returns whether to descend into `value`.
    fn visit(&mut self, field: &Field<'_, '_>, value: &mut Value) -> bool;
}

/// Offers every field of every transformable manifest in `list` to `visitor`. Documents that are
/// empty mappings are dropped (as Skaffold's visitor drops them); a document that is not a
/// mapping is an error (nothing is changed then) naming its 1-based position.
pub(crate) fn walk(
    list: &mut ManifestList,
    rules: &TransformRules,
    visitor: &mut impl FieldVisitor,
) -> Result<(), String> {
    check_mappings(list)?;
    let mut docs = std::mem::take(list).into_docs();
    docs.retain(|doc| doc.as_mapping().is_some_and(|m| !m.is_empty()));
    for doc in &mut docs {
        if let Some(manifest_rules) = rules.for_manifest(doc) {
            visit_fields(&manifest_rules, &mut String::new(), doc, visitor);
        }
    }
    *list = ManifestList::from_docs(docs);
    Ok(())
}

/// Fails, naming the document, if one of `list`'s documents is neither a mapping nor null.
pub(crate) fn check_mappings(list: &ManifestList) -> Result<(), String> {
    for (i, doc) in list.docs().iter().enumerate() {
        let what = match doc {
            Value::Mapping(_) | Value::Null => continue,
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Sequence(_) => "a sequence",
            Value::Tagged(_) => "a tagged value",
        };
        return Err(format!(
            "reading Kubernetes YAML: document {} is {what}, not a mapping",
            i + 1
        ));
    }
    Ok(())
}

fn visit_fields(
    rules: &ManifestRules<'_>,
    path: &mut String,
    value: &mut Value,
    visitor: &mut impl FieldVisitor,
) {
    match value {
        Value::Sequence(items) => {
            for item in items {
                visit_fields(rules, path, item, visitor);
            }
        }
        Value::Mapping(entries) => {
            for (key, value) in entries.iter_mut() {
                let Some(key) = key.as_str() else { continue };
                let parent_len = path.len();
                path.push('.');
                path.push_str(key);
                let field = Field {
                    rules,
                    path: path.as_str(),
                    key,
                };
                if visitor.visit(&field, value) {
                    visit_fields(rules, path, value, visitor);
                }
                path.truncate(parent_len);
            }
        }
        Value::Tagged(tagged) => visit_fields(rules, path, &mut tagged.value, visitor),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::manifests;

    /// Records the paths offered, descending everywhere.
    struct Paths(Vec<String>);

    impl FieldVisitor for Paths {
        fn visit(&mut self, field: &Field<'_, '_>, _: &mut Value) -> bool {
            self.0.push(field.path.to_string());
            true
        }
    }

    fn paths(text: &str, rules: &TransformRules) -> Vec<String> {
        let mut list = manifests(text);
        let mut visitor = Paths(Vec::new());
        walk(&mut list, rules, &mut visitor).unwrap();
        visitor.0
    }

    #[test]
    fn group_kind_from_compact_form_and_manifest() {
        assert_eq!(
            GroupKind::parse("Deployment.apps"),
            GroupKind::of(&manifests("apiVersion: apps/v1\nkind: Deployment").docs()[0])
        );
        assert_eq!(
            GroupKind::parse("Service.serving.knative.dev").group,
            "serving.knative.dev"
        );
        let core = GroupKind::of(&manifests("apiVersion: v1\nkind: Pod").docs()[0]);
        assert_eq!((core.group.as_str(), core.kind.as_str()), ("", "Pod"));
        let malformed = GroupKind::of(&manifests("apiVersion: a/b/c\nkind: X").docs()[0]);
        assert_eq!(malformed.group, "");
    }

    #[test]
    fn config_connector_groups() {
        assert!(
            GroupKind::parse("StorageBucket.storage.cnrm.cloud.google.com").is_config_connector()
        );
        assert!(!GroupKind::parse("X.cnrm.cloud.google.com").is_config_connector());
        assert!(!GroupKind::parse("X.1.cnrm.cloud.google.com").is_config_connector());
    }

    #[test]
    fn paths_skip_list_items_and_unlisted_kinds() {
        let text = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: a\n---\napiVersion: v1\nkind: ConfigMap\ndata:\n  image: a\n";
        assert_eq!(
            paths(text, &TransformRules::default()),
            [
                ".apiVersion",
                ".kind",
                ".spec",
                ".spec.containers",
                ".spec.containers.image"
            ]
        );
    }

    #[test]
    fn selector_allows_and_denies_kinds() {
        let text = "apiVersion: v1\nkind: ConfigMap\ndata: {}\n---\napiVersion: v1\nkind: Pod\n";
        let selector: ResourceSelectorConfig = serde_yaml_ng::from_str(
            "allow:\n- groupKind: ConfigMap\n  labels: ['.*']\ndeny:\n- groupKind: Pod\n  image: ['.*']\n",
        )
        .unwrap();
        let rules = TransformRules::default().with_selector(&selector);
        assert_eq!(paths(text, &rules), [".apiVersion", ".kind", ".data"]);
    }

    #[test]
    fn wildcards_inside_paths_are_removed() {
        let rule: ResourceFilter =
            serde_yaml_ng::from_str("groupKind: X.y\nimage: ['.*', '.spec.*.image']").unwrap();
        assert_eq!(Filter::from_config(&rule).image, [".*", ".spec.image"]);
    }

    #[test]
    fn empty_documents_are_dropped_and_scalars_rejected() {
        let mut list = manifests("{}\n---\napiVersion: v1\nkind: Pod\n");
        walk(
            &mut list,
            &TransformRules::default(),
            &mut Paths(Vec::new()),
        )
        .unwrap();
        assert_eq!(list.len(), 1);

        let mut list = manifests("apiVersion: v1\n---\n- a\n");
        let err = walk(
            &mut list,
            &TransformRules::default(),
            &mut Paths(Vec::new()),
        )
        .unwrap_err();
        assert_eq!(
            err,
            "reading Kubernetes YAML: document 2 is a sequence, not a mapping"
        );
        assert_eq!(list.len(), 2, "nothing changes on error");
    }
}
