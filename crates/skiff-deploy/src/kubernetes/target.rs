//! The Kubernetes target as a [`Target`]: the rendered manifests server-side applied to the
//! kube context's cluster, Skaffold's status check of the run's workloads, port-forwards and
//! pod logs selected by the run id, file sync into pods, and cleanup by deleting what the
//! manifests name.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard, OnceLock};

use skiff_build::builder::BuiltImage;
use skiff_events::{Output, Phase, SUBTASK_ID_NONE};
use skiff_render::ManifestList;

use super::apply::{ApplyOptions, ResourceRef, apply, manifest_refs};
use super::client::Connection;
use super::delete::delete_manifests;
use super::logs::PodLogStreamer;
use super::monitor::{Selection, StatusCheckSettings, status_check};
use super::port_forward::{PortForwardSettings, PortForwarder};
use super::sync::{PodCatchUp, PodSyncer};
use crate::DeployError;
use crate::docker::sync::ArtifactSyncHooks;
use crate::logs::LogSettings;
use crate::sync::SyncPlan;
use crate::target::Target;

/// The deployer index of the Kubernetes target in deploy subtask output.
const SUBTASK: &str = "0";

/// How the Kubernetes target deploys.
#[derive(Debug, Clone, Default)]
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
}

/// Deploys rendered manifests to a cluster and follows what runs there.
#[derive(Debug)]
pub struct KubernetesTarget {
    connection: Connection,
    settings: KubernetesSettings,
    /// The namespaces objects were applied to, besides the settings' namespace.
    namespaces: Mutex<BTreeSet<String>>,
    /// The file syncer, made on first use for the namespaces deployed to by then.
    syncer: OnceLock<PodSyncer>,
}

impl KubernetesTarget {
    /// A target deploying through `connection` as `settings` say.
    pub fn new(connection: Connection, settings: KubernetesSettings) -> Self {
        Self {
            connection,
            settings,
            namespaces: Mutex::default(),
            syncer: OnceLock::new(),
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

    fn syncer(&self) -> &PodSyncer {
        self.syncer.get_or_init(|| {
            PodSyncer::new(
                self.connection.client.clone(),
                &self.namespaces(),
                &self.settings.run_id,
            )
        })
    }

    fn applied_namespaces(&self) -> MutexGuard<'_, BTreeSet<String>> {
        // A panic while the lock was held leaves nothing half-updated worth refusing.
        self.namespaces.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Target for KubernetesTarget {
    type Deployed = Vec<ResourceRef>;
    type Logs = PodLogStreamer;
    type Forwards = Option<PortForwarder>;
    type CatchUp = PodCatchUp;

    fn renders_manifests(&self) -> bool {
        true
    }

    /// Server-side applies `manifests` (dependency order, field manager `skaffold`) and
    /// prints each object as `kubectl apply --server-side` does.
    async fn deploy(
        &self,
        _builds: &[BuiltImage],
        manifests: &ManifestList,
        output: &Output,
    ) -> Result<Vec<ResourceRef>, DeployError> {
        let options = ApplyOptions {
            namespace: self.settings.namespace.clone(),
            force: self.settings.force,
        };
        let applied = apply(&self.connection.client, manifests, &options).await?;
        let lines: String = applied
            .iter()
            .map(|r| format!(" - {} serverside-applied\n", r.kubectl_name()))
            .collect();
        output.write(Phase::Deploy, SUBTASK, &lines);
        self.applied_namespaces()
            .extend(applied.iter().filter_map(|r| r.namespace.clone()));
        Ok(applied)
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

    async fn forward_ports(&self, output: &Output) -> Result<Option<PortForwarder>, DeployError> {
        let Some(settings) = &self.settings.port_forward else {
            return Ok(None);
        };
        let settings = PortForwardSettings {
            namespaces: self.namespaces(),
            run_id: self.settings.run_id.clone(),
            ..settings.clone()
        };
        PortForwarder::start(self.connection.client.clone(), &settings, output)
            .await
            .map(Some)
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

    /// Syncs into every container of the run's pods running the image. The artifact's
    /// `sync.hooks` are not run in pods: a warning says so.
    async fn sync(
        &self,
        built: &BuiltImage,
        plan: &SyncPlan,
        hooks: &ArtifactSyncHooks<'_>,
        output: &Output,
    ) -> Result<(), DeployError> {
        if !(hooks.hooks.before.is_empty() && hooks.hooks.after.is_empty()) {
            tracing::warn!(
                "sync.hooks of {} are not run on the Kubernetes target; only the files are synced",
                built.image_name
            );
        }
        self.syncer().sync(built, plan, output).await
    }

    fn image_rebuilt(&self, image_name: &str) {
        self.syncer().image_rebuilt(image_name);
    }

    fn follow_restarts(&self, output: Output) -> PodCatchUp {
        self.syncer().follow_restarts(output)
    }

    /// Deletes the objects of `manifests` (as `kubectl delete --ignore-not-found` does), or
    /// with `dry_run` lists them.
    async fn cleanup(
        &self,
        manifests: &ManifestList,
        output: &Output,
        dry_run: bool,
    ) -> Result<(), DeployError> {
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
