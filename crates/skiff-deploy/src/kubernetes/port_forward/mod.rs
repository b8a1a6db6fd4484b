//! Port forwarding for the Kubernetes target, as Skaffold's resource forwarder does it, but
//! without a long-lived stream to one pod that dies with it.
//!
//! Each forward gets a local port by Skaffold's rules (`localPort`, else the resource port when
//! it is at least 1024, taken if free; else the next ten ports; else 4503–4533; else one the
//! system picks), a listener on it, and one `PortForwardEvent` with Skaffold's
//! `Port forwarding <type>/<name> in namespace <ns>, remote port <port> -> http://<addr>:<local>`
//! line. Every accepted connection resolves the resource again (see `resolve`): a pod that was
//! replaced is reached through its replacement, with no user action. A connection that finds no
//! running pod is closed; while the resource has none, the forward is out of the `State` (see
//! `health`).

mod bridge;
mod entry;
mod health;
mod modes;
mod resolve;

use std::sync::Arc;

use kube::Client;
use skiff_config::model::IntOrString;
use skiff_events::{Output, Phase};
use skiff_proto::enums::StatusCode;
use skiff_proto::v2::{IntOrString as ProtoIntOrString, PortForwardEvent};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::error::DeployError;
use crate::ports::PortAllocator;
use crate::target::Background;
use skiff_render::labels::run_id_selector;

pub use entry::ForwardEntry;
pub use modes::ForwardModes;

/// What is forwarded.
#[derive(Debug, Clone, Default)]
pub struct PortForwardSettings {
    /// `--port-forward`.
    pub modes: ForwardModes,
    /// The config's entries (see [`ForwardEntry::from_config`]), forwarded in `user` mode.
    pub entries: Vec<ForwardEntry>,
    /// The run's namespaces, searched in `services` and `pods` modes.
    pub namespaces: Vec<String>,
    /// The run id: the `services` and `pods` modes forward what carries its label.
    pub run_id: String,
}

/// A forward that listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardedPort {
    /// What it forwards.
    pub entry: ForwardEntry,
    /// The local port it listens on.
    pub local_port: u16,
}

/// The run's port forwards, served until stopped or dropped.
#[derive(Debug)]
pub struct PortForwarder {
    forwarded: Vec<ForwardedPort>,
    tasks: JoinSet<()>,
}

impl PortForwarder {
    /// Chooses the forwards of `settings`, listens for each and reports it through `output`.
    /// A forward whose port cannot be bound is reported and left out; finding the run's
    /// Services or pods failing is an error. Must be called within a Tokio runtime.
    pub async fn start(
        client: Client,
        settings: &PortForwardSettings,
        output: &Output,
    ) -> Result<PortForwarder, DeployError> {
        let mut forwarder = PortForwarder {
            forwarded: Vec::new(),
            tasks: JoinSet::new(),
        };
        let mut ports = PortAllocator::default();
        for entry in wanted(&client, settings).await? {
            let key = entry.key();
            let Some(local_port) = ports.allocate(&key, &entry.bind_ip, entry.wanted_local_port())
            else {
                report_failure(output, &entry, "no local port is free");
                continue;
            };
            let listener = match TcpListener::bind((entry.bind_ip, local_port)).await {
                Ok(listener) => listener,
                Err(e) => {
                    report_failure(output, &entry, &e.to_string());
                    continue;
                }
            };
            report(output, &entry, local_port);
            let served = Arc::new(entry.clone());
            forwarder
                .tasks
                .spawn(bridge::serve(listener, client.clone(), Arc::clone(&served)));
            forwarder.tasks.spawn(health::watch_health(
                client.clone(),
                served,
                local_port,
                output.clone(),
            ));
            forwarder
                .forwarded
                .push(ForwardedPort { entry, local_port });
        }
        Ok(forwarder)
    }

    /// The forwards that listen.
    pub fn forwarded(&self) -> &[ForwardedPort] {
        &self.forwarded
    }

    /// Reports every forward that listens again, as when it started (after a redeploy,
    /// which clears the forwarded ports of the `State`).
    pub fn report(&self, output: &Output) {
        for forwarded in &self.forwarded {
            report(output, &forwarded.entry, forwarded.local_port);
        }
    }
}

impl Background for PortForwarder {
    /// Stops every forward and closes its connections.
    async fn stop(mut self) {
        self.tasks.shutdown().await;
    }
}

/// The entries the modes ask for, without repeats.
async fn wanted(
    client: &Client,
    settings: &PortForwardSettings,
) -> Result<Vec<ForwardEntry>, DeployError> {
    let label = run_id_selector(&settings.run_id);
    let listing = |what: &str, e: kube::Error| {
        DeployError::new(
            StatusCode::DeployClusterConnectionErr,
            format!("retrieving {what} for automatic port forwarding: {e}"),
        )
    };
    let mut entries = Vec::new();
    if settings.modes.user {
        entries.extend(settings.entries.iter().cloned());
    }
    if settings.modes.services {
        let found = entry::services(client, &settings.namespaces, &label).await;
        entries.extend(found.map_err(|e| listing("services", e))?);
    }
    if settings.modes.pods {
        let found = entry::pod_ports(client, &settings.namespaces, &label).await;
        entries.extend(found.map_err(|e| listing("pods", e))?);
    }
    let mut unique: Vec<ForwardEntry> = Vec::new();
    for entry in entries {
        let same = |e: &ForwardEntry| {
            e.key() == entry.key() && e.namespace == entry.namespace && e.port == entry.port
        };
        if !unique.iter().any(same) {
            unique.push(entry);
        }
    }
    Ok(unique)
}

/// Emits the forward's `PortForwardEvent` and prints Skaffold's line for it.
fn report(output: &Output, entry: &ForwardEntry, local_port: u16) {
    let target_port = match &entry.port {
        IntOrString::Int(n) => ProtoIntOrString {
            r#type: 0,
            int_val: i32::try_from(*n).unwrap_or_default(),
            str_val: String::new(),
        },
        IntOrString::String(s) => ProtoIntOrString {
            r#type: 1,
            int_val: 0,
            str_val: s.clone(),
        },
    };
    let pod_mode = !entry.container.is_empty();
    output.hub().port_forwarded(PortForwardEvent {
        local_port: i32::from(local_port),
        pod_name: if pod_mode {
            entry.resource_name.clone()
        } else {
            String::new()
        },
        container_name: entry.container.clone(),
        namespace: entry.namespace.clone(),
        resource_type: entry.resource_type.clone(),
        resource_name: entry.resource_name.clone(),
        address: entry.address.clone(),
        target_port: Some(target_port),
        ..Default::default()
    });
    output.write(
        Phase::PortForward,
        &entry.key(),
        &format!(
            "Port forwarding {} in namespace {}, remote port {} -> http://{}:{local_port}\n",
            entry.key(),
            entry.namespace,
            resolve::show(&entry.port),
            entry.address,
        ),
    );
}

/// Prints why a forward could not listen.
fn report_failure(output: &Output, entry: &ForwardEntry, why: &str) {
    output.write(
        Phase::PortForward,
        &entry.key(),
        &format!("port forwarding {} failed: {why}\n", entry.key()),
    );
}
