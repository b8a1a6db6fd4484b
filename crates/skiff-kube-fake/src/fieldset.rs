//! Field paths and field sets, as server-side apply records field ownership in
//! `metadata.managedFields[].fieldsV1` (`{"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:image":{}}}}}`).
//!
//! Lists whose items carry a well-known merge key (`containers` by `name`, `volumeMounts` by
//! `mountPath`, …) are owned item by item; every other list is atomic, like a CRD list without
//! `x-kubernetes-list-type` annotations.

use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PathElement {
    /// A map field.
    Field(String),
    /// A list item identified by its merge key, as the key's JSON object text (`{"name":"app"}`).
    Key(String),
}

/// A path from the object root to an owned field.
pub type FieldPath = Vec<PathElement>;

/// A set of owned fields.
pub type FieldSet = BTreeSet<FieldPath>;

/// The merge key of the list at `field`, if all its items are maps carrying it.
pub fn merge_key(field: &str, items: &[Value]) -> Option<&'static str> {
    let candidate = match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets" => "name",
        "volumeMounts" => "mountPath",
        "conditions" => "type",
        "ports" if items.iter().all(|i| i.get("containerPort").is_some()) => "containerPort",
        "ports" => "port",
        _ => return None,
    };
    items
        .iter()
        .all(|i| i.get(candidate).is_some_and(|k| !k.is_null()))
        .then_some(candidate)
}

/// The `Key` element that identifies `item` in a list merged on `key`.
pub fn item_key(key: &str, item: &Value) -> PathElement {
    let mut map = Map::new();
    map.insert(
        key.to_string(),
        item.get(key).cloned().unwrap_or(Value::Null),
    );
    PathElement::Key(Value::Object(map).to_string())
}

/// The fields a (partial) object sets: its leaves, and each keyed list item itself.
pub fn fields_of(value: &Value) -> FieldSet {
    let mut set = FieldSet::new();
    collect(value, &mut Vec::new(), &mut set);
    set
}

fn collect(value: &Value, path: &mut FieldPath, set: &mut FieldSet) {
    let Value::Object(map) = value else { return };
    for (name, child) in map {
        path.push(PathElement::Field(name.clone()));
        match child {
            Value::Object(m) if !m.is_empty() => collect(child, path, set),
            Value::Array(items) => match merge_key(name, items) {
                Some(key) => {
                    for item in items {
                        path.push(item_key(key, item));
                        set.insert(path.clone());
                        collect(item, path, set);
                        path.pop();
                    }
                }
                None => {
                    set.insert(path.clone());
                }
            },
            _ => {
                set.insert(path.clone());
            }
        }
        path.pop();
    }
}

/// The value at `path`, if present.
pub fn get<'a>(value: &'a Value, path: &[PathElement]) -> Option<&'a Value> {
    path.iter().try_fold(value, |node, element| match element {
        PathElement::Field(name) => node.get(name),
        PathElement::Key(key) => {
            find_item(node.as_array()?, key).map(|i| &node.as_array().expect("checked")[i])
        }
    })
}

fn find_item(items: &[Value], key: &str) -> Option<usize> {
    let key: Map<String, Value> = serde_json::from_str(key).ok()?;
    items
        .iter()
        .position(|item| key.iter().all(|(k, v)| item.get(k) == Some(v)))
}

/// Removes the field (or list item) at `path`, then any maps this left empty.
pub fn remove(value: &mut Value, path: &[PathElement]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = &mut *value;
    for element in parents {
        let next = match element {
            PathElement::Field(name) => node.get_mut(name),
            PathElement::Key(key) => match node.as_array_mut() {
                Some(items) => find_item(items, key).map(move |i| &mut items[i]),
                None => None,
            },
        };
        match next {
            Some(n) => node = n,
            None => return,
        }
    }
    match (last, node) {
        (PathElement::Field(name), Value::Object(map)) => {
            map.remove(name);
        }
        (PathElement::Key(key), Value::Array(items)) => {
            if let Some(i) = find_item(items, key) {
                items.remove(i);
            }
        }
        _ => return,
    }
    if parents.len() > 1
        && get(value, parents).is_some_and(|p| p.as_object().is_some_and(Map::is_empty))
    {
        remove(value, parents);
    }
}

