//! Helpers for skiff-build's builder tests (feature `build`).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use skiff_build::builder::{BuildOutput, BuildRequest};
use skiff_config::model::{Artifact, ArtifactType, CustomArtifact};

/// A [`BuildOutput`] that keeps everything written to it: the chunks, one per `write`, in order.
#[derive(Default)]
pub struct Collect(pub Mutex<Vec<String>>);

impl BuildOutput for Collect {
    fn write(&self, text: &str) {
        self.0.lock().unwrap().push(text.to_owned());
    }
}

impl Collect {
    /// Everything written so far, concatenated.
    pub fn text(&self) -> String {
        self.0.lock().unwrap().concat()
    }
}

/// A custom artifact for `image` built by the script `command`, with no dependencies.
pub fn custom_artifact(image: &str, command: &str) -> Artifact {
    Artifact {
        image: image.into(),
        artifact_type: Some(ArtifactType::Custom(CustomArtifact {
            build_command: command.into(),
            dependencies: None,
        })),
        ..Default::default()
    }
}

/// A request to build `artifact` from `workspace` as `tag` (pushed when `push`), for the
/// engine's own platform, with nothing required, writing to `output`.
pub fn build_request<'a>(
    artifact: &'a Artifact,
    workspace: &Path,
    tag: &str,
    push: bool,
    output: &'a Collect,
) -> BuildRequest<'a> {
    BuildRequest {
        artifact,
        workspace: workspace.to_path_buf(),
        tag: tag.into(),
        push,
        platforms: vec![],
        required: BTreeMap::new(),
        insecure_registries: vec![],
        output,
    }
}
