//! Labels: the run's labels on every transformable resource and on the pod templates inside it
//! (Skaffold's `SetLabels`).
//!
//! - Where: in transformable manifests (see [`TransformRules`]) with a `.*` label rule, every
//!   `metadata` mapping at any depth gets the labels — the resource's own, a pod template's
//!   (`spec.template.metadata`), a CronJob's job template and its pod template. Skaffold's
//!   denylist keeps them off a Job's pod template (immutable) and a StatefulSet's
//!   `volumeClaimTemplates`. Rules with explicit paths (`.metadata.labels`) label exactly those
//!   maps; Config Connector resources get labels in every `metadata`. Other kinds (ConfigMap,
//!   Secret, CRDs, `kind: List`, …) are not labelled, as in Skaffold.
//! - How: a missing `labels` map is added; an existing one keeps its values — only
//!   `skaffold.dev/run-id` is always overwritten — and new keys are appended after the
//!   existing ones. `metadata` or `labels` values that are not mappings are left alone; a `null`
//!   `labels` is replaced by the labels (Skaffold leaves it, so such resources escaped its
//!   run-id selectors).
//! - Which: [`run_labels`] — `skaffold.dev/run-id` and `app.kubernetes.io/managed-by: skaffold`
//!   except in `render` (Skaffold adds no run labels to rendered output), then the `-l/--label`
//!   values, which win. Skaffold v2 itself no longer sets `managed-by`; skiff does, without
//!   overwriting a chart's own value (helm needs `managed-by: Helm` to adopt resources).

use std::collections::BTreeMap;

use serde_yaml_ng::{Mapping, Value};
use skiff_proto::enums::StatusCode;

use crate::visit::{ANY_PATH, Field, FieldVisitor, TransformRules, walk};
use crate::{ManifestList, RenderError};

/// The label carrying the run id; status checks, logs and cleanup select resources by it.
pub const RUN_ID_LABEL: &str = "skaffold.dev/run-id";

/// The label selector of everything a run deployed: `skaffold.dev/run-id=<run_id>` (Skaffold's
/// `RunIDSelector`).
pub fn run_id_selector(run_id: &str) -> String {
    format!("{RUN_ID_LABEL}={run_id}")
}
/// The well-known label naming the tool that manages a resource.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// The value of [`MANAGED_BY_LABEL`] (Skaffold's, so IDEs and `skaffold` tools recognise it).
pub const MANAGED_BY: &str = "skaffold";

/// The key whose mapping holds a resource's labels under a `.*` rule.
const METADATA_KEY: &str = "metadata";
/// The labels field inside `metadata`.
const LABELS_KEY: &str = "labels";

/// The labels of a run: [`RUN_ID_LABEL`] and [`MANAGED_BY_LABEL`] when `run_id` is given (every
/// command but `render`), then the `-l/--label` labels, which win.
pub fn run_labels(
    run_id: Option<&str>,
    custom: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    if let Some(run_id) = run_id {
        labels.insert(RUN_ID_LABEL.to_string(), run_id.to_string());
        labels.insert(MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string());
    }
    labels.extend(custom.clone());
    labels
}

/// Adds `labels` to the resources of `list` that `rules` allow (see the module docs). With no
/// labels nothing changes; otherwise documents that are empty mappings are dropped. Fails with
/// `RENDER_SET_LABEL_ERR` if a document is not a mapping.
pub fn set_labels(
    list: &mut ManifestList,
    labels: &BTreeMap<String, String>,
    rules: &TransformRules,
) -> Result<(), RenderError> {
    if labels.is_empty() {
        return Ok(());
    }
    walk(list, rules, &mut LabelSetter { labels }).map_err(|reason| {
        RenderError::new(
            StatusCode::RenderSetLabelErr,
            format!("setting labels in manifests: {reason}"),
        )
    })
}

/// Adds labels to the label maps the rules point at.
struct LabelSetter<'a> {
    labels: &'a BTreeMap<String, String>,
}

