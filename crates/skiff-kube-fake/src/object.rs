//! Small accessors over stored objects (`serde_json::Value` maps shaped like API objects).

use serde_json::{Value, json};

/// `metadata.<field>` as a string.
pub fn meta<'a>(object: &'a Value, field: &str) -> Option<&'a str> {
    object.get("metadata")?.get(field)?.as_str()
}

/// `metadata.name`, or `""`.
pub fn name(object: &Value) -> &str {
    meta(object, "name").unwrap_or_default()
}

/// `metadata.uid`, or `""`.
pub fn uid(object: &Value) -> &str {
    meta(object, "uid").unwrap_or_default()
}

/// The uids of `metadata.ownerReferences`.
pub fn owner_uids(object: &Value) -> Vec<&str> {
    object
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .map(|refs| {
            refs.iter()
                .filter_map(|r| r.get("uid").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default()
}

/// The uid of the controlling owner (`ownerReferences[].controller: true`).
pub fn controller_uid(object: &Value) -> Option<&str> {
    object
        .pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))?
        .get("uid")?
        .as_str()
}

/// The owner reference a controller puts on what it creates.
pub fn controller_ref(owner: &Value) -> Value {
    json!({
        "apiVersion": owner.get("apiVersion").cloned().unwrap_or_default(),
        "kind": owner.get("kind").cloned().unwrap_or_default(),
        "name": name(owner),
        "uid": uid(owner),
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

/// Mutable `metadata`, created if missing (non-map objects are replaced by an empty map).
pub fn metadata_mut(object: &mut Value) -> &mut serde_json::Map<String, Value> {
    if !object.is_object() {
        *object = json!({});
    }
    let map = object.as_object_mut().expect("object");
    let meta = map.entry("metadata").or_insert_with(|| json!({}));
    if !meta.is_object() {
        *meta = json!({});
    }
    meta.as_object_mut().expect("metadata map")
}

/// The object without `metadata` and `status`: what a `generation` bump tracks.
pub fn spec_part(object: &Value) -> Value {
    let mut rest = object.clone();
    if let Some(map) = rest.as_object_mut() {
        map.remove("metadata");
        map.remove("status");
    }
    rest
}

/// `spec.replicas`, defaulting to 1.
pub fn replicas(object: &Value) -> u64 {
    object
        .pointer("/spec/replicas")
        .and_then(Value::as_u64)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_and_controller() {
        let owner = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs", "uid": "u1"}});
        let pod = json!({"metadata": {"ownerReferences": [{"uid": "u0"}, controller_ref(&owner)]}});
        assert_eq!(owner_uids(&pod), ["u0", "u1"]);
        assert_eq!(controller_uid(&pod), Some("u1"));
        assert_eq!(pod["metadata"]["ownerReferences"][1]["kind"], "ReplicaSet");
    }

    #[test]
    fn metadata_mut_repairs_shapes() {
        let mut v = json!({"metadata": 3});
        metadata_mut(&mut v).insert("name".into(), json!("x"));
        assert_eq!(name(&v), "x");
        assert_eq!(replicas(&json!({})), 1);
        assert_eq!(
            spec_part(&json!({"metadata": {}, "status": {}, "spec": 1})),
            json!({"spec": 1})
        );
    }
}
