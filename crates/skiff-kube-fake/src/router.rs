//! URL routing: discovery paths, then `/api/v1/…` and `/apis/<group>/<version>/…` resolved to a
//! resource type, an optional namespace, name and subresource.

use crate::api::{self, Target};
use crate::discovery;
use crate::error::{ApiError, ApiResult};
use crate::query::Query;
use crate::registry::Registry;
use crate::state::{Shared, lock};
use crate::{exec, logs, portforward, requests};
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router, middleware};
use std::sync::Arc;

/// The largest request body accepted.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// The fake API server's routes, recording every request.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/version", get(|| async { Json(discovery::version()) }))
        .route("/api", get(core_versions))
        .route("/apis", get(groups))
        .route("/openapi/v2", get(discovery::openapi_v2))
        .route("/healthz", get(|| async { "ok" }))
        .route("/livez", get(|| async { "ok" }))
        .route("/readyz", get(|| async { "ok" }))
        .fallback(dispatch)
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            requests::record,
        ))
        .with_state(shared)
}

async fn core_versions(request: Request) -> Json<serde_json::Value> {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    Json(discovery::core_versions(host))
}

async fn groups(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    Json(discovery::groups(lock(&shared.store).registry()))
}

async fn dispatch(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    serve(&shared, request)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// A resolved resource path.
struct Resolved {
    target: Target,
    sub: Option<String>,
}

fn resolve(registry: &Registry, group: &str, version: &str, rest: &[&str]) -> ApiResult<Resolved> {
    let find = |plural: &str| registry.find(group, version, plural).cloned();
    let (rt, namespace, tail) = match rest {
        ["namespaces", ns, plural, tail @ ..] if find(plural).is_some_and(|rt| rt.namespaced) => {
            (find(plural).expect("checked"), Some(ns.to_string()), tail)
        }
        [plural, tail @ ..] => (find(plural).ok_or_else(ApiError::no_route)?, None, tail),
        [] => return Err(ApiError::no_route()),
    };
    let (name, sub) = match tail {
        [] => (None, None),
        [name] => (Some(name.to_string()), None),
        [name, sub] if rt.has_subresource(sub) => (Some(name.to_string()), Some(sub.to_string())),
        _ => return Err(ApiError::no_route()),
    };
    if rt.namespaced && namespace.is_none() && name.is_some() {
        return Err(ApiError::no_route());
    }
    let status = sub.as_deref() == Some("status");
    Ok(Resolved {
        target: Target {
            rt,
            namespace,
            name,
            status,
        },
        sub,
    })
}

async fn serve(shared: &Shared, mut request: Request) -> ApiResult<Response> {
    let path = request.uri().path().to_string();
    let query = Query::parse(request.uri().query());
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (group, version, rest) = match segments.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group] => {
            return Ok(
                Json(discovery::group(lock(&shared.store).registry(), group)?).into_response(),
            );
        }
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Err(ApiError::no_route()),
    };
    let resolved = {
        let store = lock(&shared.store);
        if rest.is_empty() {
            return Ok(
                Json(discovery::resources(store.registry(), group, version)?).into_response(),
            );
        }
        resolve(store.registry(), group, version, rest)?
    };
    let Resolved { target, sub } = resolved;
    let (namespace, name) = (
        target.namespace.clone().unwrap_or_default(),
        target.name.clone().unwrap_or_default(),
    );
    let method = request.method().clone();
    match (sub.as_deref(), &method) {
        (Some("log"), &Method::GET) => return logs::pod_log(shared, &namespace, &name, &query),
        (Some("exec"), &Method::GET | &Method::POST) => {
            return exec::pod_exec(shared, &namespace, &name, &query, &mut request);
        }
        (Some("portforward"), &Method::GET | &Method::POST) => {
            return portforward::pod_portforward(shared, &namespace, &name, &query, &mut request);
        }
        (Some("log" | "exec" | "portforward"), other) => {
            return Err(ApiError::method_not_allowed(other.as_str()));
        }
        _ => {}
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_string())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY)
        .await
        .map_err(|err| ApiError::bad_request(format!("reading the request body: {err}")))?;
    api::handle(
        shared,
        &target,
        &method,
        &query,
        &api::Body {
            content_type: &content_type,
            bytes: &bytes,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `plural namespace name sub`, with `-` for what is absent.
    fn resolved(rest: &[&str]) -> ApiResult<String> {
        let apps = rest[0] == "deployments" || rest.get(2) == Some(&"deployments");
        let group = if apps { "apps" } else { "" };
        let shown = |v: Option<String>| v.unwrap_or_else(|| "-".into());
        resolve(&Registry::default(), group, "v1", rest).map(|r| {
            let t = r.target;
            format!(
                "{} {} {} {}",
                t.rt.plural,
                shown(t.namespace),
                shown(t.name),
                shown(r.sub)
            )
        })
    }

    #[test]
    fn paths_resolve_to_targets() {
        let ok = |rest: &[&str]| resolved(rest).unwrap();
        assert_eq!(
            ok(&["namespaces", "ns", "pods", "web", "log"]),
            "pods ns web log"
        );
        assert_eq!(ok(&["pods"]), "pods - - -");
        assert_eq!(ok(&["namespaces", "ns"]), "namespaces - ns -");
        assert_eq!(
            ok(&["namespaces", "ns", "status"]),
            "namespaces - ns status"
        );
        assert_eq!(
            ok(&["namespaces", "ns", "deployments", "d"]),
            "deployments ns d -"
        );
        let code = |rest: &[&str]| resolved(rest).unwrap_err().code;
        assert_eq!(
            code(&["pods", "web"]),
            404,
            "namespaced object without namespace"
        );
        assert_eq!(code(&["namespaces", "ns", "pods", "web", "bogus"]), 404);
        assert_eq!(code(&["widgets"]), 404);
    }
}
