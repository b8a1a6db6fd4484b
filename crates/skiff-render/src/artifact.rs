//! [`BuiltArtifact`]: an image skiff built (or was given), as render needs it.

/// An artifact's image name as written in skaffold.yaml and the full reference it was built as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltArtifact {
    /// The artifact's `image` in skaffold.yaml (e.g. `gcr.io/k8s-skaffold/app`).
    pub image_name: String,
    /// The full reference to deploy (`repo/name:tag`, `repo/name:tag@sha256:…` or
    /// `repo/name@sha256:…`), with the default repo already applied.
    pub tag: String,
}

impl BuiltArtifact {
    /// The artifact `image_name` built as `tag`.
    pub fn new(image_name: impl Into<String>, tag: impl Into<String>) -> Self {
        Self {
            image_name: image_name.into(),
            tag: tag.into(),
        }
    }
}
