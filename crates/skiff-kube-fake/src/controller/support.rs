//! What the controllers share: lookups of owned objects, pods from templates, status counts and
//! conditions whose timestamps only move when they change.

use crate::error::ApiResult;
use crate::kubelet::is_ready;
use crate::names;
use crate::object::{self, controller_ref};
use crate::registry::ResourceType;
use crate::store::{ObjectKey, ResourceKey, Store};
use serde_json::{Map, Value, json};

/// A built-in workload resource type.
pub fn resource(store: &Store, group: &str, plural: &str) -> ResourceType {
    store
        .registry()
        .find(group, "v1", plural)
        .cloned()
        .expect("built-in workload type")
}

/// `metadata.namespace`, or `""`.
pub fn namespace(obj: &Value) -> &str {
    object::meta(obj, "namespace").unwrap_or_default()
}

/// The objects of `resource` in `namespace` that `owner_uid` controls.
pub fn owned(
    store: &Store,
    resource: &ResourceKey,
    namespace: &str,
    owner_uid: &str,
) -> Vec<Value> {
    store
        .list(resource, Some(namespace))
        .filter(|o| object::controller_uid(o) == Some(owner_uid))
        .cloned()
        .collect()
}

/// Where `obj` of type `rt` is stored.
pub fn key_of(rt: &ResourceType, obj: &Value) -> ObjectKey {
    ObjectKey::new(rt.into(), namespace(obj), object::name(obj))
}

/// Logs a failed controller write at debug level (a later pass retries it).
pub fn logged(what: &str, result: ApiResult<Value>) {
    if let Err(err) = result {
        tracing::debug!("controller: {what}: {err}");
    }
}

/// A pod built from a workload's template.
pub fn pod_from_template(
    owner: &Value,
    template: &Value,
    name: &str,
    generate: bool,
    labels: &[(&str, String)],
) -> Value {
    let mut pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": template.get("metadata").cloned().unwrap_or_else(|| json!({})),
        "spec": template.get("spec").cloned().unwrap_or_else(|| json!({})),
    });
    let meta = object::metadata_mut(&mut pod);
    meta.insert(
        if generate { "generateName" } else { "name" }.into(),
        json!(name),
    );
    meta.insert("ownerReferences".into(), json!([controller_ref(owner)]));
    let label_map = meta.entry("labels").or_insert_with(|| json!({}));
    for (k, v) in labels {
        label_map[*k] = json!(v);
    }
    if pod["spec"].get("restartPolicy").is_none() {
        pod["spec"]["restartPolicy"] = json!("Always");
    }
    pod
}

/// Inserts `value` unless it is zero (the Go `omitempty` the real status types use).
pub fn put_count(status: &mut Map<String, Value>, field: &str, value: u64) {
    if value > 0 {
        status.insert(field.into(), json!(value));
    }
}

/// How many of `pods` are ready.
pub fn count_ready(pods: &[Value]) -> u64 {
    pods.iter().filter(|p| is_ready(p)).count() as u64
}

/// `status.phase`, or `""`.
pub fn phase(pod: &Value) -> &str {
    pod.pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// A numeric `status` field, 0 if absent.
pub fn status_count(obj: &Value, field: &str) -> u64 {
    obj.get("status")
        .and_then(|s| s.get(field))
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

/// Conditions with the timestamps of unchanged ones kept, so a controller pass that changes
/// nothing writes nothing.
pub fn conditions(old: Option<&Value>, new: Vec<Value>, with_update_time: bool) -> Value {
    let now = names::now_rfc3339();
    let old: Vec<Value> = old.and_then(Value::as_array).cloned().unwrap_or_default();
    let merged = new
        .into_iter()
        .map(|mut c| {
            let previous = old.iter().find(|o| o["type"] == c["type"]);
            let same_status = previous.is_some_and(|p| p["status"] == c["status"]);
            let same_all = same_status
                && previous
                    .is_some_and(|p| p["reason"] == c["reason"] && p["message"] == c["message"]);
            let keep = |field: &str, same: bool| match previous {
                Some(p) if same => p[field].clone(),
                _ => json!(now),
            };
            if with_update_time {
                c["lastUpdateTime"] = keep("lastUpdateTime", same_all);
            } else {
                c["lastProbeTime"] = keep("lastProbeTime", same_all);
            }
            c["lastTransitionTime"] = keep("lastTransitionTime", same_status);
            c
        })
        .collect();
    Value::Array(merged)
}

/// A condition without timestamps (see [`conditions`]).
pub fn cond(kind: &str, ok: bool, reason: &str, message: String) -> Value {
    json!({"type": kind, "status": if ok { "True" } else { "False" }, "reason": reason, "message": message})
}
