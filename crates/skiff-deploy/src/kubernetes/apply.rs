//! Applying rendered manifests: each document, in [`sort_for_apply`] order, is resolved to its
//! API resource through discovery, given the target namespace when it is namespaced and names
//! none, and server-side applied with field manager `skaffold` and `force` (what
//! `kubectl apply --server-side --force-conflicts` does). Custom resources of
//! CustomResourceDefinitions applied earlier in the same batch resolve once those CRDs are
//! established (discovery is run again). With `--force`, an object the API refuses to update
//! (an immutable field changed) is deleted and created again, as `kubectl apply --force` does.

use std::time::Duration;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Discovery, Scope};
use kube::runtime::wait::{await_condition, conditions};
use serde_json::Value;
use skiff_proto::enums::StatusCode;
use skiff_render::ManifestList;

use super::client::{api_error, is_not_found};
use super::order::{Scopes, sort_for_apply};
use crate::DeployError;

/// The field manager of Skaffold's applies.
pub const FIELD_MANAGER: &str = "skaffold";

/// How long to wait for a CustomResourceDefinition of the batch to be established, and for an
/// object deleted by `--force` to be gone.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(30);

/// How often to look whether a deleted object is gone.
const GONE_POLL: Duration = Duration::from_millis(50);

/// An object in the cluster, as the status check and cleanup need it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourceRef {
    /// `apps/v1`.
    pub api_version: String,
    /// `Deployment`.
    pub kind: String,
    /// Its namespace; `None` for a cluster-scoped object.
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
    /// Its uid, when the API returned the object.
    pub uid: Option<String>,
}

impl ResourceRef {
    /// Whether `other` names the same object (its group, kind, namespace and name; the API
    /// version may differ).
    pub fn is_same_object(&self, other: &ResourceRef) -> bool {
        let group = |r: &ResourceRef| r.api_version.rsplit_once('/').map(|(g, _)| g.to_owned());
        group(self) == group(other)
            && self.kind == other.kind
            && self.namespace == other.namespace
            && self.name == other.name
    }

    /// How kubectl names the object in its output: `deployment.apps/web`, `service/web`.
    pub fn kubectl_name(&self) -> String {
        let kind = self.kind.to_lowercase();
        match self.api_version.rsplit_once('/') {
            Some((group, _)) => format!("{kind}.{group}/{}", self.name),
            None => format!("{kind}/{}", self.name),
        }
    }
}

/// The objects `manifests` name, without asking the cluster: namespaced ones (by
/// [`Scopes`]) that name no namespace are placed in `namespace`; no uids.
pub fn manifest_refs(
    manifests: &ManifestList,
    namespace: &str,
) -> Result<Vec<ResourceRef>, DeployError> {
    let docs = manifest_docs(manifests)?;
    let scopes = Scopes::from_manifests(&docs);
    docs.iter()
        .map(|doc| {
            let gvk = gvk_of(doc)?;
            let text = |pointer: &str| doc.pointer(pointer).and_then(Value::as_str);
            let namespace = (!scopes.is_cluster_scoped(doc)).then(|| {
                text("/metadata/namespace")
                    .filter(|ns| !ns.is_empty())
                    .unwrap_or(namespace)
                    .to_owned()
            });
            Ok(ResourceRef {
                api_version: gvk.api_version(),
                kind: gvk.kind,
                namespace,
                name: text("/metadata/name").unwrap_or_default().to_owned(),
                uid: None,
            })
        })
        .collect()
}

/// How to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// The namespace of namespaced objects that name none ([`target_namespace`]).
    pub namespace: String,
    /// `--force`: delete and re-create objects whose update the API refuses.
    pub force: bool,
}

/// The namespace objects without one go to: `-n/--namespace`, else
/// `deploy.kubectl.defaultNamespace`, else the kube context's namespace, else `default`.
pub fn target_namespace(
    flag: Option<&str>,
    default_namespace: Option<&str>,
    context_namespace: Option<&str>,
) -> String {
    [flag, default_namespace, context_namespace]
        .into_iter()
        .flatten()
        .find(|ns| !ns.is_empty())
        .unwrap_or("default")
        .to_owned()
}

/// Applies `manifests` and returns the applied objects in the order they were applied.
pub async fn apply(
    client: &kube::Client,
    manifests: &ManifestList,
    options: &ApplyOptions,
) -> Result<Vec<ResourceRef>, DeployError> {
    let mut docs = manifest_docs(manifests)?;
    sort_for_apply(&mut docs);
    let mut resolver = Resolver::discover(client).await?;
    let mut pending_crds = Vec::new();
    let mut applied = Vec::with_capacity(docs.len());
    for mut doc in docs {
        let gvk = gvk_of(&doc)?;
        if resolver.resolve(&gvk).is_none() && !pending_crds.is_empty() {
            wait_established(client, &pending_crds).await;
            pending_crds.clear();
            resolver = Resolver::discover(client).await?;
        }
        let target = resolver.locate(&mut doc, &options.namespace)?;
        let object = apply_one(&target, &doc, options.force).await?;
        if is_crd(&gvk) {
            pending_crds.push(target.name.clone());
        }
        applied.push(target.reference(object.metadata.uid));
    }
    Ok(applied)
}