/// The `fieldsV1` JSON tree of a field set.
pub fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in set {
        let mut node = &mut root;
        for element in path {
            let segment = match element {
                PathElement::Field(name) => format!("f:{name}"),
                PathElement::Key(key) => format!("k:{key}"),
            };
            node = node
                .entry(segment)
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("tree node");
        }
        if matches!(path.last(), Some(PathElement::Key(_))) {
            node.insert(".".into(), Value::Object(Map::new()));
        }
    }
    Value::Object(root)
}

/// The field set of a `fieldsV1` JSON tree.
pub fn from_fields_v1(tree: &Value) -> FieldSet {
    let mut set = FieldSet::new();
    walk_tree(tree, &mut Vec::new(), &mut set);
    set
}

fn walk_tree(node: &Value, path: &mut FieldPath, set: &mut FieldSet) {
    let Some(map) = node.as_object() else { return };
    if !path.is_empty() && (map.is_empty() || map.contains_key(".")) {
        set.insert(path.clone());
    }
    for (segment, child) in map {
        let element = if let Some(name) = segment.strip_prefix("f:") {
            PathElement::Field(name.to_string())
        } else if let Some(key) = segment.strip_prefix("k:") {
            PathElement::Key(key.to_string())
        } else {
            continue;
        };
        path.push(element);
        walk_tree(child, path, set);
        path.pop();
    }
}

/// A path as apply conflicts name it: `.spec.containers[name="app"].image`.
pub fn display(path: &[PathElement]) -> String {
    path.iter()
        .map(|element| match element {
            PathElement::Field(name) => format!(".{name}"),
            PathElement::Key(key) => {
                let map: Map<String, Value> = serde_json::from_str(key).unwrap_or_default();
                let inner: Vec<String> = map.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("[{}]", inner.join(","))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(name: &str) -> PathElement {
        PathElement::Field(name.into())
    }

    #[test]
    fn keyed_lists_are_owned_per_item_and_atomic_lists_whole() {
        let obj = json!({"spec": {"containers": [{"name": "app", "image": "a", "args": ["x"]}], "labels": {}}});
        let set = fields_of(&obj);
        let item = vec![
            field("spec"),
            field("containers"),
            PathElement::Key(r#"{"name":"app"}"#.into()),
        ];
        assert!(set.contains(&item));
        let mut image = item.clone();
        image.push(field("image"));
        assert!(set.contains(&image));
        let mut args = item.clone();
        args.push(field("args"));
        assert!(set.contains(&args), "atomic list is one leaf");
        assert!(
            set.contains(&vec![field("spec"), field("labels")]),
            "empty map is a leaf"
        );
        assert_eq!(get(&obj, &image), Some(&json!("a")));
        assert_eq!(display(&image), r#".spec.containers[name="app"].image"#);
    }

    #[test]
    fn fields_v1_round_trips() {
        let obj = json!({"metadata": {"labels": {"a": "1"}}, "spec": {"ports": [{"port": 80, "name": "http"}], "replicas": 2}});
        let set = fields_of(&obj);
        let tree = to_fields_v1(&set);
        assert_eq!(tree["f:spec"]["f:ports"]["k:{\"port\":80}"]["."], json!({}));
        assert_eq!(from_fields_v1(&tree), set);
    }

    #[test]
    fn remove_prunes_emptied_maps() {
        let mut obj = json!({"metadata": {"labels": {"a": "1"}}, "spec": {"containers": [{"name": "a"}, {"name": "b"}]}});
        remove(&mut obj, &[field("metadata"), field("labels"), field("a")]);
        assert_eq!(obj["metadata"], json!({}));
        remove(
            &mut obj,
            &[
                field("spec"),
                field("containers"),
                PathElement::Key(r#"{"name":"a"}"#.into()),
            ],
        );
        assert_eq!(obj["spec"]["containers"], json!([{"name": "b"}]));
    }
}
