//! The `Builder` seam: one implementation per builder kind (docker, custom, …). The build
//! scheduler hands each builder one artifact at a time with everything it needs resolved
//! (workspace, the reference to produce, required artifacts, where output goes) and gets back
//! the reference of the built image.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use skiff_config::model::Artifact;
use skiff_events::errors::Failure;

/// Where a builder writes the output of its tools (build steps, script output). The scheduler
/// forwards it to the terminal and as `skaffoldLogEvent`s of the artifact's subtask.
pub trait BuildOutput: Send + Sync {
    /// One chunk of output, usually a line with its trailing newline.
    fn write(&self, text: &str);
}

/// Everything a builder needs to build one artifact.
pub struct BuildRequest<'a> {
    /// The artifact as configured (after profiles and defaults).
    pub artifact: &'a Artifact,
    /// The artifact's context directory, absolute.
    pub workspace: PathBuf,
    /// The full reference the image must be built as (`registry/name:tag`).
    pub tag: String,
    /// Whether the result must be pushed to its registry.
    pub push: bool,
    /// Target platforms (`linux/amd64`); empty means the engine's own.
    pub platforms: Vec<String>,
    /// Built references of the artifacts this one `requires`, by their alias (build args
    /// named after the alias carry them).
    pub required: BTreeMap<String, String>,
    /// Registries reached over plain HTTP.
    pub insecure_registries: Vec<String>,
    /// Where tool output goes.
    pub output: &'a dyn BuildOutput,
}

/// The outcome of a successful build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltImage {
    /// The configured image name.
    pub image_name: String,
    /// The reference deployers use: `name:tag@digest` when pushed, `name:<image id>` for a local
    /// image.
    pub reference: String,
}

/// A failed build, with what Skaffold reports for it.
pub type BuildError = Failure;

/// Builds artifacts of one kind.
#[async_trait::async_trait]
pub trait Builder: Send + Sync {
    /// Builds (and pushes, when asked) one artifact.
    async fn build(&self, request: &BuildRequest<'_>) -> Result<BuiltImage, BuildError>;

    /// The source files the artifact is built from, relative to `workspace`, sorted: what the
    /// cache hashes, what `inputDigest` tags hash, and what the dev loop watches.
    fn dependencies(
        &self,
        artifact: &Artifact,
        workspace: &Path,
    ) -> Result<Vec<PathBuf>, BuildError>;
}
