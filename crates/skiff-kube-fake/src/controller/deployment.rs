//! Deployments: one ReplicaSet per pod template, named `<deployment>-<template hash>` and
//! labelled `pod-template-hash`. The current one is scaled to `spec.replicas`; older ones go to
//! 0 once the current one is fully available, so failing new pods leave the old ones running.
//! The status sums the ReplicaSets' counts, and `Progressing` turns `False`
//! (`ProgressDeadlineExceeded`) after `progressDeadlineSeconds` without progress.

use super::support::{
    cond, conditions, key_of, logged, namespace, owned, put_count, resource, status_count,
};
use crate::names;
use crate::object::{self, controller_ref, replicas};
use crate::store::{ObjectKey, Part, ResourceKey, Store};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A Deployment's default `progressDeadlineSeconds`.
const DEFAULT_PROGRESS_DEADLINE: u64 = 600;

/// When a Deployment's rollout last made progress.
struct Progress {
    replica_set: String,
    counts: [u64; 4],
    since: Instant,
}

/// The Deployment controller and its memory of rollout progress.
#[derive(Default)]
pub struct Deployments {
    progress: HashMap<String, Progress>,
}

impl Deployments {
    /// One pass over `deployments` (all that exist).
    pub fn reconcile(&mut self, store: &mut Store, deployments: &[Value]) {
        for d in deployments {
            let current = roll(store, d);
            self.write_status(store, d, &current);
        }
        self.progress
            .retain(|uid, _| deployments.iter().any(|d| object::uid(d) == uid));
    }

    fn write_status(&mut self, store: &mut Store, d: &Value, current: &str) {
        let rs_key = ResourceKey::grouped("apps", "replicasets");
        let sets = owned(store, &rs_key, namespace(d), object::uid(d));
        let sum = |field: &str| sets.iter().map(|rs| status_count(rs, field)).sum::<u64>();
        let updated = sets
            .iter()
            .find(|rs| object::name(rs) == current)
            .map_or(0, |rs| status_count(rs, "replicas"));
        let counts = [
            updated,
            sum("readyReplicas"),
            sum("availableReplicas"),
            sum("replicas"),
        ];
        let [_, ready, available, total] = counts;
        let progress = self
            .progress
            .entry(object::uid(d).to_string())
            .or_insert(Progress {
                replica_set: current.to_string(),
                counts,
                since: Instant::now(),
            });
        if progress.replica_set != current || progress.counts != counts {
            *progress = Progress {
                replica_set: current.to_string(),
                counts,
                since: Instant::now(),
            };
        }
        let deadline = d
            .pointer("/spec/progressDeadlineSeconds")
            .and_then(Value::as_u64)
            .unwrap_or(DEFAULT_PROGRESS_DEADLINE);
        let desired = replicas(d);
        let complete = updated == desired && total == desired && available == desired;
        let timed_out = progress.since.elapsed() > Duration::from_secs(deadline);
        let mut status = Map::new();
        status.insert(
            "observedGeneration".into(),
            d.pointer("/metadata/generation")
                .cloned()
                .unwrap_or(json!(1)),
        );
        put_count(&mut status, "replicas", total);
        put_count(&mut status, "updatedReplicas", updated);
        put_count(&mut status, "readyReplicas", ready);
        put_count(&mut status, "availableReplicas", available);
        put_count(
            &mut status,
            "unavailableReplicas",
            desired.saturating_sub(available),
        );
        let new_conditions = vec![
            available_condition(available + max_unavailable(d, desired) >= desired),
            progressing_condition(current, complete, timed_out),
        ];
        status.insert(
            "conditions".into(),
            conditions(d.pointer("/status/conditions"), new_conditions, true),
        );
        let rt = resource(store, "apps", "deployments");
        let written = store.update(
            &rt,
            &key_of(&rt, d),
            json!({ "status": status }),
            Part::Status,
        );
        logged("deployment status", written);
    }
}

