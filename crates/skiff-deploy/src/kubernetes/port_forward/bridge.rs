//! Serves one forward: accepts local connections and carries each to the pod the forward
//! reaches at that moment, over the API server's port-forward stream.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::{Api, Client};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::entry::ForwardEntry;
use super::resolve::resolve;

/// How long to wait after the listener failed to accept before it tries again.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Accepts connections until dropped; dropping it closes the open ones too.
pub(super) async fn serve(listener: TcpListener, client: Client, entry: Arc<ForwardEntry>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((socket, _)) => {
                    connections.spawn(carry(socket, client.clone(), Arc::clone(&entry)));
                }
                Err(e) => {
                    tracing::debug!("port forward {}: accepting: {e}", entry.key());
                    tokio::time::sleep(ACCEPT_RETRY).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Carries one connection to the pod the forward reaches now; a connection that finds no pod
/// is closed (the next one looks again).
async fn carry(mut socket: TcpStream, client: Client, entry: Arc<ForwardEntry>) {
    let target = match resolve(&client, &entry).await {
        Ok(target) => target,
        Err(e) => {
            tracing::warn!("port forward {} is down: {e}", entry.key());
            return;
        }
    };
    let pods: Api<Pod> = Api::namespaced(client, &entry.namespace);
    let mut forwarder = match pods.portforward(&target.pod, &[target.port]).await {
        Ok(forwarder) => forwarder,
        Err(e) => {
            tracing::warn!(
                "port forward {} to pod {} port {}: {e}",
                entry.key(),
                target.pod,
                target.port
            );
            return;
        }
    };
    if let Some(mut upstream) = forwarder.take_stream(target.port)
        && let Err(e) = tokio::io::copy_bidirectional(&mut socket, &mut upstream).await
    {
        tracing::debug!("port forward {} to pod {}: {e}", entry.key(), target.pod);
    }
    forwarder.abort();
}
