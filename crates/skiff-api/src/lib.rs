//! Skaffold's v2 event/control API (`proto.v2.SkaffoldV2Service`) over the event hub: a tonic
//! gRPC server and an axum HTTP/JSON gateway with grpc-gateway's wire format, plus the control
//! channel that carries client intents to the runner.

pub mod control;
pub mod gateway;
mod server;
pub mod service;

pub use control::{ControlReceiver, ControlRequests, ControlSender, channel as control_channel};
pub use server::{ApiConfig, ApiServer, StartError};
pub use service::ApiService;