/// Server-side applies `doc`; with `force`, re-creates it when the API refuses the update.
async fn apply_one(
    target: &Target,
    doc: &Value,
    force: bool,
) -> Result<DynamicObject, DeployError> {
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let what = || format!("applying {}", target.describe());
    match target
        .api
        .patch(&target.name, &params, &Patch::Apply(doc))
        .await
    {
        Ok(object) => Ok(object),
        Err(kube::Error::Api(status)) if force && matches!(status.code, 409 | 422) => {
            tracing::info!("re-creating {}: {}", target.describe(), status.message);
            target.delete_and_wait().await?;
            target
                .api
                .patch(&target.name, &params, &Patch::Apply(doc))
                .await
                .map_err(|err| api_error(&what(), &err, StatusCode::DeployKubectlUserErr))
        }
        Err(err) => Err(api_error(&what(), &err, StatusCode::DeployKubectlUserErr)),
    }
}

/// Waits (a bounded time) for the named CustomResourceDefinitions to be established.
async fn wait_established(client: &kube::Client, names: &[String]) {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for name in names {
        let established = await_condition(crds.clone(), name, conditions::is_crd_established());
        if tokio::time::timeout(SETTLE_TIMEOUT, established)
            .await
            .is_err()
        {
            tracing::warn!("CustomResourceDefinition {name} is not established yet");
        }
    }
}

/// Whether `gvk` is a CustomResourceDefinition.
fn is_crd(gvk: &GroupVersionKind) -> bool {
    gvk.group == "apiextensions.k8s.io" && gvk.kind == "CustomResourceDefinition"
}

/// The documents of `manifests` as JSON, empty documents dropped and `kind: List` expanded.
pub(crate) fn manifest_docs(manifests: &ManifestList) -> Result<Vec<Value>, DeployError> {
    let mut docs = Vec::with_capacity(manifests.len());
    for (index, doc) in manifests.docs().iter().enumerate() {
        let json = serde_json::to_value(doc).map_err(|err| {
            DeployError::new(
                StatusCode::DeployReadManifestErr,
                format!(
                    "manifest document {}: not a Kubernetes object: {err}",
                    index + 1
                ),
            )
        })?;
        match json {
            Value::Null => {}
            Value::Object(ref map) if map.get("kind").and_then(Value::as_str) == Some("List") => {
                let items = map.get("items").and_then(Value::as_array);
                docs.extend(items.into_iter().flatten().cloned());
            }
            other => docs.push(other),
        }
    }
    Ok(docs)
}

/// The apiVersion and kind of `doc`, which must also have a name.
pub(crate) fn gvk_of(doc: &Value) -> Result<GroupVersionKind, DeployError> {
    let text = |pointer: &str| {
        doc.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let (api_version, kind, name) = (text("/apiVersion"), text("/kind"), text("/metadata/name"));
    if api_version.is_empty() || kind.is_empty() || name.is_empty() {
        return Err(DeployError::new(
            StatusCode::DeployReadManifestErr,
            format!(
                "manifest {kind:?} {name:?} (apiVersion {api_version:?}): every manifest needs apiVersion, kind and metadata.name"
            ),
        ));
    }
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    Ok(GroupVersionKind::gvk(group, version, kind))
}

/// The cluster's API resources, from discovery.
pub(crate) struct Resolver {
    client: kube::Client,
    discovery: Discovery,
}

impl Resolver {
    /// Runs discovery against the cluster.
    pub(crate) async fn discover(client: &kube::Client) -> Result<Self, DeployError> {
        let discovery = Discovery::new(client.clone()).run().await.map_err(|err| {
            api_error(
                "discovering the cluster's API resources",
                &err,
                StatusCode::DeployUnknown,
            )
        })?;
        Ok(Self {
            client: client.clone(),
            discovery,
        })
    }

    /// The resource serving `gvk`, if any.
    pub(crate) fn resolve(&self, gvk: &GroupVersionKind) -> Option<(ApiResource, ApiCapabilities)> {
        self.discovery.resolve_gvk(gvk)
    }

    /// Every resource type the cluster serves, one version per group.
    pub(crate) fn resources(&self) -> impl Iterator<Item = (ApiResource, ApiCapabilities)> + '_ {
        self.discovery
            .groups()
            .flat_map(|group| group.recommended_resources())
    }

    /// Where `doc` goes: its resource, and its namespace — `namespace` when it is namespaced
    /// and names none; a namespace on a cluster-scoped object is dropped, as kubectl does.
    pub(crate) fn locate(&self, doc: &mut Value, namespace: &str) -> Result<Target, DeployError> {
        let gvk = gvk_of(doc)?;
        let (resource, caps) = self.resolve(&gvk).ok_or_else(|| unknown_kind(&gvk))?;
        let name = doc["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let metadata = doc["metadata"].as_object_mut();
        let namespace = match (caps.scope, metadata) {
            (Scope::Namespaced, Some(metadata)) => {
                let ns = metadata
                    .get("namespace")
                    .and_then(Value::as_str)
                    .filter(|ns| !ns.is_empty())
                    .unwrap_or(namespace)
                    .to_owned();
                metadata.insert("namespace".into(), Value::String(ns.clone()));
                Some(ns)
            }
            (_, metadata) => {
                metadata.and_then(|m| m.remove("namespace"));
                None
            }
        };
        let api = match &namespace {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &resource),
            None => Api::all_with(self.client.clone(), &resource),
        };
        Ok(Target {
            api,
            resource,
            namespace,
            name,
        })
    }
}

