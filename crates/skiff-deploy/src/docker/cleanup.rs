//! Cleanup: the containers this target started and the run's network, plus, as Skaffold's
//! `cleanPreviousDeployments`, what earlier runs left: containers carrying the run-id label
//! whose name is one a configured image's containers get, the network holders (sandboxes) of
//! the configured images, and the labelled networks they used. That is how `delete`, a new
//! process with a run id of its own, finds what `run` started.

use std::collections::{BTreeMap, BTreeSet};

use skiff_events::{Output, Phase, SUBTASK_ID_NONE};
use skiff_proto::enums::StatusCode;

use super::naming::{base_name, is_named_after};
use super::sandbox::SANDBOX_LABEL;
use super::{DockerTarget, RUN_ID_LABEL};
use crate::error::{DeployError, engine_error};

/// What a cleanup removes: containers and then the sandboxes they joined (id → name), and
/// networks.
struct Leftovers {
    containers: BTreeMap<String, String>,
    sandboxes: BTreeMap<String, String>,
    networks: Vec<String>,
}

impl DockerTarget {
    /// Removes what the target started and what earlier runs of the same images left. With
    /// `dry_run`, prints what would be removed and removes nothing. Objects already gone are
    /// not an error, and a network still used by containers outside the cleanup is kept.
    pub(crate) async fn remove_deployed(
        &self,
        output: &Output,
        dry_run: bool,
    ) -> Result<(), DeployError> {
        let leftovers = self.leftovers().await?;
        if dry_run {
            let listed: String = leftovers
                .containers
                .values()
                .chain(leftovers.sandboxes.values())
                .map(|name| format!(" - container/{name}\n"))
                .chain(
                    leftovers
                        .networks
                        .iter()
                        .map(|n| format!(" - network/{n}\n")),
                )
                .collect();
            if !listed.is_empty() {
                output.write(Phase::Cleanup, SUBTASK_ID_NONE, &listed);
            }
            return Ok(());
        }
        // Containers first: they live in their sandboxes' network namespaces.
        for (id, name) in leftovers.containers.iter().chain(&leftovers.sandboxes) {
            self.engine
                .remove_container(id)
                .await
                .map_err(|e| failure(&format!("removing container {name}"), &e))?;
        }
        let gone: Vec<_> = self.tracked().containers.values().cloned().collect();
        for container in &gone {
            self.untrack(container);
        }
        let holders: Vec<String> = self.tracked().sandboxes.keys().cloned().collect();
        for image in &holders {
            self.forget_sandbox(image);
        }
        for network in &leftovers.networks {
            self.engine
                .remove_network(network)
                .await
                .map_err(|e| failure(&format!("removing network {network}"), &e))?;
        }
        Ok(())
    }

    /// The containers and networks a cleanup removes.
    async fn leftovers(&self) -> Result<Leftovers, DeployError> {
        let mut containers: BTreeMap<String, String> = self
            .tracked()
            .containers
            .values()
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect();
        let bases: Vec<String> = self.settings.images.iter().map(|i| base_name(i)).collect();
        let labelled = self
            .engine
            .containers_with_label(RUN_ID_LABEL)
            .await
            .map_err(|e| failure("listing containers", &e))?;
        for container in labelled {
            if bases.iter().any(|b| is_named_after(&container.name, b)) {
                containers.insert(container.id, container.name);
            }
        }
        let sandboxes = self.sandboxes_to_remove().await?;
        let all: BTreeMap<String, String> = containers
            .iter()
            .chain(&sandboxes)
            .map(|(id, name)| (id.clone(), name.clone()))
            .collect();
        let networks = self.networks_to_remove(&all).await?;
        Ok(Leftovers {
            containers,
            sandboxes,
            networks,
        })
    }

    /// The sandboxes of the configured images: the target's and those earlier runs left.
    async fn sandboxes_to_remove(&self) -> Result<BTreeMap<String, String>, DeployError> {
        let mut sandboxes: BTreeMap<String, String> = self
            .tracked()
            .sandboxes
            .values()
            .map(|sandbox| (sandbox.id.clone(), sandbox.name.clone()))
            .collect();
        let labelled = self
            .engine
            .containers_with_label(SANDBOX_LABEL)
            .await
            .map_err(|e| failure("listing containers", &e))?;
        for container in labelled {
            let held = container.labels.get(SANDBOX_LABEL);
            if held.is_some_and(|image| self.settings.images.contains(image)) {
                sandboxes.insert(container.id, container.name);
            }
        }
        Ok(sandboxes)
    }

    /// The run's network and the labelled networks `containers` use, each kept out when a
    /// container outside `containers` is attached to it.
    async fn networks_to_remove(
        &self,
        containers: &BTreeMap<String, String>,
    ) -> Result<Vec<String>, DeployError> {
        let labelled: BTreeSet<String> = self
            .engine
            .networks_with_label(Some(RUN_ID_LABEL))
            .await
            .map_err(|e| failure("listing networks", &e))?
            .into_iter()
            .collect();
        let mut candidates = BTreeSet::from([self.network.clone()]);
        for (id, name) in containers {
            let details = self
                .engine
                .inspect_container(id)
                .await
                .map_err(|e| failure(&format!("inspecting container {name}"), &e))?;
            let used = details.map(|d| d.networks).unwrap_or_default();
            candidates.extend(used.into_iter().filter(|n| labelled.contains(n)));
        }
        let mut networks = Vec::new();
        for network in candidates {
            let attached = self
                .engine
                .network_containers(&network)
                .await
                .map_err(|e| failure(&format!("inspecting network {network}"), &e))?;
            match attached {
                None => {}
                Some(ids) if ids.iter().all(|id| containers.contains_key(id)) => {
                    networks.push(network);
                }
                Some(_) => tracing::warn!(
                    "keeping network {network}: containers skiff does not remove are attached to it"
                ),
            }
        }
        Ok(networks)
    }
}

fn failure(what: &str, err: &skiff_docker::EngineError) -> DeployError {
    engine_error(what, err, StatusCode::DeployCleanupErr)
}
