//! The in-memory object store: objects keyed by resource, namespace and name; one global,
//! monotonically increasing resourceVersion; a bounded change history that watches replay; and
//! the API machinery every write goes through (metadata defaults, generation, validation,
//! CRD registration, cascading deletes).

use crate::defaults::{default_job, default_service, initial_status, is_crd_type};
use crate::error::{ApiError, ApiResult, Qualified};
use crate::registry::{Registry, ResourceType};
use crate::{names, object, validate};
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use tokio::sync::{Notify, broadcast};

/// How many changes the store keeps for watches to resume from.
const HISTORY: usize = 20_000;

/// The namespaces a new cluster has.
const INITIAL_NAMESPACES: [&str; 3] = ["default", "kube-system", "kube-public"];

/// Which stored resource: group and plural (all versions of a resource share storage).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceKey {
    /// API group, `""` for core.
    pub group: String,
    /// Plural resource name.
    pub plural: String,
}

impl From<&ResourceType> for ResourceKey {
    fn from(rt: &ResourceType) -> Self {
        Self {
            group: rt.group.clone(),
            plural: rt.plural.clone(),
        }
    }
}

impl ResourceKey {
    /// The key of a core (`v1`) resource.
    pub fn core(plural: &str) -> Self {
        Self {
            group: String::new(),
            plural: plural.into(),
        }
    }

    /// The key of a named group's resource.
    pub fn grouped(group: &str, plural: &str) -> Self {
        Self {
            group: group.into(),
            plural: plural.into(),
        }
    }

    fn qualified(&self) -> Qualified<'_> {
        Qualified {
            group: &self.group,
            plural: &self.plural,
        }
    }
}

/// Where one object is stored.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    /// Its resource.
    pub resource: ResourceKey,
    /// Its namespace, `""` for cluster-scoped objects.
    pub namespace: String,
    /// Its name.
    pub name: String,
}

impl ObjectKey {
    /// The key of `name` in `namespace` (`""` for cluster-scoped) of `resource`.
    pub fn new(resource: ResourceKey, namespace: &str, name: &str) -> Self {
        Self {
            resource,
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

/// A watch event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// `ADDED`
    Added,
    /// `MODIFIED`
    Modified,
    /// `DELETED`
    Deleted,
}

impl EventType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "ADDED",
            Self::Modified => "MODIFIED",
            Self::Deleted => "DELETED",
        }
    }
}

/// One committed change.
#[derive(Debug, Clone)]
pub struct Change {
    /// The resourceVersion it produced.
    pub rv: u64,
    /// What happened.
    pub event: EventType,
    /// Which resource.
    pub resource: ResourceKey,
    /// The object before a modification.
    pub old: Option<Value>,
    /// The object after (for a deletion: its last state, with the deletion's resourceVersion).
    pub object: Value,
}

/// What live subscribers (watches, log and forward streams) receive.
#[derive(Debug, Clone)]
pub enum Signal {
    /// A committed change.
    Change(Arc<Change>),
    /// The history was compacted: open watches must end (clients resume and get 410).
    Expire,
}

/// Which part of an object an update writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The object (the stored status is kept if `status` is a subresource).
    Main,
    /// The `status` subresource only.
    Status,
}

/// The store.
pub struct Store {
    registry: Registry,
    objects: BTreeMap<ObjectKey, Value>,
    rv: u64,
    history: VecDeque<Arc<Change>>,
    oldest: u64,
    signals: broadcast::Sender<Signal>,
    wake: Arc<Notify>,
}

impl Store {
    /// A store with the initial namespaces; `wake` is notified after every change.
    pub fn new(wake: Arc<Notify>) -> Self {
        let (signals, _) = broadcast::channel(4096);
        let mut store = Self {
            registry: Registry::default(),
            objects: BTreeMap::new(),
            rv: 0,
            history: VecDeque::new(),
            oldest: 0,
            signals,
            wake,
        };
        let namespaces = store
            .registry
            .find("", "v1", "namespaces")
            .cloned()
            .expect("built-in namespaces");
        for ns in INITIAL_NAMESPACES {
            store
                .create(&namespaces, None, json!({"metadata": {"name": ns}}))
                .expect("initial namespace");
        }
        store
    }

    /// The served resource types.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The current resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    /// One object.
    pub fn get(&self, key: &ObjectKey) -> Option<&Value> {
        self.objects.get(key)
    }

