//! WebSocket upgrades for exec and port-forward, and the channel framing both use: every binary
//! message starts with one channel byte.

use crate::error::{ApiError, ApiResult};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::Response;
use futures_util::SinkExt;
use futures_util::stream::{SplitStream, StreamExt};
use hyper_util::rt::TokioIo;
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};

/// An upgraded connection.
pub type Socket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// Incoming messages of a split socket.
pub type Inbox = SplitStream<Socket>;

/// Accepts a WebSocket upgrade with the first subprotocol the client offers that is in
/// `supported`, and runs `session` on the socket once the upgrade completes.
pub fn upgrade<F, Fut>(request: &mut Request, supported: &[&str], session: F) -> ApiResult<Response>
where
    F: FnOnce(Socket, String) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let headers = request.headers();
    let value = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let is_websocket = value(header::UPGRADE).is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    let (true, Some(key)) = (is_websocket, value(header::SEC_WEBSOCKET_KEY)) else {
        return Err(ApiError::bad_request(
            "Upgrade request required: this fake serves exec and port-forward over WebSocket only",
        ));
    };
    let offered = value(header::SEC_WEBSOCKET_PROTOCOL).unwrap_or_default();
    let Some(protocol) = offered
        .split(',')
        .map(str::trim)
        .find(|p| supported.contains(p))
        .map(str::to_string)
    else {
        return Err(ApiError::bad_request(format!(
            "unable to upgrade connection: none of the offered subprotocols [{offered}] is supported ({})",
            supported.join(", ")
        )));
    };
    let on_upgrade = hyper::upgrade::on(request);
    let chosen = protocol.clone();
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let socket =
                    WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None)
                        .await;
                session(socket, chosen).await;
            }
            Err(err) => tracing::debug!("websocket upgrade failed: {err}"),
        }
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::UPGRADE, "websocket")
        .header(header::CONNECTION, "Upgrade")
        .header(
            header::SEC_WEBSOCKET_ACCEPT,
            derive_accept_key(key.as_bytes()),
        )
        .header(header::SEC_WEBSOCKET_PROTOCOL, protocol)
        .body(Body::empty())
        .map_err(|err| ApiError::bad_request(err.to_string()))
}

/// The sending side of a socket: channel-prefixed frames, written by one task in order.
#[derive(Clone)]
pub struct Outbox(mpsc::Sender<Message>);

impl Outbox {
    /// Sends `data` on `channel`; `false` once the client is gone.
    pub async fn send(&self, channel: u8, data: &[u8]) -> bool {
        let mut frame = Vec::with_capacity(data.len() + 1);
        frame.push(channel);
        frame.extend_from_slice(data);
        self.0.send(Message::binary(frame)).await.is_ok()
    }

    /// Closes the socket (normal closure, 1000) after everything sent before.
    pub async fn close(&self) {
        let frame = CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        };
        // The writer is already gone if the client hung up.
        let _ = self.0.send(Message::Close(Some(frame))).await;
    }
}

/// Splits a socket into an [`Outbox`] (with its writer task) and the incoming messages.
pub fn split(socket: Socket) -> (Outbox, Inbox) {
    let (mut sink, stream) = socket.split();
    let (tx, mut rx) = mpsc::channel::<Message>(64);
    tokio::spawn(async move {
        while let Some(message) = rx.recv().await {
            let closing = message.is_close();
            if sink.send(message).await.is_err() || closing {
                break;
            }
        }
        // Best effort: the peer may already have closed the transport.
        let _ = sink.close().await;
    });
    (Outbox(tx), stream)
}

/// The channel and payload of an incoming binary frame.
pub fn frame(message: &Message) -> Option<(u8, &[u8])> {
    match message {
        Message::Binary(data) => data.split_first().map(|(ch, rest)| (*ch, rest)),
        _ => None,
    }
}
