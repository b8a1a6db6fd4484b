//! Inspecting containers and networks: the state a status check watches, and what a cleanup
//! needs to know before it removes a network.

use bollard::models::{ContainerStateStatusEnum, HealthStatusEnum};

use crate::classify::is_not_found;
use crate::engine::Engine;
use crate::error::EngineError;
use crate::transient::past_transient_states;

/// What the engine reports about one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerDetails {
    /// The container id.
    pub id: String,
    /// Its name, without the leading `/`.
    pub name: String,
    /// `created`, `running`, `restarting`, `exited`, `dead`, …
    pub status: String,
    /// The exit code of its last run (0 while it runs).
    pub exit_code: i64,
    /// How often the engine restarted it.
    pub restart_count: i64,
    /// `starting`, `healthy` or `unhealthy`; `None` when the image defines no health check.
    pub health: Option<String>,
    /// The engine's error when the container could not run, if any.
    pub error: String,
    /// The names of the networks it is attached to.
    pub networks: Vec<String>,
}

impl Engine {
    /// The container `id_or_name`, or `None` when there is no such container.
    pub async fn inspect_container(
        &self,
        id_or_name: &str,
    ) -> Result<Option<ContainerDetails>, EngineError> {
        let inspection =
            past_transient_states(|| self.client().inspect_container(id_or_name, None)).await;
        let inspected = match inspection {
            Ok(inspected) => inspected,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(EngineError::api("inspect container")(e)),
        };
        let state = inspected.state.unwrap_or_default();
        let health = state
            .health
            .and_then(|h| h.status)
            .filter(|s| !matches!(s, HealthStatusEnum::EMPTY | HealthStatusEnum::NONE))
            .map(|s| s.to_string());
        let mut networks: Vec<String> = inspected
            .network_settings
            .and_then(|n| n.networks)
            .map(|n| n.into_keys().collect())
            .unwrap_or_default();
        networks.sort();
        Ok(Some(ContainerDetails {
            id: inspected.id.unwrap_or_default(),
            name: inspected
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_owned(),
            status: state
                .status
                .unwrap_or(ContainerStateStatusEnum::EMPTY)
                .to_string(),
            exit_code: state.exit_code.unwrap_or_default(),
            restart_count: inspected.restart_count.unwrap_or_default(),
            health,
            error: state.error.unwrap_or_default(),
            networks,
        }))
    }

    /// The ids of the containers attached to network `name`, or `None` when there is no such
    /// network.
    pub async fn network_containers(&self, name: &str) -> Result<Option<Vec<String>>, EngineError> {
        match self.client().inspect_network(name, None).await {
            Ok(network) => Ok(Some(
                network
                    .containers
                    .map(|c| c.into_keys().collect())
                    .unwrap_or_default(),
            )),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(EngineError::api("inspect network")(e)),
        }
    }
}