    /// The objects of `resource`, in one namespace or all, ordered by namespace and name.
    pub fn list<'a>(
        &'a self,
        resource: &'a ResourceKey,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Value> + 'a {
        let start = ObjectKey::new(resource.clone(), namespace.unwrap_or_default(), "");
        self.objects
            .range(start..)
            .take_while(move |(k, _)| {
                k.resource == *resource && namespace.is_none_or(|ns| k.namespace == ns)
            })
            .map(|(_, v)| v)
    }

    /// Creates an object; `namespace` is the request's namespace for namespaced types.
    pub fn create(
        &mut self,
        rt: &ResourceType,
        namespace: Option<&str>,
        mut obj: Value,
    ) -> ApiResult<Value> {
        let meta = object::metadata_mut(&mut obj);
        let name = match (
            meta.get("name").and_then(Value::as_str),
            meta.get("generateName").and_then(Value::as_str),
        ) {
            (Some(name), _) if !name.is_empty() => name.to_string(),
            (_, Some(prefix)) if !prefix.is_empty() => {
                format!("{prefix}{}", names::random_suffix(5))
            }
            _ => {
                return Err(ApiError::invalid(
                    &rt.kind,
                    &rt.group,
                    "",
                    "metadata.name",
                    "Required value: name or generateName is required",
                ));
            }
        };
        validate::name(rt, &name)?;
        let namespace =
            self.namespace_for(rt, namespace, meta.get("namespace").and_then(Value::as_str))?;
        let key = ObjectKey::new(rt.into(), &namespace, &name);
        if self.objects.contains_key(&key) {
            return Err(ApiError::already_exists(&key.resource.qualified(), &name));
        }
        let uid = names::uid();
        let meta = object::metadata_mut(&mut obj);
        meta.insert("name".into(), json!(name));
        if rt.namespaced {
            meta.insert("namespace".into(), json!(namespace));
        } else {
            meta.remove("namespace");
        }
        meta.insert("uid".into(), json!(uid));
        meta.insert("creationTimestamp".into(), json!(names::now_rfc3339()));
        for field in ["deletionTimestamp", "resourceVersion"] {
            meta.remove(field);
        }
        if obj.get("spec").is_some() {
            object::metadata_mut(&mut obj).insert("generation".into(), json!(1));
        }
        default_job(rt, &mut obj);
        default_service(rt, &mut obj, self.rv + 1);
        validate::workload(rt, &obj, None)?;
        if is_crd_type(rt) {
            self.registry.register_crd(&obj)?;
        }
        if rt.has_status() {
            match initial_status(rt, &obj) {
                Some(status) => obj["status"] = status,
                None => {
                    obj.as_object_mut().expect("object").remove("status");
                }
            }
        }
        obj["apiVersion"] = json!(rt.api_version());
        obj["kind"] = json!(rt.kind);
        Ok(self.commit(key, None, obj, EventType::Added))
    }

    fn namespace_for(
        &self,
        rt: &ResourceType,
        url: Option<&str>,
        body: Option<&str>,
    ) -> ApiResult<String> {
        if !rt.namespaced {
            return Ok(String::new());
        }
        let namespace = match (url, body) {
            (Some(url), Some(body)) if !body.is_empty() && body != url => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            (Some(ns), _) => ns,
            (None, Some(ns)) if !ns.is_empty() => ns,
            _ => "default",
        };
        let ns_key = ObjectKey::new(ResourceKey::core("namespaces"), "", namespace);
        if !self.objects.contains_key(&ns_key) {
            return Err(ApiError::not_found(&ns_key.resource.qualified(), namespace));
        }
        Ok(namespace.to_string())
    }

