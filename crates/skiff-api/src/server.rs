//! Starting and stopping the gRPC server and the HTTP gateway on loopback.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::serve::ListenerExt;
use skiff_events::Hub;
use skiff_proto::v2::skaffold_v2_service_server::SkaffoldV2ServiceServer;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::server::TcpIncoming;

use crate::control::ControlSender;
use crate::gateway;
use crate::service::ApiService;

/// How long servers get to finish in-flight requests at shutdown (as Skaffold).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Where to listen. Both servers bind `127.0.0.1`; a missing gRPC port means a random one.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiConfig {
    /// `--rpc-port`.
    pub grpc_port: Option<u16>,
    /// `--rpc-http-port`; no HTTP gateway when unset.
    pub http_port: Option<u16>,
}

/// A server that could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The gRPC listener could not be created.
    #[error("starting gRPC server: creating listener: listen tcp 127.0.0.1:{port}: {}", bind_message(.source))]
    Grpc {
        /// The requested port.
        port: u16,
        /// Why binding failed.
        source: io::Error,
    },
    /// The HTTP listener could not be created.
    #[error("starting HTTP server: creating listener: listen tcp 127.0.0.1:{port}: {}", bind_message(.source))]
    Http {
        /// The requested port.
        port: u16,
        /// Why binding failed.
        source: io::Error,
    },
}

fn bind_message(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::AddrInUse => "bind: address already in use".into(),
        io::ErrorKind::PermissionDenied => "bind: permission denied".into(),
        _ => err.to_string(),
    }
}

/// The running servers.
#[derive(Debug)]
pub struct ApiServer {
    hub: Hub,
    grpc_addr: SocketAddr,
    http_addr: Option<SocketAddr>,
    stop: Vec<oneshot::Sender<()>>,
    tasks: Vec<JoinHandle<()>>,
}

async fn bind(port: u16) -> io::Result<TcpListener> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await
}

impl ApiServer {
    /// Binds both listeners (failing before anything is served if either port is taken), then
    /// serves the v2 API over `hub`, sending control requests to `control`.
    pub async fn start(
        config: ApiConfig,
        hub: Hub,
        control: ControlSender,
    ) -> Result<Self, StartError> {
        let grpc_port = config.grpc_port.unwrap_or(0);
        let grpc_listener = bind(grpc_port).await.map_err(|source| StartError::Grpc {
            port: grpc_port,
            source,
        })?;
        let http_listener = match config.http_port {
            Some(port) => Some(
                bind(port)
                    .await
                    .map_err(|source| StartError::Http { port, source })?,
            ),
            None => None,
        };
        let grpc_addr = grpc_listener
            .local_addr()
            .map_err(|source| StartError::Grpc {
                port: grpc_port,
                source,
            })?;
        let service = ApiService::new(hub.clone(), control);
        let mut server = Self {
            hub,
            grpc_addr,
            http_addr: None,
            stop: Vec::new(),
            tasks: Vec::new(),
        };

        let (stop, stopped) = oneshot::channel::<()>();
        let incoming = TcpIncoming::from(grpc_listener).with_nodelay(Some(true));
        let grpc = tonic::transport::Server::builder()
            .add_service(SkaffoldV2ServiceServer::new(service.clone()))
            .serve_with_incoming_shutdown(incoming, async {
                let _ = stopped.await;
            });
        server.stop.push(stop);
        server.tasks.push(tokio::spawn(async move {
            if let Err(err) = grpc.await {
                tracing::warn!("gRPC server stopped: {err}");
            }
        }));
        tracing::info!("starting gRPC server on port {}", grpc_addr.port());

        if let Some(listener) = http_listener {
            let http_addr = listener.local_addr().map_err(|source| StartError::Http {
                port: config.http_port.unwrap_or_default(),
                source,
            })?;
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let (stop, stopped) = oneshot::channel::<()>();
            let http = axum::serve(listener, gateway::router(service))
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .into_future();
            server.stop.push(stop);
            server.tasks.push(tokio::spawn(async move {
                if let Err(err) = http.await {
                    tracing::warn!("HTTP server stopped: {err}");
                }
            }));
            server.http_addr = Some(http_addr);
            tracing::info!(
                "starting gRPC HTTP server on port {} (proxying to {})",
                http_addr.port(),
                grpc_addr.port()
            );
        }
        Ok(server)
    }

    /// The gRPC server's address.
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc_addr
    }

    /// The HTTP gateway's address, if it runs.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http_addr
    }

    /// Ends every stream (they close with `UNAVAILABLE` after delivering what was recorded),
    /// stops accepting requests and gives in-flight ones a second to finish.
    pub async fn shutdown(self) {
        self.hub.close();
        for stop in self.stop {
            let _ = stop.send(());
        }
        for task in self.tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout(SHUTDOWN_GRACE, task).await.is_err() {
                abort.abort();
            }
        }
    }
}
