//! The Kubernetes target as a [`Target`]: the rendered manifests server-side applied to the
//! kube context's cluster, Skaffold's status check of the run's workloads, port-forwards and
//! pod logs selected by the run id, file sync into pods, and cleanup by deleting what the
//! manifests name.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard, OnceLock};

use skiff_build::builder::BuiltImage;
use skiff_config::model::DeployHooks;
use skiff_events::{Output, Phase, SUBTASK_ID_NONE};
use skiff_render::ManifestList;

use super::apply::{ApplyOptions, ResourceRef, apply, manifest_refs};
use super::client::Connection;
use super::cluster::{Cluster, LocalSettings, detect};
use super::delete::{delete_manifests, delete_refs};
use super::helm::{HelmDeployer, HelmSettings};
use super::kubectl::{DeployHookEnv, DeployHookRunner, KubectlCli};
use super::load::ImageLoader;
use super::logs::PodLogStreamer;
use super::monitor::{Selection, StatusCheckSettings, status_check};
use super::port_forward::{PortForwardSettings, PortForwarder};
use super::sync::{PodCatchUp, PodSyncer};
use crate::DEPLOYER_SUBTASK;
use crate::DeployError;
use crate::logs::{LogPrefix, LogSettings};
use crate::sync::{ArtifactSyncHooks, SyncPlan};
use crate::target::{Background, Target, built_artifacts};

/// How the Kubernetes target deploys.
#[derive(Clone, Default)]
pub struct KubernetesSettings {
    /// The run id: the `skaffold.dev/run-id` label that selects the run's workloads.
    pub run_id: String,
    /// Where namespaced objects that name no namespace go (see
    /// [`target_namespace`](super::apply::target_namespace)).
    pub namespace: String,
    /// `--force`: re-create objects whose update the API refuses.
    pub force: bool,
    /// The status check, `None` when it is off.
    pub status_check: Option<StatusCheckSettings>,
    /// The port forwards (`--port-forward` and the config's `portForward` entries); `None`
    /// when nothing is forwarded. Their namespaces and run id are the target's.
    pub port_forward: Option<PortForwardSettings>,
    /// When a config sets `deploy.kubectl.flags`: kubectl itself applies and deletes the
    /// manifests, with those flags, instead of skiff's server-side apply.
    pub kubectl: Option<KubectlCli>,
    /// The configs' `deploy.kubectl.hooks`, run before and after each deploy.
    pub hooks: Vec<DeployHooks>,
    /// What deploy hooks get in their environment.
    pub hook_env: DeployHookEnv,
    /// The releases of each config's `deploy.helm`, installed before the manifests are applied.
    pub helm: Vec<HelmSettings>,
}

/// Deploys rendered manifests to a cluster and follows what runs there.
pub struct KubernetesTarget {
    connection: Connection,
    settings: KubernetesSettings,
    /// The namespaces objects were applied to, besides the settings' namespace.
    namespaces: Mutex<BTreeSet<String>>,
    /// The file syncer, made on first use for the namespaces deployed to by then.
    syncer: OnceLock<PodSyncer>,
    hooks: Vec<DeployHookRunner>,
    helm: Vec<HelmDeployer>,
    /// The port forwards, once started.
    forwarder: tokio::sync::Mutex<Option<PortForwarder>>,
    /// The objects of the manifests the last deploy applied.
    applied: tokio::sync::Mutex<Vec<ResourceRef>>,
    /// Loads built images into a kind or k3d cluster; `None` for other clusters.
    loader: Option<ImageLoader>,
}

impl KubernetesTarget {
    /// A target deploying through `connection` as `settings` say.
    pub fn new(connection: Connection, settings: KubernetesSettings) -> Self {
        let hooks = settings
            .hooks
            .iter()
            .map(|hooks| {
                DeployHookRunner::new(
                    hooks.clone(),
                    settings.hook_env.clone(),
                    connection.client.clone(),
                    LogPrefix::default(),
                )
            })
            .collect();
        let helm = settings
            .helm
            .iter()
            .cloned()
            .map(HelmDeployer::new)
            .collect();
        let loader = ImageLoader::for_context(&connection.context, None, &cluster(&connection));
        Self {
            loader,
            hooks,
            helm,
            connection,
            settings,
            namespaces: Mutex::default(),
            syncer: OnceLock::new(),
            forwarder: tokio::sync::Mutex::default(),
            applied: tokio::sync::Mutex::default(),
        }
    }

