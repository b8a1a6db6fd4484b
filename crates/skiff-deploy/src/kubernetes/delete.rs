//! Deleting what was deployed. Skaffold deletes by the rendered manifests: [`delete_manifests`]
//! deletes each of their objects in [`sort_for_delete`] order (webhooks first, namespaces
//! last), skipping objects that are already gone and kinds the cluster no longer serves (their
//! CustomResourceDefinition was deleted, and its objects with it). [`delete_labelled`] deletes
//! what an earlier run left behind by its labels (`skaffold.dev/run-id=…`,
//! `app.kubernetes.io/managed-by=skaffold`), for `skiff delete` without manifests. Dependents
//! (a Deployment's ReplicaSets and pods) are deleted in the background by the cluster.

use kube::api::{Api, DynamicObject, ListParams};
use serde_json::{Value, json};
use skiff_proto::enums::StatusCode;
use skiff_render::ManifestList;

use super::apply::{Resolver, ResourceRef, gvk_of, manifest_docs};
use super::client::api_error;
use super::order::sort_for_delete;
use crate::DeployError;

/// Deletes the objects of `manifests` (namespaced ones naming no namespace are looked for in
/// `namespace`) and returns those that were there.
pub async fn delete_manifests(
    client: &kube::Client,
    manifests: &ManifestList,
    namespace: &str,
) -> Result<Vec<ResourceRef>, DeployError> {
    let docs = manifest_docs(manifests)?;
    let resolver = Resolver::discover(client).await?;
    delete_docs(&resolver, docs, namespace).await
}

/// Deletes every object, in any namespace, whose labels match `selector`
/// (`skaffold.dev/run-id=abc`), except objects owned by another (their owner's deletion takes
/// them) and events; returns those deleted.
pub async fn delete_labelled(
    client: &kube::Client,
    selector: &str,
) -> Result<Vec<ResourceRef>, DeployError> {
    let resolver = Resolver::discover(client).await?;
    let params = ListParams::default().labels(selector);
    let mut found = Vec::new();
    for (resource, caps) in resolver.resources() {
        if !(caps.supports_operation("list") && caps.supports_operation("delete"))
            || resource.kind == "Event"
        {
            continue;
        }
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
        let listed = api.list(&params).await.map_err(|err| {
            api_error(
                &format!("listing {} with labels {selector:?}", resource.plural),
                &err,
                StatusCode::DeployCleanupErr,
            )
        })?;
        found.extend(
            listed
                .items
                .into_iter()
                .filter(|object| {
                    object
                        .metadata
                        .owner_references
                        .as_ref()
                        .is_none_or(Vec::is_empty)
                })
                .map(|object| ResourceRef {
                    api_version: resource.api_version.clone(),
                    kind: resource.kind.clone(),
                    namespace: object.metadata.namespace,
                    name: object.metadata.name.unwrap_or_default(),
                    uid: None,
                }),
        );
    }
    delete_docs(&resolver, ref_docs(&found), "default").await
}

/// Deletes the objects `refs` name (those already gone are skipped) and returns those that
/// were there.
pub async fn delete_refs(
    client: &kube::Client,
    refs: &[ResourceRef],
) -> Result<Vec<ResourceRef>, DeployError> {
    if refs.is_empty() {
        return Ok(Vec::new());
    }
    let resolver = Resolver::discover(client).await?;
    delete_docs(&resolver, ref_docs(refs), "default").await
}

/// The objects `refs` name, as manifest documents.
fn ref_docs(refs: &[ResourceRef]) -> Vec<Value> {
    refs.iter()
        .map(|r| {
            json!({
                "apiVersion": r.api_version,
                "kind": r.kind,
                "metadata": {"name": r.name, "namespace": r.namespace},
            })
        })
        .collect()
}

/// Deletes `docs` in delete order, skipping the gone and the unserved.
async fn delete_docs(
    resolver: &Resolver,
    mut docs: Vec<Value>,
    namespace: &str,
) -> Result<Vec<ResourceRef>, DeployError> {
    sort_for_delete(&mut docs);
    let mut deleted = Vec::new();
    for mut doc in docs {
        let gvk = gvk_of(&doc)?;
        if resolver.resolve(&gvk).is_none() {
            tracing::debug!("not deleting {}: the cluster no longer serves it", gvk.kind);
            continue;
        }
        let target = resolver.locate(&mut doc, namespace)?;
        let uid = target.delete().await.map_err(|err| {
            api_error(
                &format!("deleting {}", target.describe()),
                &err,
                StatusCode::DeployCleanupErr,
            )
        })?;
        if let Some(uid) = uid {
            deleted.push(target.reference(uid));
        }
    }
    Ok(deleted)
}
