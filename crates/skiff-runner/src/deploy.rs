//! The deploy phase over the docker target, with Skaffold's events: `Render-N` (a docker deploy
//! renders nothing), `Deploy-N` with deployer subtask `"0"`, and inside it `StatusCheck-N`
//! unless the status check is off; and the cleanup that `delete` and an interrupted `run` do.

use std::collections::BTreeMap;
use std::time::Duration;

use skiff_build::builder::BuiltImage;
use skiff_config::SkaffoldConfig;
use skiff_deploy::docker::{
    DEFAULT_STATUS_CHECK_DEADLINE, DockerSettings, DockerTarget, StatusCheckSettings,
};
use skiff_docker::Engine;
use skiff_events::{LogFile, Output, Phase, Status, Subtask, errors};
use skiff_proto::enums::StatusCode;
use skiff_proto::v2::ActionableErr;

use crate::error::PipelineError;

/// The deployer index of the docker target in deploy subtask events.
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
}

/// The docker target for `configs`: their `deploy.docker.images` and `portForward` entries
/// merged, the status check on unless `--status-check=false` or a config's
/// `deploy.statusCheck: false` turns it off (the flag wins), with the longest
/// `statusCheckDeadlineSeconds` (10 minutes when none is set). Configs that deploy with
/// kubectl, helm, kpt or Cloud Run are refused.
pub fn docker_target(
    configs: &[&SkaffoldConfig],
    engine: &Engine,
    opts: &DeployOptions,
) -> Result<DockerTarget, PipelineError> {
    let settings = docker_settings(configs, opts)?;
    DockerTarget::new(engine.clone(), settings)
        .map_err(|e| PipelineError::new(Phase::Deploy, e.actionable()))
}

/// The docker target's settings for `configs`.
fn docker_settings(
    configs: &[&SkaffoldConfig],
    opts: &DeployOptions,
) -> Result<DockerSettings, PipelineError> {
    for config in configs {
        refuse_cluster_deployers(config)?;
    }
    let dockers: Vec<_> = configs
        .iter()
        .filter_map(|c| c.pipeline.deploy.docker.as_ref())
        .collect();
    if dockers.is_empty() {
        return Err(deployer_error(
            "no config has a deploy.docker section: list the images to run on the local engine \
             in deploy.docker.images"
                .to_owned(),
        ));
    }
    let mut images: Vec<String> = Vec::new();
    for image in dockers.iter().flat_map(|d| &d.images) {
        if !images.contains(image) {
            images.push(image.clone());
        }
    }
    let deploys = configs.iter().map(|c| &c.pipeline.deploy);
    let status_check_on = opts
        .status_check
        .unwrap_or_else(|| deploys.clone().all(|d| d.status_check != Some(false)));
    let deadline = deploys
        .filter_map(|d| u64::try_from(d.status_check_deadline_seconds).ok())
        .filter(|secs| *secs > 0)
        .max()
        .map_or(DEFAULT_STATUS_CHECK_DEADLINE, Duration::from_secs);
    Ok(DockerSettings {
        run_id: opts.run_id.clone(),
        images,
        use_compose: dockers.iter().any(|d| d.use_compose),
        port_forward: configs
            .iter()
            .flat_map(|c| c.pipeline.port_forward.iter().cloned())
            .collect(),
        labels: opts.labels.clone(),
        status_check: status_check_on.then_some(StatusCheckSettings { deadline }),
    })
}

/// Refuses a config that deploys to a cluster: skiff's only target is the local engine.
fn refuse_cluster_deployers(config: &SkaffoldConfig) -> Result<(), PipelineError> {
    let deploy = &config.pipeline.deploy;
    let field = if deploy.kubectl.is_some() {
        // Skaffold also implies it for a config with no deploy section.
        "deploy.kubectl (Skaffold's default deployer when a config has no deploy section)"
    } else if deploy.helm.is_some() {
        "deploy.helm"
    } else if deploy.kpt.is_some() {
        "deploy.kpt"
    } else if deploy.cloudrun.is_some() {
        "deploy.cloudrun"
    } else {
        return Ok(());
    };
    let config_name = match config.metadata.name.as_str() {
        "" => String::new(),
        name => format!("config {name:?}: "),
    };
    Err(deployer_error(format!(
        "{config_name}{field} is not supported: skiff deploys to Kubernetes only with its \
         Kubernetes target, which this build does not include; use deploy.docker (with the \
         images in deploy.docker.images) to run them on the local engine"
    )))
}

fn deployer_error(message: String) -> PipelineError {
    PipelineError::new(
        Phase::Deploy,
        errors::actionable(StatusCode::InitCreateDeployerError, message, None),
    )
}

