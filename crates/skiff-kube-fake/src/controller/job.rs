//! Jobs: `parallelism` pods at a time until `completions` succeed (`Complete`) or more than
//! `backoffLimit` fail (`Failed`).

use super::support::{
    cond, conditions, count_ready, key_of, logged, namespace, owned, phase, pod_from_template,
    put_count, resource,
};
use crate::names;
use crate::object;
use crate::store::{Part, ResourceKey, Store};
use serde_json::{Map, Value, json};

/// One pass over one Job.
pub fn reconcile(store: &mut Store, job: &Value) {
    let (pod_rt, job_rt) = (
        resource(store, "", "pods"),
        resource(store, "batch", "jobs"),
    );
    let (ns, uid, name) = (namespace(job), object::uid(job), object::name(job));
    let spec_u64 = |field: &str, default: u64| {
        job.pointer(&format!("/spec/{field}"))
            .and_then(Value::as_u64)
            .unwrap_or(default)
    };
    let (completions, parallelism, backoff_limit) = (
        spec_u64("completions", 1),
        spec_u64("parallelism", 1),
        spec_u64("backoffLimit", 6),
    );
    let finished = |s: &Value| {
        s.pointer("/status/conditions")
            .and_then(Value::as_array)
            .is_some_and(|cs| {
                cs.iter().any(|c| {
                    (c["type"] == "Complete" || c["type"] == "Failed") && c["status"] == "True"
                })
            })
    };
    let pods_key = ResourceKey::core("pods");
    let mut pods = owned(store, &pods_key, ns, uid);
    let count = |pods: &[Value], p: &str| pods.iter().filter(|pod| phase(pod) == p).count() as u64;
    let (succeeded, failed) = (count(&pods, "Succeeded"), count(&pods, "Failed"));
    let active =
        |pods: &[Value]| pods.len() as u64 - count(pods, "Succeeded") - count(pods, "Failed");
    let running_out = succeeded >= completions || failed > backoff_limit;
    if !finished(job) && !running_out {
        let template = job
            .pointer("/spec/template")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let want = parallelism.min(completions - succeeded);
        for _ in active(&pods)..want {
            let pod = pod_from_template(job, &template, &format!("{name}-"), true, &[]);
            match store.create(&pod_rt, Some(ns), pod) {
                Ok(created) => pods.push(created),
                Err(err) => tracing::debug!("controller: create job pod: {err}"),
            }
        }
    }
    let now = names::now_rfc3339();
    let mut status = Map::new();
    status.insert(
        "startTime".into(),
        job.pointer("/status/startTime")
            .cloned()
            .unwrap_or(json!(now)),
    );
    put_count(
        &mut status,
        "active",
        if running_out { 0 } else { active(&pods) },
    );
    put_count(&mut status, "succeeded", succeeded);
    put_count(&mut status, "failed", failed);
    status.insert("ready".into(), json!(count_ready(&pods)));
    status.insert("terminating".into(), json!(0));
    status.insert("uncountedTerminatedPods".into(), json!({}));
    let new_conditions = if succeeded >= completions {
        status.insert(
            "completionTime".into(),
            job.pointer("/status/completionTime")
                .cloned()
                .unwrap_or(json!(now)),
        );
        vec![
            cond(
                "SuccessCriteriaMet",
                true,
                "CompletionsReached",
                "Reached expected number of succeeded pods".into(),
            ),
            cond(
                "Complete",
                true,
                "CompletionsReached",
                "Reached expected number of succeeded pods".into(),
            ),
        ]
    } else if failed > backoff_limit {
        vec![
            cond(
                "FailureTarget",
                true,
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit".into(),
            ),
            cond(
                "Failed",
                true,
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit".into(),
            ),
        ]
    } else {
        Vec::new()
    };
    if !new_conditions.is_empty() {
        status.insert(
            "conditions".into(),
            conditions(job.pointer("/status/conditions"), new_conditions, false),
        );
    }
    logged(
        "job status",
        store.update(
            &job_rt,
            &key_of(&job_rt, job),
            json!({ "status": status }),
            Part::Status,
        ),
    );
}
