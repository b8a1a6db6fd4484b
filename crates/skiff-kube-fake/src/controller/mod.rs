//! The built-in workload controllers: Deployment → ReplicaSet → Pods, StatefulSet and Job.
//! Each writes the status fields `kubectl rollout status` and Skaffold's status check read.

mod deployment;
mod job;
mod replica_set;
mod stateful_set;
mod support;

use crate::store::{ResourceKey, Store};
use serde_json::Value;

/// The controllers and their memory between passes.
#[derive(Default)]
pub struct Controllers {
    deployments: deployment::Deployments,
}

fn all(store: &Store, group: &str, plural: &str) -> Vec<Value> {
    store
        .list(&ResourceKey::grouped(group, plural), None)
        .cloned()
        .collect()
}

impl Controllers {
    /// One pass over every workload, owners before what they own.
    pub fn reconcile(&mut self, store: &mut Store) {
        let deployments = all(store, "apps", "deployments");
        self.deployments.reconcile(store, &deployments);
        for rs in all(store, "apps", "replicasets") {
            replica_set::reconcile(store, &rs);
        }
        for sts in all(store, "apps", "statefulsets") {
            stateful_set::reconcile(store, &sts);
        }
        for job in all(store, "batch", "jobs") {
            job::reconcile(store, &job);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::support::resource;
    use super::*;
    use crate::kubelet;
    use crate::object;
    use crate::script::Script;
    use crate::store::{ObjectKey, Part};
    use serde_json::json;
    use std::sync::Arc;
    use tokio::sync::Notify;

    fn settle(store: &mut Store, controllers: &mut Controllers, script: &mut Script) {
        for _ in 0..10 {
            controllers.reconcile(store);
            kubelet::reconcile(store, script);
        }
    }

    fn deployment(image: &str, replicas: u64) -> Value {
        json!({"metadata": {"name": "web"}, "spec": {"replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "app", "image": image}]}}}})
    }

    fn pod_images(store: &Store) -> Vec<String> {
        store
            .list(&ResourceKey::core("pods"), Some("default"))
            .map(|p| {
                p["spec"]["containers"][0]["image"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn deployment_rolls_out_and_replaces_pods_on_a_new_template() {
        let mut store = Store::new(Arc::new(Notify::new()));
        let (mut controllers, mut script) = (Controllers::default(), Script::default());
        let rt = resource(&store, "apps", "deployments");
        store
            .create(&rt, Some("default"), deployment("app:1", 2))
            .unwrap();
        settle(&mut store, &mut controllers, &mut script);
        let key = ObjectKey::new((&rt).into(), "default", "web");
        let d = store.get(&key).unwrap().clone();
        assert_eq!(d["status"]["availableReplicas"], 2);
        assert_eq!(
            d["status"]["conditions"][1]["reason"],
            "NewReplicaSetAvailable"
        );
        assert_eq!(pod_images(&store), ["app:1", "app:1"]);
        let pod = store
            .list(&ResourceKey::core("pods"), None)
            .next()
            .unwrap()
            .clone();
        assert!(pod["metadata"]["labels"]["pod-template-hash"].is_string());
        assert_eq!(pod["metadata"]["ownerReferences"][0]["kind"], "ReplicaSet");

        let mut updated = d.clone();
        updated["spec"]["template"]["spec"]["containers"][0]["image"] = json!("app:2");
        store.update(&rt, &key, updated, Part::Main).unwrap();
        settle(&mut store, &mut controllers, &mut script);
        assert_eq!(pod_images(&store), ["app:2", "app:2"]);
        let d = store.get(&key).unwrap();
        assert_eq!(
            (
                d["status"]["observedGeneration"].as_u64(),
                d["status"]["updatedReplicas"].as_u64()
            ),
            (Some(2), Some(2))
        );
    }

    #[test]
    fn failing_new_pods_keep_the_old_ones() {
        let mut store = Store::new(Arc::new(Notify::new()));
        let (mut controllers, mut script) = (Controllers::default(), Script::default());
        script.on_image("bad:1", crate::behaviour::PodBehaviour::ImagePullBackOff);
        let rt = resource(&store, "apps", "deployments");
        store
            .create(&rt, Some("default"), deployment("app:1", 1))
            .unwrap();
        settle(&mut store, &mut controllers, &mut script);
        let key = ObjectKey::new((&rt).into(), "default", "web");
        let mut updated = store.get(&key).unwrap().clone();
        updated["spec"]["template"]["spec"]["containers"][0]["image"] = json!("bad:1");
        store.update(&rt, &key, updated, Part::Main).unwrap();
        settle(&mut store, &mut controllers, &mut script);
        let mut images = pod_images(&store);
        images.sort();
        assert_eq!(images, ["app:1", "bad:1"]);
        let d = store.get(&key).unwrap();
        assert_eq!(
            (
                d["status"]["replicas"].as_u64(),
                d["status"]["updatedReplicas"].as_u64()
            ),
            (Some(2), Some(1))
        );
        assert_eq!(d["status"]["conditions"][1]["reason"], "ReplicaSetUpdated");
    }

    #[test]
    fn stateful_set_creates_ordered_pods_and_job_completes() {
        let mut store = Store::new(Arc::new(Notify::new()));
        let (mut controllers, mut script) = (Controllers::default(), Script::default());
        let sts = resource(&store, "apps", "statefulsets");
        let mut spec = deployment("db:1", 2);
        spec["metadata"]["name"] = json!("db");
        store.create(&sts, Some("default"), spec).unwrap();
        script.on_image("task:1", crate::behaviour::PodBehaviour::Completed);
        let jobs = resource(&store, "batch", "jobs");
        let job = json!({"metadata": {"name": "task"}, "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "t", "image": "task:1"}]}}}});
        store.create(&jobs, Some("default"), job).unwrap();
        settle(&mut store, &mut controllers, &mut script);
        let names: Vec<String> = store
            .list(&ResourceKey::core("pods"), None)
            .map(|p| object::name(p).to_string())
            .collect();
        assert!(
            names.contains(&"db-0".to_string()) && names.contains(&"db-1".to_string()),
            "{names:?}"
        );
        let s = store
            .get(&ObjectKey::new((&sts).into(), "default", "db"))
            .unwrap();
        assert_eq!(
            (
                s["status"]["readyReplicas"].as_u64(),
                s["status"]["currentRevision"].clone()
            ),
            (Some(2), s["status"]["updateRevision"].clone())
        );
        let j = store
            .get(&ObjectKey::new((&jobs).into(), "default", "task"))
            .unwrap();
        assert_eq!(j["status"]["succeeded"], 1);
        assert_eq!(j["status"]["conditions"][1]["type"], "Complete");
    }
}