/// The error for a kind the cluster does not serve.
fn unknown_kind(gvk: &GroupVersionKind) -> DeployError {
    let api_version = if gvk.group.is_empty() {
        gvk.version.clone()
    } else {
        format!("{}/{}", gvk.group, gvk.version)
    };
    DeployError::new(
        StatusCode::DeployKubectlUserErr,
        format!(
            "the cluster serves no kind {:?} in apiVersion {api_version:?}: apply its CustomResourceDefinition first, or check the apiVersion and kind",
            gvk.kind
        ),
    )
}

/// One object's place in the API.
pub(crate) struct Target {
    /// The API of its resource (in its namespace, if namespaced).
    pub(crate) api: Api<DynamicObject>,
    /// Its resource.
    pub(crate) resource: ApiResource,
    /// Its namespace; `None` when cluster-scoped.
    pub(crate) namespace: Option<String>,
    /// Its name.
    pub(crate) name: String,
}

impl Target {
    /// `Deployment "web" in namespace "dev"`, for messages.
    pub(crate) fn describe(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {:?} in namespace {ns:?}", self.resource.kind, self.name),
            None => format!("{} {:?}", self.resource.kind, self.name),
        }
    }

    /// The reference to this object with `uid`.
    pub(crate) fn reference(&self, uid: Option<String>) -> ResourceRef {
        ResourceRef {
            api_version: self.resource.api_version.clone(),
            kind: self.resource.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            uid,
        }
    }

    /// Deletes the object (dependents in the background); `Ok(None)` when it was already gone,
    /// else the uid it had.
    pub(crate) async fn delete(&self) -> Result<Option<Option<String>>, kube::Error> {
        match self
            .api
            .delete(&self.name, &DeleteParams::background())
            .await
        {
            Ok(deleted) => Ok(Some(deleted.left().and_then(|o| o.metadata.uid))),
            Err(err) if is_not_found(&err) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Deletes the object and waits (a bounded time) until it is gone.
    async fn delete_and_wait(&self) -> Result<(), DeployError> {
        let what = || format!("re-creating {}", self.describe());
        let failed = |err: kube::Error| api_error(&what(), &err, StatusCode::DeployKubectlUserErr);
        self.delete().await.map_err(failed)?;
        let gone = async {
            loop {
                match self.api.get_opt(&self.name).await {
                    Ok(None) => return Ok(()),
                    Ok(Some(_)) => tokio::time::sleep(GONE_POLL).await,
                    Err(err) => return Err(failed(err)),
                }
            }
        };
        tokio::time::timeout(SETTLE_TIMEOUT, gone)
            .await
            .unwrap_or_else(|_| {
                Err(DeployError::new(
                    StatusCode::DeployErrWaitingForDeletion,
                    format!(
                        "{}: still there {}s after it was deleted",
                        what(),
                        SETTLE_TIMEOUT.as_secs()
                    ),
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_namespace_flag_wins_then_the_config_then_the_context() {
        assert_eq!(
            target_namespace(Some("cli"), Some("cfg"), Some("ctx")),
            "cli"
        );
        assert_eq!(target_namespace(None, Some("cfg"), Some("ctx")), "cfg");
        assert_eq!(target_namespace(Some(""), None, Some("ctx")), "ctx");
        assert_eq!(target_namespace(None, None, None), "default");
    }

    #[test]
    fn documents_become_json_lists_expand_and_empty_ones_drop() {
        let list = ManifestList::parse(
            "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n---\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: b}\n",
            "test",
        )
        .unwrap();
        let docs = manifest_docs(&list).unwrap();
        let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["ConfigMap", "Secret"]);
    }

    #[test]
    fn a_document_needs_api_version_kind_and_name() {
        let gvk = gvk_of(&serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"}})).unwrap();
        assert_eq!((gvk.group.as_str(), gvk.version.as_str()), ("apps", "v1"));
        let core = gvk_of(
            &serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}),
        )
        .unwrap();
        assert_eq!((core.group.as_str(), core.version.as_str()), ("", "v1"));
        let err = gvk_of(&serde_json::json!({"apiVersion": "v1", "kind": "Pod"})).unwrap_err();
        assert_eq!(err.code, StatusCode::DeployReadManifestErr);
        assert!(err.message.contains("metadata.name"), "{}", err.message);
    }
}
