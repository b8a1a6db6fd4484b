//! Patches: JSON merge patch (RFC 7386), strategic merge patch (merge-keyed lists) and
//! server-side apply with field managers and conflicts.

use crate::error::{ApiError, ApiResult};
use crate::fieldset::{self, FieldSet};
use crate::names;
use serde_json::{Value, json};

/// How a keyed list in a patch combines with the stored list.
#[derive(Clone, Copy, PartialEq)]
enum Lists {
    /// Every list is replaced (merge patch).
    Replace,
    /// Lists with a merge key are merged item by item (strategic merge patch, apply).
    MergeByKey,
}

/// Applies a JSON merge patch: maps merge, `null` deletes, everything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    merge(target, patch, Lists::Replace, None);
}

/// Applies a strategic merge patch: like a merge patch, but lists with a merge key merge item
/// by item and an item `{"$patch": "delete", <key>: …}` removes that item.
pub fn strategic_merge_patch(target: &mut Value, patch: &Value) {
    merge(target, patch, Lists::MergeByKey, None);
}

fn merge(target: &mut Value, patch: &Value, lists: Lists, field: Option<&str>) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (name, value) in p {
                if value.is_null() {
                    t.remove(name);
                } else if let Some(existing) = t.get_mut(name) {
                    merge(existing, value, lists, Some(name));
                } else {
                    let mut fresh = Value::Null;
                    merge(&mut fresh, value, lists, Some(name));
                    t.insert(name.clone(), fresh);
                }
            }
        }
        (Value::Array(t), Value::Array(p)) if lists == Lists::MergeByKey => {
            let key = field.and_then(|f| {
                fieldset::merge_key(f, p).filter(|_| fieldset::merge_key(f, t).is_some())
            });
            let Some(key) = key else {
                *t = p.iter().map(without_directives).collect();
                return;
            };
            for item in p {
                let position = t.iter().position(|e| e.get(key) == item.get(key));
                let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
                match (position, delete) {
                    (Some(i), true) => {
                        t.remove(i);
                    }
                    (Some(i), false) => merge(&mut t[i], item, lists, None),
                    (None, false) => t.push(without_directives(item)),
                    (None, true) => {}
                }
            }
        }
        (target, patch) => *target = without_directives(&without_nulls(patch)),
    }
}

