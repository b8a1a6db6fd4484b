//! The API's lifetime around a command: start the servers before the command runs, and at the
//! end wait for a client if asked, stop the servers and write the event-log file.

use std::path::PathBuf;

use skiff_api::{ApiConfig, ApiServer, ControlReceiver};
use skiff_events::Hub;

use crate::options::ApiOptions;

/// The running API of one command, or nothing when the API is off.
#[derive(Debug)]
pub struct ApiSession {
    server: Option<ApiServer>,
    hub: Hub,
    wait_for_connection: bool,
    event_log_file: Option<PathBuf>,
}

impl ApiSession {
    /// Starts the servers when `opts.enabled`; returns the session and the control receiver the
    /// runner reads client intents from.
    pub async fn start(opts: &ApiOptions, hub: &Hub) -> anyhow::Result<(Self, ControlReceiver)> {
        let (control, receiver) = skiff_api::control_channel();
        let server = if opts.enabled {
            let config = ApiConfig {
                grpc_port: opts.grpc_port,
                http_port: opts.http_port,
            };
            let server = ApiServer::start(config, hub.clone(), control)
                .await
                .map_err(|err| anyhow::anyhow!("initializing api server: {err}"))?;
            if opts.grpc_port.is_none() && opts.http_port.is_none() {
                tracing::warn!(
                    "started skaffold gRPC API on random port {}",
                    server.grpc_addr().port()
                );
            }
            Some(server)
        } else {
            None
        };
        let session = Self {
            server,
            hub: hub.clone(),
            wait_for_connection: opts.wait_for_connection,
            event_log_file: opts.event_log_file.clone(),
        };
        Ok((session, receiver))
    }

    /// Ends the session: waits for an `Events` client if `--wait-for-connection`, stops the
    /// servers (open streams end with `UNAVAILABLE`) and appends the history to `<F>.v2` for
    /// `--event-log-file F`. Like Skaffold, the file is written only when the API ran.
    pub async fn finish(self) -> anyhow::Result<()> {
        let Some(server) = self.server else {
            return Ok(());
        };
        if self.wait_for_connection {
            tracing::info!("waiting for a client to connect to the event stream");
            self.hub.wait_for_events_subscriber().await;
        }
        server.shutdown().await;
        if let Some(base) = &self.event_log_file {
            let path = skiff_events::event_log::append_v2(&self.hub, base)
                .map_err(|err| anyhow::anyhow!("writing event log {}.v2: {err}", base.display()))?;
            tracing::debug!("wrote event log {}", path.display());
        }
        Ok(())
    }
}
