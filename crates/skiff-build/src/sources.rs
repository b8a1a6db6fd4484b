//! The source files of an artifact, from its config alone (no engine needed): what the cache
//! and `inputDigest` tags hash, and what the dev loop watches.

use std::path::{Path, PathBuf};

use skiff_config::model::{Artifact, ArtifactType};

use crate::builder::BuildError;
use crate::{custom, docker};

/// The files `artifact` is built from, relative to `workspace`, sorted. Builders skiff does not
/// run have none.
pub fn source_dependencies(
    artifact: &Artifact,
    workspace: &Path,
) -> Result<Vec<PathBuf>, BuildError> {
    match &artifact.artifact_type {
        Some(ArtifactType::Docker(_)) | None => docker::dependencies(artifact, workspace),
        Some(ArtifactType::Custom(_)) => {
            custom::dependencies(artifact, workspace, custom::DEFAULT_DEPENDENCIES_TIMEOUT)
        }
        Some(_) => Ok(Vec::new()),
    }
}
