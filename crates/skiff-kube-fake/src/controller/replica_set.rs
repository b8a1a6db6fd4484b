//! ReplicaSets: keep `spec.replicas` pods from the template (scaling down unready, then newest
//! pods first) and count them in the status.

use super::support::{
    count_ready, key_of, logged, namespace, owned, pod_from_template, put_count, resource,
};
use crate::kubelet::is_ready;
use crate::object::{self, replicas};
use crate::store::{Part, ResourceKey, Store};
use serde_json::{Map, Value, json};

/// One pass over one ReplicaSet.
pub fn reconcile(store: &mut Store, rs: &Value) {
    let (pod_rt, rs_rt) = (
        resource(store, "", "pods"),
        resource(store, "apps", "replicasets"),
    );
    let (ns, uid) = (namespace(rs), object::uid(rs));
    let desired = replicas(rs) as usize;
    let mut pods = owned(store, &ResourceKey::core("pods"), ns, uid);
    let template = rs
        .pointer("/spec/template")
        .cloned()
        .unwrap_or_else(|| json!({}));
    for _ in pods.len()..desired {
        let pod = pod_from_template(rs, &template, &format!("{}-", object::name(rs)), true, &[]);
        match store.create(&pod_rt, Some(ns), pod) {
            Ok(created) => pods.push(created),
            Err(err) => tracing::debug!("controller: create pod: {err}"),
        }
    }
    // Scale down unready pods first, then the newest.
    pods.sort_by_key(|p| std::cmp::Reverse(is_ready(p)));
    while pods.len() > desired {
        let extra = pods.pop().expect("non-empty");
        logged("delete pod", store.delete(&key_of(&pod_rt, &extra), false));
    }
    let mut status = Map::new();
    status.insert("replicas".into(), json!(pods.len()));
    put_count(&mut status, "fullyLabeledReplicas", pods.len() as u64);
    put_count(&mut status, "readyReplicas", count_ready(&pods));
    put_count(&mut status, "availableReplicas", count_ready(&pods));
    status.insert(
        "observedGeneration".into(),
        rs.pointer("/metadata/generation")
            .cloned()
            .unwrap_or(json!(1)),
    );
    logged(
        "replica set status",
        store.update(
            &rs_rt,
            &key_of(&rs_rt, rs),
            json!({ "status": status }),
            Part::Status,
        ),
    );
}