    /// Replaces an object (or only its status). A `metadata.resourceVersion` in `obj` must match
    /// the stored one; an update that changes nothing commits nothing.
    pub fn update(
        &mut self,
        rt: &ResourceType,
        key: &ObjectKey,
        obj: Value,
        part: Part,
    ) -> ApiResult<Value> {
        let old = self
            .objects
            .get(key)
            .ok_or_else(|| ApiError::not_found(&key.resource.qualified(), &key.name))?
            .clone();
        let given_rv = object::meta(&obj, "resourceVersion");
        if given_rv.is_some_and(|rv| Some(rv) != object::meta(&old, "resourceVersion")) {
            return Err(ApiError::stale(&key.resource.qualified(), &key.name));
        }
        let mut new = match part {
            Part::Status => {
                let mut new = old.clone();
                new["status"] = obj.get("status").cloned().unwrap_or_else(|| json!({}));
                new
            }
            Part::Main => self.main_update(rt, &old, obj)?,
        };
        let spec_changed = object::spec_part(&old) != object::spec_part(&new);
        if let Some(generation) = old.pointer("/metadata/generation").and_then(Value::as_u64) {
            let next = if spec_changed {
                generation + 1
            } else {
                generation
            };
            object::metadata_mut(&mut new).insert("generation".into(), json!(next));
        } else if new.get("spec").is_some() {
            object::metadata_mut(&mut new).insert("generation".into(), json!(1));
        }
        if new == old {
            return Ok(old);
        }
        Ok(self.commit(key.clone(), Some(old), new, EventType::Modified))
    }

    fn main_update(&mut self, rt: &ResourceType, old: &Value, mut new: Value) -> ApiResult<Value> {
        // Identity and bookkeeping stay the stored object's; so do the managed fields, unless
        // the writer sent its own.
        let meta = object::metadata_mut(&mut new);
        for field in [
            "name",
            "namespace",
            "uid",
            "creationTimestamp",
            "resourceVersion",
        ] {
            if let Some(value) = old.pointer(&format!("/metadata/{field}")) {
                meta.insert(field.into(), value.clone());
            }
        }
        if !meta.contains_key("managedFields")
            && let Some(managed) = old.pointer("/metadata/managedFields")
        {
            meta.insert("managedFields".into(), managed.clone());
        }
        if rt.has_status() {
            match old.get("status") {
                Some(status) => new["status"] = status.clone(),
                None => {
                    new.as_object_mut().expect("object").remove("status");
                }
            }
        }
        new["apiVersion"] = json!(rt.api_version());
        new["kind"] = json!(rt.kind);
        validate::workload(rt, &new, Some(old))?;
        if is_crd_type(rt) {
            self.registry.register_crd(&new)?;
        }
        Ok(new)
    }

    /// Deletes an object and, unless `orphan`, the objects it owns; deleting a namespace deletes
    /// everything in it, deleting a CRD deletes its custom resources.
    pub fn delete(&mut self, key: &ObjectKey, orphan: bool) -> ApiResult<Value> {
        let Some(old) = self.objects.remove(key) else {
            return Err(ApiError::not_found(&key.resource.qualified(), &key.name));
        };
        let mut gone = old.clone();
        self.rv += 1;
        object::metadata_mut(&mut gone)
            .insert("resourceVersion".into(), json!(self.rv.to_string()));
        self.record(Change {
            rv: self.rv,
            event: EventType::Deleted,
            resource: key.resource.clone(),
            old: None,
            object: gone.clone(),
        });
        self.cascade(key, &old, orphan);
        Ok(gone)
    }

    fn cascade(&mut self, key: &ObjectKey, deleted: &Value, orphan: bool) {
        let mut doomed: Vec<ObjectKey> = Vec::new();
        if key.resource == ResourceKey::core("namespaces") {
            doomed.extend(
                self.objects
                    .keys()
                    .filter(|k| k.namespace == key.name)
                    .cloned(),
            );
        }
        if key.resource == ResourceKey::grouped("apiextensions.k8s.io", "customresourcedefinitions")
        {
            let declared: Vec<ResourceKey> = self
                .registry
                .all()
                .iter()
                .filter(|t| t.crd.as_deref() == Some(key.name.as_str()))
                .map(ResourceKey::from)
                .collect();
            doomed.extend(
                self.objects
                    .keys()
                    .filter(|k| declared.contains(&k.resource))
                    .cloned(),
            );
            self.registry.unregister_crd(&key.name);
        }
        let uid = object::uid(deleted);
        let dependents: Vec<ObjectKey> = self
            .objects
            .iter()
            .filter(|(_, v)| object::owner_uids(v).contains(&uid))
            .map(|(k, _)| k.clone())
            .collect();
        for dependent in dependents {
            let mut obj = self.objects[&dependent].clone();
            let refs = obj
                .pointer_mut("/metadata/ownerReferences")
                .and_then(Value::as_array_mut)
                .expect("has owner refs");
            refs.retain(|r| r.get("uid").and_then(Value::as_str) != Some(uid));
            if refs.is_empty() && !orphan {
                doomed.push(dependent);
            } else {
                if refs.is_empty() {
                    object::metadata_mut(&mut obj).remove("ownerReferences");
                }
                let old = self.objects[&dependent].clone();
                self.commit(dependent, Some(old), obj, EventType::Modified);
            }
        }
        for key in doomed {
            // Already gone when an earlier cascade in this loop reached it.
            let _ = self.delete(&key, orphan);
        }
    }

