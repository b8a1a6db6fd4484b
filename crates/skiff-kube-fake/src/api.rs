//! The verbs on stored resources: get, list, watch, create, replace, patch (apply, merge,
//! strategic merge), delete and deletecollection, on objects and on their `status`.

use crate::error::{ApiError, ApiResult};
use crate::object;
use crate::patch::{self, Apply};
use crate::protobuf;
use crate::query::Query;
use crate::registry::ResourceType;
use crate::selector::{FieldSelector, LabelSelector};
use crate::state::{Shared, lock};
use crate::store::{ObjectKey, Part, ResourceKey};
use crate::watch::{self, Filter};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// What a resource request addresses.
pub struct Target {
    /// The resource type.
    pub rt: ResourceType,
    /// The namespace in the path (`None`: cluster-scoped, or all namespaces).
    pub namespace: Option<String>,
    /// The object name (`None`: the collection).
    pub name: Option<String>,
    /// `status`, if the path ends with it.
    pub status: bool,
}

impl Target {
    fn key(&self, name: &str) -> ObjectKey {
        ObjectKey::new(
            (&self.rt).into(),
            self.namespace.as_deref().unwrap_or_default(),
            name,
        )
    }
}

/// A request body and its content type.
pub struct Body<'a> {
    /// `Content-Type` without parameters.
    pub content_type: &'a str,
    /// The bytes.
    pub bytes: &'a [u8],
}

fn respond(code: StatusCode, value: Value) -> Response {
    (code, axum::Json(value)).into_response()
}

/// Serves one resource request.
pub fn handle(
    shared: &Shared,
    target: &Target,
    method: &Method,
    query: &Query,
    body: &Body<'_>,
) -> ApiResult<Response> {
    match (&target.name, method.as_str()) {
        (None, "GET") if query.flag("watch") => watch::watch(shared, filter(target, query)?, query),
        (None, "GET") => list(shared, target, query),
        (None, "POST") if target.namespace.is_some() || !target.rt.namespaced => {
            create(shared, target, body)
        }
        (None, "DELETE") => delete_collection(shared, target, query, body),
        (Some(name), "GET") => get(shared, target, name),
        (Some(name), "PUT") => replace(shared, target, name, body),
        (Some(name), "PATCH") => patch(shared, target, name, query, body),
        (Some(name), "DELETE") if !target.status => delete(shared, target, name, query, body),
        (_, other) => Err(ApiError::method_not_allowed(other)),
    }
}

fn filter(target: &Target, query: &Query) -> ApiResult<Filter> {
    Ok(Filter {
        rt: target.rt.clone(),
        namespace: target.namespace.clone(),
        labels: LabelSelector::parse(query.get("labelSelector").unwrap_or_default())?,
        fields: FieldSelector::parse(query.get("fieldSelector").unwrap_or_default())?,
    })
}

fn list_body(rt: &ResourceType, rv: u64, items: Vec<Value>) -> Value {
    json!({
        "kind": format!("{}List", rt.kind),
        "apiVersion": rt.api_version(),
        "metadata": {"resourceVersion": rv.to_string()},
        "items": items,
    })
}

fn list(shared: &Shared, target: &Target, query: &Query) -> ApiResult<Response> {
    let filter = filter(target, query)?;
    let store = lock(&shared.store);
    let resource = ResourceKey::from(&target.rt);
    let items = store
        .list(&resource, target.namespace.as_deref())
        .filter(|o| filter.selects(o))
        .map(|o| target.rt.present(o))
        .collect();
    Ok(respond(
        StatusCode::OK,
        list_body(&target.rt, store.resource_version(), items),
    ))
}

fn get(shared: &Shared, target: &Target, name: &str) -> ApiResult<Response> {
    let store = lock(&shared.store);
    let object = store
        .get(&target.key(name))
        .ok_or_else(|| not_found(target, name))?;
    Ok(respond(StatusCode::OK, target.rt.present(object)))
}

fn not_found(target: &Target, name: &str) -> ApiError {
    ApiError::not_found(
        &crate::error::Qualified {
            group: &target.rt.group,
            plural: &target.rt.plural,
        },
        name,
    )
}

/// Decodes a JSON, YAML or (for the kinds [`protobuf`] knows) protobuf body into an object.
fn decode(body: &Body<'_>) -> ApiResult<Value> {
    if protobuf::is_protobuf(body.bytes) {
        return protobuf::decode(body.bytes).map_err(|err| {
            ApiError::bad_request(format!(
                "the body of the request could not be decoded: {err}"
            ))
        });
    }
    let value: Value = serde_json::from_slice(body.bytes)
        .or_else(|_| serde_yaml_ng::from_slice(body.bytes))
        .map_err(|err| {
            ApiError::bad_request(format!(
                "the body of the request could not be decoded: {err}"
            ))
        })?;
    if !value.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request must be an object",
        ));
    }
    Ok(value)
}

