//! `skiff delete`: remove what skiff deployed for the configs: their containers and network
//! on the docker target, the objects of their rendered manifests on a cluster.

use skiff_config::SkaffoldConfig;
use skiff_runner::deploy::{ManifestSource, cleanup};

use super::deployed::{deploy_options, with_target};
use crate::options::{ApiOptions, DeleteCommandOptions, DeploySettings};
use crate::session::{CommandSession, connect_engine, pipeline_error};

/// Removes what was deployed for the configs (prints it with `--dry-run`).
pub async fn run(opts: DeleteCommandOptions) -> anyhow::Result<()> {
    let api = ApiOptions::default();
    CommandSession::within(&opts.config, &api, "delete", false, async |session| {
        let configs: Vec<&SkaffoldConfig> = session.configs.iter().collect();
        let settings = DeploySettings {
            namespace: opts.namespace.clone(),
            kubeconfig: opts.kubeconfig.clone(),
            ..DeploySettings::default()
        };
        let deploy_opts =
            deploy_options(session, &settings, opts.config.kube_context.as_ref(), None);
        let source = ManifestSource {
            configs: &configs,
            base_dir: &session.base_dir,
            opts: &deploy_opts,
        };
        with_target!(
            &configs,
            &session.base_dir,
            &deploy_opts,
            connect_engine().await?,
            |target| {
                cleanup(target, &source, &session.output, opts.dry_run)
                    .await
                    .map_err(pipeline_error)
            }
        )
    })
    .await
}
