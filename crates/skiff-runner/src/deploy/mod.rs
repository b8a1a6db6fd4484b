//! The deploy phase over any deploy [`Target`], with Skaffold's events: `Render-N` (with a
//! `renderEvent` per renderer for a target that applies manifests, empty for the docker
//! target), `Deploy-N` with deployer subtask `"0"`, and inside it `StatusCheck-N` unless the
//! status check is off; and the cleanup that `delete` and an interrupted `run` do.
//!
//! Which target a command deploys to follows from its configs ([`select`]): the docker target
//! for `deploy.docker`, the Kubernetes target for `deploy.kubectl` and `deploy.helm`.

mod docker;
mod kubernetes;
pub mod select;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use skiff_build::builder::BuiltImage;
use skiff_config::SkaffoldConfig;
use skiff_config::model::BuildType;
use skiff_deploy::Target;
use skiff_deploy::kubernetes::port_forward::ForwardModes;
use skiff_deploy::kubernetes::status::configured_deadline;
use skiff_events::{LogFile, Output, Phase, Status, Subtask, errors};
use skiff_proto::v2::ActionableErr;
use skiff_render::labels::{run_labels, set_labels};
use skiff_render::{ManifestList, TransformRules};

use crate::build::BuildOptions;
use crate::error::PipelineError;
use crate::render::{RenderOptions, render};

pub use docker::docker_target;
pub use kubernetes::kubernetes_target;

/// The deployer index of the target in deploy subtask events.
const DEPLOYER: &str = "0";

/// How `deploy` runs, from the command line.
#[derive(Debug, Clone, Default)]
pub struct DeployOptions {
    /// The run id (`skaffold.dev/run-id` label, network name).
    pub run_id: String,
    /// `-l/--label` labels for everything deployed.
    pub labels: BTreeMap<String, String>,
    /// `--status-check`; `None` lets the configs decide.
    pub status_check: Option<bool>,
    /// `-n/--namespace`: where namespaced objects naming none go.
    pub namespace: Option<String>,
    /// `--force`: re-create objects whose update the cluster refuses.
    pub force: bool,
    /// `--port-forward`.
    pub port_forward: ForwardModes,
    /// `--kubeconfig`.
    pub kubeconfig: Option<PathBuf>,
    /// `--kube-context`.
    pub kube_context: Option<String>,
    /// `-d/--default-repo`, for render hooks.
    pub default_repo: Option<String>,
    /// The skiff binary: helm runs its `filter` command as the post-renderer of the releases
    /// it installs, to put the run labels on them. `None`: releases are not labelled.
    pub filter_program: Option<PathBuf>,
}

/// The manifests a deploy applies: the configs' `manifests`, rendered with the images.
#[derive(Clone, Copy)]
pub struct ManifestSource<'a> {
    /// The configs, with profiles applied.
    pub configs: &'a [&'a SkaffoldConfig],
    /// The directory relative paths are resolved against.
    pub base_dir: &'a Path,
    /// How the deploy runs.
    pub opts: &'a DeployOptions,
}

impl ManifestSource<'_> {
    /// The manifests `target` needs, rendered with `builds` in a `Render-N` task (an empty
    /// task and no manifests for a target that renders none).
    pub async fn render_for<T: Target>(
        &self,
        target: &T,
        builds: &[BuiltImage],
        output: &Output,
    ) -> Result<ManifestList, PipelineError> {
        if !target.renders_manifests() {
            let hub = output.hub();
            hub.task_in_progress(Phase::Render, "Render Manifests");
            hub.task_succeeded(Phase::Render);
            return Ok(ManifestList::default());
        }
        let opts = RenderOptions {
            run_id: Some(self.opts.run_id.clone()),
            labels: self.opts.labels.clone(),
            namespace: self.opts.namespace.clone(),
            offline: false,
            render_only: false,
            kube_context: self.opts.kube_context.clone(),
            default_repo: self.opts.default_repo.clone(),
            env: skiff_config::template::process_env(),
        };
        render(self.configs, self.base_dir, builds, &opts, output).await
    }
}

/// The build options for deploying to `target`: unless `--push` or a config's
/// `build.local.push` decides, images are pushed when the target needs them in a registry (a
/// remote cluster), as Skaffold decides.
pub fn build_options_for<T: Target>(
    opts: &BuildOptions,
    configs: &[&SkaffoldConfig],
    target: &T,
) -> BuildOptions {
    let configured = configs.iter().any(|c| {
        matches!(&c.pipeline.build.build_type, Some(BuildType::Local(local)) if local.push.is_some())
    });
    let mut opts = opts.clone();
    if opts.push.is_none() && !configured {
        opts.push = target.pushes_images();
    }
    opts
}