    fn commit(
        &mut self,
        key: ObjectKey,
        old: Option<Value>,
        mut obj: Value,
        event: EventType,
    ) -> Value {
        self.rv += 1;
        object::metadata_mut(&mut obj).insert("resourceVersion".into(), json!(self.rv.to_string()));
        self.objects.insert(key.clone(), obj.clone());
        self.record(Change {
            rv: self.rv,
            event,
            resource: key.resource,
            old,
            object: obj.clone(),
        });
        obj
    }

    fn record(&mut self, change: Change) {
        let change = Arc::new(change);
        self.history.push_back(change.clone());
        if self.history.len() > HISTORY
            && let Some(dropped) = self.history.pop_front()
        {
            self.oldest = dropped.rv;
        }
        // No receivers is fine: nobody is watching.
        let _ = self.signals.send(Signal::Change(change));
        self.wake.notify_one();
    }

    /// The changes after `since` for a watch resuming there, or `410 Expired` if they are no
    /// longer kept.
    pub fn changes_since(&self, since: u64) -> ApiResult<Vec<Arc<Change>>> {
        if since < self.oldest {
            return Err(ApiError::expired(since, self.oldest));
        }
        Ok(self
            .history
            .iter()
            .filter(|c| c.rv > since)
            .cloned()
            .collect())
    }

    /// A live feed of changes from now on (subscribe under the same lock as reading state, so
    /// nothing falls between).
    pub fn subscribe(&self) -> broadcast::Receiver<Signal> {
        self.signals.subscribe()
    }

    /// Compacts the history as etcd does after time passes: the resourceVersion moves on,
    /// every earlier version becomes too old to watch from, and open watches end.
    pub fn expire_watches(&mut self) {
        self.rv += 1;
        self.oldest = self.rv;
        self.history.clear();
        let _ = self.signals.send(Signal::Expire);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        Store::new(Arc::new(Notify::new()))
    }

    fn rt(store: &Store, group: &str, plural: &str) -> ResourceType {
        store.registry().find(group, "v1", plural).unwrap().clone()
    }

    #[test]
    fn create_fills_metadata_and_bumps_the_version() {
        let mut s = store();
        let cm = rt(&s, "", "configmaps");
        let before = s.resource_version();
        let obj = s
            .create(
                &cm,
                Some("default"),
                json!({"metadata": {"generateName": "cfg-"}, "data": {"a": "1"}}),
            )
            .unwrap();
        assert!(object::name(&obj).starts_with("cfg-") && object::name(&obj).len() == 9);
        assert_eq!(obj["metadata"]["namespace"], "default");
        assert_eq!(
            obj["metadata"]["resourceVersion"],
            json!((before + 1).to_string())
        );
        assert_eq!(
            (obj["kind"].as_str(), obj["apiVersion"].as_str()),
            (Some("ConfigMap"), Some("v1"))
        );
        assert!(!object::uid(&obj).is_empty() && obj["metadata"]["creationTimestamp"].is_string());
        let err = s.create(&cm, Some("default"), obj.clone()).unwrap_err();
        assert_eq!((err.code, err.reason), (409, "AlreadyExists"));
        let err = s
            .create(&cm, Some("nowhere"), json!({"metadata": {"name": "x"}}))
            .unwrap_err();
        assert_eq!(
            (err.code, err.message.as_str()),
            (404, "namespaces \"nowhere\" not found")
        );
    }