fn check_name(object: &Value, name: &str) -> ApiResult<()> {
    match object::meta(object, "name") {
        Some(given) if !given.is_empty() && given != name => Err(ApiError::bad_request(format!(
            "the name of the object ({given}) does not match the name on the URL ({name})"
        ))),
        _ => Ok(()),
    }
}

fn create(shared: &Shared, target: &Target, body: &Body<'_>) -> ApiResult<Response> {
    let object = decode(body)?;
    let created = lock(&shared.store).create(&target.rt, target.namespace.as_deref(), object)?;
    Ok(respond(StatusCode::CREATED, created))
}

fn part(target: &Target) -> Part {
    if target.status {
        Part::Status
    } else {
        Part::Main
    }
}

fn replace(shared: &Shared, target: &Target, name: &str, body: &Body<'_>) -> ApiResult<Response> {
    let object = decode(body)?;
    check_name(&object, name)?;
    let updated =
        lock(&shared.store).update(&target.rt, &target.key(name), object, part(target))?;
    Ok(respond(StatusCode::OK, updated))
}

fn patch(
    shared: &Shared,
    target: &Target,
    name: &str,
    query: &Query,
    body: &Body<'_>,
) -> ApiResult<Response> {
    let key = target.key(name);
    let mut store = lock(&shared.store);
    let existing = store.get(&key).cloned();
    let patched = match body.content_type {
        "application/apply-patch+yaml" => {
            let applied = decode(body)?;
            check_name(&applied, name)?;
            let manager = query
                .get("fieldManager")
                .filter(|m| !m.is_empty())
                .ok_or_else(|| {
                    ApiError::invalid(
                        "PatchOptions",
                        "meta.k8s.io",
                        "",
                        "fieldManager",
                        "Required value: is required for apply patch",
                    )
                })?;
            let api_version = target.rt.api_version();
            let apply = Apply {
                manager,
                force: query.flag("force"),
                api_version: &api_version,
            };
            let mut result = apply.run(existing.as_ref(), &applied)?;
            if existing.is_none() {
                object::metadata_mut(&mut result).insert("name".into(), json!(name));
                let created = store.create(&target.rt, target.namespace.as_deref(), result)?;
                return Ok(respond(StatusCode::CREATED, created));
            }
            result
        }
        "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
            if body.content_type.starts_with("application/strategic") && target.rt.crd.is_some() {
                return Err(ApiError::unsupported_media_type(body.content_type));
            }
            let delta = decode(body)?;
            let mut result = existing.ok_or_else(|| not_found(target, name))?;
            if body.content_type.starts_with("application/strategic") {
                patch::strategic_merge_patch(&mut result, &delta);
            } else {
                patch::merge_patch(&mut result, &delta);
            }
            result
        }
        other => return Err(ApiError::unsupported_media_type(other)),
    };
    let updated = store.update(&target.rt, &key, patched, part(target))?;
    Ok(respond(StatusCode::OK, updated))
}

/// Whether a delete orphans dependents: `propagationPolicy=Orphan` in the query or the
/// `DeleteOptions` body.
fn orphans(query: &Query, body: &Body<'_>) -> bool {
    let from_body = decode(body).ok().and_then(|o| {
        o.get("propagationPolicy")
            .and_then(Value::as_str)
            .map(String::from)
    });
    query
        .get("propagationPolicy")
        .map(String::from)
        .or(from_body)
        .as_deref()
        == Some("Orphan")
}

fn delete(
    shared: &Shared,
    target: &Target,
    name: &str,
    query: &Query,
    body: &Body<'_>,
) -> ApiResult<Response> {
    let deleted = lock(&shared.store).delete(&target.key(name), orphans(query, body))?;
    let mut details = json!({"name": name, "kind": target.rt.plural, "uid": object::uid(&deleted)});
    if !target.rt.group.is_empty() {
        details["group"] = json!(target.rt.group);
    }
    Ok(respond(
        StatusCode::OK,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}),
    ))
}

fn delete_collection(
    shared: &Shared,
    target: &Target,
    query: &Query,
    body: &Body<'_>,
) -> ApiResult<Response> {
    let filter = filter(target, query)?;
    let orphan = orphans(query, body);
    let mut store = lock(&shared.store);
    let resource = ResourceKey::from(&target.rt);
    let doomed: Vec<String> = store
        .list(&resource, target.namespace.as_deref())
        .filter(|o| filter.selects(o))
        .map(|o| object::name(o).to_string())
        .collect();
    let mut deleted = Vec::new();
    for name in doomed {
        // An earlier cascade in this loop may already have removed it.
        if let Ok(object) = store.delete(&target.key(&name), orphan) {
            deleted.push(target.rt.present(&object));
        }
    }
    Ok(respond(
        StatusCode::OK,
        list_body(&target.rt, store.resource_version(), deleted),
    ))
}
