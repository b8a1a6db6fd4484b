//! Deploying: the run's network, then for each built image listed in `deploy.docker.images` a
//! container that replaces the one deployed for it before, with its ports published.

use skiff_build::builder::BuiltImage;
use skiff_docker::{ContainerSpec, EngineError, Kill};
use skiff_events::{Output, Phase};
use skiff_proto::enums::StatusCode;
use skiff_proto::v2::{IntOrString, PortForwardEvent};

use super::naming::{base_name, candidate};
use super::sandbox::Sandbox;
use super::{CONTAINER_RESOURCE_TYPE, DeployedContainer, DockerTarget, ForwardedPort, IMAGE_LABEL};
use crate::DEPLOYER_SUBTASK;
use crate::error::{DeployError, engine_error};

/// How many taken names (`<name>-1` … ) are tried before giving up.
const MAX_NAME_ATTEMPTS: usize = 1000;

/// A published port and the `portForward` entry it came from.
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    pub(crate) resource_name: String,
    pub(crate) port: ForwardedPort,
    pub(crate) bind_ip: String,
}

impl DockerTarget {
    /// Deploys the images of `builds` listed in `deploy.docker.images` (others are skipped with
    /// a warning, as Skaffold does): each gets a container (all of them at once) from its built reference on the run's
    /// network, with an init process, Skaffold's labels and its `portForward` ports, replacing
    /// the container deployed for it before. Reports each published port as a
    /// `PortForwardEvent` and a `Forwarding container port` line.
    pub(crate) async fn deploy_containers(
        &self,
        builds: &[BuiltImage],
        output: &Output,
    ) -> Result<Vec<DeployedContainer>, DeployError> {
        self.ensure_network().await?;
        let listed = builds.iter().filter(|build| {
            let listed = self.settings.images.contains(&build.image_name);
            if !listed {
                tracing::warn!(
                    "skipping deploy for image {} since it is not listed in deploy.docker.images",
                    build.image_name
                );
            }
            listed
        });
        // The containers start together: most of a start is the engine's own work.
        futures_util::future::try_join_all(listed.map(|build| self.deploy_image(build, output)))
            .await
    }

    /// Creates the run's network unless a container this target runs is attached to it (a
    /// redeploy then skips the engine round trip; Skaffold creates it once per run).
    async fn ensure_network(&self) -> Result<(), DeployError> {
        let in_use = {
            let tracked = self.tracked();
            !(tracked.containers.is_empty() && tracked.sandboxes.is_empty())
        };
        if in_use {
            return Ok(());
        }
        self.engine
            .create_network(&self.network, &self.labels())
            .await
            .map_err(|e| {
                engine_error(
                    &format!("creating skaffold network {}", self.network),
                    &e,
                    StatusCode::DeployUnknown,
                )
            })
    }

    async fn deploy_image(
        &self,
        build: &BuiltImage,
        output: &Output,
    ) -> Result<DeployedContainer, DeployError> {
        let image = &build.image_name;
        let sandbox = self.sandbox(image).await?;
        let mut labels = self.labels();
        labels.insert(IMAGE_LABEL.to_owned(), image.clone());
        let spec = ContainerSpec {
            image: build.reference.clone(),
            labels,
            init: true,
            ..Default::default()
        };
        let (container, bindings) = match &sandbox {
            Some(sandbox) => (
                self.swap_in_sandbox(spec, sandbox, build).await?,
                sandbox.bindings.clone(),
            ),
            None => self.replace_on_network(spec, build).await?,
        };
        for binding in &bindings {
            report_forward(output, image, binding);
        }
        Ok(container)
    }

    /// Replaces the container of `build`'s image in its sandbox: the old one is renamed aside
    /// and killed while the new one is created under the image's name; the new one starts as
    /// soon as the old one's processes have been signalled (the ports they share are free
    /// when those exit, well before the new container's process runs), and the old one is
    /// removed meanwhile.
    async fn swap_in_sandbox(
        &self,
        mut spec: ContainerSpec,
        sandbox: &Sandbox,
        build: &BuiltImage,
    ) -> Result<DeployedContainer, DeployError> {
        let image = &build.image_name;
        spec.network = Some(format!("container:{}", sandbox.id));
        let base = base_name(image);
        let replaced = self.step_aside(image).await?;
        let (created, killed) = tokio::join!(
            self.create_named(spec, image, &base),
            self.kill_replaced(replaced.as_ref()),
        );
        let killed = match killed {
            Ok(killed) => killed,
            Err(e) => {
                if let Ok((_, id)) = &created
                    && let Err(e) = self.engine.remove_container(id).await
                {
                    tracing::warn!("removing container {id} of image {image}: {e}");
                }
                return Err(e);
            }
        };
        let (name, id) = created?;
        let container = self.track(build, name, id, &sandbox.bindings);
        let (started, removed) = tokio::join!(self.start(&container), self.remove_replaced(killed));
        removed?;
        started?;
        Ok(container)
    }