/// Renders the manifests `target` needs, deploys `builds` with them and, unless it is off,
/// checks that they came up, emitting Skaffold's render, deploy and status-check events and
/// output.
pub async fn deploy<T: Target>(
    target: &T,
    source: &ManifestSource<'_>,
    builds: &[BuiltImage],
    output: &Output,
) -> Result<(), PipelineError> {
    let manifests = source.render_for(target, builds, output).await?;
    deploy_rendered(target, builds, &manifests, output).await
}

/// Applies hydrated `manifests` (`skiff apply`) with the run's labels set on them, and checks
/// that they came up: the Deploy phase of [`deploy`], with nothing rendered.
pub async fn apply_manifests<T: Target>(
    target: &T,
    mut manifests: ManifestList,
    opts: &DeployOptions,
    output: &Output,
) -> Result<(), PipelineError> {
    let labels = run_labels(Some(&opts.run_id), &opts.labels);
    set_labels(&mut manifests, &labels, &TransformRules::default())
        .map_err(|e| PipelineError::new(Phase::Deploy, e.actionable()))?;
    deploy_rendered(target, &[], &manifests, output).await
}

/// The Deploy phase of `builds` with `manifests` already rendered.
async fn deploy_rendered<T: Target>(
    target: &T,
    builds: &[BuiltImage],
    manifests: &ManifestList,
    output: &Output,
) -> Result<(), PipelineError> {
    let hub = output.hub();
    if !builds.is_empty() {
        output.phase(Phase::Deploy, "Tags used in deployment:\n");
    }
    for build in builds {
        output.phase(
            Phase::Deploy,
            &format!(" - {} -> {}\n", build.image_name, build.reference),
        );
    }
    hub.task_in_progress(Phase::Deploy, "Deploy to cluster");
    output.phase(Phase::Deploy, "Starting deploy...\n");
    hub.subtask(Subtask::Deploy, DEPLOYER, Status::InProgress, None);
    match deploy_and_check(target, builds, manifests, output).await {
        Ok(()) => {
            hub.subtask(Subtask::Deploy, DEPLOYER, Status::Succeeded, None);
            hub.task_succeeded(Phase::Deploy);
            Ok(())
        }
        Err(err) => {
            hub.subtask(Subtask::Deploy, DEPLOYER, Status::Failed, Some(err.clone()));
            hub.task_failed(Phase::Deploy, err.clone());
            Err(PipelineError::new(Phase::Deploy, err))
        }
    }
}

/// The target's deploy, then its status check in a `StatusCheck-N` task unless it is off;
/// each writes to its log file when `--mute-logs` mutes it.
async fn deploy_and_check<T: Target>(
    target: &T,
    builds: &[BuiltImage],
    manifests: &ManifestList,
    output: &Output,
) -> Result<(), ActionableErr> {
    let deploy_output = step_output(output, Phase::Deploy, None)?;
    let deployed = target
        .deploy(builds, manifests, &deploy_output)
        .await
        .map_err(|e| e.actionable())?;
    if !target.checks_status() {
        return Ok(());
    }
    let hub = output.hub();
    hub.task_in_progress(Phase::StatusCheck, "Status Checking Deployed Artifacts");
    let checked = async {
        let check_output = step_output(
            output,
            Phase::StatusCheck,
            Some("Waiting for deployments to stabilize...\n"),
        )?;
        target
            .status_check(&deployed, &check_output)
            .await
            .map_err(|e| e.actionable())
    };
    match checked.await {
        Ok(()) => {
            hub.task_succeeded(Phase::StatusCheck);
            Ok(())
        }
        Err(err) => {
            hub.task_failed(Phase::StatusCheck, err.clone());
            Err(err)
        }
    }
}

/// Where a deploy step (`Phase::Deploy` or `Phase::StatusCheck`) writes: `output`, or when
/// `--mute-logs` mutes the step a new `deploy/<time>.log` or `status-check/<time>.log` file,
/// announced on `output` (after `headline`) as Skaffold announces it.
fn step_output(
    output: &Output,
    step: Phase,
    headline: Option<&str>,
) -> Result<Output, ActionableErr> {
    if !output.mutes(step) {
        return Ok(output.clone());
    }
    let name = match step {
        Phase::StatusCheck => "status-check",
        _ => "deploy",
    };
    let file = LogFile::timestamped(name).map_err(|e| {
        errors::unknown(
            Phase::Deploy,
            format!("unable to create log file for the {name} step: {e}"),
        )
    })?;
    if let Some(headline) = headline {
        output.phase(Phase::Deploy, headline);
    }
    output.phase(
        Phase::Deploy,
        &format!("- writing logs to {}\n", file.path().display()),
    );
    Ok(output.to_file(file))
}

