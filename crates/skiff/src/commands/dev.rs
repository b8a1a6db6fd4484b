//! `skiff dev`: build, test and deploy, stream the logs, then sync or rebuild on every change
//! until interrupted; a change of the config restarts the loop with the new config.

use skiff_config::SkaffoldConfig;
use skiff_events::state::{AutoTrigger, set_auto_trigger};
use skiff_runner::deploy::build_options_for;
use skiff_runner::dev::{DevContext, DevExit, DevLoop, DevOptions};

use super::deployed::{deploy_options, log_settings, remove, with_target};
use crate::configs::{self, LoadRequest};
use crate::options::{DevCommandOptions, OutputSettings};
use crate::session::{CommandSession, connect_engine, pipeline_error};

/// Runs the dev loop; the API serves the session and steers it.
pub async fn run(opts: DevCommandOptions) -> anyhow::Result<()> {
    CommandSession::within(
        &opts.config,
        &opts.api,
        "dev",
        OutputSettings::muting(opts.deploy.mute_logs),
        async |session| {
            session.hub.update_state(|state| {
                set_auto_trigger(state, AutoTrigger::Build, opts.auto.build);
                set_auto_trigger(state, AutoTrigger::Sync, opts.auto.sync);
                set_auto_trigger(state, AutoTrigger::Deploy, opts.auto.deploy);
            });
            let engine = connect_engine().await?;
            let dev_options = DevOptions {
                build: opts.build.clone(),
                skip_tests: opts.skip_tests,
                trigger: opts.trigger,
                quiet: opts.quiet,
                auto: opts.auto,
                keep_running_on_failure: opts.keep_running_on_failure,
                prune: opts.prune,
                run_id: session.run_id.clone(),
                watch_images: opts.watch_images.clone(),
                config_files: vec![opts.config.filename.clone()],
                meta_entry: crate::build_info::meta_entry(),
                metadata: session.hub.state().metadata.unwrap_or_default(),
            };
            loop {
                let configs: Vec<&SkaffoldConfig> = session.configs.iter().collect();
                let deploy_opts = deploy_options(
                    session,
                    &opts.deploy,
                    opts.config.kube_context.as_ref(),
                    opts.build.default_repo.as_ref(),
                );
                let config_changed = with_target!(
                    &configs,
                    &session.base_dir,
                    &deploy_opts,
                    engine.clone(),
                    |target| {
                        let logs = opts
                            .deploy
                            .tail
                            .then(|| log_settings(&configs))
                            .transpose()?;
                        let dev_options = DevOptions {
                            build: build_options_for(&opts.build, &configs, target),
                            ..dev_options.clone()
                        };
                        let (exit, to_prune) = {
                            let mut dev = DevLoop::new(DevContext {
                                configs: &configs,
                                base_dir: &session.base_dir,
                                engine: &engine,
                                target,
                                deploy: &deploy_opts,
                                logs,
                                output: &session.output,
                                opts: &dev_options,
                            });
                            let exit = dev
                                .run(&mut session.control, session.interrupts.recv())
                                .await;
                            (exit, dev.images_to_prune_on_exit())
                        };
                        let changed = matches!(exit, Ok(DevExit::ConfigChanged));
                        if changed || opts.cleanup {
                            remove(session, target, &deploy_opts, false).await?;
                        }
                        if !changed {
                            to_prune.remove(&engine).await;
                        }
                        exit.map_err(pipeline_error)?;
                        changed
                    }
                );
                if !config_changed {
                    return Ok(());
                }
                session.configs = configs::load(&LoadRequest::for_command(&opts.config, "dev"))?
                    .into_iter()
                    .map(|loaded| loaded.config)
                    .collect();
            }
        },
    )
    .await
}
