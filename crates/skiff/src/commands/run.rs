//! `skiff run`: build, test and deploy once; with `--tail`, stream the logs until interrupted,
//! then remove what was deployed.

use skiff_config::SkaffoldConfig;
use skiff_runner::PipelineError;
use skiff_runner::build::build;
use skiff_runner::deploy::build_options_for;
use skiff_runner::test::test;

use super::deployed::{CleanupPolicy, deploy_and_follow, deploy_options, with_target};
use crate::options::{OutputSettings, RunCommandOptions};
use crate::session::{CommandSession, connect_engine, interruptible};

/// Runs the pipeline once; the API serves the session while it runs.
pub async fn run(opts: RunCommandOptions) -> anyhow::Result<()> {
    CommandSession::within(
        &opts.config,
        &opts.api,
        "run",
        OutputSettings::muting(opts.deploy.mute_logs),
        async |session| {
            let engine = connect_engine().await?;
            let configs: Vec<&SkaffoldConfig> = session.configs.iter().collect();
            let deploy_opts = deploy_options(
                session,
                &opts.deploy,
                opts.config.kube_context.as_ref(),
                opts.build.default_repo.as_ref(),
            );
            let policy = CleanupPolicy {
                on_abort: opts.cleanup,
                on_exit: opts.cleanup,
            };
            with_target!(
                &configs,
                &session.base_dir,
                &deploy_opts,
                engine.clone(),
                |target| {
                    let build_opts = build_options_for(&opts.build, &configs, target);
                    let (base_dir, output) = (&session.base_dir, &session.output);
                    let build_and_test = async {
                        let outcome =
                            build(&configs, base_dir, &build_opts, Some(&engine), output).await?;
                        if !opts.skip_tests {
                            test(&configs, base_dir, &outcome.builds, &engine, output).await?;
                        }
                        Ok::<_, PipelineError>(outcome.builds)
                    };
                    let builds = interruptible(&mut session.interrupts, build_and_test).await?;
                    deploy_and_follow(session, target, &deploy_opts, &builds, &opts.deploy, policy)
                        .await
                }
            )
        },
    )
    .await
}
