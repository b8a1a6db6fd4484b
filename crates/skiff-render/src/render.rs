//! The render of a whole run, as Skaffold's render mux does it: every config's pre-render
//! hooks, then each renderer in Skaffold's order — per config `kpt`, `rawYaml` (with
//! `remoteManifests`), `kustomize`, `helm` — each one's output hydrated with the built images,
//! the labels and the namespace and reported as `renderEvent` `"<index>"`, then every config's
//! post-render hooks over that config's documents.

use std::collections::BTreeMap;
use std::path::Path;

use skiff_config::model::{Helm, LegacyHelmDeploy, RenderConfig, ResourceSelectorConfig};
use skiff_events::{Output, Phase, Status, Subtask};

use crate::helm::{HelmOptions, render_helm};
use crate::hooks::{HookOutput, RenderHookEnv, RenderHookRunner};
use crate::images::replace_images;
use crate::kpt::{check_kpt_functions, render_kpt};
use crate::kustomize::render_kustomize;
use crate::labels::set_labels;
use crate::namespace::{injected_namespace, set_namespace};
use crate::raw_yaml::render_raw_yaml;
use crate::{BuiltArtifact, ManifestList, RenderError, TransformRules};

/// One config's share of a render.
#[derive(Debug, Clone)]
pub struct ConfigManifests<'a> {
    /// The directory the config's relative paths start from.
    pub base_dir: &'a Path,
    /// Its `manifests` section.
    pub manifests: &'a RenderConfig,
    /// Its `resourceSelector`: which kinds and fields get images, labels and a namespace.
    pub resource_selector: &'a ResourceSelectorConfig,
    /// Its `deploy.helm` releases that `manifests.helm` does not list: `skiff render` renders
    /// them too, as Skaffold does for the legacy helm deployer; other commands leave them to
    /// the deployer (`None`).
    pub legacy_helm: Option<Helm>,
}

impl<'a> ConfigManifests<'a> {
    /// The part of a config that renders, with its legacy `deploy.helm` releases when
    /// `render_legacy_helm` (the `render` command).
    pub fn new(
        base_dir: &'a Path,
        manifests: &'a RenderConfig,
        resource_selector: &'a ResourceSelectorConfig,
        legacy_helm: Option<&LegacyHelmDeploy>,
        render_legacy_helm: bool,
    ) -> Self {
        let legacy_helm = legacy_helm
            .filter(|_| render_legacy_helm)
            .and_then(|deploy| legacy_releases(deploy, manifests.helm.as_ref()));
        Self {
            base_dir,
            manifests,
            resource_selector,
            legacy_helm,
        }
    }
}

/// The `deploy.helm` releases whose names `manifests.helm` does not already render.
fn legacy_releases(deploy: &LegacyHelmDeploy, rendered: Option<&Helm>) -> Option<Helm> {
    let releases: Vec<_> = deploy
        .releases
        .iter()
        .filter(|release| {
            rendered.is_none_or(|helm| helm.releases.iter().all(|r| r.name != release.name))
        })
        .cloned()
        .collect();
    (!releases.is_empty()).then(|| Helm {
        flags: deploy.flags.clone(),
        releases,
    })
}

/// What every renderer of a run shares.
#[derive(Debug, Clone, Copy)]
pub struct RenderRequest<'a> {
    /// The images to put into the manifests (empty: leave the manifests' images alone).
    pub artifacts: &'a [BuiltArtifact],
    /// The labels for every resource (run labels and `-l` values).
    pub labels: &'a BTreeMap<String, String>,
    /// `-n/--namespace`.
    pub namespace: Option<&'a str>,
    /// `--offline`: no remote manifests, no namespace injected.
    pub offline: bool,
    /// The tools' environment and the templates' data.
    pub env: &'a BTreeMap<String, String>,
    /// The `SKAFFOLD_*` variables of render hooks.
    pub hook_env: &'a RenderHookEnv,
    /// helm's kube context, kubeconfig, namespace and `--set` overrides.
    pub helm: &'a HelmOptions,
}