    /// Replaces the container of `build`'s image by one on the run's network that publishes
    /// the image's ports itself (engines without a pause image); returns it with its ports.
    async fn replace_on_network(
        &self,
        mut spec: ContainerSpec,
        build: &BuiltImage,
    ) -> Result<(DeployedContainer, Vec<Binding>), DeployError> {
        let image = &build.image_name;
        self.remove_previous(image).await?;
        let bindings = self.allocate_ports(image)?;
        spec.network = Some(self.network.clone());
        spec.ports = bindings.iter().map(Binding::published).collect();
        let (name, id) = self
            .create_named(spec, image, &base_name(image))
            .await
            .inspect_err(|_| self.tracked().ports.relinquish(image))?;
        let container = self.track(build, name, id, &bindings);
        self.start(&container).await?;
        Ok((container, bindings))
    }

    /// Tracks the container created for `build` before it starts, so a cleanup removes it
    /// whatever happens next.
    fn track(
        &self,
        build: &BuiltImage,
        name: String,
        id: String,
        bindings: &[Binding],
    ) -> DeployedContainer {
        let container = DeployedContainer {
            image_name: build.image_name.clone(),
            reference: build.reference.clone(),
            name,
            id,
            ports: bindings.iter().map(|b| b.port.clone()).collect(),
        };
        self.tracked()
            .containers
            .insert(container.image_name.clone(), container.clone());
        container
    }

    /// Starts a tracked container; one that does not start is removed.
    async fn start(&self, container: &DeployedContainer) -> Result<(), DeployError> {
        if let Err(e) = self.engine.start_container(&container.id).await {
            let error = start_error(container, &e);
            self.forget(container).await;
            return Err(error);
        }
        Ok(())
    }

    /// Renames the container this target deployed for `image` before (in a sandbox) out of
    /// the way of its successor, which takes its name; it keeps serving until
    /// [`Self::kill_replaced`]. An engine that cannot rename gets it removed instead.
    async fn step_aside(&self, image: &str) -> Result<Option<DeployedContainer>, DeployError> {
        let Some(previous) = self.tracked().containers.get(image).cloned() else {
            return Ok(None);
        };
        let short_id: String = previous.id.chars().take(12).collect();
        let aside = format!("{}-replaced-{short_id}", previous.name);
        if let Err(e) = self.engine.rename_container(&previous.id, &aside).await {
            tracing::debug!("renaming old container {}: {e}", previous.name);
            self.remove_previous(image).await?;
            return Ok(None);
        }
        Ok(Some(previous))
    }

