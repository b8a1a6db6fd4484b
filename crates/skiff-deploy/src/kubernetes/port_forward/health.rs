//! Whether a forward can reach a pod: each forward looks every [`HEALTH_PERIOD`]. When its
//! resource has no running pod any more, the forward leaves the `State`'s `forwardedPorts` (the
//! API has no field for a forward that is down) and a line says so; when a pod runs again, it is
//! reported again as when it started (`PortForwardEvent`, Skaffold's line). Connections in
//! between are closed, and the listener stays: no user action is needed either way.

use std::sync::Arc;
use std::time::Duration;

use kube::Client;
use skiff_events::{Output, Phase};

use super::entry::ForwardEntry;
use super::report;
use super::resolve::resolve;

/// How often a forward looks whether its resource has a running pod.
pub(super) const HEALTH_PERIOD: Duration = Duration::from_secs(1);

/// Watches the forward of `entry` on `local_port` until dropped.
pub(super) async fn watch_health(
    client: Client,
    entry: Arc<ForwardEntry>,
    local_port: u16,
    output: Output,
) {
    let mut up = true;
    loop {
        tokio::time::sleep(HEALTH_PERIOD).await;
        match (up, resolve(&client, &entry).await) {
            (true, Err(reason)) => {
                up = false;
                output.hub().update_state(|state| {
                    state.forwarded_ports.remove(&i32::from(local_port));
                });
                output.write(
                    Phase::PortForward,
                    &entry.key(),
                    &format!(
                        "Port forward {} in namespace {} is down: {reason}; it resumes when a pod \
                         runs again\n",
                        entry.key(),
                        entry.namespace
                    ),
                );
            }
            (false, Ok(_)) => {
                up = true;
                report(&output, &entry, local_port);
            }
            _ => {}
        }
    }
}
