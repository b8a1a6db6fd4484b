//! The render phase: the configs' `manifests` turned into hydrated Kubernetes documents, in a
//! `Render-N` task with a `renderEvent` per renderer.

use std::collections::BTreeMap;
use std::path::Path;

use skiff_build::builder::BuiltImage;
use skiff_config::SkaffoldConfig;
use skiff_config::hook_env::StaticHookEnv;
use skiff_deploy::target::built_artifacts;
use skiff_events::{Output, Phase};
use skiff_render::ManifestList;
use skiff_render::helm::HelmOptions;
use skiff_render::hooks::RenderHookEnv;
use skiff_render::labels::run_labels;
use skiff_render::render::{ConfigManifests, RenderRequest, render as render_configs};

use crate::error::PipelineError;

/// How the render phase runs, from the command line.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// The run id for the `skaffold.dev/run-id` label; `None` for `render`, whose output
    /// carries no run labels (as Skaffold's).
    pub run_id: Option<String>,
    /// `-l/--label` labels.
    pub labels: BTreeMap<String, String>,
    /// `-n/--namespace`.
    pub namespace: Option<String>,
    /// `--offline`.
    pub offline: bool,
    /// The `render` command: `deploy.helm` releases are rendered too.
    pub render_only: bool,
    /// `--kube-context`.
    pub kube_context: Option<String>,
    /// `-d/--default-repo`, for render hooks.
    pub default_repo: Option<String>,
    /// The tools' environment and the templates' data (the process environment).
    pub env: BTreeMap<String, String>,
}

/// Renders the manifests of `configs` with the images of `builds` (none: the manifests keep
/// their images) in a `Render-N` task.
pub async fn render(
    configs: &[&SkaffoldConfig],
    base_dir: &Path,
    builds: &[BuiltImage],
    opts: &RenderOptions,
    output: &Output,
) -> Result<ManifestList, PipelineError> {
    let hub = output.hub();
    hub.task_in_progress(Phase::Render, "Render Manifests");
    let result = run(configs, base_dir, builds, opts, output).await;
    match &result {
        Ok(_) => hub.task_succeeded(Phase::Render),
        Err(err) => hub.task_failed(Phase::Render, err.actionable()),
    }
    result.map_err(|err| PipelineError::new(Phase::Render, err.actionable()))
}

async fn run(
    configs: &[&SkaffoldConfig],
    base_dir: &Path,
    builds: &[BuiltImage],
    opts: &RenderOptions,
    output: &Output,
) -> Result<ManifestList, skiff_render::RenderError> {
    let labels = run_labels(opts.run_id.as_deref(), &opts.labels);
    let artifacts = built_artifacts(builds);
    let namespace = opts.namespace.clone().unwrap_or_default();
    let hook_env = RenderHookEnv {
        statics: StaticHookEnv {
            default_repo: opts.default_repo.clone(),
            work_dir: base_dir.display().to_string(),
            ..StaticHookEnv::default()
        },
        kube_context: opts.kube_context.clone().unwrap_or_default(),
        namespaces: vec![namespace.clone()],
    };
    let helm = HelmOptions {
        kube_context: opts.kube_context.clone().unwrap_or_default(),
        namespace,
        ..HelmOptions::default()
    };
    let parts: Vec<ConfigManifests<'_>> = configs
        .iter()
        .map(|config| {
            let pipeline = &config.pipeline;
            ConfigManifests::new(
                base_dir,
                &pipeline.manifests,
                &pipeline.resource_selector,
                pipeline.deploy.helm.as_ref(),
                opts.render_only,
            )
        })
        .collect();
    let request = RenderRequest {
        artifacts: &artifacts,
        labels: &labels,
        namespace: opts.namespace.as_deref(),
        offline: opts.offline,
        env: &opts.env,
        hook_env: &hook_env,
        helm: &helm,
    };
    render_configs(&parts, &request, output).await
}
