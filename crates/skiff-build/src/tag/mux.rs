//! Choosing the tagger of each artifact and producing the final references
//! (`pkg/skaffold/tag/tagger_mux.go`, `tag.go` and `ImageTags` in
//! `pkg/skaffold/deploy/util/util.go`).

use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use skiff_config::model::BuildConfig;
use skiff_config::reference::parse_reference;

use super::default_repo::try_substitute;
use super::{ChecksumTagger, TagError, TagInput, Tagger, TaggerSettings, run_tagger};

/// Printed (in yellow by Skaffold) after the tags when some artifact fell back to `sha256`.
pub const FALLBACK_WARNING: &str = "Some taggers failed. Rerun with -vdebug for errors.";

/// The tagger of each artifact, by image name (Skaffold's `TaggerMux`): every artifact of a
/// pipeline uses that pipeline's tag policy.
#[derive(Clone, Default)]
pub struct TaggerMux {
    by_image: HashMap<String, Arc<dyn Tagger>>,
}

impl fmt::Debug for TaggerMux {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut images: Vec<_> = self.by_image.keys().collect();
        images.sort();
        f.debug_struct("TaggerMux")
            .field("images", &images)
            .finish()
    }
}

impl TaggerMux {
    /// An empty mux.
    pub fn new() -> Self {
        TaggerMux::default()
    }

    /// Uses `tagger` for `image` (replacing any earlier one).
    pub fn insert(&mut self, image: impl Into<String>, tagger: Arc<dyn Tagger>) {
        self.by_image.insert(image.into(), tagger);
    }

    /// Skaffold's `NewTaggerMux`: one tagger per pipeline's `build` section (`--tag` overrides
    /// every policy; a pipeline without a policy uses `gitCommit`). A policy that cannot be
    /// built is an error (`creating tagger: ...`).
    pub fn from_pipelines<'a>(
        builds: impl IntoIterator<Item = &'a BuildConfig>,
        custom_tag: Option<&str>,
        settings: &TaggerSettings,
    ) -> Result<Self, TagError> {
        let mut mux = TaggerMux::new();
        for build in builds {
            let tagger: Arc<dyn Tagger> = Arc::from(
                run_tagger(build.tag_policy.as_ref(), custom_tag, settings)
                    .map_err(|e| TagError::CreatingTagger(Box::new(e)))?,
            );
            for a in &build.artifacts {
                mux.insert(a.image.clone(), tagger.clone());
            }
        }
        Ok(mux)
    }

    /// The tagger of `image`.
    pub fn get(&self, image: &str) -> Option<&Arc<dyn Tagger>> {
        self.by_image.get(image)
    }
}

impl Tagger for TaggerMux {
    fn generate_tag(&self, input: &TagInput<'_>) -> Result<String, TagError> {
        match self.by_image.get(input.image) {
            Some(t) => t.generate_tag(input),
            None => Err(TagError::NoTagger(input.image.to_string())),
        }
    }
}

/// Skaffold's `GenerateFullyQualifiedImageName`: `<image>:<tag>`, or the image as is when the
/// tag is `""`; either must parse as an image reference.
pub fn generate_fully_qualified_image_name(
    tagger: &dyn Tagger,
    input: &TagInput<'_>,
) -> Result<String, TagError> {
    let tag = tagger
        .generate_tag(input)
        .map_err(|e| TagError::Generating(Box::new(e)))?;
    if tag.is_empty() {
        parse_reference(input.image).map_err(TagError::ParseImage)?;
        return Ok(input.image.to_string());
    }
    let full = format!("{}:{tag}", input.image);
    parse_reference(&full).map_err(TagError::ParseImage)?;
    Ok(full)
}

/// The final reference of one artifact.
#[derive(Debug)]
pub struct ImageTag {
    /// The artifact's image name as configured.
    pub image: String,
    /// The full reference (`<image>:<tag>` after `--default-repo`).
    pub tag: String,
    /// The tagger's error when the `sha256` fall-back was used.
    pub fallback_cause: Option<TagError>,
}

/// The result of [`image_tags`], in artifact order.
#[derive(Debug, Default)]
pub struct ImageTags {
    /// One entry per artifact.
    pub tags: Vec<ImageTag>,
}

impl ImageTags {
    /// The reference of `image`.
    pub fn get(&self, image: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|t| t.image == image)
            .map(|t| t.tag.as_str())
    }

    /// Whether some tagger failed and `sha256` was used instead.
    pub fn any_fallback(&self) -> bool {
        self.tags.iter().any(|t| t.fallback_cause.is_some())
    }
}

/// Skaffold's `ImageTags`: tags every artifact (in parallel, one worker per core), falling back
/// to `sha256` for an artifact whose tagger fails, and applies `--default-repo`
/// (`multi_level_repo` is the global config's `multi-level-repo`). Prints to `out`:
///
/// ```text
/// Generating tags...
///  - <image> -> <reference>
/// Some taggers failed. Rerun with -vdebug for errors.   (only after a fall-back)
/// ```
///
/// (`No tags generated` when there are no artifacts.) Fails only when the fall-back fails too
/// (the image name is not a valid reference) or the default repo cannot be applied.
pub fn image_tags(
    tagger: &dyn Tagger,
    inputs: &[TagInput<'_>],
    default_repo: Option<&str>,
    multi_level_repo: Option<bool>,
    out: &mut dyn Write,
) -> Result<ImageTags, TagError> {
    let start = std::time::Instant::now();
    if inputs.is_empty() {
        let _ = writeln!(out, "No tags generated");
    } else {
        let _ = writeln!(out, "Generating tags...");
    }

    let results = tag_all(tagger, inputs);
    let mut tags = ImageTags::default();
    let mut show_warning = false;
    for (input, result) in inputs.iter().zip(results) {
        let _ = write!(out, " - {} -> ", input.image);
        let (full, cause) = match result {
            Ok(full) => (full, None),
            Err(e) => {
                tracing::debug!("{e}");
                tracing::debug!("Using a fall-back tagger");
                let full = generate_fully_qualified_image_name(&ChecksumTagger, input).map_err(
                    |source| TagError::Fallback {
                        image: input.image.to_string(),
                        source: Box::new(source),
                    },
                )?;
                show_warning = true;
                (full, Some(e))
            }
        };
        let tag = try_substitute(&full, default_repo, multi_level_repo).map_err(|source| {
            TagError::DefaultRepo {
                tag: full.clone(),
                source,
            }
        })?;
        let _ = writeln!(out, "{tag}");
        tags.tags.push(ImageTag {
            image: input.image.to_string(),
            tag,
            fallback_cause: cause,
        });
    }
    if show_warning {
        let _ = writeln!(out, "{FALLBACK_WARNING}");
    }
    tracing::info!("Tags generated in {:?}", start.elapsed());
    Ok(tags)
}

fn tag_all(tagger: &dyn Tagger, inputs: &[TagInput<'_>]) -> Vec<Result<String, TagError>> {
    let n = inputs.len();
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(n);
    if workers <= 1 {
        return inputs
            .iter()
            .map(|i| generate_fully_qualified_image_name(tagger, i))
            .collect();
    }
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<Result<String, TagError>>> = (0..n).map(|_| None).collect();
    let parts: Vec<Vec<(usize, Result<String, TagError>)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break;
                        }
                        done.push((i, generate_fully_qualified_image_name(tagger, &inputs[i])));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("tagger panicked"))
            .collect()
    });
    for (i, r) in parts.into_iter().flatten() {
        results[i] = Some(r);
    }
    results
        .into_iter()
        .map(|r| r.expect("every artifact is tagged"))
        .collect()
}
