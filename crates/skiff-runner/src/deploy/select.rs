//! Which target a command deploys to: the docker target when the configs deploy with
//! `deploy.docker`, the Kubernetes target when they deploy with `deploy.kubectl` or
//! `deploy.helm` (a config with no deploy section gets Skaffold's implied kubectl deployer).

use skiff_config::SkaffoldConfig;

use super::deployer_error;
use crate::error::PipelineError;

/// Where a command's configs deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// The local container engine (`deploy.docker`).
    Docker,
    /// A Kubernetes cluster (`deploy.kubectl`, `deploy.helm`).
    Kubernetes,
}

/// The one target every config deploys to. A config that deploys with kpt or Cloud Run, or
/// configs that mix the docker target with a cluster, are refused naming the field.
pub fn target_kind(configs: &[&SkaffoldConfig]) -> Result<TargetKind, PipelineError> {
    let mut kinds = Vec::new();
    for config in configs {
        let deploy = &config.pipeline.deploy;
        let unsupported = if deploy.kpt.is_some() {
            Some("deploy.kpt")
        } else if deploy.cloudrun.is_some() {
            Some("deploy.cloudrun")
        } else {
            None
        };
        if let Some(field) = unsupported {
            return Err(deployer_error(format!(
                "{}{field} is not supported by skiff: deploy with deploy.kubectl (rendering with \
                 manifests.kpt if needed) or deploy.helm to a cluster, or deploy.docker to the \
                 local engine",
                config_prefix(config)
            )));
        }
        if deploy.docker.is_some() {
            kinds.push((TargetKind::Docker, *config));
        }
        if deploy.kubectl.is_some() || deploy.helm.is_some() {
            kinds.push((TargetKind::Kubernetes, *config));
        }
    }
    let Some(&(first, _)) = kinds.first() else {
        return Err(deployer_error(
            "no config deploys anything: add a deploy section (deploy.kubectl, deploy.helm or \
             deploy.docker)"
                .to_owned(),
        ));
    };
    if let Some((_, other)) = kinds.iter().find(|(kind, _)| *kind != first) {
        return Err(deployer_error(format!(
            "{}deploys to {} while other configs deploy to {}: skiff deploys one run to one \
             target; deploy every config with deploy.docker, or every config to the cluster",
            config_prefix(other),
            describe(if first == TargetKind::Docker {
                TargetKind::Kubernetes
            } else {
                TargetKind::Docker
            }),
            describe(first),
        )));
    }
    Ok(first)
}

fn describe(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::Docker => "the local engine (deploy.docker)",
        TargetKind::Kubernetes => "a cluster (deploy.kubectl or deploy.helm)",
    }
}

fn config_prefix(config: &SkaffoldConfig) -> String {
    match config.metadata.name.as_str() {
        "" => String::new(),
        name => format!("config {name:?}: "),
    }
}

#[cfg(test)]
mod tests {
    use skiff_config::model::{DockerDeploy, KptDeploy, KubectlDeploy};
    use skiff_proto::enums::StatusCode;

    use super::*;

    fn docker() -> SkaffoldConfig {
        let mut config = SkaffoldConfig::default();
        config.pipeline.deploy.docker = Some(DockerDeploy::default());
        config
    }

    fn kubectl(name: &str) -> SkaffoldConfig {
        let mut config = SkaffoldConfig::default();
        config.pipeline.deploy.kubectl = Some(KubectlDeploy::default());
        config.metadata.name = name.into();
        config
    }

    #[test]
    fn the_deployers_choose_the_target() {
        assert_eq!(target_kind(&[&docker()]).unwrap(), TargetKind::Docker);
        assert_eq!(
            target_kind(&[&kubectl("a"), &kubectl("b")]).unwrap(),
            TargetKind::Kubernetes
        );
    }

    #[test]
    fn mixed_targets_and_unsupported_deployers_are_refused_naming_the_config() {
        let err = target_kind(&[&docker(), &kubectl("api")]).unwrap_err();
        assert_eq!(err.code(), StatusCode::InitCreateDeployerError);
        assert!(
            err.actionable
                .message
                .starts_with("config \"api\": deploys to a cluster"),
            "{}",
            err.actionable.message
        );

        let mut kpt = kubectl("k");
        kpt.pipeline.deploy.kpt = Some(KptDeploy::default());
        let err = target_kind(&[&kpt]).unwrap_err();
        assert!(
            err.actionable
                .message
                .starts_with("config \"k\": deploy.kpt is not supported")
        );

        let err = target_kind(&[&SkaffoldConfig::default()]).unwrap_err();
        assert!(err.actionable.message.contains("deploy section"));
    }
}