/// Deploys `builds` with `target` and, unless it is off, checks that they came up, emitting
/// Skaffold's render, deploy and status-check events and output.
pub async fn deploy(
    target: &DockerTarget,
    builds: &[BuiltImage],
    output: &Output,
) -> Result<(), PipelineError> {
    let hub = output.hub();
    hub.task_in_progress(Phase::Render, "Render Manifests");
    hub.task_succeeded(Phase::Render);
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
    match deploy_and_check(target, builds, output).await {
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
async fn deploy_and_check(
    target: &DockerTarget,
    builds: &[BuiltImage],
    output: &Output,
) -> Result<(), ActionableErr> {
    let deploy_output = step_output(output, Phase::Deploy, None)?;
    let containers = target.deploy(builds, &deploy_output).await?;
    if target.settings().status_check.is_none() {
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
            .status_check(&containers, &check_output)
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

/// Removes what `target` deployed and what earlier runs of the same images left (`delete`,
/// and the end of an interrupted `run`); with `dry_run`, lists it instead.
pub async fn cleanup(
    target: &DockerTarget,
    output: &Output,
    dry_run: bool,
) -> Result<(), PipelineError> {
    output.phase(Phase::Cleanup, "Cleaning up...\n");
    if dry_run {
        output.phase(Phase::Cleanup, "Following resources would be deleted:\n");
    }
    target
        .cleanup(output, dry_run)
        .await
        .map_err(|e| PipelineError::new(Phase::Cleanup, e.actionable()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_config::model::{DockerDeploy, KubectlDeploy, PortForwardResource};
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

    fn docker_config(images: &[&str]) -> SkaffoldConfig {
        let mut config = SkaffoldConfig::default();
        config.pipeline.deploy.docker = Some(DockerDeploy {
            use_compose: false,
            images: images.iter().map(|i| (*i).to_owned()).collect(),
        });
        config
    }

    fn opts(status_check: Option<bool>) -> DeployOptions {
        DeployOptions {
            run_id: "run-1".into(),
            labels: BTreeMap::new(),
            status_check,
        }
    }

    #[test]
    fn configs_merge_images_ports_and_the_longest_deadline() {
        let mut a = docker_config(&["web", "api"]);
        a.pipeline.deploy.status_check_deadline_seconds = 30;
        a.pipeline.port_forward.push(PortForwardResource {
            resource_name: "web".into(),
            ..Default::default()
        });
        let mut b = docker_config(&["api", "worker"]);
        b.pipeline.deploy.status_check_deadline_seconds = 90;
        let settings = docker_settings(&[&a, &b], &opts(None)).unwrap();
        assert_eq!(settings.images, ["web", "api", "worker"]);
        assert_eq!(settings.port_forward.len(), 1);
        assert_eq!(settings.run_id, "run-1");
        assert_eq!(
            settings.status_check,
            Some(StatusCheckSettings {
                deadline: Duration::from_secs(90)
            })
        );
        let defaulted = docker_settings(&[&docker_config(&["web"])], &opts(None)).unwrap();
        assert_eq!(
            defaulted.status_check.unwrap().deadline,
            DEFAULT_STATUS_CHECK_DEADLINE
        );
    }

    #[test]
    fn the_flag_wins_over_the_configs_status_check() {
        let mut off = docker_config(&["web"]);
        off.pipeline.deploy.status_check = Some(false);
        let on = docker_config(&["api"]);
        assert!(
            docker_settings(&[&on, &off], &opts(None))
                .unwrap()
                .status_check
                .is_none()
        );
        assert!(
            docker_settings(&[&on, &off], &opts(Some(true)))
                .unwrap()
                .status_check
                .is_some()
        );
        assert!(
            docker_settings(&[&on], &opts(Some(false)))
                .unwrap()
                .status_check
                .is_none()
        );
    }

    #[test]
    fn cluster_deployers_are_refused_naming_the_field() {
        let mut implied = SkaffoldConfig::default();
        implied.pipeline.deploy.kubectl = Some(KubectlDeploy::default());
        implied.pipeline.manifests.raw_yaml = vec!["k8s/*.yaml".into()];
        implied.metadata.name = "app".into();
        let err = docker_settings(&[&implied], &opts(None)).unwrap_err();
        assert_eq!(err.code(), StatusCode::InitCreateDeployerError);
        assert!(
            err.actionable
                .message
                .starts_with("config \"app\": deploy.kubectl")
        );
        assert!(err.actionable.message.contains("deploy.docker"));

        let none = SkaffoldConfig::default();
        let err = docker_settings(&[&none], &opts(None)).unwrap_err();
        assert!(err.actionable.message.contains("deploy.docker.images"));
    }
}
