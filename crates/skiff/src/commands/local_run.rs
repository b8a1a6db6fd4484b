//! `skiff verify` and `skiff exec`: containers run to completion on the local engine.

use skiff_config::SkaffoldConfig;
use skiff_deploy::docker::{network_name, run_id_selector};
use skiff_docker::Engine;
use skiff_runner::exec::exec;
use skiff_runner::verify::{LocalRunOptions, verify};

use crate::options::LocalRunCommandOptions;
use crate::session::{
    CommandSession, connect_engine, interruptible, pipeline_error, prebuilt_images,
};

/// Runs the verification tests (no action) or the custom action `opts.action`.
pub async fn run(opts: LocalRunCommandOptions) -> anyhow::Result<()> {
    let command = if opts.action.is_some() {
        "exec"
    } else {
        "verify"
    };
    CommandSession::within(&opts.config, &opts.api, command, false, async |session| {
        let engine = connect_engine().await?;
        let builds = prebuilt_images(&opts.local.prebuilt)
            .and_then(|p| p.resolve(&[]))
            .map_err(pipeline_error)?;
        let local = LocalRunOptions {
            run_id: session.run_id.clone(),
            env: env_file(opts.local.env_file.as_deref())?,
            network: opts.local.docker_network.clone(),
        };
        let configs: Vec<&SkaffoldConfig> = session.configs.iter().collect();
        let output = &session.output;
        let work = async {
            match &opts.action {
                Some(action) => exec(&configs, action, &builds, &engine, &local, output).await,
                None => verify(&configs, &builds, &engine, &local, output).await,
            }
        };
        let result = interruptible(&mut session.interrupts, work).await;
        if result.is_err() {
            remove_run(&engine, &session.run_id).await;
        }
        result
    })
    .await
}

/// Removes what an interrupted or failed run may have left: the containers labelled with its
/// run id and its network.
async fn remove_run(engine: &Engine, run_id: &str) {
    let label = run_id_selector(run_id);
    if let Ok(containers) = engine.containers_with_label(&label).await {
        for container in containers {
            if let Err(err) = engine.remove_container(&container.id).await {
                tracing::warn!("removing container {}: {err}", container.name);
            }
        }
    }
    if let Err(err) = engine.remove_network(&network_name(run_id)).await {
        tracing::warn!("removing network {}: {err}", network_name(run_id));
    }
}

/// The variables of `--env-file` (`KEY=VALUE` lines), in file order.
fn env_file(path: Option<&std::path::Path>) -> anyhow::Result<Vec<(String, String)>> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    let read =
        |e: &dyn std::fmt::Display| anyhow::anyhow!("reading --env-file {}: {e}", path.display());
    dotenvy::from_path_iter(path)
        .map_err(|e| read(&e))?
        .map(|item| item.map_err(|e| read(&e)))
        .collect()
}
