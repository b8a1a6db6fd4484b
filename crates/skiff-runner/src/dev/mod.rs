//! The dev loop (`skiff dev`): build, test and deploy once, then watch the sources and, on every
//! change, sync the files an artifact's sync rules cover into its running container, or
//! rebuild and redeploy what changed — as API clients allow (auto triggers and intents).
//!
//! The loop is watchexec-shaped: the watcher sends debounced batches of changes, API intents
//! arrive on the control channel, and one planner decides per wake-up what to do. A failed
//! build or deploy is reported (`DevLoop-N` Failed) and the loop waits for the next change with
//! the last good containers still running; a change of the config file ends the loop so the
//! caller can restart it with the new config.

pub mod changes;
pub mod intents;
mod prune;
mod watch_plan;
mod watching;
mod working_dirs;

pub use prune::{ImagePruning, ImagesToPrune};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use skiff_api::ControlReceiver;
use skiff_build::builder::BuiltImage;
use skiff_build::hooks::StaticHookEnv;
use skiff_config::SkaffoldConfig;
use skiff_deploy::logs::LogSettings;
use skiff_deploy::sync::ArtifactSyncHooks;
use skiff_deploy::sync::{SyncPlan, plan_sync, sync_ignored_warning};
use skiff_deploy::{Background, Target};
use skiff_docker::Engine;
use skiff_events::{Output, Phase, errors};
use skiff_proto::v2::Metadata;
use skiff_watch::{FileChange, Trigger, Watcher};

use crate::build::{BuildOptions, ConfiguredArtifact, artifacts, build};
use crate::deploy::{DeployOptions, ManifestSource, deploy, forward_ports};
use crate::error::PipelineError;
use crate::test::test;
use changes::Pending;
use intents::{Intents, PhaseFlags};
use watching::watching_message;

/// How `skiff dev` runs.
#[derive(Debug, Clone)]
pub struct DevOptions {
    /// How to build.
    pub build: BuildOptions,
    /// `--skip-tests`.
    pub skip_tests: bool,
    /// `--trigger` (and `--watch-poll-interval` for polling).
    pub trigger: Trigger,
    /// The quiet period that ends a burst of changes.
    pub quiet: Duration,
    /// `--auto-build`, `--auto-sync`, `--auto-deploy`.
    pub auto: PhaseFlags,
    /// `--keep-running-on-failure`: a failed first iteration does not end the loop.
    pub keep_running_on_failure: bool,
    /// What becomes of the images the session built.
    pub prune: ImagePruning,
    /// The run id (`skaffold.dev/run-id`) of the deployed containers.
    pub run_id: String,
    /// `-w/--watch-image`: only these artifacts are watched (all when empty).
    pub watch_images: Vec<String>,
    /// The config files; a change to one restarts the loop.
    pub config_files: Vec<PathBuf>,
    /// The `MetaEvent` entry sent at each iteration.
    pub meta_entry: String,
    /// The metadata sent with it.
    pub metadata: Metadata,
}

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DevExit {
    /// `stop` resolved (Ctrl-C).
    Stopped,
    /// A config file changed: restart with the new config.
    ConfigChanged,
}

/// What one wake-up decided to do.
#[derive(Debug, Default)]
struct Plan {
    sync: Vec<(String, SyncPlan)>,
    rebuild: BTreeSet<String>,
    retest: BTreeSet<String>,
    deploy: bool,
}

impl Plan {
    fn is_empty(&self) -> bool {
        self.sync.is_empty() && self.rebuild.is_empty() && self.retest.is_empty() && !self.deploy
    }
}

/// What a dev session works with.
pub struct DevContext<'a, T> {
    /// The configs, with profiles applied.
    pub configs: &'a [&'a SkaffoldConfig],
    /// The directory relative paths are resolved against.
    pub base_dir: &'a Path,
    /// The container engine.
    pub engine: &'a Engine,
    /// Where the images are deployed.
    pub target: &'a T,
    /// How they are deployed.
    pub deploy: &'a DeployOptions,
    /// How the deployed workloads' logs are shown (`--tail`); `None`: they are not followed.
    pub logs: Option<LogSettings>,
    /// Phase output.
    pub output: &'a Output,
    /// How the session runs.
    pub opts: &'a DevOptions,
}

