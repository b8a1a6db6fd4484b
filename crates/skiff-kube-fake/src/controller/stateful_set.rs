//! StatefulSets: pods `<name>-<ordinal>` created in order (each once the previous is ready,
//! unless `podManagementPolicy: Parallel`), rolled to a new template in reverse ordinal order,
//! with `currentRevision`/`updateRevision` as `kubectl rollout status` reads them.

use super::support::{
    count_ready, key_of, logged, namespace, owned, pod_from_template, put_count, resource,
};
use crate::kubelet::is_ready;
use crate::names;
use crate::object::{self, replicas};
use crate::store::{ObjectKey, Part, ResourceKey, Store};
use serde_json::{Map, Value, json};

/// One pass over one StatefulSet.
pub fn reconcile(store: &mut Store, sts: &Value) {
    let (pod_rt, sts_rt) = (
        resource(store, "", "pods"),
        resource(store, "apps", "statefulsets"),
    );
    let (ns, uid, name) = (namespace(sts), object::uid(sts), object::name(sts));
    let template = sts
        .pointer("/spec/template")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let revision = format!("{name}-{}", names::template_hash(&template));
    let desired = replicas(sts);
    let parallel = sts
        .pointer("/spec/podManagementPolicy")
        .and_then(Value::as_str)
        == Some("Parallel");
    let pods_key = ResourceKey::core("pods");
    let revision_of = |p: &Value| {
        p.pointer("/metadata/labels/controller-revision-hash")
            .and_then(Value::as_str)
            .map(String::from)
    };
    for ordinal in 0..desired {
        let pod_name = format!("{name}-{ordinal}");
        let key = ObjectKey::new(pods_key.clone(), ns, &pod_name);
        match store.get(&key) {
            Some(pod) if is_ready(pod) || parallel => continue,
            Some(_) => break,
            None => {}
        }
        let labels = [
            ("controller-revision-hash", revision.clone()),
            ("statefulset.kubernetes.io/pod-name", pod_name.clone()),
            ("apps.kubernetes.io/pod-index", ordinal.to_string()),
        ];
        let mut pod = pod_from_template(sts, &template, &pod_name, false, &labels);
        pod["spec"]["hostname"] = json!(pod_name);
        if let Some(service) = sts.pointer("/spec/serviceName") {
            pod["spec"]["subdomain"] = service.clone();
        }
        logged("create stateful pod", store.create(&pod_rt, Some(ns), pod));
        if !parallel {
            break;
        }
    }
    let ordinal_of = |p: &Value| {
        object::name(p)
            .rsplit('-')
            .next()
            .and_then(|o| o.parse::<u64>().ok())
            .unwrap_or(u64::MAX)
    };
    let mut pods = owned(store, &pods_key, ns, uid);
    pods.sort_by_key(|p| std::cmp::Reverse(ordinal_of(p)));
    for extra in pods.iter().filter(|p| ordinal_of(p) >= desired) {
        logged(
            "delete stateful pod",
            store.delete(&key_of(&pod_rt, extra), false),
        );
    }
    pods.retain(|p| ordinal_of(p) < desired);
    let all_ready = pods.len() as u64 == desired && pods.iter().all(is_ready);
    let on_delete = sts
        .pointer("/spec/updateStrategy/type")
        .and_then(Value::as_str)
        == Some("OnDelete");
    if all_ready
        && !on_delete
        && let Some(stale) = pods
            .iter()
            .find(|p| revision_of(p).as_deref() != Some(revision.as_str()))
    {
        logged(
            "roll stateful pod",
            store.delete(&key_of(&pod_rt, stale), false),
        );
    }
    let pods = owned(store, &pods_key, ns, uid);
    let updated = pods
        .iter()
        .filter(|p| revision_of(p).as_deref() == Some(revision.as_str()))
        .count() as u64;
    let ready = count_ready(&pods);
    let done = updated == desired && ready == desired;
    let current = match sts
        .pointer("/status/currentRevision")
        .and_then(Value::as_str)
    {
        Some(current) if !done => current.to_string(),
        _ => revision.clone(),
    };
    let current_count = pods
        .iter()
        .filter(|p| revision_of(p).as_deref() == Some(current.as_str()))
        .count() as u64;
    let mut status = Map::new();
    status.insert(
        "observedGeneration".into(),
        sts.pointer("/metadata/generation")
            .cloned()
            .unwrap_or(json!(1)),
    );
    status.insert("replicas".into(), json!(pods.len()));
    put_count(&mut status, "readyReplicas", ready);
    put_count(&mut status, "currentReplicas", current_count);
    put_count(&mut status, "updatedReplicas", updated);
    status.insert("availableReplicas".into(), json!(ready));
    status.insert("currentRevision".into(), json!(current));
    status.insert("updateRevision".into(), json!(revision));
    status.insert("collisionCount".into(), json!(0));
    logged(
        "stateful set status",
        store.update(
            &sts_rt,
            &key_of(&sts_rt, sts),
            json!({ "status": status }),
            Part::Status,
        ),
    );
}
