//! `pods/portforward` over WebSocket (`v4.channel.k8s.io`, `portforward.k8s.io`): port `i`
//! uses data channel `2i` and error channel `2i+1`, each opened by a frame carrying the port
//! number (little-endian u16). Data goes to the TCP address the test registered for the pod's
//! port; the stream ends when that connection closes or the pod is deleted.

use crate::error::{ApiError, ApiResult};
use crate::object;
use crate::query::Query;
use crate::state::{Shared, lock};
use crate::store::{EventType, Signal};
use crate::ws::{self, Outbox, Socket};
use axum::extract::Request;
use axum::response::Response;
use futures_util::StreamExt;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::broadcast;
use tokio::task::JoinSet;

/// The subprotocols port-forward accepts.
const PROTOCOLS: [&str; 2] = ["v4.channel.k8s.io", "portforward.k8s.io"];

/// One forwarded pod port.
struct Forward {
    port: u16,
    target: Option<SocketAddr>,
}

/// The pod a session forwards to.
struct PodId {
    display: String,
    uid: String,
}

/// `GET|POST /api/v1/namespaces/<ns>/pods/<name>/portforward?ports=…`.
pub fn pod_portforward(
    shared: &Shared,
    namespace: &str,
    name: &str,
    query: &Query,
    request: &mut Request,
) -> ApiResult<Response> {
    let ports = query
        .all("ports")
        .iter()
        .flat_map(|p| p.split(','))
        .map(|p| {
            p.trim()
                .parse::<u16>()
                .map_err(|_| ApiError::bad_request(format!("invalid port \"{p}\"")))
        })
        .collect::<ApiResult<Vec<u16>>>()?;
    if ports.is_empty() {
        return Err(ApiError::bad_request("at least one port must be specified"));
    }
    let store = lock(&shared.store);
    let pod = crate::pods::stored(&store, namespace, name)?;
    let phase = pod
        .pointer("/status/phase")
        .and_then(|p| p.as_str())
        .unwrap_or_default();
    if phase != "Running" {
        return Err(ApiError::bad_request(format!(
            "unable to forward port: pod {name} is not running (phase {phase})"
        )));
    }
    let script = lock(&shared.script);
    let forwards: Vec<Forward> = ports
        .iter()
        .map(|&port| Forward {
            port,
            target: script.forward_target(namespace, name, port),
        })
        .collect();
    let pod_id = PodId {
        display: format!("{namespace}/{name}"),
        uid: object::uid(pod).to_string(),
    };
    let changes = store.subscribe();
    ws::upgrade(request, &PROTOCOLS, move |socket, _| {
        session(socket, forwards, pod_id, changes)
    })
}

async fn session(
    socket: Socket,
    forwards: Vec<Forward>,
    pod: PodId,
    mut changes: broadcast::Receiver<Signal>,
) {
    let (out, mut inbox) = ws::split(socket);
    let mut writers: Vec<Option<OwnedWriteHalf>> = Vec::new();
    let mut pumps = JoinSet::new();
    for (index, forward) in forwards.iter().enumerate() {
        let data = (2 * index) as u8;
        let header = forward.port.to_le_bytes();
        out.send(data, &header).await;
        out.send(data + 1, &header).await;
        match connect(forward, &pod).await {
            Ok(stream) => {
                let (reader, writer) = stream.into_split();
                writers.push(Some(writer));
                pumps.spawn(pump(reader, out.clone(), data));
            }
            Err(message) => {
                writers.push(None);
                out.send(data + 1, message.as_bytes()).await;
            }
        }
    }
    loop {
        tokio::select! {
            message = inbox.next() => match message {
                Some(Ok(message)) if message.is_close() => break,
                Some(Ok(message)) => {
                    if let Some((channel, data)) = ws::frame(&message)
                        && channel % 2 == 0
                        && let Some(Some(writer)) = writers.get_mut(usize::from(channel / 2))
                        && writer.write_all(data).await.is_err()
                    {
                        writers[usize::from(channel / 2)] = None;
                    }
                }
                _ => break,
            },
            Some(_) = pumps.join_next() => {
                if pumps.is_empty() {
                    break;
                }
            }
            signal = changes.recv() => match signal {
                Ok(Signal::Change(c)) if c.event == EventType::Deleted && object::uid(&c.object) == pod.uid => {
                    for (index, forward) in forwards.iter().enumerate() {
                        let message = format!("error forwarding port {} to pod {}: pod deleted", forward.port, pod.display);
                        out.send((2 * index + 1) as u8, message.as_bytes()).await;
                    }
                    break;
                }
                Err(broadcast::error::RecvError::Closed) => break,
                _ => {}
            },
        }
    }
    pumps.abort_all();
    out.close().await;
}

async fn connect(forward: &Forward, pod: &PodId) -> Result<TcpStream, String> {
    let prefix = format!(
        "error forwarding port {} to pod {}",
        forward.port, pod.display
    );
    let Some(target) = forward.target else {
        return Err(format!(
            "{prefix}: no target registered for this port (FakeCluster::forward_port)"
        ));
    };
    TcpStream::connect(target)
        .await
        .map_err(|err| format!("{prefix}: {err}"))
}

async fn pump(mut reader: OwnedReadHalf, out: Outbox, channel: u8) {
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n) = reader.read(&mut buf).await {
        if n == 0 || !out.send(channel, &buf[..n]).await {
            break;
        }
    }
}
