//! The HTTP/JSON gateway: the eight `/v2` routes with the bodies, status codes and error shapes
//! of Skaffold's grpc-gateway (proto field names, every field emitted, `{"result":…}` lines on
//! streams, `{"code":…,"message":…,"details":[]}` errors).

use axum::Router;
use axum::body::Body;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use futures_util::StreamExt;
use skiff_events::{AutoTrigger, Stream as HubStream};
use skiff_proto::json::{self, Dialect};
use skiff_proto::v2::{Event, Intent, TriggerRequest, TriggerState, UserIntentRequest};
use tonic::{Code, Status};

use crate::service::ApiService;

/// The gateway's routes over a service.
pub fn router(service: ApiService) -> Router {
    Router::new()
        .route("/v2/state", get(get_state))
        .route("/v2/events", get(events))
        .route("/v2/applicationLogs", get(application_logs))
        .route("/v2/execute", post(execute))
        .route("/v2/build/auto_execute", put(auto_build))
        .route("/v2/sync/auto_execute", put(auto_sync))
        .route("/v2/deploy/auto_execute", put(auto_deploy))
        .route("/v2/events/handle", post(handle))
        .fallback(|| async { error_response(&Status::not_found("Not Found")) })
        .method_not_allowed_fallback(|| async {
            error_response(&Status::unimplemented("Method Not Allowed"))
        })
        .with_state(service)
}

/// The HTTP status grpc-gateway maps a gRPC code to.
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::Cancelled => StatusCode::from_u16(499).expect("499 is a valid status code"),
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A `google.rpc.Status` body as grpc-gateway writes it.
fn status_json(status: &Status) -> serde_json::Value {
    serde_json::json!({"code": status.code() as i32, "message": status.message(), "details": []})
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn error_response(status: &Status) -> Response {
    json_response(http_status(status.code()), status_json(status).to_string())
}

/// `{}` on success, the error body otherwise.
fn unary_response(result: Result<(), Status>) -> Response {
    match result {
        Ok(()) => json_response(StatusCode::OK, "{}".into()),
        Err(status) => error_response(&status),
    }
}

/// The largest request body accepted, as the gRPC server behind Skaffold's gateway allows.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// How much of a request body over [`MAX_MESSAGE_BYTES`] is still read (and dropped) before
/// the error answer, so a client that sends the whole body gets to read it: stopping at the
/// limit would close the connection under a client still writing.
const DRAINED_BYTES: usize = 64 * 1024 * 1024;

/// Reads and decodes a request body: too large is `RESOURCE_EXHAUSTED` (429), not JSON for the
/// message is `INVALID_ARGUMENT` (400).
async fn decode<M: prost::Message + prost::Name + Default>(
    headers: &HeaderMap,
    body: Body,
) -> Result<M, Status> {
    let mut data = body.into_data_stream();
    let mut bytes = Vec::new();
    let mut size = 0usize;
    while let Some(chunk) = data.next().await {
        let chunk = chunk
            .map_err(|err| Status::invalid_argument(format!("reading the request body: {err}")))?;
        size += chunk.len();
        if size <= MAX_MESSAGE_BYTES {
            bytes.extend_from_slice(&chunk);
        } else if size > DRAINED_BYTES {
            break;
        }
    }
    if size > MAX_MESSAGE_BYTES {
        let size = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .map_or_else(|| format!("more than {MAX_MESSAGE_BYTES}"), str::to_owned);
        return Err(Status::resource_exhausted(format!(
            "grpc: received message larger than max ({size} vs. {MAX_MESSAGE_BYTES})"
        )));
    }
    json::from_json(&bytes).map_err(|e| Status::invalid_argument(e.to_string()))
}

async fn get_state(Extract(service): Extract<ApiService>) -> Response {
    json_response(
        StatusCode::OK,
        json::to_string(&service.get_state(), Dialect::Gateway),
    )
}

fn stream_response(service: &ApiService, which: HubStream) -> Response {
    let lines = service.stream(which).map(|item| {
        let mut line = match item {
            Ok(event) => json::stream_result_line(&event),
            Err(status) => {
                let wrapper = serde_json::json!({"error": status_json(&status)});
                json::go_escape(&wrapper.to_string())
            }
        };
        line.push('\n');
        Ok::<_, std::convert::Infallible>(line)
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(lines),
    )
        .into_response()
}

async fn events(Extract(service): Extract<ApiService>) -> Response {
    stream_response(&service, HubStream::Events)
}

async fn application_logs(Extract(service): Extract<ApiService>) -> Response {
    stream_response(&service, HubStream::ApplicationLogs)
}

async fn execute(
    Extract(service): Extract<ApiService>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    unary_response(decode::<Intent>(&headers, body).await.map(|intent| {
        service.execute(&UserIntentRequest {
            intent: Some(intent),
        });
    }))
}

async fn auto_trigger(
    service: &ApiService,
    phase: AutoTrigger,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    unary_response(
        decode::<TriggerState>(headers, body)
            .await
            .and_then(|state| service.auto_trigger(phase, &TriggerRequest { state: Some(state) })),
    )
}

async fn auto_build(
    Extract(service): Extract<ApiService>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    auto_trigger(&service, AutoTrigger::Build, &headers, body).await
}

async fn auto_sync(
    Extract(service): Extract<ApiService>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    auto_trigger(&service, AutoTrigger::Sync, &headers, body).await
}

async fn auto_deploy(
    Extract(service): Extract<ApiService>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    auto_trigger(&service, AutoTrigger::Deploy, &headers, body).await
}

async fn handle(Extract(service): Extract<ApiService>, headers: HeaderMap, body: Body) -> Response {
    unary_response(
        decode::<Event>(&headers, body)
            .await
            .map(|event| service.handle(event)),
    )
}
