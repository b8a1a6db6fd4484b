//! Networks and label queries: what the docker target creates for a run and finds again to
//! clean up.

use std::collections::HashMap;

use bollard::models::NetworkCreateRequest;
use bollard::query_parameters::{ListContainersOptionsBuilder, ListNetworksOptionsBuilder};

use crate::classify::is_not_found;
use crate::engine::Engine;
use crate::error::EngineError;
use crate::transient::past_transient_states;

/// A container found by label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabeledContainer {
    /// The container id.
    pub id: String,
    /// Its name, without the leading `/`.
    pub name: String,
    /// Its image reference as created.
    pub image: String,
    /// `created`, `running`, `exited`, …
    pub state: String,
    /// Its labels.
    pub labels: HashMap<String, String>,
}

impl Engine {
    /// Creates a bridge network with `labels`; an existing network of that name is reused.
    pub async fn create_network(
        &self,
        name: &str,
        labels: &HashMap<String, String>,
    ) -> Result<(), EngineError> {
        if self.network_exists(name).await? {
            return Ok(());
        }
        let request = NetworkCreateRequest {
            name: name.to_owned(),
            labels: Some(labels.clone()),
            ..Default::default()
        };
        self.client()
            .create_network(request)
            .await
            .map(|_| ())
            .map_err(EngineError::api("create network"))
    }

    /// Whether a network of that name exists.
    pub async fn network_exists(&self, name: &str) -> Result<bool, EngineError> {
        Ok(self
            .networks_with_label(None)
            .await?
            .iter()
            .any(|n| n == name))
    }

    /// Removes a network; one that is already gone is not an error.
    pub async fn remove_network(&self, name: &str) -> Result<(), EngineError> {
        match self.client().remove_network(name).await {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(EngineError::api("remove network")(e)),
        }
    }

    /// The names of the networks carrying `label` (`key` or `key=value`), or all networks.
    pub async fn networks_with_label(
        &self,
        label: Option<&str>,
    ) -> Result<Vec<String>, EngineError> {
        let mut filters: HashMap<&str, Vec<&str>> = HashMap::new();
        if let Some(label) = label {
            filters.insert("label", vec![label]);
        }
        let options = ListNetworksOptionsBuilder::default()
            .filters(&filters)
            .build();
        let networks = self
            .client()
            .list_networks(Some(options))
            .await
            .map_err(EngineError::api("list networks"))?;
        Ok(networks.into_iter().filter_map(|n| n.name).collect())
    }

    /// The containers, running or not, carrying `label` (`key` or `key=value`). While Podman
    /// reports one of them in a state it only passes through, the listing is repeated.
    pub async fn containers_with_label(
        &self,
        label: &str,
    ) -> Result<Vec<LabeledContainer>, EngineError> {
        let filters: HashMap<&str, Vec<&str>> = [("label", vec![label])].into();
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let containers =
            past_transient_states(|| self.client().list_containers(Some(options.clone())))
                .await
                .map_err(EngineError::api("list containers"))?;
        Ok(containers
            .into_iter()
            .map(|c| LabeledContainer {
                id: c.id.unwrap_or_default(),
                name: c
                    .names
                    .unwrap_or_default()
                    .first()
                    .map(|n| n.trim_start_matches('/').to_owned())
                    .unwrap_or_default(),
                image: c.image.unwrap_or_default(),
                state: c.state.map(|s| s.to_string()).unwrap_or_default(),
                labels: c.labels.unwrap_or_default(),
            })
            .collect())
    }
}
