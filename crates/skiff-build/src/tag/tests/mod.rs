//! Tests of the tag policies. Expected values come from Skaffold's own tests
//! (`pkg/skaffold/tag/*_test.go`, `pkg/skaffold/docker/*_test.go`) where they exist, and are
//! derived independently (Python `hashlib`, shown next to each value) otherwise.

mod default_repo;
mod digest;
mod git;
mod mux;
mod templates;

use std::path::Path;

use super::{TagInput, Tagger};

/// Tags `image` with `tagger` and a workspace of `.`.
fn tag(tagger: &dyn Tagger, image: &str) -> Result<String, super::TagError> {
    tagger.generate_tag(&TagInput::new(image, Path::new(".")))
}