impl LabelSetter<'_> {
    fn fresh(&self) -> Value {
        Value::Mapping(
            self.labels
                .iter()
                .map(|(k, v)| (Value::from(k.as_str()), Value::from(v.as_str())))
                .collect(),
        )
    }

    fn merge(&self, existing: &mut Mapping) {
        for (key, value) in self.labels {
            if key == RUN_ID_LABEL || !existing.contains_key(key.as_str()) {
                existing.insert(Value::from(key.as_str()), Value::from(value.as_str()));
            }
        }
    }
}

impl FieldVisitor for LabelSetter<'_> {
    fn visit(&mut self, field: &Field<'_, '_>, value: &mut Value) -> bool {
        let Some(labels) = labels_field(field) else {
            return true;
        };
        let Value::Mapping(owner) = value else {
            return true;
        };
        match owner.get_mut(labels) {
            Some(Value::Mapping(existing)) => self.merge(existing),
            Some(Value::Null) | None => {
                owner.insert(Value::from(labels), self.fresh());
            }
            Some(_) => return true,
        }
        false
    }
}

/// If `field` is a mapping that holds labels under its manifest's rules, the name of its labels
/// field (Skaffold's `ResourceSelectorLabels.allowByNavpath`). A label path `.a.b.labels` names
/// the field `labels` of the mapping at `.a.b`; rules are tried in order and a `.*` rule decides
/// on the spot (only `metadata` entries qualify).
fn labels_field<'r>(field: &Field<'_, 'r>) -> Option<&'r str> {
    let Field { rules, path, key } = *field;
    let metadata = || (key == METADATA_KEY).then_some(LABELS_KEY);
    if rules.config_connector {
        return metadata();
    }
    if let Some(deny) = rules.deny {
        for denied in &deny.labels {
            if denied == ANY_PATH {
                return None;
            }
            let Some((owner, _)) = denied.rsplit_once('.') else {
                break;
            };
            if owner == path {
                return None;
            }
        }
    }
    for allowed in rules.allow.map_or(&[][..], |a| &a.labels[..]) {
        if allowed == ANY_PATH {
            return metadata();
        }
        if let Some((owner, field)) = allowed.rsplit_once('.')
            && owner == path
        {
            return Some(field);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use skiff_config::model::ResourceSelectorConfig;

    use super::*;
    use crate::testing::{assert_yaml, edited, manifests};

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Sets `with` on the resources of `text` under `rules` and asserts that the documents then
    /// read like `expected`.
    #[track_caller]
    fn check_with(
        rules: &TransformRules,
        text: &str,
        with: &BTreeMap<String, String>,
        expected: &str,
    ) {
        let mut list = manifests(text);
        set_labels(&mut list, with, rules).unwrap();
        assert_yaml(&list, expected);
    }

    /// [`check_with`] Skaffold's default rules and the one label `k: v`.
    #[track_caller]
    fn check(text: &str, expected: &str) {
        check_with(
            &TransformRules::default(),
            text,
            &labels(&[("k", "v")]),
            expected,
        );
    }

    #[test]
    fn run_labels_then_custom_labels() {
        let got = run_labels(Some("abc"), &labels(&[("team", "core"), ("expr", "a=b")]));
        assert_eq!(
            got,
            labels(&[
                ("app.kubernetes.io/managed-by", "skaffold"),
                ("expr", "a=b"),
                ("skaffold.dev/run-id", "abc"),
                ("team", "core"),
            ])
        );
        let overridden = run_labels(Some("abc"), &labels(&[("skaffold.dev/run-id", "mine")]));
        assert_eq!(overridden[RUN_ID_LABEL], "mine");
        assert_eq!(
            run_labels(None, &labels(&[("a", "b")])),
            labels(&[("a", "b")])
        );
    }

    #[test]
    fn deployment_and_its_pod_template() {
        let input = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, skaffold.dev/run-id: old, team: mine}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web}]}
