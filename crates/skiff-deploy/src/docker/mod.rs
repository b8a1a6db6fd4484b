//! The docker target: one container per deployed image on a network of the run, through the
//! Engine API (dockerd or Podman's compatible socket), as Skaffold's docker deployer
//! (`deploy.docker`) runs them, plus a status check Skaffold does not have.

mod cleanup;
mod deploy;
pub mod logs;
mod naming;
mod ports;
mod sandbox;
mod status;
pub mod sync;
mod target;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use skiff_config::model::PortForwardResource;
use skiff_docker::Engine;
use skiff_proto::enums::StatusCode;

use crate::error::DeployError;
use crate::ports::PortAllocator;
use ports::PortRequest;

pub use ports::CONTAINER_RESOURCE_TYPE;
pub use sandbox::SANDBOX_LABEL;
pub use status::STABLE_AFTER;

pub use skiff_render::labels::{RUN_ID_LABEL, run_id_selector};

/// The label naming the artifact image a container was deployed from.
pub const IMAGE_LABEL: &str = "skiff.dev/image";

/// The name of the network a run's containers share: `skaffold-network-<runID>`.
pub fn network_name(run_id: &str) -> String {
    format!("skaffold-network-{run_id}")
}

/// What the docker target deploys and how.
#[derive(Debug, Clone, Default)]
pub struct DockerSettings {
    /// The run id (`skaffold.dev/run-id` label, network name).
    pub run_id: String,
    /// `deploy.docker.images`: the images to run; other built images are skipped.
    pub images: Vec<String>,
    /// `deploy.docker.useCompose` (not supported).
    pub use_compose: bool,
    /// `portForward`: the entries of type `container` are published.
    pub port_forward: Vec<PortForwardResource>,
    /// `-l/--label` labels, added to every container and the network.
    pub labels: BTreeMap<String, String>,
    /// The status check, or `None` when it is off.
    pub status_check: Option<StatusCheckSettings>,
}

/// Skaffold's status-check deadline when no config sets `statusCheckDeadlineSeconds`.
pub use crate::kubernetes::status::DEFAULT_DEADLINE as DEFAULT_STATUS_CHECK_DEADLINE;

/// How the status check runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusCheckSettings {
    /// How long the containers have to become stable.
    pub deadline: Duration,
}

/// A container the target started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployedContainer {
    /// The image name it was deployed for.
    pub image_name: String,
    /// The image reference it runs.
    pub reference: String,
    /// Its name.
    pub name: String,
    /// Its id.
    pub id: String,
    /// Its published ports.
    pub ports: Vec<ForwardedPort>,
}

impl DeployedContainer {
    /// The status-check resource id: `container/<name>`.
    pub fn resource(&self) -> String {
        format!("container/{}", self.name)
    }
}

/// A container port published on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardedPort {
    /// The port inside the container.
    pub container_port: u16,
    /// The address as configured (`127.0.0.1` by default).
    pub address: String,
    /// The host port.
    pub local_port: u16,
}

/// What the target keeps between calls: the containers it runs and the ports they hold.
#[derive(Debug, Default)]
struct Tracked {
    containers: BTreeMap<String, DeployedContainer>,
    /// By image name, the network holder its containers join.
    sandboxes: BTreeMap<String, sandbox::Sandbox>,
    ports: PortAllocator,
}

/// Deploys built images as containers on a local engine, checks that they came up, and
/// removes them again.
#[derive(Debug)]
pub struct DockerTarget {
    engine: Engine,
    settings: DockerSettings,
    network: String,
    port_requests: Vec<PortRequest>,
    tracked: Mutex<Tracked>,
    syncer: sync::Syncer,
    /// skiff's pause image, once looked up (`None`: the engine's architecture has none).
    pause: tokio::sync::OnceCell<Option<String>>,
}

impl DockerTarget {
    /// A target deploying with `engine` as `settings` say. Fails for `useCompose` and for
    /// `portForward` entries that cannot be published.
    pub fn new(engine: Engine, settings: DockerSettings) -> Result<Self, DeployError> {
        if settings.use_compose {
            return Err(DeployError::new(
                StatusCode::InitCreateDeployerError,
                "deploy.docker.useCompose is not supported by skiff: list the images to run in \
                 deploy.docker.images and set useCompose to false",
            ));
        }
        let port_requests = PortRequest::from_config(&settings.port_forward)?;
        Ok(Self {
            syncer: sync::Syncer::new(engine.clone()),
            engine,
            network: network_name(&settings.run_id),
            settings,
            port_requests,
            tracked: Mutex::default(),
            pause: tokio::sync::OnceCell::new(),
        })
    }

    /// The settings the target was made with.
    pub fn settings(&self) -> &DockerSettings {
        &self.settings
    }

    /// The containers the target runs now, by image name.
    pub fn containers(&self) -> Vec<DeployedContainer> {
        self.tracked().containers.values().cloned().collect()
    }

    /// Skaffold's labels: the run id, then the `-l` labels (which may override it).
    fn labels(&self) -> HashMap<String, String> {
        let mut labels = HashMap::from([(RUN_ID_LABEL.to_owned(), self.settings.run_id.clone())]);
        labels.extend(self.custom_labels());
        labels
    }

    /// The `-l` labels.
    fn custom_labels(&self) -> HashMap<String, String> {
        self.settings.labels.clone().into_iter().collect()
    }

    fn tracked(&self) -> MutexGuard<'_, Tracked> {
        // A panic while the lock was held leaves nothing half-updated worth refusing.
        self.tracked.lock().unwrap_or_else(|e| e.into_inner())
    }
}
