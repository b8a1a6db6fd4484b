//! The gRPC server and the HTTP gateway, in process, with real clients over loopback TCP: the
//! generated tonic client, and HTTP/1.1 requests written byte by byte on a `TcpStream`.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use skiff_api::{ApiConfig, ApiServer, ControlReceiver, StartError};
use skiff_events::{Hub, HubLimits, InitialState, Phase, Stream};
use skiff_proto::json::{self as pjson, Dialect};
use skiff_proto::v2::skaffold_v2_service_client::SkaffoldV2ServiceClient;
use skiff_proto::v2::{
    ApplicationLogEvent, BuildSubtaskEvent, Event, Intent, PortForwardEvent, SkaffoldLogEvent,
    TriggerRequest, TriggerState, UserIntentRequest, event::EventType, trigger_state,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tonic::Code;
use tonic::transport::Channel;

/// Every network wait in these tests is bounded by this.
const WAIT: Duration = Duration::from_secs(10);

async fn bounded<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

struct Fixture {
    server: ApiServer,
    hub: Hub,
    control: ControlReceiver,
}

impl Fixture {
    fn http(&self) -> SocketAddr {
        self.server.http_addr().expect("the HTTP gateway runs")
    }

    async fn grpc(&self) -> SkaffoldV2ServiceClient<Channel> {
        bounded(
            "gRPC connect",
            SkaffoldV2ServiceClient::connect(format!("http://{}", self.server.grpc_addr())),
        )
        .await
        .expect("the gRPC server accepts connections")
    }
}

/// Both servers on random loopback ports over a hub with two artifacts, `--auto-build` on.
async fn start() -> Fixture {
    let hub = Hub::new(
        &InitialState {
            artifacts: vec!["app".into(), "web".into()],
            auto_build: true,
            ..Default::default()
        },
        HubLimits::default(),
    );
    let (tx, control) = skiff_api::control_channel();
    let server = ApiServer::start(
        ApiConfig {
            grpc_port: None,
            http_port: Some(0),
        },
        hub.clone(),
        tx,
    )
    .await
    .expect("servers start on random ports");
    Fixture {
        server,
        hub,
        control,
    }
}

fn log_line(n: usize) -> EventType {
    EventType::SkaffoldLogEvent(SkaffoldLogEvent {
        task_id: "Build-0".into(),
        subtask_id: "-1".into(),
        level: 0,
        message: format!("line {n} <&>\n"),
    })
}

fn log_message(event: &Event) -> &str {
    match &event.event_type {
        Some(EventType::SkaffoldLogEvent(e)) => &e.message,
        other => panic!("not a log line: {other:?}"),
    }
}

fn trigger(enabled: bool) -> TriggerRequest {
    TriggerRequest {
        state: Some(TriggerState {
            val: Some(trigger_state::Val::Enabled(enabled)),
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP/1.1
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
struct HttpResponse {
    status_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl HttpResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body {:?} is not JSON: {e}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("UTF-8 body")
    }
}

/// A connection that reads an HTTP/1.1 response head, then its body chunk by chunk.
struct HttpConn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl HttpConn {
    async fn open(addr: SocketAddr) -> Self {
        let stream = bounded("HTTP connect", TcpStream::connect(addr))
            .await
            .expect("the HTTP gateway accepts connections");
        Self {
            stream,
            buf: Vec::new(),
        }
    }

    async fn send(&mut self, method: &str, path: &str, body: &str, close: bool) {
        let connection = if close { "close" } else { "keep-alive" };
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: skiff-test\r\n\
             Accept: */*\r\nConnection: {connection}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.write_all(request.as_bytes()).await.unwrap();
    }

    /// Reads more bytes into the buffer; false at end of stream.
    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 8192];
        let n = bounded("HTTP bytes", self.stream.read(&mut chunk))
            .await
            .expect("reading the HTTP response");
        self.buf.extend_from_slice(&chunk[..n]);
        n > 0
    }

    /// Reads up to and including the next CRLF, without it.
    async fn line(&mut self) -> String {
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8(self.buf[..end].to_vec()).expect("UTF-8 head");
                self.buf.drain(..end + 2);
                return line;
            }
            assert!(self.fill().await, "connection closed inside a line");
        }
    }

    async fn exact(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            assert!(self.fill().await, "connection closed inside a body");
        }
        self.buf.drain(..n).collect()
    }

    /// The status line and the headers (names lowercased).
    async fn head(&mut self) -> (String, Vec<(String, String)>) {
        let status_line = self.line().await;
        let mut headers = Vec::new();
        loop {
            let line = self.line().await;
            if line.is_empty() {
                return (status_line, headers);
            }
            let (name, value) = line.split_once(':').expect("a header line");
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }

    /// The next chunk of a chunked body; `None` for the terminating zero-size chunk.
    async fn chunk(&mut self) -> Option<Vec<u8>> {
        let size_line = self.line().await;
        let size = usize::from_str_radix(size_line.split(';').next().unwrap().trim(), 16)
            .unwrap_or_else(|_| panic!("bad chunk size line {size_line:?}"));
        if size == 0 {
            // No trailers are expected: the empty line that ends the body.
            assert_eq!(self.line().await, "");
            return None;
        }
        let data = self.exact(size).await;
        assert_eq!(self.line().await, "", "a chunk ends with CRLF");
        Some(data)
    }

    /// A whole response: a `content-length` body or a chunked one.
    async fn response(&mut self) -> HttpResponse {
        let (status_line, headers) = self.head().await;
        let mut response = HttpResponse {
            status_line,
            headers,
            body: Vec::new(),
        };
        if response.header("transfer-encoding") == Some("chunked") {
            while let Some(chunk) = self.chunk().await {
                response.body.extend(chunk);
            }
        } else {
            let len: usize = response
                .header("content-length")
                .expect("a content-length or a chunked body")
                .parse()
                .unwrap();
            response.body = self.exact(len).await;
        }
        response
    }
}

/// One request on a fresh connection.
async fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> HttpResponse {
    let mut conn = HttpConn::open(addr).await;
    conn.send(method, path, body, true).await;
    conn.response().await
}

/// Reads newline-terminated lines from a chunked stream body (a line may span chunks and a
/// chunk may hold several lines).
struct LineStream {
    conn: HttpConn,
    pending: Vec<u8>,
    ended: bool,
}

impl LineStream {
    async fn open(addr: SocketAddr, path: &str) -> (HttpResponse, Self) {
        let mut conn = HttpConn::open(addr).await;
        conn.send("GET", path, "", true).await;
        let (status_line, headers) = conn.head().await;
        let head = HttpResponse {
            status_line,
            headers,
            body: Vec::new(),
        };
        (
            head,
            Self {
                conn,
                pending: Vec::new(),
                ended: false,
            },
        )
    }

    /// The next line without its `\n`; `None` once the body has ended.
    async fn next_line(&mut self) -> Option<String> {
        loop {
            if let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
                let line = String::from_utf8(self.pending[..end].to_vec()).unwrap();
                self.pending.drain(..=end);
                return Some(line);
            }
            if self.ended {
                assert!(self.pending.is_empty(), "unterminated last line");
                return None;
            }
            match self.conn.chunk().await {
                Some(chunk) => self.pending.extend(chunk),
                None => self.ended = true,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// gRPC
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_get_state_returns_the_hub_state() {
    let f = start().await;
    f.hub.port_forwarded(PortForwardEvent {
        local_port: 9000,
        pod_name: "app-0".into(),
        ..Default::default()
    });
    let mut client = f.grpc().await;
    let state = client.get_state(()).await.unwrap().into_inner();
    assert_eq!(state, f.hub.state());
    let build = state.build_state.unwrap();
    assert!(build.auto_trigger);
    assert_eq!(build.artifacts["app"], "NotStarted");
    assert_eq!(build.artifacts["web"], "NotStarted");
    assert_eq!(state.forwarded_ports[&9000].task_id, "PortForward-0");
    f.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_events_replay_history_then_follow_live() {
    let f = start().await;
    f.hub.task_in_progress(Phase::Build, "Build containers");
    for n in 0..3 {
        f.hub.emit(log_line(n));
    }
    let mut client = f.grpc().await;
    let mut events = client.events(()).await.unwrap().into_inner();
    let history = f.hub.history(Stream::Events);
    assert_eq!(history.len(), 4);
    for want in &history {
        let got = bounded("a replayed event", events.message())
            .await
            .unwrap()
            .expect("the stream is open");
        assert_eq!(
            &got,
            want.as_ref(),
            "replayed events come unchanged, in order"
        );
    }
    for n in 3..6 {
        f.hub.emit(log_line(n));
        let got = bounded("a live event", events.message())
            .await
            .unwrap()
            .expect("the stream is open");
        assert_eq!(log_message(&got), format!("line {n} <&>\n"));
        assert!(got.timestamp.is_some());
    }
    f.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_application_logs_replay_then_follow() {
    let f = start().await;
    let app_log = |message: &str| ApplicationLogEvent {
        container_name: "app".into(),
        pod_name: "app-0".into(),
        message: message.into(),
        ..Default::default()
    };
    f.hub.application_log(app_log("before\n"));
    f.hub.emit(log_line(0));
    let mut client = f.grpc().await;
    let mut logs = client.application_logs(()).await.unwrap().into_inner();
    f.hub.application_log(app_log("after\n"));
    for want in ["before\n", "after\n"] {
        let got = bounded("an application log", logs.message())
            .await
            .unwrap()
            .unwrap();
        match got.event_type {
            Some(EventType::ApplicationLogEvent(e)) => assert_eq!(e.message, want),
            other => panic!("not an application log: {other:?}"),
        }
    }
    f.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_execute_and_auto_build_reach_the_runner() {
    let f = start().await;
    f.hub.build_subtask(
        "app",
        skiff_events::BuildStep::Build,
        skiff_events::Status::Succeeded,
        &Default::default(),
        None,
    );
    let mut client = f.grpc().await;
    client
        .execute(UserIntentRequest {
            intent: Some(Intent {
                build: true,
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    let taken = f.control.try_take().expect("the intent reached the runner");
    assert!(taken.build && !taken.deploy && !taken.sync && !taken.devloop);
    let state = client.get_state(()).await.unwrap().into_inner();
    assert_eq!(
        state.build_state.unwrap().artifacts["app"],
        "NotStarted",
        "a build intent resets the build state"
    );

    let err = client.auto_build(trigger(true)).await.unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert_eq!(err.message(), "auto Build is already set to true");
    assert_eq!(
        f.control.try_take(),
        None,
        "a rejected switch sends nothing"
    );

    client.auto_build(trigger(false)).await.unwrap();
    client.auto_deploy(trigger(true)).await.unwrap();
    let err = client.auto_sync(trigger(false)).await.unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert_eq!(err.message(), "auto Sync is already set to false");
    let taken = f.control.try_take().unwrap();
    assert_eq!(taken.auto_build, Some(false));
    assert_eq!(taken.auto_deploy, Some(true));
    assert_eq!(taken.auto_sync, None);
    let state = client.get_state(()).await.unwrap().into_inner();
    assert!(!state.build_state.unwrap().auto_trigger);
    assert!(state.deploy_state.unwrap().auto_trigger);
    f.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_handle_records_the_event() {
    let f = start().await;
    let mut client = f.grpc().await;
    let mut events = client.events(()).await.unwrap().into_inner();
    client
        .handle(Event {
            timestamp: None,
            event_type: Some(EventType::BuildSubtaskEvent(BuildSubtaskEvent {
                id: "web".into(),
                task_id: "Build-0".into(),
                artifact: "web".into(),
                step: "Build".into(),
                status: "InProgress".into(),
                ..Default::default()
            })),
        })
        .await
        .unwrap();
    let got = bounded("the handled event", events.message())
        .await
        .unwrap()
        .unwrap();
    assert!(got.timestamp.is_some(), "the hub stamps handled events");
    assert!(matches!(
        got.event_type,
        Some(EventType::BuildSubtaskEvent(ref e)) if e.artifact == "web"
    ));
    let state = client.get_state(()).await.unwrap().into_inner();
    assert_eq!(state.build_state.unwrap().artifacts["web"], "InProgress");
    f.server.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// HTTP gateway
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_get_state_is_gateway_json() {
    let f = start().await;
    f.hub.port_forwarded(PortForwardEvent {
        local_port: 9000,
        ..Default::default()
    });
    let r = http(f.http(), "GET", "/v2/state", "").await;
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json(), pjson::to_value(&f.hub.state(), Dialect::Gateway));
    let body = r.json();
    assert_eq!(body["buildState"]["artifacts"]["app"], "NotStarted");
    assert_eq!(body["buildState"]["autoTrigger"], true);
    assert_eq!(body["forwardedPorts"]["9000"]["task_id"], "PortForward-0");
    f.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_events_are_chunked_result_lines_replayed_then_live() {
    let f = start().await;
    f.hub.task_in_progress(Phase::Build, "Build containers");
    f.hub.emit(log_line(0));
    let (head, mut lines) = LineStream::open(f.http(), "/v2/events").await;
    assert_eq!(head.status_line, "HTTP/1.1 200 OK");
    assert_eq!(head.header("content-type"), Some("application/json"));
    assert_eq!(head.header("transfer-encoding"), Some("chunked"));
    assert_eq!(head.header("content-length"), None);

    for want in f.hub.history(Stream::Events) {
        let line = bounded("a replayed line", lines.next_line()).await.unwrap();
        assert_eq!(line, pjson::stream_result_line(want.as_ref()));
    }
    f.hub.emit(log_line(1));
    let line = bounded("a live line", lines.next_line()).await.unwrap();
    assert!(line.starts_with(r#"{"result":{"timestamp":""#), "{line}");
    assert!(
        line.contains(r#""message":"line 1 \u003c\u0026\u003e\n""#),
        "escaped like grpc-gateway: {line}"
    );
    let value: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(value["result"]["skaffoldLogEvent"]["task_id"], "Build-0");
    assert_eq!(value["result"]["skaffoldLogEvent"]["level"], "DEBUG");
    f.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_errors_have_grpc_gateway_bodies() {
    let f = start().await;
    let addr = f.http();

    let r = http(addr, "GET", "/v2/nope", "").await;
    assert_eq!(r.status_line, "HTTP/1.1 404 Not Found");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.text(), r#"{"code":5,"message":"Not Found","details":[]}"#);

    let r = http(addr, "POST", "/v2/state", "{}").await;
    assert_eq!(r.status_line, "HTTP/1.1 501 Not Implemented");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.text(),
        r#"{"code":12,"message":"Method Not Allowed","details":[]}"#
    );

    for (method, path) in [
        ("POST", "/v2/execute"),
        ("PUT", "/v2/build/auto_execute"),
        ("POST", "/v2/events/handle"),
    ] {
        let r = http(addr, method, path, "{not json").await;
        assert_eq!(r.status_line, "HTTP/1.1 400 Bad Request", "{method} {path}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        let body = r.json();
        assert_eq!(body["code"], 3, "{body}");
        assert!(!body["message"].as_str().unwrap().is_empty(), "{body}");
        assert_eq!(body["details"], json!([]));
        assert_eq!(
            body.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["code", "message", "details"]
        );
    }

    let r = http(addr, "PUT", "/v2/build/auto_execute", r#"{"enabled":true}"#).await;
    assert_eq!(r.status_line, "HTTP/1.1 409 Conflict");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.text(),
        r#"{"code":6,"message":"auto Build is already set to true","details":[]}"#
    );
    assert_eq!(f.control.try_take(), None);
    f.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_control_calls_and_handle() {
    let f = start().await;
    let addr = f.http();

    let r = http(addr, "POST", "/v2/execute", r#"{"deploy":true}"#).await;
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.text(), "{}");
    assert!(f.control.try_take().unwrap().deploy);

    let r = http(addr, "PUT", "/v2/sync/auto_execute", r#"{"enabled":true}"#).await;
    assert_eq!(
        (r.status_line.as_str(), r.text()),
        ("HTTP/1.1 200 OK", "{}")
    );
    assert_eq!(f.control.try_take().unwrap().auto_sync, Some(true));

    let event = r#"{"buildSubtaskEvent":{"id":"app","taskId":"Build-0","artifact":"app","step":"Build","status":"Failed"}}"#;
    let r = http(addr, "POST", "/v2/events/handle", event).await;
    assert_eq!(
        (r.status_line.as_str(), r.text()),
        ("HTTP/1.1 200 OK", "{}")
    );
    assert_eq!(
        f.hub.state().build_state.unwrap().artifacts["app"],
        "Failed"
    );

    // The same requests on one keep-alive connection.
    let mut conn = HttpConn::open(addr).await;
    for _ in 0..3 {
        conn.send("GET", "/v2/state", "", false).await;
        let r = conn.response().await;
        assert_eq!(r.status_line, "HTTP/1.1 200 OK");
        assert_eq!(r.json()["buildState"]["artifacts"]["app"], "Failed");
    }
    f.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_application_logs_stream() {
    let f = start().await;
    f.hub.application_log(ApplicationLogEvent {
        container_name: "app".into(),
        message: "hello\n".into(),
        ..Default::default()
    });
    let (head, mut lines) = LineStream::open(f.http(), "/v2/applicationLogs").await;
    assert_eq!(head.status_line, "HTTP/1.1 200 OK");
    assert_eq!(head.header("transfer-encoding"), Some("chunked"));
    let line = bounded("an application log line", lines.next_line())
        .await
        .unwrap();
    let value: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        value["result"]["applicationLogEvent"]["message"], "hello\n",
        "{line}"
    );
    assert_eq!(
        value["result"]["applicationLogEvent"]["containerName"],
        "app"
    );
    f.server.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Shutdown and start errors
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_open_streams_with_unavailable() {
    let f = start().await;
    f.hub.emit(log_line(0));
    let mut client = f.grpc().await;
    let mut grpc_events = client.events(()).await.unwrap().into_inner();
    let (_, mut http_events) = LineStream::open(f.http(), "/v2/events").await;
    let first = bounded("the replayed gRPC event", grpc_events.message())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(log_message(&first), "line 0 <&>\n");
    let first = bounded("the replayed HTTP line", http_events.next_line())
        .await
        .unwrap();
    assert!(first.starts_with(r#"{"result":"#));

    let shutdown = tokio::spawn(f.server.shutdown());

    let last = bounded("the HTTP error line", http_events.next_line())
        .await
        .expect("an error line before the end");
    let value: Value = serde_json::from_str(&last).unwrap();
    assert_eq!(value["error"]["code"], 14, "{last}");
    assert_eq!(
        last,
        r#"{"error":{"code":14,"message":"the skiff session has ended","details":[]}}"#
    );
    assert_eq!(
        bounded("the end of the HTTP body", http_events.next_line()).await,
        None,
        "the body ends after the error line"
    );

    let status = bounded("the gRPC stream's end", grpc_events.message())
        .await
        .expect_err("the gRPC stream ends with a status");
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(status.message(), "the skiff session has ended");

    bounded("shutdown", shutdown).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_port_is_a_start_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let hub = Hub::new(&InitialState::default(), HubLimits::default());

    let (tx, _rx) = skiff_api::control_channel();
    let err = ApiServer::start(
        ApiConfig {
            grpc_port: Some(port),
            http_port: None,
        },
        hub.clone(),
        tx,
    )
    .await
    .expect_err("the gRPC port is taken");
    assert!(matches!(err, StartError::Grpc { port: p, .. } if p == port));
    assert_eq!(
        err.to_string(),
        format!(
            "starting gRPC server: creating listener: listen tcp 127.0.0.1:{port}: bind: address already in use"
        )
    );

    let (tx, _rx) = skiff_api::control_channel();
    let err = ApiServer::start(
        ApiConfig {
            grpc_port: None,
            http_port: Some(port),
        },
        hub,
        tx,
    )
    .await
    .expect_err("the HTTP port is taken");
    assert_eq!(
        err.to_string(),
        format!(
            "starting HTTP server: creating listener: listen tcp 127.0.0.1:{port}: bind: address already in use"
        )
    );
    drop(taken);
}