"#;
        let expected = edited(
            input,
            &[
                (
                    "{app: web, skaffold.dev/run-id: old, team: mine}",
                    "{app: web, skaffold.dev/run-id: new, team: mine, x: \"true\"}",
                ),
                (
                    "{labels: {app: web}}",
                    "{labels: {app: web, skaffold.dev/run-id: new, team: core, x: \"true\"}}",
                ),
            ],
        );
        let with = labels(&[
            ("skaffold.dev/run-id", "new"),
            ("team", "core"),
            ("x", "true"),
        ]);
        check_with(&TransformRules::default(), input, &with, &expected);
    }

    #[test]
    fn missing_and_null_label_maps_are_created_other_values_kept() {
        let input = r#"
apiVersion: v1
kind: Pod
metadata: {name: a}
---
apiVersion: v1
kind: Service
metadata: {name: b, labels: null}
---
apiVersion: v1
kind: Pod
metadata: {name: c, labels: 3}
---
apiVersion: v1
kind: Pod
metadata: 3
"#;
        let expected = edited(
            input,
            &[
                ("{name: a}", "{name: a, labels: {k: v}}"),
                ("labels: null", "labels: {k: v}"),
            ],
        );
        check(input, &expected);
    }

    #[test]
    fn cronjob_templates_but_not_job_pod_templates_or_claim_templates() {
        let input = r#"
apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec:
  jobTemplate:
    metadata: {}
    spec: {template: {metadata: {}}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec: {template: {metadata: {}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: s}
spec:
  template: {metadata: {}}
  volumeClaimTemplates: [{metadata: {name: data}}]
"#;
        let expected = edited(
            input,
            &[
                ("{name: c}", "{name: c, labels: {k: v}}"),
                (
                    "    metadata: {}\n    spec: {template: {metadata: {}}}",
                    "    metadata: {labels: {k: v}}\n    spec: {template: {metadata: {labels: {k: v}}}}",
                ),
                ("{name: j}", "{name: j, labels: {k: v}}"),
                ("{name: s}", "{name: s, labels: {k: v}}"),
                (
                    "  template: {metadata: {}}",
                    "  template: {metadata: {labels: {k: v}}}",
                ),
            ],
        );
        check(input, &expected);
    }

    #[test]
    fn unlisted_kinds_are_not_labelled_unless_selected() {
        let input = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
---
apiVersion: v1
kind: List
items: [{apiVersion: v1, kind: Pod, metadata: {name: p}}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  versions: [{schema: {openAPIV3Schema: {properties: {metadata: {type: object}}}}}]
"#;
        check(input, input);

        let selector: ResourceSelectorConfig = serde_yaml_ng::from_str(
            "allow:\n- groupKind: CustomResourceDefinition.apiextensions.k8s.io\n  labels: [.metadata.labels]\n",
        )
        .unwrap();
        let expected = edited(
            input,
            &[(
                "{name: widgets.example.com}",
                "{name: widgets.example.com, labels: {k: v}}",
            )],
        );
        check_with(
            &TransformRules::default().with_selector(&selector),
            input,
            &labels(&[("k", "v")]),
            &expected,
        );
    }

    #[test]
    fn config_connector_resources_label_every_metadata() {
        let input = r#"
apiVersion: sql.cnrm.cloud.google.com/v1beta1
kind: SQLInstance
metadata: {name: db}
spec: {settings: {metadata: {}}}
"#;
        let expected = edited(
            input,
            &[
                ("{name: db}", "{name: db, labels: {k: v}}"),
                ("{metadata: {}}", "{metadata: {labels: {k: v}}}"),
            ],
        );
        check(input, &expected);
    }

    #[test]
    fn no_labels_changes_nothing_and_bad_documents_fail() {
        let mut list = manifests("{}\n---\n[1]\n");
        set_labels(&mut list, &BTreeMap::new(), &TransformRules::default()).unwrap();
        assert_eq!(list.len(), 2);
        let err = set_labels(
            &mut list,
            &labels(&[("k", "v")]),
            &TransformRules::default(),
        )
        .unwrap_err();
        assert_eq!(err.code, StatusCode::RenderSetLabelErr);
        assert_eq!(
            err.message,
            "setting labels in manifests: reading Kubernetes YAML: document 2 is a sequence, not a mapping"
        );
    }
}