    #[test]
    fn update_bumps_generation_only_for_spec_changes_and_checks_versions() {
        let mut s = store();
        let deploy = rt(&s, "apps", "deployments");
        let spec = json!({"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}}}});
        let obj = s
            .create(
                &deploy,
                Some("default"),
                json!({"metadata": {"name": "d"}, "spec": spec}),
            )
            .unwrap();
        let key = ObjectKey::new(ResourceKey::grouped("apps", "deployments"), "default", "d");
        let mut relabeled = obj.clone();
        relabeled["metadata"]["labels"] = json!({"x": "y"});
        let relabeled = s.update(&deploy, &key, relabeled, Part::Main).unwrap();
        assert_eq!(relabeled["metadata"]["generation"], 1);
        let err = s
            .update(&deploy, &key, obj.clone(), Part::Main)
            .unwrap_err();
        assert_eq!(err.code, 409, "stale resourceVersion");
        let mut scaled = relabeled.clone();
        scaled["spec"]["replicas"] = json!(3);
        scaled["status"] = json!({"replicas": 9});
        let scaled = s.update(&deploy, &key, scaled, Part::Main).unwrap();
        assert_eq!(scaled["metadata"]["generation"], 2);
        assert!(
            scaled.get("status").is_none(),
            "main writes keep the (absent) status"
        );
        let rv = s.resource_version();
        assert_eq!(
            s.update(&deploy, &key, scaled.clone(), Part::Main).unwrap(),
            scaled
        );
        assert_eq!(s.resource_version(), rv, "a no-op update commits nothing");
        let status = s
            .update(
                &deploy,
                &key,
                json!({"status": {"replicas": 3}}),
                Part::Status,
            )
            .unwrap();
        assert_eq!(
            (
                status["status"]["replicas"].as_u64(),
                status["metadata"]["generation"].as_u64()
            ),
            (Some(3), Some(2))
        );
    }

    #[test]
    fn deletes_cascade_to_owned_objects_and_namespace_contents() {
        let mut s = store();
        let (ns, cm) = (rt(&s, "", "namespaces"), rt(&s, "", "configmaps"));
        s.create(&ns, None, json!({"metadata": {"name": "team"}}))
            .unwrap();
        let owner = s
            .create(&cm, Some("team"), json!({"metadata": {"name": "owner"}}))
            .unwrap();
        let owned = json!({"metadata": {"name": "owned", "ownerReferences": [object::controller_ref(&owner)]}});
        s.create(&cm, Some("team"), owned.clone()).unwrap();
        s.create(&cm, Some("team"), json!({"metadata": {"name": "other"}}))
            .unwrap();
        let cms = ResourceKey::core("configmaps");
        s.delete(&ObjectKey::new(cms.clone(), "team", "owner"), false)
            .unwrap();
        let left: Vec<&str> = s.list(&cms, Some("team")).map(object::name).collect();
        assert_eq!(left, ["other"]);
        s.delete(
            &ObjectKey::new(ResourceKey::core("namespaces"), "", "team"),
            false,
        )
        .unwrap();
        assert_eq!(s.list(&cms, None).count(), 0);
    }

    #[test]
    fn history_serves_resumes_until_expired() {
        let mut s = store();
        let cm = rt(&s, "", "configmaps");
        let start = s.resource_version();
        s.create(&cm, Some("default"), json!({"metadata": {"name": "a"}}))
            .unwrap();
        let changes = s.changes_since(start).unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].event, EventType::Added);
        s.expire_watches();
        assert_eq!(s.changes_since(start).unwrap_err().code, 410);
        assert!(s.changes_since(s.resource_version()).unwrap().is_empty());
    }

    #[test]
    fn crds_make_their_kinds_servable_until_deleted() {
        let mut s = store();
        let crds = rt(&s, "apiextensions.k8s.io", "customresourcedefinitions");
        let crd = json!({"metadata": {"name": "widgets.example.com"}, "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "kind": "Widget"}, "versions": [{"name": "v1", "served": true, "storage": true}]}});
        let created = s.create(&crds, None, crd).unwrap();
        assert_eq!(created["status"]["conditions"][1]["type"], "Established");
        let widgets = s
            .registry()
            .find("example.com", "v1", "widgets")
            .unwrap()
            .clone();
        s.create(
            &widgets,
            Some("default"),
            json!({"metadata": {"name": "w"}, "spec": {"size": 1}}),
        )
        .unwrap();
        s.delete(
            &ObjectKey::new((&crds).into(), "", "widgets.example.com"),
            false,
        )
        .unwrap();
        assert!(s.registry().find("example.com", "v1", "widgets").is_none());
        assert_eq!(
            s.list(&ResourceKey::grouped("example.com", "widgets"), None)
                .count(),
            0
        );
    }
}
