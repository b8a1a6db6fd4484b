//! The request log: every request the fake served, so tests can assert how a client talked to
//! the API (for example that deploys used server-side apply).

use crate::state::{Shared, lock};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;

/// One served request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// HTTP method (`PATCH`).
    pub method: String,
    /// URL path (`/apis/apps/v1/namespaces/default/deployments/web`).
    pub path: String,
    /// Raw query string (`fieldManager=skaffold&force=true`), empty if none.
    pub query: String,
    /// `Content-Type` of the body, if sent (`application/apply-patch+yaml`).
    pub content_type: Option<String>,
}

impl RequestRecord {
    /// Whether this was a server-side apply (`PATCH` with `application/apply-patch+yaml`).
    pub fn is_server_side_apply(&self) -> bool {
        self.method == "PATCH"
            && self
                .content_type
                .as_deref()
                .is_some_and(|c| c.starts_with("application/apply-patch+yaml"))
    }
}

/// Middleware that appends each request to the log before handling it.
pub async fn record(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let content_type = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    lock(&shared.requests).push(RequestRecord {
        method: request.method().to_string(),
        path: request.uri().path().to_string(),
        query: request.uri().query().unwrap_or_default().to_string(),
        content_type,
    });
    next.run(request).await
}