impl<T> Clone for DevContext<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for DevContext<'_, T> {}

/// The state of one dev session.
pub struct DevLoop<'a, T: Target> {
    ctx: DevContext<'a, T>,
    /// The log streamer, started after the first deploy (when it knows where things run).
    logs: Option<T::Logs>,
    artifacts: Vec<ConfiguredArtifact>,
    /// The run-wide variables of sync hooks.
    hook_env: StaticHookEnv,
    built: BTreeMap<String, BuiltImage>,
    deployed: BTreeMap<String, BuiltImage>,
    /// Images built and replaced since, removed once nothing deployed uses them.
    replaced: prune::Replaced,
    /// The working directory of each built image (sync destinations are relative to it).
    working_dirs: working_dirs::WorkingDirs,
    dependencies: BTreeMap<String, BTreeSet<PathBuf>>,
    intents: Intents,
    pending: Pending,
}

impl<'a, T: Target> DevLoop<'a, T> {
    /// A dev session in `ctx`.
    pub fn new(ctx: DevContext<'a, T>) -> Self {
        DevLoop {
            ctx,
            logs: None,
            artifacts: artifacts(ctx.configs, ctx.base_dir, &ctx.opts.build.only_images),
            hook_env: StaticHookEnv {
                default_repo: ctx.opts.build.default_repo.clone(),
                ..StaticHookEnv::current()
            },
            built: BTreeMap::new(),
            deployed: BTreeMap::new(),
            replaced: prune::Replaced::default(),
            working_dirs: working_dirs::WorkingDirs::default(),
            dependencies: BTreeMap::new(),
            intents: Intents::new(ctx.opts.auto),
            pending: Pending::default(),
        }
    }

    /// Runs the first iteration, then watches and iterates until `stop` resolves or the config
    /// changes. Intents come from `control`.
    pub async fn run(
        &mut self,
        control: &mut ControlReceiver,
        stop: impl Future<Output = ()>,
    ) -> Result<DevExit, PipelineError> {
        let hub = self.ctx.output.hub();
        // Watching starts first, so edits made during the first build are not lost.
        let testers = skiff_tester::testers(
            self.ctx.configs.iter().flat_map(|c| &c.pipeline.test),
            self.ctx.base_dir,
        );
        let mut roots = watch_plan::roots(
            &self.artifacts,
            &testers,
            &self.ctx.opts.watch_images,
            &self.ctx.opts.config_files,
        );
        if self.ctx.target.renders_manifests() {
            roots.extend(watch_plan::manifest_roots(
                self.ctx.configs,
                self.ctx.base_dir,
            ));
        }
        let (watcher, mut changes) =
            Watcher::start(roots, self.ctx.opts.trigger, self.ctx.opts.quiet).map_err(|e| {
                PipelineError::new(
                    Phase::DevInit,
                    errors::actionable(e.status_code(), e.to_string(), []),
                )
            })?;
        self.begin_iteration();
        let first = self.build_test_deploy(None).await;
        if let Err(err) = &first {
            hub.task_failed(Phase::DevLoop, err.actionable.clone());
            if !self.ctx.opts.keep_running_on_failure {
                return Err(err.clone());
            }
        }
        let catch_up = self.ctx.target.follow_restarts(self.ctx.output.clone());
        self.ctx
            .output
            .phase(Phase::DevLoop, "Press Ctrl+C to exit\n");
        self.announce_watching(watcher.mode());
        if first.is_ok() {
            hub.task_succeeded(Phase::DevLoop);
        }
        self.learn_working_dirs().await;
        let mut stop = std::pin::pin!(stop);
        loop {
            let wake = tokio::select! {
                batch = changes.recv() => match batch {
                    Some(batch) => {
                        self.record(batch);
                        self.intents.auto().any() || self.pending.config_changed
                    }
                    None => break,
                },
                requests = control.recv() => self.intents.apply(&requests),
                () = &mut stop => break,
            };
            if !wake {
                continue;
            }
            if self.pending.config_changed {
                self.ctx.output.phase(
                    Phase::DevLoop,
                    "The configuration changed: restarting with the new one\n",
                );
                catch_up.stop().await;
                self.ctx.target.stop_port_forwards().await;
                self.logs.take().stop().await;
                return Ok(DevExit::ConfigChanged);
            }
            self.iterate(watcher.mode()).await;
        }
        catch_up.stop().await;
        self.ctx.target.stop_port_forwards().await;
        self.logs.take().stop().await;
        Ok(DevExit::Stopped)
    }