/// Creates or scales the ReplicaSet of the current template and scales the older ones down
/// once it is fully available; returns the current ReplicaSet's name.
fn roll(store: &mut Store, d: &Value) -> String {
    let rs_rt = resource(store, "apps", "replicasets");
    let ns = namespace(d);
    let template = d
        .pointer("/spec/template")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let hash = names::template_hash(&template);
    let current = format!("{}-{hash}", object::name(d));
    let desired = replicas(d);
    let sets = owned(store, &(&rs_rt).into(), ns, object::uid(d));
    match sets.iter().find(|rs| object::name(rs) == current) {
        None => {
            let rs = replica_set_for(d, &sets, &current, &hash, desired);
            logged("create replica set", store.create(&rs_rt, Some(ns), rs));
        }
        Some(rs) if replicas(rs) != desired => {
            let mut scaled = rs.clone();
            scaled["spec"]["replicas"] = json!(desired);
            logged(
                "scale replica set",
                store.update(&rs_rt, &key_of(&rs_rt, rs), scaled, Part::Main),
            );
        }
        Some(_) => {}
    }
    let current_available = store
        .get(&ObjectKey::new((&rs_rt).into(), ns, &current))
        .map_or(0, |rs| status_count(rs, "availableReplicas"));
    if current_available >= desired {
        for old in sets
            .iter()
            .filter(|rs| object::name(rs) != current && replicas(rs) != 0)
        {
            let mut scaled = old.clone();
            scaled["spec"]["replicas"] = json!(0);
            let written = store.update(&rs_rt, &key_of(&rs_rt, old), scaled, Part::Main);
            logged("scale down old replica set", written);
        }
    }
    current
}

/// The ReplicaSet for the deployment's current template, one revision above `existing`.
fn replica_set_for(d: &Value, existing: &[Value], name: &str, hash: &str, desired: u64) -> Value {
    let revision = existing
        .iter()
        .filter_map(|rs| {
            rs.pointer("/metadata/annotations/deployment.kubernetes.io~1revision")?
                .as_str()?
                .parse::<u64>()
                .ok()
        })
        .max()
        .unwrap_or(0)
        + 1;
    let mut template = d
        .pointer("/spec/template")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let mut labels = template
        .pointer("/metadata/labels")
        .cloned()
        .unwrap_or_else(|| json!({}));
    labels["pod-template-hash"] = json!(hash);
    object::metadata_mut(&mut template).insert("labels".into(), labels.clone());
    let mut selector = d
        .pointer("/spec/selector")
        .cloned()
        .unwrap_or_else(|| json!({}));
    selector["matchLabels"]["pod-template-hash"] = json!(hash);
    json!({
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {
                "deployment.kubernetes.io/revision": revision.to_string(),
                "deployment.kubernetes.io/desired-replicas": desired.to_string(),
            },
            "ownerReferences": [controller_ref(d)],
        },
        "spec": {"replicas": desired, "selector": selector, "template": template},
    })
}

/// `maxUnavailable` of a rolling update (an int or a percentage of `desired`, rounded down).
fn max_unavailable(deployment: &Value, desired: u64) -> u64 {
    match deployment.pointer("/spec/strategy/rollingUpdate/maxUnavailable") {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        Some(Value::String(s)) => s
            .trim_end_matches('%')
            .parse::<u64>()
            .map(|p| desired * p / 100)
            .unwrap_or(0),
        _ => desired / 4,
    }
}

fn available_condition(available: bool) -> Value {
    if available {
        cond(
            "Available",
            true,
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.".into(),
        )
    } else {
        cond(
            "Available",
            false,
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.".into(),
        )
    }
}

fn progressing_condition(current: &str, complete: bool, timed_out: bool) -> Value {
    let (ok, reason, message) = if complete {
        (
            true,
            "NewReplicaSetAvailable",
            "has successfully progressed.",
        )
    } else if timed_out {
        (
            false,
            "ProgressDeadlineExceeded",
            "has timed out progressing.",
        )
    } else {
        (true, "ReplicaSetUpdated", "is progressing.")
    };
    cond(
        "Progressing",
        ok,
        reason,
        format!("ReplicaSet \"{current}\" {message}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_unavailable_reads_ints_and_percentages() {
        let with =
            |v: Value| json!({"spec": {"strategy": {"rollingUpdate": {"maxUnavailable": v}}}});
        assert_eq!(max_unavailable(&json!({}), 8), 2, "25% by default");
        assert_eq!(max_unavailable(&with(json!(3)), 8), 3);
        assert_eq!(max_unavailable(&with(json!("50%")), 5), 2);
    }
}
