//! Deploying from a command (`run`, `deploy`, `dev`, `delete`): choosing the target the configs
//! deploy to, the Deploy phase under Ctrl-C, the logs with `--tail`, the port forwards, and
//! removing what was deployed when the command is interrupted or fails.

use std::io::IsTerminal;
use std::time::Duration;

use skiff_build::builder::BuiltImage;
use skiff_config::SkaffoldConfig;
use skiff_deploy::logs::{LogPrefix, LogSettings};
use skiff_deploy::{Background, Target};
use skiff_runner::deploy::{DeployOptions, ManifestSource, cleanup, deploy, forward_ports};

use crate::options::DeploySettings;
use crate::session::{CommandSession, pipeline_error};

/// How long after an interrupted deploy the cleanup waits, for a container (or an object)
/// whose creation was already on its way to the engine (or the cluster).
const IN_FLIGHT_GRACE: Duration = Duration::from_millis(500);

/// Runs `$body` with `$target` bound to the deploy target the configs deploy to: the docker
/// target (on the engine `$engine` evaluates to, only then) or the Kubernetes target. The body
/// is generic over the target, so it is written once and compiled for each.
macro_rules! with_target {
    ($configs:expr, $base_dir:expr, $opts:expr, $engine:expr, |$target:ident| $body:expr) => {{
        use skiff_runner::deploy::select::{TargetKind, target_kind};
        let (configs, base_dir, opts) = ($configs, $base_dir, $opts);
        match target_kind(configs).map_err($crate::session::pipeline_error)? {
            TargetKind::Docker => {
                let engine = $engine;
                let $target = &skiff_runner::deploy::docker_target(configs, &engine, opts)
                    .map_err($crate::session::pipeline_error)?;
                $body
            }
            TargetKind::Kubernetes => {
                let $target = &skiff_runner::deploy::kubernetes_target(configs, base_dir, opts)
                    .await
                    .map_err($crate::session::pipeline_error)?;
                $body
            }
        }
    }};
}
pub(crate) use with_target;

/// When a command removes what it deployed.
#[derive(Debug, Clone, Copy)]
pub struct CleanupPolicy {
    /// After a failed or interrupted deploy (nothing is left half-created).
    pub on_abort: bool,
    /// When the user stops `--tail`.
    pub on_exit: bool,
}

/// The deploy options of a command's session; `default_repo` is `-d/--default-repo`.
pub fn deploy_options(
    session: &CommandSession,
    settings: &DeploySettings,
    kube_context: Option<&String>,
    default_repo: Option<&String>,
) -> DeployOptions {
    DeployOptions {
        run_id: session.run_id.clone(),
        labels: settings.labels.clone(),
        status_check: settings.status_check,
        namespace: settings.namespace.clone(),
        force: settings.force,
        port_forward: settings.port_forward,
        kubeconfig: settings.kubeconfig.clone(),
        kube_context: kube_context.cloned(),
        default_repo: default_repo.cloned(),
        filter_program: std::env::current_exe().ok(),
    }
}

/// Deploys `builds` to `target`; with `--tail` or `--port-forward`, streams the logs and
/// forwards the ports until interrupted.
pub async fn deploy_and_follow<T: Target>(
    session: &mut CommandSession,
    target: &T,
    opts: &DeployOptions,
    builds: &[BuiltImage],
    settings: &DeploySettings,
    policy: CleanupPolicy,
) -> anyhow::Result<()> {
    let configs: Vec<&SkaffoldConfig> = session.configs.iter().collect();
    let source = ManifestSource {
        configs: &configs,
        base_dir: &session.base_dir,
        opts,
    };
    let deployed = tokio::select! {
        result = deploy(target, &source, builds, &session.output) => Some(result),
        () = session.interrupts.recv() => None,
    };
    let failure = match deployed {
        Some(Ok(())) => None,
        Some(Err(err)) => Some(pipeline_error(err)),
        None => Some(anyhow::anyhow!("interrupted")),
    };
    drop(configs);
    if let Some(failure) = failure {
        if policy.on_abort {
            remove(session, target, opts, true).await?;
        }
        return Err(failure);
    }
    if !settings.tail && !settings.port_forward.enabled() {
        return Ok(());
    }
    forward_ports(target, &session.output)
        .await
        .map_err(pipeline_error)?;
    let logs = settings
        .tail
        .then(|| follow_logs(session, target))
        .transpose()?;
    session.interrupts.recv().await;
    logs.stop().await;
    target.stop_port_forwards().await;
    if policy.on_exit {
        remove(session, target, opts, false).await?;
    }
    Ok(())
}

/// Streams the logs of what `target` runs for the session until stopped.
pub fn follow_logs<T: Target>(session: &CommandSession, target: &T) -> anyhow::Result<T::Logs> {
    let configs: Vec<&SkaffoldConfig> = session.configs.iter().collect();
    Ok(target.follow_logs(log_settings(&configs)?, session.output.clone()))
}

/// The log settings from the configs' `deploy.logs`.
pub fn log_settings(configs: &[&SkaffoldConfig]) -> anyhow::Result<LogSettings> {
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

/// Removes what the target deployed (after a short wait when a creation may have been in
/// flight); a second Ctrl-C exits at once.
pub async fn remove<T: Target>(
    session: &mut CommandSession,
    target: &T,
    opts: &DeployOptions,
    in_flight: bool,
) -> anyhow::Result<()> {
    let output = session.output.clone();
    let configs: Vec<&SkaffoldConfig> = session.configs.iter().collect();
    let source = ManifestSource {
        configs: &configs,
        base_dir: &session.base_dir,
        opts,
    };
    let sweep = async {
        if in_flight {
            tokio::time::sleep(IN_FLIGHT_GRACE).await;
        }
        cleanup(target, &source, &output, false).await
    };
    tokio::select! {
        result = sweep => result.map_err(pipeline_error),
        () = session.interrupts.recv() => {
            eprintln!("interrupted again: exiting without finishing the cleanup");
            std::process::exit(i32::from(crate::exit::ERROR));
        }
    }
}