/// Starts the target's port forwards after a deploy, or reports the running ones again, in a
/// `PortForward-N` task ("Port forward URLs"); nothing for a target that forwards no ports.
pub async fn forward_ports<T: Target>(target: &T, output: &Output) -> Result<(), PipelineError> {
    if !target.forwards_ports() {
        return Ok(());
    }
    let hub = output.hub();
    hub.task_in_progress(Phase::PortForward, "Port forward URLs");
    match target.forward_ports(output).await {
        Ok(()) => {
            hub.task_succeeded(Phase::PortForward);
            Ok(())
        }
        Err(err) => {
            let err = err.actionable();
            hub.task_failed(Phase::PortForward, err.clone());
            Err(PipelineError::new(Phase::PortForward, err))
        }
    }
}

/// Removes what `target` deployed for the configs of `source` (and, for the docker target,
/// what earlier runs of the same images left: `delete`, and the end of an interrupted `run`);
/// with `dry_run`, lists it instead.
pub async fn cleanup<T: Target>(
    target: &T,
    source: &ManifestSource<'_>,
    output: &Output,
    dry_run: bool,
) -> Result<(), PipelineError> {
    let manifests = source.render_for(target, &[], output).await?;
    output.phase(Phase::Cleanup, "Cleaning up...\n");
    if dry_run {
        output.phase(Phase::Cleanup, "Following resources would be deleted:\n");
    }
    target
        .cleanup(&manifests, output, dry_run)
        .await
        .map_err(|e| PipelineError::new(Phase::Cleanup, e.actionable()))
}

/// How long the status check may take: `None` when `--status-check=false` or a config's
/// `deploy.statusCheck: false` turns it off (the flag wins), else the longest
/// `statusCheckDeadlineSeconds` of the configs (10 minutes when none is set).
fn status_check_deadline(configs: &[&SkaffoldConfig], opts: &DeployOptions) -> Option<Duration> {
    let deploys = configs.iter().map(|c| &c.pipeline.deploy);
    let on = opts
        .status_check
        .unwrap_or_else(|| deploys.clone().all(|d| d.status_check != Some(false)));
    let deadline = configured_deadline(deploys.map(|d| d.status_check_deadline_seconds));
    on.then_some(deadline)
}

/// A deploy that cannot be set up: `INIT_CREATE_DEPLOYER_ERROR` with `message`.
fn deployer_error(message: String) -> PipelineError {
    PipelineError::new(
        Phase::Deploy,
        errors::actionable(
            skiff_proto::enums::StatusCode::InitCreateDeployerError,
            message,
            None,
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_events::MutedPhases;
    use skiff_testenv::recorded_output;

    #[test]
    fn an_unmuted_step_writes_to_the_terminal() {
        let (output, printed) = recorded_output();
        let output = output.muting("deploy".parse().unwrap());
        let check = step_output(&output, Phase::StatusCheck, Some("Waiting...\n")).unwrap();
        check.phase(Phase::Deploy, " - container/web is ready.\n");
        assert_eq!(printed.text(), " - container/web is ready.\n");
    }

    #[test]
    fn a_muted_step_announces_its_log_file_and_writes_there() {
        let (output, printed) = recorded_output();
        let output = output.muting(MutedPhases::ALL);
        let check = step_output(
            &output,
            Phase::StatusCheck,
            Some("Waiting for deployments to stabilize...\n"),
        )
        .unwrap();
        check.phase(Phase::Deploy, " - container/web is ready.\n");

        let text = printed.text();
        let path = text
            .strip_prefix("Waiting for deployments to stabilize...\n- writing logs to ")
            .and_then(|rest| rest.strip_suffix('\n'))
            .unwrap_or_else(|| panic!("unexpected output: {text:?}"));
        let path = std::path::Path::new(path);
        assert_eq!(
            path.parent(),
            Some(std::env::temp_dir().join("skaffold/status-check").as_path())
        );
        assert_eq!(
            std::fs::read_to_string(path).unwrap(),
            " - container/web is ready.\n"
        );
        std::fs::remove_file(path).unwrap();
    }
}
