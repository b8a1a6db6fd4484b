//! The docker target of a command: its settings from the configs' `deploy.docker` sections and
//! the command line.

use skiff_config::SkaffoldConfig;
use skiff_deploy::docker::{DockerSettings, DockerTarget, StatusCheckSettings};
use skiff_docker::Engine;
use skiff_events::Phase;

use super::{DeployOptions, deployer_error, status_check_deadline};
use crate::error::PipelineError;

/// The docker target for `configs`: their `deploy.docker.images` and `portForward` entries
/// merged, the status check on unless `--status-check=false` or a config's
/// `deploy.statusCheck: false` turns it off (the flag wins), with the longest
/// `statusCheckDeadlineSeconds` (10 minutes when none is set).
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
    Ok(DockerSettings {
        run_id: opts.run_id.clone(),
        images,
        use_compose: dockers.iter().any(|d| d.use_compose),
        port_forward: configs
            .iter()
            .flat_map(|c| c.pipeline.port_forward.iter().cloned())
            .collect(),
        labels: opts.labels.clone(),
        status_check: status_check_deadline(configs, opts)
            .map(|deadline| StatusCheckSettings { deadline }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use skiff_config::model::{DockerDeploy, PortForwardResource};
    use skiff_deploy::docker::DEFAULT_STATUS_CHECK_DEADLINE;

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
            status_check,
            ..DeployOptions::default()
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
    fn a_config_without_a_docker_section_is_refused() {
        let none = SkaffoldConfig::default();
        let err = docker_settings(&[&none], &opts(None)).unwrap_err();
        assert!(err.actionable.message.contains("deploy.docker.images"));
    }
}