    /// Starts a `DevLoop-N` iteration, with its `MetaEvent`.
    fn begin_iteration(&self) {
        let hub = self.ctx.output.hub();
        hub.task_in_progress(Phase::DevLoop, "");
        hub.meta(&self.ctx.opts.meta_entry, self.ctx.opts.metadata.clone());
    }

    /// Says how the loop waits for changes, as Skaffold's triggers do, for the `trigger` that
    /// runs.
    fn announce_watching(&self, trigger: Trigger) {
        let text = watching_message(trigger, self.intents.auto().any());
        self.ctx.output.phase(Phase::DevLoop, &text);
    }

    fn record(&mut self, batch: Vec<FileChange>) {
        for change in batch {
            let removed = matches!(change.kind, skiff_watch::ChangeKind::Removed);
            self.pending.record(&change.owner, change.path, removed);
        }
    }

    /// One wake-up: plan from the pending changes and the intents, then act; `trigger` is how
    /// changes are watched.
    async fn iterate(&mut self, trigger: Trigger) {
        let plan = self.plan().await;
        if plan.is_empty() {
            self.intents.reset();
            return;
        }
        self.begin_iteration();
        let result = self.execute(plan).await;
        let hub = self.ctx.output.hub();
        match result {
            Ok(()) => hub.task_succeeded(Phase::DevLoop),
            Err(err) => {
                self.ctx.output.phase(
                    Phase::DevLoop,
                    &format!("Skipping the rest of this iteration: {err}\n"),
                );
                hub.task_failed(Phase::DevLoop, err.actionable);
            }
        }
        self.intents.reset();
        self.announce_watching(trigger);
        self.prune_replaced();
        self.learn_working_dirs().await;
    }

    /// The references of the images built or deployed now.
    fn images_in_use(&self) -> BTreeSet<String> {
        self.built
            .values()
            .chain(self.deployed.values())
            .map(|b| b.reference.clone())
            .collect()
    }

    /// Removes, in the background, the replaced images nothing deployed runs any more.
    fn prune_replaced(&mut self) {
        let in_use = self.images_in_use();
        let unused = self.replaced.take_unused(&in_use);
        if unused.is_empty() {
            return;
        }
        let engine = self.ctx.engine.clone();
        let children = self.ctx.opts.prune.children;
        tokio::spawn(async move {
            prune::remove_images(&engine, unused, in_use, children).await;
        });
    }

    /// The images to remove when the session ends (after its cleanup): every image it built
    /// when [`ImagePruning::on_exit`] says so, else none.
    pub fn images_to_prune_on_exit(&mut self) -> ImagesToPrune {
        let mut references = BTreeSet::new();
        if self.ctx.opts.prune.on_exit {
            references = self.images_in_use();
            references.extend(self.replaced.take_unused(&BTreeSet::new()));
        }
        ImagesToPrune {
            references: references.into_iter().collect(),
            children: self.ctx.opts.prune.children,
        }
    }

    /// Decides what to do with the pending changes: sync what an artifact's rules cover, rebuild
    /// the rest, deploy what was built.
    async fn plan(&mut self) -> Plan {
        let next = self.intents.next();
        let mut plan = Plan::default();
        let pending = std::mem::take(&mut self.pending.artifacts);
        for (image, files) in pending {
            let relevant = self.relevant(&image, files);
            if relevant.changed.is_empty() && relevant.deleted.is_empty() {
                continue;
            }
            let sync = match self.sync_plan(&image, &relevant).await {
                Some(sync) if next.sync => sync,
                Some(_) => {
                    self.pending.artifacts.insert(image, relevant);
                    continue;
                }
                None if next.build => {
                    plan.rebuild.insert(image);
                    continue;
                }
                None => {
                    self.pending.artifacts.insert(image, relevant);
                    continue;
                }
            };
            plan.sync.push((image, sync));
        }
        // Images that are rebuilt are tested anyway; the others run their tests again.
        plan.retest = std::mem::take(&mut self.pending.retest)
            .into_iter()
            .filter(|image| !plan.rebuild.contains(image) && self.built.contains_key(image))
            .collect();
        plan.deploy = next.deploy && (!plan.rebuild.is_empty() || self.pending.undeployed);
        plan
    }

