//! The `sha256` tag policy (Skaffold's `ChecksumTagger`, `pkg/skaffold/tag/sha256.go`).

use skiff_config::reference::parse_reference;

use super::{TagError, TagInput, Tagger};

/// Tags `latest` when the image name has no tag, and keeps the given tag otherwise (returns
/// `""`). The name is historical: a local build without push is re-tagged with its image id,
/// which is what makes the reference unique. Also the fall-back when another tagger fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChecksumTagger;

impl Tagger for ChecksumTagger {
    fn generate_tag(&self, input: &TagInput<'_>) -> Result<String, TagError> {
        let parsed = parse_reference(input.image).map_err(TagError::Reference)?;
        if parsed.tag.is_empty() {
            Ok("latest".to_string())
        } else {
            Ok(String::new())
        }
    }
}