    /// The cluster connection.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// The settings the target was made with.
    pub fn settings(&self) -> &KubernetesSettings {
        &self.settings
    }

    /// The run's namespaces: the target namespace and every namespace applied to, sorted.
    pub fn namespaces(&self) -> Vec<String> {
        let mut all = self.applied_namespaces().clone();
        all.insert(self.settings.namespace.clone());
        all.into_iter().collect()
    }

    /// Applies `manifests`, then deletes what the previous deploy applied that they no longer
    /// name (a resource removed from the manifests between two iterations of `dev`).
    async fn apply_and_prune(
        &self,
        manifests: &ManifestList,
        output: &Output,
    ) -> Result<Vec<ResourceRef>, DeployError> {
        let mut last = self.applied.lock().await;
        let applied = self.apply(manifests, output).await?;
        let dropped: Vec<ResourceRef> = last
            .iter()
            .filter(|old| !applied.iter().any(|new| new.is_same_object(old)))
            .cloned()
            .collect();
        let pruned = delete_refs(&self.connection.client, &dropped).await?;
        let lines: String = pruned
            .iter()
            .map(|r| format!(" - {} pruned\n", r.kubectl_name()))
            .collect();
        output.write(Phase::Deploy, DEPLOYER_SUBTASK, &lines);
        last.clone_from(&applied);
        Ok(applied)
    }

    /// Applies `manifests`: through kubectl when the config gives it flags, else natively.
    async fn apply(
        &self,
        manifests: &ManifestList,
        output: &Output,
    ) -> Result<Vec<ResourceRef>, DeployError> {
        if let Some(kubectl) = &self.settings.kubectl {
            kubectl
                .apply(manifests, self.settings.force, output)
                .await?;
            return manifest_refs(manifests, &self.settings.namespace);
        }
        let options = ApplyOptions {
            namespace: self.settings.namespace.clone(),
            force: self.settings.force,
        };
        let applied = apply(&self.connection.client, manifests, &options).await?;
        let lines: String = applied
            .iter()
            .map(|r| format!(" - {} serverside-applied\n", r.kubectl_name()))
            .collect();
        output.write(Phase::Deploy, DEPLOYER_SUBTASK, &lines);
        Ok(applied)
    }

    fn syncer(&self) -> &PodSyncer {
        self.syncer.get_or_init(|| {
            PodSyncer::new(
                self.connection.client.clone(),
                &self.namespaces(),
                &self.settings.run_id,
            )
            .with_kube_context(&self.settings.hook_env.kube_context)
        })
    }

    fn applied_namespaces(&self) -> MutexGuard<'_, BTreeSet<String>> {
        // A panic while the lock was held leaves nothing half-updated worth refusing.
        self.namespaces.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What kind of cluster `connection` reaches, by Skaffold's rules with their defaults.
fn cluster(connection: &Connection) -> Cluster {
    let settings = LocalSettings {
        detect_minikube: true,
        ..LocalSettings::default()
    };
    detect(&connection.cluster_context(), &settings, None)
}

impl Target for KubernetesTarget {
    type Deployed = Vec<ResourceRef>;
    type Logs = PodLogStreamer;
    type CatchUp = PodCatchUp;

    /// Pushed unless the cluster is local (minikube, Docker Desktop, kind, k3d by the context's
    /// name), as Skaffold decides.
    fn pushes_images(&self) -> Option<bool> {
        Some(cluster(&self.connection).push_images)
    }

    fn renders_manifests(&self) -> bool {
        true
    }

