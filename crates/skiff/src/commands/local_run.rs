//! `skiff verify` and `skiff exec`: containers run to completion on the local engine.

use skiff_config::SkaffoldConfig;
use skiff_runner::exec::exec;
use skiff_runner::verify::{LocalRunOptions, verify};

use crate::options::LocalRunCommandOptions;
use crate::session::{CommandSession, connect_engine, pipeline_error, prebuilt_images};

/// Runs the verification tests (no action) or the custom action `opts.action`.
pub async fn run(opts: LocalRunCommandOptions) -> anyhow::Result<()> {
    let command = if opts.action.is_some() {
        "exec"
    } else {
        "verify"
    };
    let mut session = CommandSession::start(&opts.config, &opts.api, command, false).await?;
    let result = async {
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
        tokio::select! {
            result = work => result.map_err(pipeline_error),
            () = session.interrupts.recv() => anyhow::bail!("interrupted"),
        }
    }
    .await;
    session.finish().await?;
    result
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
