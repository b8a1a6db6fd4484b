//! `skiff delete`: remove what skiff deployed for the configs' images.

use skiff_config::SkaffoldConfig;
use skiff_runner::deploy::{cleanup, docker_target};

use super::deployed::deploy_options;
use crate::options::{ApiOptions, DeleteCommandOptions, DeploySettings};
use crate::session::{CommandSession, connect_engine, pipeline_error};

/// Removes the containers and networks deployed for the configs (prints them with
/// `--dry-run`).
pub async fn run(opts: DeleteCommandOptions) -> anyhow::Result<()> {
    let api = ApiOptions::default();
    CommandSession::within(&opts.config, &api, "delete", false, async |session| {
        let engine = connect_engine().await?;
        let configs: Vec<&SkaffoldConfig> = session.configs.iter().collect();
        let options = deploy_options(session, &DeploySettings::default());
        let target = docker_target(&configs, &engine, &options).map_err(pipeline_error)?;
        cleanup(&target, &session.output, opts.dry_run)
            .await
            .map_err(pipeline_error)
    })
    .await
}
