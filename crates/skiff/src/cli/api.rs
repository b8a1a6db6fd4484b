//! Reusable flag groups: the API server flags and the auto-trigger flags.
//!
//! Commands include them with `#[command(flatten)]`.

use std::path::PathBuf;

use clap::Args;

use crate::options::ApiOptions;

/// Flags of the skiff API (gRPC and HTTP/JSON) and of the event-log file.
#[derive(Debug, Clone, Default, Args)]
pub struct ApiArgs {
    /// Port of the gRPC API server on 127.0.0.1; setting it starts the API
    #[arg(long, value_name = "PORT")]
    pub rpc_port: Option<u16>,

    /// Port of the HTTP/JSON API gateway on 127.0.0.1; setting it starts the API
    #[arg(long, value_name = "PORT")]
    pub rpc_http_port: Option<u16>,

    /// Start the API server on a random port (deprecated: --rpc-port or --rpc-http-port imply it)
    #[arg(long)]
    pub enable_rpc: bool,

    /// Wait for a client to connect to the event stream before exiting
    #[arg(long)]
    pub wait_for_connection: bool,

    /// Write every event to this file, one JSON object per line
    #[arg(long, value_name = "PATH", hide = true)]
    pub event_log_file: Option<PathBuf>,

    /// Write the output of the last run to this file
    #[arg(long, value_name = "PATH", hide = true)]
    pub last_log_file: Option<PathBuf>,
}

impl ApiArgs {
    /// The validated API options. The API is enabled by `--enable-rpc` or by either port.
    pub fn to_options(&self) -> ApiOptions {
        ApiOptions {
            enabled: self.enable_rpc || self.rpc_port.is_some() || self.rpc_http_port.is_some(),
            grpc_port: self.rpc_port,
            http_port: self.rpc_http_port,
            wait_for_connection: self.wait_for_connection,
            event_log_file: self.event_log_file.clone(),
        }
    }
}

/// The `--auto-build`, `--auto-sync` and `--auto-deploy` flags: whether changes trigger
/// rebuilds, file syncs and redeploys without an explicit request (through the API).
#[derive(Debug, Clone, Args)]
pub struct TriggerArgs {
    /// When set to false, builds wait for an API request instead of running automatically
    #[arg(long, default_value_t = true)]
    pub auto_build: bool,

    /// When set to false, syncs wait for an API request instead of running automatically
    #[arg(long, default_value_t = true)]
    pub auto_sync: bool,

    /// When set to false, deploys wait for an API request instead of running automatically
    #[arg(long, default_value_t = true)]
    pub auto_deploy: bool,
}

impl Default for TriggerArgs {
    fn default() -> Self {
        TriggerArgs {
            auto_build: true,
            auto_sync: true,
            auto_deploy: true,
        }
    }
}
