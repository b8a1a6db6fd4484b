//! Scripting pods from a test: read their names, force a phase or a behaviour, delete or
//! replace them (a controller-owned pod is recreated by its controller under a new name).

use crate::behaviour::PodBehaviour;
use crate::cluster::FakeError;
use crate::error::{ApiError, Qualified};
use crate::object;
use crate::script::PodOverride;
use crate::selector::LabelSelector;
use crate::state::{Shared, lock};
use crate::store::{ObjectKey, Part, ResourceKey, Store};
use serde_json::{Value, json};

/// The pod-scripting handle of a [`crate::FakeCluster`].
pub struct Pods<'a> {
    pub(crate) shared: &'a Shared,
}

fn key(namespace: &str, name: &str) -> ObjectKey {
    ObjectKey::new(ResourceKey::core("pods"), namespace, name)
}

/// `404 NotFound` for the pod `name`.
fn not_found(name: &str) -> ApiError {
    ApiError::not_found(
        &Qualified {
            group: "",
            plural: "pods",
        },
        name,
    )
}

fn missing(name: &str) -> FakeError {
    FakeError::Api(not_found(name))
}

/// The stored pod `namespace/name`, or the API's `404 NotFound` for it.
pub(crate) fn stored<'s>(
    store: &'s Store,
    namespace: &str,
    name: &str,
) -> Result<&'s Value, ApiError> {
    store
        .get(&key(namespace, name))
        .ok_or_else(|| not_found(name))
}

impl Pods<'_> {
    /// Names of the pods in `namespace` matching `label_selector` (`""` for all), by name.
    pub fn names(&self, namespace: &str, label_selector: &str) -> Result<Vec<String>, FakeError> {
        let selector = LabelSelector::parse(label_selector)?;
        let store = lock(&self.shared.store);
        Ok(store
            .list(&ResourceKey::core("pods"), Some(namespace))
            .filter(|p| selector.matches(p))
            .map(|p| object::name(p).to_string())
            .collect())
    }

    fn uid(&self, namespace: &str, name: &str) -> Result<String, FakeError> {
        let store = lock(&self.shared.store);
        store
            .get(&key(namespace, name))
            .map(|p| object::uid(p).to_string())
            .ok_or_else(|| missing(name))
    }

    /// Sets `status.phase` and takes the pod's status away from the kubelet simulation.
    pub fn set_phase(&self, namespace: &str, name: &str, phase: &str) -> Result<(), FakeError> {
        let uid = self.uid(namespace, name)?;
        lock(&self.shared.script).set_override(&uid, PodOverride::Manual);
        let mut store = lock(&self.shared.store);
        let mut status = store
            .get(&key(namespace, name))
            .and_then(|p| p.get("status").cloned())
            .unwrap_or_else(|| json!({}));
        status["phase"] = json!(phase);
        let rt = store
            .registry()
            .find("", "v1", "pods")
            .cloned()
            .expect("built-in pods");
        store.update(
            &rt,
            &key(namespace, name),
            json!({ "status": status }),
            Part::Status,
        )?;
        Ok(())
    }

    /// Makes every container of one pod behave as `behaviour` from now on.
    pub fn set_behaviour(
        &self,
        namespace: &str,
        name: &str,
        behaviour: PodBehaviour,
    ) -> Result<(), FakeError> {
        let uid = self.uid(namespace, name)?;
        lock(&self.shared.script).set_override(&uid, PodOverride::Behaviour(behaviour));
        self.shared.reconcile();
        Ok(())
    }

    /// Deletes a pod, as if it died and was removed; its controller, if any, makes a new one.
    pub fn delete(&self, namespace: &str, name: &str) -> Result<(), FakeError> {
        lock(&self.shared.store).delete(&key(namespace, name), false)?;
        Ok(())
    }

    /// Replaces a pod and returns the replacement's name: a controller-owned pod is deleted and
    /// its controller runs at once (needs the controllers enabled); a standalone pod is
    /// recreated from its spec under the same name, with a new uid.
    pub fn replace(&self, namespace: &str, name: &str) -> Result<String, FakeError> {
        let (old, before) = {
            let mut store = lock(&self.shared.store);
            let old = store
                .get(&key(namespace, name))
                .cloned()
                .ok_or_else(|| missing(name))?;
            let before: Vec<String> = store
                .list(&ResourceKey::core("pods"), Some(namespace))
                .map(|p| object::name(p).to_string())
                .collect();
            store.delete(&key(namespace, name), false)?;
            (old, before)
        };
        let Some(owner) = object::controller_uid(&old) else {
            let fresh = json!({
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": name,
                    "labels": old.pointer("/metadata/labels").cloned().unwrap_or(Value::Null),
                    "annotations": old.pointer("/metadata/annotations").cloned().unwrap_or(Value::Null),
                },
                "spec": old.get("spec").cloned().unwrap_or_else(|| json!({})),
            });
            let fresh = crate::patch::without_nulls(&fresh);
            let mut store = lock(&self.shared.store);
            let rt = store
                .registry()
                .find("", "v1", "pods")
                .cloned()
                .expect("built-in pods");
            store.create(&rt, Some(namespace), fresh)?;
            drop(store);
            self.shared.reconcile();
            return Ok(name.to_string());
        };
        self.shared.reconcile();
        let store = lock(&self.shared.store);
        store
            .list(&ResourceKey::core("pods"), Some(namespace))
            .find(|p| {
                object::controller_uid(p) == Some(owner)
                    && !before.iter().any(|b| b == object::name(p))
            })
            .map(|p| object::name(p).to_string())
            .ok_or_else(|| FakeError::NotReplaced {
                pod: format!("{namespace}/{name}"),
                reason: "its controller made no new pod (are the controllers enabled?)".into(),
            })
    }
}