    /// The files of `changes` that are inputs of `image` (now, or before they were removed);
    /// they are remembered as inputs, so that a later removal of one counts too.
    fn relevant(&mut self, image: &str, changes: changes::FileChanges) -> changes::FileChanges {
        let Some(artifact) = self.artifacts.iter().find(|a| a.artifact.image == image) else {
            return changes;
        };
        let workspace = artifact.workspace();
        let now: BTreeSet<PathBuf> =
            skiff_build::sources::source_dependencies(&artifact.artifact, &workspace)
                .map(|deps| deps.into_iter().collect())
                .unwrap_or_default();
        let known = self.dependencies.entry(image.to_owned()).or_default();
        known.extend(now);
        let is_input = |path: &PathBuf| {
            path.strip_prefix(&workspace)
                .is_ok_and(|rel| known.contains(rel))
        };
        changes::FileChanges {
            changed: changes
                .changed
                .into_iter()
                .filter(|p| is_input(p))
                .collect(),
            deleted: changes
                .deleted
                .into_iter()
                .filter(|p| is_input(p))
                .collect(),
        }
    }

    /// The sync of `changes` into `image`'s container, or `None` when they need a rebuild.
    async fn sync_plan(&mut self, image: &str, changes: &changes::FileChanges) -> Option<SyncPlan> {
        let artifact = self
            .artifacts
            .iter()
            .find(|a| a.artifact.image == image)?
            .clone();
        let all: Vec<_> = self.artifacts.iter().map(|a| a.artifact.clone()).collect();
        if let Some(warning) = sync_ignored_warning(&artifact.artifact, &all) {
            tracing::warn!("{warning}");
            return None;
        }
        let reference = self.built.get(image)?.reference.clone();
        self.deployed.get(image)?;
        let workdir = self.working_dir(&reference).await?;
        let changed: Vec<PathBuf> = changes.changed.iter().cloned().collect();
        let deleted: Vec<PathBuf> = changes.deleted.iter().cloned().collect();
        match plan_sync(
            &artifact.artifact,
            &artifact.workspace(),
            &workdir,
            &changed,
            &deleted,
        ) {
            Ok(plan) => plan,
            Err(err) => {
                tracing::warn!("sync rules of {image}: {err}; rebuilding instead");
                None
            }
        }
    }

    /// Asks the engine for the working directories of the built images that have sync rules,
    /// while the loop waits, so that planning a change does not wait for it.
    async fn learn_working_dirs(&mut self) {
        let references: Vec<String> = self
            .artifacts
            .iter()
            .filter(|a| a.artifact.sync.is_some())
            .filter_map(|a| self.built.get(&a.artifact.image))
            .map(|built| built.reference.clone())
            .collect();
        for reference in references {
            self.working_dir(&reference).await;
        }
    }

    /// The working directory of the built image `reference`.
    async fn working_dir(&mut self, reference: &str) -> Option<String> {
        let built = &self.built;
        let current = |known: &str| built.values().any(|b| b.reference == known);
        self.working_dirs
            .of(self.ctx.engine, reference, current)
            .await
    }

    async fn execute(&mut self, plan: Plan) -> Result<(), PipelineError> {
        for (image, sync) in &plan.sync {
            let artifact = self.artifacts.iter().find(|a| &a.artifact.image == image);
            // A plan exists only for an artifact with sync rules.
            let (Some(built), Some(artifact), Some(config)) = (
                self.built.get(image),
                artifact,
                artifact.and_then(|a| a.artifact.sync.as_ref()),
            ) else {
                continue;
            };
            let workspace = artifact.workspace();
            let hooks = ArtifactSyncHooks {
                hooks: &config.hooks,
                workspace: &workspace,
                statics: &self.hook_env,
            };
            self.ctx
                .target
                .sync(built, sync, &hooks, self.ctx.output)
                .await
                .map_err(|e| PipelineError::new(Phase::Sync, e.actionable()))?;
        }
        if !plan.retest.is_empty() && !self.ctx.opts.skip_tests {
            let builds: Vec<BuiltImage> = plan
                .retest
                .iter()
                .filter_map(|image| self.built.get(image).cloned())
                .collect();
            test(
                self.ctx.configs,
                self.ctx.base_dir,
                &builds,
                self.ctx.engine,
                self.ctx.output,
            )
            .await?;
        }
        if plan.rebuild.is_empty() {
            if plan.deploy {
                self.deploy_changed().await?;
            }
            return Ok(());
        }
        self.ctx
            .output
            .hub()
            .update_state(skiff_events::state::reset_on_build);
        self.build_test_deploy(Some(plan.deploy)).await
    }