/// One renderer of one config.
#[derive(Debug, Clone, Copy)]
enum Renderer<'a> {
    Kpt(&'a [String]),
    RawYaml(&'a RenderConfig),
    Kustomize(&'a skiff_config::model::Kustomize),
    Helm(&'a Helm),
}

impl<'a> Renderer<'a> {
    /// The renderers of `config`, in Skaffold's order.
    fn of(config: &'a ConfigManifests<'a>) -> Vec<Renderer<'a>> {
        let manifests = config.manifests;
        let mut renderers = Vec::new();
        if !manifests.kpt.is_empty() {
            renderers.push(Renderer::Kpt(&manifests.kpt));
        }
        if !manifests.raw_yaml.is_empty() || !manifests.remote_manifests.is_empty() {
            renderers.push(Renderer::RawYaml(manifests));
        }
        if let Some(kustomize) = &manifests.kustomize {
            renderers.push(Renderer::Kustomize(kustomize));
        }
        renderers.extend(manifests.helm.iter().map(Renderer::Helm));
        renderers.extend(config.legacy_helm.iter().map(Renderer::Helm));
        renderers
    }

    /// The documents this renderer produces, not yet hydrated.
    async fn generate(
        self,
        base_dir: &Path,
        request: &RenderRequest<'_>,
    ) -> Result<ManifestList, RenderError> {
        match self {
            Renderer::Kpt(dirs) => render_kpt(dirs, base_dir, request.env).await,
            Renderer::RawYaml(manifests) => {
                render_raw_yaml(
                    &manifests.raw_yaml,
                    &manifests.remote_manifests,
                    base_dir,
                    request.env,
                    request.offline,
                )
                .await
            }
            Renderer::Kustomize(kustomize) => {
                render_kustomize(kustomize, base_dir, request.env).await
            }
            Renderer::Helm(helm) => {
                render_helm(helm, base_dir, request.artifacts, request.env, request.helm).await
            }
        }
    }

    /// Puts the images, labels and namespace into `list`. helm output gets the images (when
    /// there are any) and the labels; helm sets its own namespace (`--namespace`).
    fn hydrate(
        self,
        list: &mut ManifestList,
        rules: &TransformRules,
        request: &RenderRequest<'_>,
        output: &Output,
    ) -> Result<(), RenderError> {
        if !request.artifacts.is_empty() {
            replace_images(list, request.artifacts, rules)?;
        }
        set_labels(list, request.labels, rules)?;
        if matches!(self, Renderer::Helm(_)) {
            return Ok(());
        }
        if let Some(namespace) = injected_namespace(request.namespace, request.offline) {
            for conflict in set_namespace(list, namespace, rules)? {
                output.phase(Phase::Render, &format!("WARN {conflict}\n"));
            }
        }
        Ok(())
    }
}

/// Hook output written as the render phase's.
struct PhaseOutput<'a>(&'a Output);

impl HookOutput for PhaseOutput<'_> {
    fn write(&self, text: &str) {
        self.0.phase(Phase::Render, text);
    }
}

/// Renders `configs`: the documents of every renderer, hydrated, in order. Each renderer is a
/// `renderEvent` with its index; the first failure stops the render and is returned (its
/// event carries it too).
pub async fn render(
    configs: &[ConfigManifests<'_>],
    request: &RenderRequest<'_>,
    output: &Output,
) -> Result<ManifestList, RenderError> {
    for config in configs {
        check_kpt_functions(config.manifests)?;
    }
    let hook_output = PhaseOutput(output);
    let hooks = |base_dir| RenderHookRunner {
        hook_env: request.hook_env,
        env: request.env,
        base_dir,
        out: &hook_output,
    };
    for config in configs {
        hooks(config.base_dir)
            .run_before(&config.manifests.hooks.before)
            .await?;
    }
    let hub = output.hub();
    let mut index = 0;
    let mut by_config = Vec::with_capacity(configs.len());
    for config in configs {
        let rules = TransformRules::default().with_selector(config.resource_selector);
        let mut documents = ManifestList::default();
        for renderer in Renderer::of(config) {
            let id = index.to_string();
            index += 1;
            hub.subtask(Subtask::Render, &id, Status::InProgress, None);
            let rendered = async {
                let mut list = renderer.generate(config.base_dir, request).await?;
                renderer.hydrate(&mut list, &rules, request, output)?;
                Ok::<_, RenderError>(list)
            };
            match rendered.await {
                Ok(list) => {
                    hub.subtask(Subtask::Render, &id, Status::Succeeded, None);
                    documents.extend(list);
                }
                Err(err) => {
                    hub.subtask(Subtask::Render, &id, Status::Failed, Some(err.actionable()));
                    return Err(err);
                }
            }
        }
        by_config.push(documents);
    }
    let mut all = ManifestList::default();
    for (config, documents) in configs.iter().zip(by_config) {
        let after = &config.manifests.hooks.after;
        all.extend(hooks(config.base_dir).run_after(after, documents).await?);
    }
    Ok(all)
}
