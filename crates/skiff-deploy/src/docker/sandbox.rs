//! The network holder of each deployed image, as a Kubernetes pod's pause container: a tiny
//! container of skiff's pause image that joins the run's network under the image's container
//! name and publishes its `portForward` ports, and whose network namespace the image's
//! container joins. A redeploy then replaces only the image's container: joining a namespace
//! that exists costs the engine a fraction of setting a new one up (here ~70 ms to start
//! instead of ~250 ms, ~45 ms to remove instead of ~140 ms), and the published ports and the
//! address never change, so a client probing during the swap is not sent to a stale address.
//!
//! Where the engine's architecture has no pause program, images' containers hold their own
//! network and ports, as Skaffold's do.

use skiff_docker::{ContainerSpec, PublishedPort};
use skiff_proto::enums::StatusCode;

use super::deploy::{Binding, start_error};
use super::naming::base_name;
use super::{DeployedContainer, DockerTarget};
use crate::error::{DeployError, engine_error};

/// The label naming the image a sandbox holds the network of.
pub const SANDBOX_LABEL: &str = "skiff.dev/sandbox";

/// The network holder of one image.
#[derive(Debug, Clone)]
pub(crate) struct Sandbox {
    /// Its container id.
    pub(crate) id: String,
    /// Its name: `<container name>-sandbox`, or `<container name>-sandbox-1`, … when taken.
    pub(crate) name: String,
    /// The ports it publishes.
    pub(crate) bindings: Vec<Binding>,
}

/// The name the sandbox of `image` gets when it is free: `<container name>-sandbox`.
pub(crate) fn sandbox_name(image: &str) -> String {
    format!("{}-sandbox", base_name(image))
}

impl DockerTarget {
    /// The sandbox of `image`: the one the target runs, else a new one on the run's network
    /// (named and aliased after the image's container, publishing its ports). `None` when
    /// the engine has no pause image.
    pub(crate) async fn sandbox(&self, image: &str) -> Result<Option<Sandbox>, DeployError> {
        if let Some(running) = self.tracked().sandboxes.get(image) {
            return Ok(Some(running.clone()));
        }
        let Some(pause) = self.pause_image().await? else {
            return Ok(None);
        };
        let bindings = self.allocate_ports(image)?;
        let mut labels = self.custom_labels();
        labels.insert(SANDBOX_LABEL.to_owned(), image.to_owned());
        let spec = ContainerSpec {
            image: pause,
            labels,
            network: Some(self.network.clone()),
            network_aliases: vec![base_name(image)],
            ports: bindings.iter().map(Binding::published).collect(),
            ..Default::default()
        };
        let created = self.create_named(spec, image, &sandbox_name(image)).await;
        let (name, id) = match created {
            Ok(created) => created,
            Err(err) => {
                self.tracked().ports.relinquish(image);
                return Err(err);
            }
        };
        let sandbox = Sandbox {
            id,
            name: name.clone(),
            bindings,
        };
        self.tracked()
            .sandboxes
            .insert(image.to_owned(), sandbox.clone());
        if let Err(e) = self.engine.start_container(&sandbox.id).await {
            let holder = DeployedContainer {
                image_name: image.to_owned(),
                reference: String::new(),
                name,
                id: sandbox.id.clone(),
                ports: sandbox.bindings.iter().map(|b| b.port.clone()).collect(),
            };
            let error = start_error(&holder, &e);
            self.remove_sandbox(image).await;
            return Err(error);
        }
        Ok(Some(sandbox))
    }

    /// The pause image, looked up (and built) once.
    async fn pause_image(&self) -> Result<Option<String>, DeployError> {
        self.pause
            .get_or_try_init(|| async {
                self.engine.pause_image().await.map_err(|e| {
                    engine_error(
                        "building skiff's pause image",
                        &e,
                        StatusCode::DeployUnknown,
                    )
                })
            })
            .await
            .cloned()
    }

    /// Removes the sandbox of `image`, if the target runs one, and gives back its ports.
    async fn remove_sandbox(&self, image: &str) {
        if let Some(sandbox) = self.forget_sandbox(image)
            && let Err(e) = self.engine.remove_container(&sandbox.id).await
        {
            tracing::warn!("removing the network holder of image {image}: {e}");
        }
    }

    /// Stops tracking the sandbox of `image` and gives back its ports; returns it.
    pub(crate) fn forget_sandbox(&self, image: &str) -> Option<Sandbox> {
        let mut tracked = self.tracked();
        let removed = tracked.sandboxes.remove(image);
        if removed.is_some() {
            tracked.ports.relinquish(image);
        }
        removed
    }
}

impl Binding {
    /// The engine's port binding.
    pub(crate) fn published(&self) -> PublishedPort {
        PublishedPort {
            container_port: self.port.container_port,
            protocol: "tcp".to_owned(),
            host_ip: self.bind_ip.clone(),
            host_port: self.port.local_port,
        }
    }
}