fn without_directives(value: &Value) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with("$patch"))
                .map(|(k, v)| (k.clone(), without_directives(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The value with `null` map entries removed, at every depth (stored objects never hold them).
pub fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// One `metadata.managedFields` entry.
struct Manager {
    name: String,
    operation: String,
    entry: Value,
    fields: FieldSet,
}

fn managers(object: &Value) -> Vec<Manager> {
    object
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(|entries| {
            entries
                .iter()
                .map(|entry| Manager {
                    name: entry
                        .get("manager")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    operation: entry
                        .get("operation")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    fields: entry
                        .get("fieldsV1")
                        .map(fieldset::from_fields_v1)
                        .unwrap_or_default(),
                    entry: entry.clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What an applied configuration owns: everything but identity, type and bookkeeping fields.
fn applied_fields(applied: &Value) -> FieldSet {
    let mut owned = applied.clone();
    if let Some(map) = owned.as_object_mut() {
        map.remove("apiVersion");
        map.remove("kind");
    }
    if let Some(meta) = owned.get_mut("metadata").and_then(Value::as_object_mut) {
        for field in [
            "name",
            "namespace",
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "managedFields",
        ] {
            meta.remove(field);
        }
    }
    fieldset::fields_of(&owned)
}

fn without_managed_fields(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    object
}

/// A server-side apply request.
pub struct Apply<'a> {
    /// The `fieldManager` query parameter.
    pub manager: &'a str,
    /// The `force` query parameter: take ownership of conflicting fields.
    pub force: bool,
    /// The `apiVersion` recorded in the managed-fields entry.
    pub api_version: &'a str,
}

impl Apply<'_> {
    /// Applies `applied` over `existing` (or creates it), returning the resulting object with
    /// updated `managedFields`. Fields this manager applied before and no longer applies are
    /// removed unless another manager owns them; fields another applier owns with a different
    /// value conflict (409) unless forced.
    pub fn run(&self, existing: Option<&Value>, applied: &Value) -> ApiResult<Value> {
        let new_fields = applied_fields(applied);
        let Some(existing) = existing else {
            let mut created = applied.clone();
            created["metadata"]["managedFields"] = json!([self.entry(&new_fields)]);
            return Ok(created);
        };
        let mut others: Vec<Manager> = managers(existing)
            .into_iter()
            .filter(|m| m.name != self.manager)
            .collect();
        let ownership_moved =
            self.resolve_conflicts(existing, applied, &new_fields, &mut others)?;
        let previous = managers(existing)
            .into_iter()
            .find(|m| m.name == self.manager)
            .map(|m| m.fields);
        let unchanged_owner = previous.as_ref() == Some(&new_fields) && !ownership_moved;
        let previous = previous.unwrap_or_default();
        let kept_by_others: FieldSet = others
            .iter()
            .flat_map(|m| m.fields.iter().cloned())
            .collect();
        let mut result = existing.clone();
        let mut removed: Vec<_> = previous
            .difference(&new_fields)
            .filter(|p| !kept_by_others.contains(*p))
            .collect();
        removed.sort_by_key(|p| std::cmp::Reverse(p.len()));
        for path in removed {
            fieldset::remove(&mut result, path);
        }
        merge(
            &mut result,
            &without_nulls(applied),
            Lists::MergeByKey,
            None,
        );
        if unchanged_owner && without_managed_fields(&result) == without_managed_fields(existing) {
            // A no-op apply writes nothing, not even a new managed-fields timestamp.
            return Ok(existing.clone());
        }
        let mut entries: Vec<Value> = others
            .into_iter()
            .filter(|m| !m.fields.is_empty())
            .map(|m| {
                let mut entry = m.entry;
                entry["fieldsV1"] = fieldset::to_fields_v1(&m.fields);
                entry
            })
            .collect();
        entries.push(self.entry(&new_fields));
        result["metadata"]["managedFields"] = Value::Array(entries);
        Ok(result)
    }

    /// Finds fields other appliers own with a different value: a 409 unless forced, in which
    /// case they change owner (returns whether any did).
    fn resolve_conflicts(
        &self,
        existing: &Value,
        applied: &Value,
        fields: &FieldSet,
        others: &mut [Manager],
    ) -> ApiResult<bool> {
        let mut causes = Vec::new();
        let mut lines = Vec::new();
        for other in others.iter_mut().filter(|m| m.operation == "Apply") {
            let conflicting: Vec<_> = other
                .fields
                .intersection(fields)
                .filter(|p| fieldset::get(existing, p) != fieldset::get(applied, p))
                .cloned()
                .collect();
            for path in &conflicting {
                let api_version = other
                    .entry
                    .get("apiVersion")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let message = format!("conflict with \"{}\" using {api_version}", other.name);
                lines.push(format!("{message}: {}", fieldset::display(path)));
                causes.push(json!({"reason": "FieldManagerConflict", "message": message, "field": fieldset::display(path)}));
                if self.force {
                    other.fields.remove(path);
                }
            }
        }
        if lines.is_empty() || self.force {
            return Ok(!lines.is_empty());
        }
        let count = if lines.len() == 1 {
            "1 conflict".to_string()
        } else {
            format!("{} conflicts", lines.len())
        };
        Err(ApiError::apply_conflict(
            format!("Apply failed with {count}: {}", lines.join("\n")),
            causes,
        ))
    }

    fn entry(&self, fields: &FieldSet) -> Value {
        json!({
            "manager": self.manager,
            "operation": "Apply",
            "apiVersion": self.api_version,
            "time": names::now_rfc3339(),
            "fieldsType": "FieldsV1",
            "fieldsV1": fieldset::to_fields_v1(fields),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(replicas: u64, labels: Value, image: &str) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": labels},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "app", "image": image}]}}}
        })
    }

    fn apply(manager: &str, force: bool) -> Apply<'_> {
        Apply {
            manager,
            force,
            api_version: "apps/v1",
        }
    }

    #[test]
    fn merge_patch_deletes_nulls_and_replaces_lists() {
        let mut target = json!({"a": {"b": 1, "c": 2}, "l": [1, 2]});
        merge_patch(&mut target, &json!({"a": {"b": null, "d": 3}, "l": [3]}));
        assert_eq!(target, json!({"a": {"c": 2, "d": 3}, "l": [3]}));
    }

    #[test]
    fn strategic_merge_merges_keyed_lists() {
        let mut target =
            json!({"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}]});
        strategic_merge_patch(
            &mut target,
            &json!({"containers": [{"name": "b", "image": "3"}, {"name": "c", "image": "4"}, {"name": "a", "$patch": "delete"}]}),
        );
        assert_eq!(
            target,
            json!({"containers": [{"name": "b", "image": "3"}, {"name": "c", "image": "4"}]})
        );
    }

    #[test]
    fn apply_removes_fields_the_manager_dropped() {
        let first = apply("skaffold", false)
            .run(None, &deployment(1, json!({"a": "1", "b": "2"}), "img:1"))
            .unwrap();
        let second = apply("skaffold", false)
            .run(Some(&first), &deployment(2, json!({"a": "1"}), "img:2"))
            .unwrap();
        assert_eq!(second["metadata"]["labels"], json!({"a": "1"}));
        assert_eq!(second["spec"]["replicas"], json!(2));
        assert_eq!(
            second["spec"]["template"]["spec"]["containers"][0]["image"],
            json!("img:2")
        );
        assert_eq!(
            second["metadata"]["managedFields"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn reapplying_the_same_configuration_is_a_no_op() {
        let manifest = deployment(1, json!({"a": "1"}), "img:1");
        let first = apply("skaffold", false).run(None, &manifest).unwrap();
        let mut aged = first.clone();
        aged["metadata"]["managedFields"][0]["time"] = json!("2000-01-01T00:00:00Z");
        assert_eq!(
            apply("skaffold", false)
                .run(Some(&aged), &manifest)
                .unwrap(),
            aged
        );
    }

    #[test]
    fn apply_keeps_fields_of_other_managers_and_conflicts_without_force() {
        let first = apply("kubectl", false)
            .run(None, &deployment(1, json!({"a": "1"}), "img:1"))
            .unwrap();
        let err = apply("skaffold", false)
            .run(Some(&first), &deployment(3, json!({"a": "1"}), "img:1"))
            .unwrap_err();
        assert_eq!((err.code, err.reason), (409, "Conflict"));
        assert!(
            err.message
                .contains(r#"conflict with "kubectl" using apps/v1: .spec.replicas"#),
            "{}",
            err.message
        );

        let forced = apply("skaffold", true)
            .run(Some(&first), &deployment(3, json!({"a": "1"}), "img:1"))
            .unwrap();
        assert_eq!(forced["spec"]["replicas"], json!(3));
        let owners: Vec<&str> = forced["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["manager"].as_str().unwrap())
            .collect();
        assert_eq!(owners, ["kubectl", "skaffold"]);
        let kubectl = fieldset::from_fields_v1(&forced["metadata"]["managedFields"][0]["fieldsV1"]);
        assert!(
            !kubectl
                .iter()
                .any(|p| fieldset::display(p) == ".spec.replicas"),
            "ownership moved"
        );
    }
}
