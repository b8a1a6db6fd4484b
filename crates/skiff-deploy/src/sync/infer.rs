//! Inferred sync (`sync.infer`): where the Dockerfile's last stage copies each context file, as
//! Skaffold's `syncMapForArtifact` finds it for docker, kaniko and custom artifacts that name a
//! Dockerfile.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use skiff_build::dockerfile::sync_map;
use skiff_config::model::{Artifact, ArtifactType, CustomDependencySource};
use skiff_config::template::evaluate_env_template_map;
use skiff_proto::enums::StatusCode;

use crate::error::DeployError;

/// The Dockerfile used when an artifact names none.
const DEFAULT_DOCKERFILE: &str = "Dockerfile";

/// For each context file the artifact's Dockerfile copies into its last stage (relative to
/// `workspace`), the absolute container paths it lands at. Base images are not inspected: a
/// relative `COPY` destination in a stage without its own `WORKDIR` counts from `/`.
pub(super) fn sync_map_of(
    artifact: &Artifact,
    workspace: &Path,
) -> Result<BTreeMap<PathBuf, Vec<String>>, DeployError> {
    let failed = |message: String| {
        DeployError::new(
            StatusCode::SyncUnknown,
            format!(
                "inferring syncmap for image {:?}: {message}",
                artifact.image
            ),
        )
    };
    let (dockerfile, build_args) = match &artifact.artifact_type {
        Some(ArtifactType::Docker(docker)) => (docker.dockerfile.as_str(), &docker.build_args),
        Some(ArtifactType::Kaniko(kaniko)) => (kaniko.dockerfile.as_str(), &kaniko.build_args),
        Some(ArtifactType::Custom(custom)) => {
            match custom.dependencies.as_ref().and_then(|d| d.source.as_ref()) {
                Some(CustomDependencySource::Dockerfile(d)) => (d.path.as_str(), &d.build_args),
                _ => {
                    return Err(failed(
                    "inferred sync needs the custom artifact's dependencies to name a dockerfile"
                        .into(),
                ));
                }
            }
        }
        _ => {
            return Err(failed(
                "inferred sync is only available for docker, kaniko and custom artifacts".into(),
            ));
        }
    };
    let dockerfile = if dockerfile.is_empty() {
        DEFAULT_DOCKERFILE
    } else {
        dockerfile
    };
    let args = evaluate_env_template_map(build_args, &BTreeMap::new())
        .map_err(|e| failed(format!("buildArgs: {e}")))?;
    sync_map(workspace, dockerfile, &args).map_err(|e| failed(e.to_string()))
}
