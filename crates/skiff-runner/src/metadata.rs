//! The `metadata` of the session's `State` and `metaEvent`, derived from the configs as
//! Skaffold derives it.

use skiff_config::SkaffoldConfig;
use skiff_config::model::{ArtifactType, BuildType as ConfigBuildType};
use skiff_deploy::kubernetes::cluster::cluster_type;
use skiff_proto::enums::{BuildType, BuilderType, DeployerType};
use skiff_proto::v2::{
    BuildMetadata, DeployMetadata, Metadata, RenderMetadata, build_metadata, deploy_metadata,
};

/// Metadata for `configs` with the given run id and kube context.
pub fn metadata(configs: &[&SkaffoldConfig], run_id: &str, kube_context: &str) -> Metadata {
    Metadata {
        build: Some(build(configs)),
        deploy: Some(deploy(configs, kube_context)),
        test: None,
        run_id: run_id.to_owned(),
        render: Some(RenderMetadata::default()),
        additional: Default::default(),
    }
}

fn build(configs: &[&SkaffoldConfig]) -> BuildMetadata {
    let build_type = configs
        .first()
        .and_then(|c| c.pipeline.build.build_type.as_ref())
        .map_or(BuildType::UnknownBuildType, |t| match t {
            ConfigBuildType::Local(_) => BuildType::Local,
            ConfigBuildType::GoogleCloudBuild(_) => BuildType::Gcb,
            ConfigBuildType::Cluster(_) => BuildType::Cluster,
        });
    let artifacts = configs
        .iter()
        .flat_map(|c| &c.pipeline.build.artifacts)
        .map(|a| {
            let (kind, dockerfile) = match &a.artifact_type {
                Some(ArtifactType::Docker(d)) => (BuilderType::Docker, d.dockerfile.clone()),
                Some(ArtifactType::Kaniko(k)) => (BuilderType::Kaniko, k.dockerfile.clone()),
                Some(ArtifactType::Bazel(_)) => (BuilderType::Bazel, String::new()),
                Some(ArtifactType::Ko(_)) => (BuilderType::Ko, String::new()),
                Some(ArtifactType::Jib(_)) => (BuilderType::Jib, String::new()),
                Some(ArtifactType::Buildpacks(_)) => (BuilderType::Buildpacks, String::new()),
                Some(ArtifactType::Custom(_)) => (BuilderType::Custom, String::new()),
                None => (BuilderType::UnknownBuilderType, String::new()),
            };
            build_metadata::Artifact {
                r#type: kind as i32,
                name: a.image.clone(),
                context: a.context.clone(),
                dockerfile,
            }
        })
        .collect();
    BuildMetadata {
        artifacts,
        r#type: build_type as i32,
        additional: Default::default(),
    }
}

fn deploy(configs: &[&SkaffoldConfig], kube_context: &str) -> DeployMetadata {
    let mut deployers = Vec::new();
    let helm_releases: usize = configs
        .iter()
        .filter_map(|c| c.pipeline.deploy.helm.as_ref())
        .map(|h| h.releases.len())
        .sum();
    if configs.iter().any(|c| c.pipeline.deploy.helm.is_some()) {
        deployers.push(deploy_metadata::Deployer {
            r#type: DeployerType::Helm as i32,
            count: i32::try_from(helm_releases).unwrap_or(i32::MAX),
        });
    }
    if configs.iter().any(|c| c.pipeline.deploy.kubectl.is_some()) {
        deployers.push(deploy_metadata::Deployer {
            r#type: DeployerType::Kubectl as i32,
            count: 1,
        });
    }
    if deployers.is_empty() {
        return DeployMetadata::default();
    }
    DeployMetadata {
        deployers,
        cluster: cluster_type(kube_context) as i32,
    }
}

/// Image names of every artifact of every config, for the initial build state.
pub fn artifact_names(configs: &[&SkaffoldConfig]) -> Vec<String> {
    configs
        .iter()
        .flat_map(|c| &c.pipeline.build.artifacts)
        .map(|a| a.image.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_config::defaults::{self, DefaultsOptions};
    use skiff_proto::enums::ClusterType;

    fn configs(yaml: &str) -> Vec<SkaffoldConfig> {
        let mut set = skiff_config::load_str(yaml, "skaffold.yaml").unwrap();
        defaults::apply(&mut set, &DefaultsOptions::default()).unwrap();
        set.entries.into_iter().map(|e| e.config).collect()
    }

    #[test]
    fn local_docker_with_kubectl_and_helm_on_minikube() {
        let configs = configs(
            "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n    - image: app\n\
             deploy:\n  kubectl: {}\n  helm:\n    releases:\n      - name: a\n        chartPath: c\n      - name: b\n        chartPath: c\n",
        );
        let refs: Vec<&SkaffoldConfig> = configs.iter().collect();
        let m = metadata(&refs, "run-id", "minikube");
        let build = m.build.unwrap();
        assert_eq!(build.r#type, BuildType::Local as i32);
        assert_eq!(build.artifacts[0].r#type, BuilderType::Docker as i32);
        assert_eq!(build.artifacts[0].name, "app");
        assert_eq!(build.artifacts[0].dockerfile, "Dockerfile");
        let deploy = m.deploy.unwrap();
        let kinds: Vec<(i32, i32)> = deploy
            .deployers
            .iter()
            .map(|d| (d.r#type, d.count))
            .collect();
        assert_eq!(
            kinds,
            [
                (DeployerType::Helm as i32, 2),
                (DeployerType::Kubectl as i32, 1)
            ]
        );
        assert_eq!(deploy.cluster, ClusterType::Minikube as i32);
        assert_eq!(m.run_id, "run-id");
        assert_eq!(artifact_names(&refs), ["app"]);
    }

    #[test]
    fn docker_deploy_has_no_cluster_metadata() {
        let configs = configs(
            "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n    - image: app\ndeploy:\n  docker:\n    images: [app]\n",
        );
        let refs: Vec<&SkaffoldConfig> = configs.iter().collect();
        assert_eq!(
            metadata(&refs, "r", "gke_x").deploy.unwrap(),
            DeployMetadata::default()
        );
    }
}