    /// Runs the pre-deploy hooks, loads the images into a kind or k3d cluster, installs or
    /// upgrades the helm releases, applies
    /// `manifests` (server-side, in dependency order, printing each object as
    /// `kubectl apply --server-side` does; or through kubectl when the config gives it flags),
    /// then runs the post-deploy hooks.
    async fn deploy(
        &self,
        builds: &[BuiltImage],
        manifests: &ManifestList,
        output: &Output,
    ) -> Result<Vec<ResourceRef>, DeployError> {
        let namespaces = self.namespaces();
        for hooks in &self.hooks {
            hooks.run_before(&namespaces, output).await?;
        }
        if let Some(loader) = &self.loader {
            let tags: Vec<String> = builds.iter().map(|b| b.reference.clone()).collect();
            let env = std::env::vars().collect();
            loader
                .load(&self.connection.client, &tags, &env, output)
                .await?;
        }
        let artifacts = built_artifacts(builds);
        let mut deployed = Vec::new();
        for helm in &self.helm {
            for release in helm.deploy(&artifacts, output).await? {
                let namespace = match release.namespace.as_str() {
                    "" => &self.settings.namespace,
                    named => named,
                };
                deployed.extend(manifest_refs(&release.manifests, namespace)?);
            }
        }
        deployed.extend(self.apply_and_prune(manifests, output).await?);
        self.applied_namespaces()
            .extend(deployed.iter().filter_map(|r| r.namespace.clone()));
        let namespaces = self.namespaces();
        for hooks in &self.hooks {
            hooks.run_after(&namespaces, output).await?;
        }
        Ok(deployed)
    }

    fn checks_status(&self) -> bool {
        self.settings.status_check.is_some()
    }

    async fn status_check(
        &self,
        _deployed: &Vec<ResourceRef>,
        output: &Output,
    ) -> Result<(), DeployError> {
        let selection = Selection::run(&self.settings.run_id, self.namespaces());
        let settings = self.settings.status_check.unwrap_or_default();
        status_check(&self.connection.client, &selection, settings, output).await
    }

    fn forwards_ports(&self) -> bool {
        self.settings.port_forward.is_some()
    }

    async fn forward_ports(&self, output: &Output) -> Result<(), DeployError> {
        let Some(settings) = &self.settings.port_forward else {
            return Ok(());
        };
        let mut forwarder = self.forwarder.lock().await;
        if let Some(running) = forwarder.as_ref() {
            running.report(output);
            return Ok(());
        }
        let settings = PortForwardSettings {
            namespaces: self.namespaces(),
            run_id: self.settings.run_id.clone(),
            ..settings.clone()
        };
        *forwarder =
            Some(PortForwarder::start(self.connection.client.clone(), &settings, output).await?);
        Ok(())
    }

    async fn stop_port_forwards(&self) {
        if let Some(running) = self.forwarder.lock().await.take() {
            running.stop().await;
        }
    }

    fn follow_logs(&self, settings: LogSettings, output: Output) -> PodLogStreamer {
        PodLogStreamer::start(
            self.connection.client.clone(),
            &self.namespaces(),
            &self.settings.run_id,
            settings,
            output,
        )
    }

    /// Syncs into every container of the run's pods running the image, with the artifact's
    /// `sync.hooks` around the copy (container hooks in each of those containers).
    async fn sync(
        &self,
        built: &BuiltImage,
        plan: &SyncPlan,
        hooks: &ArtifactSyncHooks<'_>,
        output: &Output,
    ) -> Result<(), DeployError> {
        self.syncer()
            .sync_with_hooks(built, plan, hooks, output)
            .await
    }

    fn image_rebuilt(&self, image_name: &str) {
        self.syncer().image_rebuilt(image_name);
    }

    fn follow_restarts(&self, output: Output) -> PodCatchUp {
        self.syncer().follow_restarts(output)
    }

    /// Deletes the objects of `manifests` (as `kubectl delete --ignore-not-found` does, or
    /// through kubectl when the config gives it flags) and uninstalls the helm releases; with
    /// `dry_run` lists them.
    async fn cleanup(
        &self,
        manifests: &ManifestList,
        output: &Output,
        dry_run: bool,
    ) -> Result<(), DeployError> {
        for helm in &self.helm {
            helm.cleanup(output, dry_run).await?;
        }
        if let (Some(kubectl), false) = (&self.settings.kubectl, dry_run) {
            return kubectl.delete(manifests, output).await;
        }
        let lines: String = if dry_run {
            manifest_refs(manifests, &self.settings.namespace)?
                .iter()
                .map(|r| format!(" - {}\n", r.kubectl_name()))
                .collect()
        } else {
            delete_manifests(&self.connection.client, manifests, &self.settings.namespace)
                .await?
                .iter()
                .map(|r| format!(" - {} deleted\n", r.kubectl_name()))
                .collect()
        };
        output.write(Phase::Cleanup, SUBTASK_ID_NONE, &lines);
        Ok(())
    }
}
