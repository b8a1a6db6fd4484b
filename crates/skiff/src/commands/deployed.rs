//! Deploying from a command (`run`, `deploy`): the Deploy phase under Ctrl-C, the logs with
//! `--tail`, and removing what was deployed when the command is interrupted or fails.

use std::io::IsTerminal;
use std::time::Duration;

use skiff_build::builder::BuiltImage;
use skiff_config::SkaffoldConfig;
use skiff_deploy::docker::DockerTarget;
use skiff_deploy::docker::logs::{LogPrefix, LogSettings, LogStreamer};
use skiff_docker::Engine;
use skiff_runner::deploy::{DeployOptions, cleanup, deploy};

use crate::options::DeploySettings;
use crate::session::{CommandSession, pipeline_error};

/// How long after an interrupted deploy the cleanup looks again, for a container whose
/// creation was already on its way to the engine.
const IN_FLIGHT_GRACE: Duration = Duration::from_millis(500);

/// When a command removes what it deployed.
#[derive(Debug, Clone, Copy)]
pub struct CleanupPolicy {
    /// After a failed or interrupted deploy (nothing is left half-created).
    pub on_abort: bool,
    /// When the user stops `--tail`.
    pub on_exit: bool,
}

/// The deploy options of a command's session.
pub fn deploy_options(session: &CommandSession, settings: &DeploySettings) -> DeployOptions {
    DeployOptions {
        run_id: session.run_id.clone(),
        labels: settings.labels.clone(),
        status_check: settings.status_check,
    }
}

/// Deploys `builds` to `target`; with `--tail`, streams the logs until interrupted.
pub async fn deploy_and_follow(
    session: &mut CommandSession,
    engine: &Engine,
    target: &DockerTarget,
    builds: &[BuiltImage],
    settings: &DeploySettings,
    policy: CleanupPolicy,
) -> anyhow::Result<()> {
    let deployed = tokio::select! {
        result = deploy(target, builds, &session.output) => Some(result),
        () = session.interrupts.recv() => None,
    };
    let failure = match deployed {
        Some(Ok(())) => None,
        Some(Err(err)) => Some(pipeline_error(err)),
        None => Some(anyhow::anyhow!("interrupted")),
    };
    if let Some(failure) = failure {
        if policy.on_abort {
            remove(session, target, true).await?;
        }
        return Err(failure);
    }
    if !settings.tail {
        return Ok(());
    }
    let logs = follow_logs(session, engine)?;
    session.interrupts.recv().await;
    logs.stop().await;
    if policy.on_exit {
        remove(session, target, false).await?;
    }
    Ok(())
}

/// Streams the logs of the session's containers until stopped.
pub fn follow_logs(session: &CommandSession, engine: &Engine) -> anyhow::Result<LogStreamer> {
    let configs: Vec<&SkaffoldConfig> = session.configs.iter().collect();
    Ok(LogStreamer::start(
        engine.clone(),
        &session.run_id,
        log_settings(&configs)?,
        session.output.clone(),
    ))
}

/// The log settings from the configs' `deploy.logs`.
fn log_settings(configs: &[&SkaffoldConfig]) -> anyhow::Result<LogSettings> {
    let prefix = configs
        .iter()
        .map(|c| c.pipeline.deploy.logs.prefix.as_str())
        .find(|p| !p.is_empty())
        .unwrap_or_default();
    let prefix = LogPrefix::parse(prefix).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(LogSettings {
        prefix,
        muted: false,
        color: std::io::stdout().is_terminal(),
        tail_lines: None,
    })
}

/// Removes what the target deployed (looking twice when a creation may have been in flight);
/// a second Ctrl-C exits at once.
pub async fn remove(
    session: &mut CommandSession,
    target: &DockerTarget,
    in_flight: bool,
) -> anyhow::Result<()> {
    let output = session.output.clone();
    let sweep = async {
        cleanup(target, &output, false).await?;
        if in_flight {
            tokio::time::sleep(IN_FLIGHT_GRACE).await;
            cleanup(target, &output, false).await?;
        }
        Ok(())
    };
    tokio::select! {
        result = sweep => result.map_err(pipeline_error),
        () = session.interrupts.recv() => {
            eprintln!("interrupted again: exiting without finishing the cleanup");
            std::process::exit(i32::from(crate::exit::ERROR));
        }
    }
}