    /// Builds (every artifact: the cache keeps unchanged ones), tests what was rebuilt and
    /// deploys the images whose reference changed. `deploy`: `None` on the first iteration
    /// (always deploy), else whether the deploy intent is set.
    async fn build_test_deploy(&mut self, deploy: Option<bool>) -> Result<(), PipelineError> {
        let outcome = build(
            self.ctx.configs,
            self.ctx.base_dir,
            &self.ctx.opts.build,
            Some(self.ctx.engine),
            self.ctx.output,
        )
        .await?;
        let changed: Vec<BuiltImage> = outcome
            .builds
            .iter()
            .filter(|b| self.built.get(&b.image_name) != Some(b))
            .cloned()
            .collect();
        for image in &changed {
            self.ctx.target.image_rebuilt(&image.image_name);
            if let Some(old) = self.built.insert(image.image_name.clone(), image.clone()) {
                self.replaced.note(&old);
            }
        }
        self.remember_dependencies();
        if !self.ctx.opts.skip_tests && !changed.is_empty() {
            test(
                self.ctx.configs,
                self.ctx.base_dir,
                &changed,
                self.ctx.engine,
                self.ctx.output,
            )
            .await?;
        }
        if !changed.is_empty() {
            self.pending.undeployed = true;
        }
        if deploy.unwrap_or(true) {
            self.deploy_changed().await?;
        }
        Ok(())
    }

    /// Deploys the built images that differ from what runs, or everything when the manifests
    /// changed (a target that applies manifests gets every built image: its manifests are
    /// rendered with all of them), then forwards the ports (started after the first deploy,
    /// reported again after the others) and, after the first deploy, starts following the logs.
    async fn deploy_changed(&mut self) -> Result<(), PipelineError> {
        let changed: Vec<BuiltImage> = self
            .built
            .values()
            .filter(|b| self.deployed.get(&b.image_name) != Some(*b))
            .cloned()
            .collect();
        let manifests_changed = std::mem::take(&mut self.pending.undeployed)
            && self.ctx.target.renders_manifests()
            && !self.deployed.is_empty();
        if changed.is_empty() && !manifests_changed {
            return Ok(());
        }
        self.ctx
            .output
            .hub()
            .update_state(skiff_events::state::reset_on_deploy);
        let source = ManifestSource {
            configs: self.ctx.configs,
            base_dir: self.ctx.base_dir,
            opts: self.ctx.deploy,
        };
        let builds: Vec<BuiltImage> = if self.ctx.target.renders_manifests() {
            self.built.values().cloned().collect()
        } else {
            changed.clone()
        };
        deploy(self.ctx.target, &source, &builds, self.ctx.output).await?;
        for image in changed {
            self.deployed.insert(image.image_name.clone(), image);
        }
        forward_ports(self.ctx.target, self.ctx.output).await?;
        if let (None, Some(settings)) = (&self.logs, self.ctx.logs) {
            self.logs = Some(
                self.ctx
                    .target
                    .follow_logs(settings, self.ctx.output.clone()),
            );
        }
        Ok(())
    }

    fn remember_dependencies(&mut self) {
        for artifact in &self.artifacts {
            let deps = skiff_build::sources::source_dependencies(
                &artifact.artifact,
                &artifact.workspace(),
            )
            .map(|d| d.into_iter().collect())
            .unwrap_or_default();
            self.dependencies
                .insert(artifact.artifact.image.clone(), deps);
        }
    }
}