    /// Kills the container [`Self::step_aside`] renamed, so its successor can listen on the
    /// ports they share; returns once its processes have been signalled.
    async fn kill_replaced<'a>(
        &'a self,
        replaced: Option<&'a DeployedContainer>,
    ) -> Result<Option<(&'a DeployedContainer, Kill<'a>)>, DeployError> {
        let Some(replaced) = replaced else {
            return Ok(None);
        };
        tracing::debug!(
            "stopping old container {} for image {}",
            replaced.name,
            replaced.image_name
        );
        let kill = self
            .engine
            .signal_kill(&replaced.id)
            .await
            .map_err(|e| replace_error("stop", replaced, &e))?;
        Ok(Some((replaced, kill)))
    }

    /// Removes the container [`Self::kill_replaced`] killed, once it has stopped.
    async fn remove_replaced(
        &self,
        killed: Option<(&DeployedContainer, Kill<'_>)>,
    ) -> Result<(), DeployError> {
        let Some((replaced, kill)) = killed else {
            return Ok(());
        };
        kill.stopped()
            .await
            .map_err(|e| replace_error("stop", replaced, &e))?;
        self.engine
            .remove_container(&replaced.id)
            .await
            .map_err(|e| replace_error("remove", replaced, &e))?;
        self.untrack(replaced);
        Ok(())
    }

    /// Removes the container this target deployed for `image` before, and gives back its ports.
    async fn remove_previous(&self, image: &str) -> Result<(), DeployError> {
        let previous = self.tracked().containers.get(image).cloned();
        if let Some(previous) = previous {
            tracing::debug!("removing old container {} for image {image}", previous.name);
            self.engine
                .remove_container(&previous.id)
                .await
                .map_err(|e| replace_error("remove", &previous, &e))?;
            self.untrack(&previous);
        }
        Ok(())
    }

    /// Host ports for the `portForward` entries of `image`, held until its container goes.
    pub(crate) fn allocate_ports(&self, image: &str) -> Result<Vec<Binding>, DeployError> {
        let mut tracked = self.tracked();
        let mut bindings = Vec::new();
        for request in self.port_requests.iter().filter(|r| r.is_for(image)) {
            let Some(local_port) =
                tracked
                    .ports
                    .allocate(image, &request.bind_ip, request.local_port)
            else {
                tracked.ports.relinquish(image);
                return Err(DeployError::new(
                    StatusCode::DeployUnknown,
                    format!(
                        "no free local port for container port {} of {image} on address {} \
                         (localPort {}): set portForward address to an address of this machine",
                        request.container_port, request.address, request.local_port
                    ),
                ));
            };
            bindings.push(Binding {
                resource_name: request.resource_name.clone(),
                port: ForwardedPort {
                    container_port: request.container_port,
                    address: request.address.clone(),
                    local_port,
                },
                bind_ip: request.bind_ip.to_string(),
            });
        }
        Ok(bindings)
    }

    /// Creates the container of `image` under the first name of Skaffold's sequence (`<base>`,
    /// `<base>-1`, …) no container has, and returns its name and id.
    pub(crate) async fn create_named(
        &self,
        mut spec: ContainerSpec,
        image: &str,
        base: &str,
    ) -> Result<(String, String), DeployError> {
        for attempt in 0..MAX_NAME_ATTEMPTS {
            let name = candidate(base, attempt);
            let taken = self.engine.inspect_container(&name).await.map_err(|e| {
                engine_error(
                    &format!("looking up container {name}"),
                    &e,
                    StatusCode::DeployUnknown,
                )
            })?;
            if taken.is_some() {
                continue;
            }
            spec.name = Some(name.clone());
            match self.engine.create_container(&spec).await {
                Ok(id) => {
                    if attempt > 0 {
                        tracing::debug!(
                            "container {base} already present in local daemon: using {name} instead"
                        );
                    }
                    return Ok((name, id));
                }
                // Taken since the look-up (dockerd answers 409; Podman's check above suffices).
                Err(e) if e.is_conflict() => continue,
                Err(e) => {
                    return Err(engine_error(
                        &format!("creating container {name} for image {image}"),
                        &e,
                        StatusCode::DeployUnknown,
                    ));
                }
            }
        }
        Err(DeployError::new(
            StatusCode::DeployUnknown,
            format!(
                "creating a container for image {image}: the names {base} to {} are all taken; \
                 remove some of those containers",
                candidate(base, MAX_NAME_ATTEMPTS - 1)
            ),
        ))
    }

    /// Removes a container that failed to start; it is not tracked any more either way.
    async fn forget(&self, container: &DeployedContainer) {
        if let Err(e) = self.engine.remove_container(&container.id).await {
            tracing::warn!(
                "removing container {} that did not start: {e}",
                container.name
            );
        }
        self.untrack(container);
    }

    /// Stops tracking `container` and gives back its ports (unless its sandbox holds them).
    pub(crate) fn untrack(&self, container: &DeployedContainer) {
        let mut tracked = self.tracked();
        if tracked
            .containers
            .get(&container.image_name)
            .is_some_and(|c| c.id == container.id)
        {
            tracked.containers.remove(&container.image_name);
        }
        if !tracked.sandboxes.contains_key(&container.image_name) {
            tracked.ports.relinquish(&container.image_name);
        }
    }
}

/// The error for an old container the engine would not stop or remove (`what`).
fn replace_error(what: &str, old: &DeployedContainer, err: &EngineError) -> DeployError {
    engine_error(
        &format!(
            "failed to {what} old container {} for image {}",
            old.name, old.image_name
        ),
        err,
        StatusCode::DeployUnknown,
    )
}

/// The error for a container the engine would not start, naming its ports when one of them
/// is what failed.
pub(crate) fn start_error(container: &DeployedContainer, err: &EngineError) -> DeployError {
    let what = format!(
        "starting container {} for image {}",
        container.name, container.image_name
    );
    let text = err.to_string();
    let port_taken = ["port is already allocated", "address already in use"]
        .iter()
        .any(|needle| text.contains(needle));
    if !port_taken || container.ports.is_empty() {
        return engine_error(&what, err, StatusCode::StatuscheckRunContainerErr);
    }
    let ports: Vec<String> = container
        .ports
        .iter()
        .map(|p| format!("{}:{} -> {}", p.address, p.local_port, p.container_port))
        .collect();
    DeployError::new(
        StatusCode::StatuscheckRunContainerErr,
        format!(
            "{what}: a host port it publishes ({}) is taken: {text}. Stop what holds the port, \
             or set another portForward localPort for {}",
            ports.join(", "),
            container.image_name
        ),
    )
}

/// Emits the `PortForwardEvent` of a published port and prints Skaffold's line for it.
fn report_forward(output: &Output, image: &str, binding: &Binding) {
    let port = &binding.port;
    output.hub().port_forwarded(PortForwardEvent {
        local_port: i32::from(port.local_port),
        // Skaffold's docker forwarder names the image here, not the container.
        container_name: image.to_owned(),
        resource_type: CONTAINER_RESOURCE_TYPE.to_owned(),
        resource_name: binding.resource_name.clone(),
        address: port.address.clone(),
        target_port: Some(IntOrString {
            r#type: 0,
            int_val: i32::from(port.container_port),
            str_val: String::new(),
        }),
        ..Default::default()
    });
    output.write(
        Phase::Deploy,
        DEPLOYER_SUBTASK,
        &format!(
            "[{image}] Forwarding container port {} -> local port http://{}:{}\n",
            port.container_port, port.address, port.local_port
        ),
    );
}
