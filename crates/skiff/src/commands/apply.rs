//! `skiff apply`: apply hydrated manifests (from `skiff render`) to the configs' cluster, with
//! the run labels, and check that they came up; nothing is built or rendered.

use skiff_config::SkaffoldConfig;
use skiff_render::ManifestList;
use skiff_runner::deploy::apply_manifests;
use skiff_runner::deploy::select::{TargetKind, target_kind};

use super::deployed::{deploy_options, with_target};
use crate::options::{ApplyCommandOptions, OutputSettings};
use crate::session::{CommandSession, connect_engine, pipeline_error};

/// Applies the manifest files of `opts`; the API serves the session while it runs.
pub async fn run(opts: ApplyCommandOptions) -> anyhow::Result<()> {
    let manifests = read_manifests(&opts)?;
    CommandSession::within(
        &opts.config,
        &opts.api,
        "apply",
        OutputSettings::muting(opts.deploy.mute_logs),
        async |session| {
            let configs: Vec<&SkaffoldConfig> = session.configs.iter().collect();
            if target_kind(&configs).map_err(pipeline_error)? == TargetKind::Docker {
                anyhow::bail!(
                    "skiff apply applies Kubernetes manifests to a cluster, but the configs deploy \
                     with deploy.docker: use skiff deploy to run their images on the local engine"
                );
            }
            let deploy_opts = deploy_options(
                session,
                &opts.deploy,
                opts.config.kube_context.as_ref(),
                None,
            );
            let output = session.output.clone();
            with_target!(
                &configs,
                &session.base_dir,
                &deploy_opts,
                connect_engine().await?,
                |target| {
                    apply_manifests(target, manifests.clone(), &deploy_opts, &output)
                        .await
                        .map_err(pipeline_error)
                }
            )
        },
    )
    .await
}

/// The documents of every manifest file, in order; a file that is missing or not YAML is named.
fn read_manifests(opts: &ApplyCommandOptions) -> anyhow::Result<ManifestList> {
    let mut all = ManifestList::default();
    for path in &opts.manifests {
        let text = std::fs::read_to_string(path).map_err(|e| {
            anyhow::anyhow!("cannot read the provided file {}: {e}", path.display())
        })?;
        let parsed = ManifestList::parse(&text, &path.display().to_string()).map_err(|e| {
            anyhow::anyhow!(
                "{} is not a valid Kubernetes manifest: {}",
                path.display(),
                e.message
            )
        })?;
        all.extend(parsed);
    }
    Ok(all)
}
