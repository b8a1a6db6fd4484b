//! `skiff render`: print (or write to a file) the Kubernetes manifests a deploy would apply,
//! hydrated with the images: built, given with `-a`/`-i`, or only tagged, as
//! `--digest-source` says.

use std::path::Path;
use std::sync::Arc;

use skiff_build::builder::BuiltImage;
use skiff_build::custom::registry::remote_digest;
use skiff_config::SkaffoldConfig;
use skiff_config::reference::tag_with_digest;
use skiff_deploy::kubernetes::cluster::{self, Context, LocalSettings};
use skiff_events::{Output, Phase};
use skiff_render::images::DigestSource;
use skiff_runner::PipelineError;
use skiff_runner::build::build;
use skiff_runner::metadata::artifact_names;
use skiff_runner::render::{RenderOptions, render};

use crate::configs::current_kube_context;
use crate::options::{RenderCommandOptions, RenderSettings};
use crate::session::{CommandSession, interruptible, prebuilt_images};

/// Renders the manifests `opts` selects and writes them to standard output or `-o FILE`.
pub async fn run(opts: RenderCommandOptions) -> anyhow::Result<()> {
    let manifests =
        CommandSession::within(&opts.config, &opts.api, "render", false, async |session| {
            let configs: Vec<&SkaffoldConfig> = session.configs.iter().collect();
            let (output, base_dir) = (session.output.clone(), session.base_dir.clone());
            let work = async {
                let builds = images(&output, &base_dir, &configs, &opts).await?;
                let render_opts = RenderOptions {
                    run_id: None,
                    labels: opts.render.labels.clone(),
                    namespace: opts.render.namespace.clone(),
                    offline: opts.render.offline,
                    render_only: true,
                    kube_context: opts.config.kube_context.clone(),
                    default_repo: opts.build.default_repo.clone(),
                    env: skiff_config::template::process_env(),
                };
                render(&configs, &base_dir, &builds, &render_opts, &output).await
            };
            interruptible(&mut session.interrupts, work).await
        })
        .await?;
    write(&opts.render, &manifests.to_yaml())
}

/// The images to put into the manifests: `-a`/`-i` when given, else per `--digest-source`
/// none, the tags skiff would build (with their remote digests for `remote`), or the images it
/// builds (`local`; the build's output shows only with `--loud`).
async fn images(
    output: &Output,
    base_dir: &Path,
    configs: &[&SkaffoldConfig],
    opts: &RenderCommandOptions,
) -> Result<Vec<BuiltImage>, PipelineError> {
    let prebuilt = &opts.prebuilt;
    if prebuilt.build_artifacts.is_some() || !prebuilt.images.is_empty() {
        return prebuilt_images(prebuilt)?.resolve(&artifact_names(configs));
    }
    let source = digest_source(&opts.render, opts.config.kube_context.as_deref());
    if let Some(note) = source.render_note(true) {
        output.phase(Phase::Render, &format!("{note}\n"));
    }
    if !source.replaces_images() {
        return Ok(Vec::new());
    }
    let build_output = if opts.render.loud {
        output.clone()
    } else {
        Output::new(output.hub().clone(), Arc::new(|_: &str| {}))
    };
    let mut build_opts = opts.build.clone();
    build_opts.dry_run = !source.builds(true);
    if let Some(note) = source.skipped_build_note(true) {
        build_output.phase(Phase::Build, &format!("{note}\n"));
    }
    let mut builds = build(configs, base_dir, &build_opts, None, &build_output)
        .await?
        .builds;
    if source.resolves_remote_digest(true) {
        for image in &mut builds {
            image.reference = with_remote_digest(&image.reference, &opts.build).await?;
        }
    }
    Ok(builds)
}

/// `--digest-source`, or the default for the kube context: `tag` for a local cluster (or
/// none at all), `remote` otherwise.
fn digest_source(settings: &RenderSettings, kube_context: Option<&str>) -> DigestSource {
    if let Some(flag) = settings.digest_source {
        return flag;
    }
    let context = kube_context
        .map(str::to_owned)
        .or_else(current_kube_context);
    let local = context.is_none_or(|name| {
        let context = Context {
            name: &name,
            server: None,
            certificate_authority: None,
        };
        cluster::detect(&context, &LocalSettings::default(), None).local
    });
    DigestSource::resolve(None, local)
}

/// `reference@digest` with the digest the registry holds for `reference`.
async fn with_remote_digest(
    reference: &str,
    build: &skiff_runner::build::BuildOptions,
) -> Result<String, PipelineError> {
    match remote_digest(None, reference, &build.insecure_registries).await {
        Ok(digest) => Ok(tag_with_digest(reference, &digest)),
        Err(_) => Err(PipelineError::new(
            Phase::Render,
            skiff_events::errors::actionable(
                skiff_proto::enums::StatusCode::RenderReplaceImageErr,
                format!(
                    "failed to resolve the digest of {reference}: does the image exist remotely?"
                ),
                None,
            ),
        )),
    }
}

/// Prints `manifests` (with a final newline), or writes them to `-o FILE`.
fn write(settings: &RenderSettings, manifests: &str) -> anyhow::Result<()> {
    let text = format!("{manifests}\n");
    match &settings.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| anyhow::anyhow!("writing rendered manifests to {}: {e}", path.display())),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}
