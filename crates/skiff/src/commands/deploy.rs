//! `skiff deploy`: deploy images built earlier; with `--tail`, stream their logs until
//! interrupted (what was deployed keeps running).

use skiff_config::SkaffoldConfig;
use skiff_runner::metadata::artifact_names;

use super::deployed::{CleanupPolicy, deploy_and_follow, deploy_options, with_target};
use crate::options::{DeployCommandOptions, OutputSettings};
use crate::session::{CommandSession, connect_engine, pipeline_error, prebuilt_images};

/// Deploys the images `opts` names; the API serves the session while it runs.
pub async fn run(opts: DeployCommandOptions) -> anyhow::Result<()> {
    CommandSession::within(
        &opts.config,
        &opts.api,
        "deploy",
        OutputSettings::muting(opts.deploy.mute_logs),
        async |session| {
            let configs: Vec<&SkaffoldConfig> = session.configs.iter().collect();
            let builds = prebuilt_images(&opts.prebuilt)
                .and_then(|p| p.resolve(&artifact_names(&configs)))
                .map_err(pipeline_error)?;
            let deploy_opts = deploy_options(
                session,
                &opts.deploy,
                opts.config.kube_context.as_ref(),
                opts.prebuilt.default_repo.as_ref(),
            );
            let policy = CleanupPolicy {
                on_abort: true,
                on_exit: false,
            };
            with_target!(
                &configs,
                &session.base_dir,
                &deploy_opts,
                connect_engine().await?,
                |target| {
                    deploy_and_follow(session, target, &deploy_opts, &builds, &opts.deploy, policy)
                        .await
                }
            )
        },
    )
    .await
}
