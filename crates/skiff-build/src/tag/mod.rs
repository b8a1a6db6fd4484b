//! Tag policies (`build.tagPolicy`): how each artifact's image tag is chosen (Skaffold's
//! `pkg/skaffold/tag`), the `-t/--tag` override, the fall-back to `sha256` when a tagger fails,
//! and `--default-repo` rewriting of the final references ([`default_repo`]).
//!
//! A [`Tagger`] turns a [`TagInput`] (image name, workspace, and for `inputDigest` the
//! artifact's dependency list) into a tag. [`tagger_for`] builds the tagger of a
//! [`TagPolicy`]; [`run_tagger`] adds the `--tag` override; [`TaggerMux`] picks the tagger of
//! each artifact's pipeline; [`image_tags`] produces the final references and prints
//! `Generating tags...` like Skaffold.
//!
//! | policy | tag |
//! |---|---|
//! | `gitCommit` | `git describe --tags --always` (or the commit / tree sha, or the branch), sanitised, `prefix` first, `-dirty` when `git status . --porcelain` is not empty |
//! | `sha256` | `latest`, or nothing when the image name has a tag |
//! | `inputDigest` | SHA-256 over the MD5s of the source files |
//! | `envTemplate` | a Go template over the environment and `IMAGE_NAME` |
//! | `dateTime` | the current time in a Go layout |
//! | `customTemplate` | a Go template over the tags of other taggers |
//!
//! # Differences from Skaffold
//! - A `customTemplate` component with an invalid configuration (unknown git variant,
//!   unparsable `envTemplate`) is an error when the tagger is built; Skaffold ignores the error
//!   and crashes on a nil tagger when the component is used.
//! - `inputDigest` needs the dependency list from the caller ([`TagInput::dependencies`],
//!   including the dependencies of required artifacts); without one it fails (and the artifact
//!   falls back to `sha256`). Paths that are not UTF-8 are hashed in their lossy UTF-8 form.
//! - I/O error texts are Rust's (`No such file or directory (os error 2)`), not Go's.
//! - [`image_tags`] prints each line once every artifact is tagged; Skaffold prints
//!   ` - <image> -> ` before waiting for that artifact's tagger. The text is the same.

pub mod default_repo;

mod custom_template;
mod date_time;
mod digest;
mod env_template;
mod git;
mod mux;
mod sha256;

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use skiff_config::model::{Artifact, ArtifactType, CustomDependencySource, TagPolicy};
use skiff_config::template::TemplateError;

use crate::dockerfile::gopath::{self, go_quote};

pub use custom_template::CustomTemplateTagger;
pub use date_time::{DEFAULT_DATE_TIME_FORMAT, DEFAULT_TIME_ZONE, DateTimeTagger};
pub use digest::{
    CachedDigest, DigestCache, InputDigestTagger, encode_digests, file_digest, input_digest,
};
pub use env_template::EnvTemplateTagger;
pub use git::{GitCommitTagger, GitError, GitVariant, sanitize_tag};
pub use mux::{
    FALLBACK_WARNING, ImageTag, ImageTags, TaggerMux, generate_fully_qualified_image_name,
    image_tags,
};
pub use sha256::ChecksumTagger;
pub use skiff_config::reference::{ImageReference, ReferenceError, parse_reference};

/// A tag strategy.
pub trait Tagger: Send + Sync {
    /// The tag for one artifact. `""` means "keep the image name as is" (see
    /// [`generate_fully_qualified_image_name`]).
    fn generate_tag(&self, input: &TagInput<'_>) -> Result<String, TagError>;

    /// Whether this is a `customTemplate` tagger (which cannot be a component of another).
    fn is_custom_template(&self) -> bool {
        false
    }
}

impl<T: Tagger + ?Sized> Tagger for Box<T> {
    fn generate_tag(&self, input: &TagInput<'_>) -> Result<String, TagError> {
        (**self).generate_tag(input)
    }

    fn is_custom_template(&self) -> bool {
        (**self).is_custom_template()
    }
}

impl<T: Tagger + ?Sized> Tagger for Arc<T> {
    fn generate_tag(&self, input: &TagInput<'_>) -> Result<String, TagError> {
        (**self).generate_tag(input)
    }

    fn is_custom_template(&self) -> bool {
        (**self).is_custom_template()
    }
}

/// The source files of an artifact, for `inputDigest`.
///
/// Paths are what Skaffold's `TransitiveArtifactDependencies` returns: the artifact's own
/// dependencies and those of the artifacts it requires, each absolute or joined with its own
/// artifact's workspace (so relative to [`TagInput::base_dir`]). [`WorkspaceDependencies`]
/// turns a builder's workspace-relative list (e.g. [`crate::dockerfile::docker_dependencies`])
/// into that form without copying it first; plain slices and closures work too.
pub trait DependencySource: Sync {
    /// The dependency paths.
    fn dependencies(&self) -> Result<Cow<'_, [PathBuf]>, DependencyError>;
}

/// The error of a [`DependencySource`] (shown as is, like Skaffold).
pub type DependencyError = Box<dyn std::error::Error + Send + Sync>;

impl DependencySource for [PathBuf] {
    fn dependencies(&self) -> Result<Cow<'_, [PathBuf]>, DependencyError> {
        Ok(Cow::Borrowed(self))
    }
}

impl DependencySource for Vec<PathBuf> {
    fn dependencies(&self) -> Result<Cow<'_, [PathBuf]>, DependencyError> {
        Ok(Cow::Borrowed(self.as_slice()))
    }
}

impl<F> DependencySource for F
where
    F: Fn() -> Result<Vec<PathBuf>, DependencyError> + Sync,
{
    fn dependencies(&self) -> Result<Cow<'_, [PathBuf]>, DependencyError> {
        self().map(Cow::Owned)
    }
}

/// A builder's dependency list, relative to the artifact's workspace, joined with the workspace
/// like Skaffold's `util.AbsolutePaths` (Go `filepath.Join`, so `./a` becomes `a`; absolute
/// paths are kept).
#[derive(Debug, Clone, Copy)]
pub struct WorkspaceDependencies<'a> {
    /// The artifact's workspace (`context`), as configured.
    pub workspace: &'a Path,
    /// The dependencies, relative to `workspace` or absolute.
    pub files: &'a [PathBuf],
}

impl<'a> WorkspaceDependencies<'a> {
    /// `files` relative to `workspace`.
    pub fn new(workspace: &'a Path, files: &'a [PathBuf]) -> Self {
        WorkspaceDependencies { workspace, files }
    }
}

impl DependencySource for WorkspaceDependencies<'_> {
    fn dependencies(&self) -> Result<Cow<'_, [PathBuf]>, DependencyError> {
        Ok(Cow::Owned(join_workspace(self.workspace, self.files)))
    }
}

/// Skaffold's `util.AbsolutePaths(workspace, paths)`: relative paths joined with the workspace
/// (Go `filepath.Join`, which cleans), absolute paths kept.
pub fn join_workspace(workspace: &Path, files: &[PathBuf]) -> Vec<PathBuf> {
    let ws = workspace.to_string_lossy();
    let ws_clean = is_clean(&ws);
    files
        .iter()
        .map(|f| {
            if f.is_absolute() {
                return f.clone();
            }
            let fs = f.to_string_lossy();
            if ws_clean && fs != "." && is_clean(&fs) && !fs.starts_with("..") {
                // Already clean once joined: skip Go's Clean.
                return match ws.as_ref() {
                    "." => f.clone(),
                    "/" => PathBuf::from(format!("/{fs}")),
                    w => {
                        let mut joined = String::with_capacity(w.len() + 1 + fs.len());
                        joined.push_str(w);
                        joined.push('/');
                        joined.push_str(&fs);
                        PathBuf::from(joined)
                    }
                };
            }
            PathBuf::from(gopath::join(&ws, &fs))
        })
        .collect()
}

/// Whether Go's `path.Clean` leaves `p` unchanged.
pub(crate) fn is_clean(p: &str) -> bool {
    if p.is_empty() {
        return false;
    }
    if p == "/" || p == "." {
        return true;
    }
    if p.ends_with('/') {
        return false;
    }
    let body = p.strip_prefix('/').unwrap_or(p);
    let mut leading_dotdot = !p.starts_with('/');
    for c in body.split('/') {
        match c {
            "" | "." => return false,
            ".." if !leading_dotdot => return false,
            ".." => {}
            _ => leading_dotdot = false,
        }
    }
    true
}

/// What a tagger knows about an artifact.
#[derive(Clone, Copy)]
pub struct TagInput<'a> {
    /// The artifact's image name as configured (`build.artifacts[].image`, before
    /// `--default-repo`).
    pub image: &'a str,
    /// The artifact's workspace (`context`) as configured: relative paths are relative to
    /// `base_dir`. git runs there; `inputDigest` hashes file paths relative to it.
    pub workspace: &'a Path,
    /// The directory relative paths are resolved against (Skaffold: the process's working
    /// directory, which is what `None` means).
    pub base_dir: Option<&'a Path>,
    /// The Dockerfile path Skaffold adds to `inputDigest`'s file list for docker and kaniko
    /// artifacts and custom artifacts with a `dockerfile` dependency: the configured value
    /// as is, so relative to `base_dir`, *not* the workspace (see [`dockerfile_for_digest`]).
    pub dockerfile: Option<&'a Path>,
    /// The artifact's source dependencies, for `inputDigest`. `None` makes `inputDigest` fail
    /// (and fall back to `sha256`).
    pub dependencies: Option<&'a dyn DependencySource>,
}

impl fmt::Debug for TagInput<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TagInput")
            .field("image", &self.image)
            .field("workspace", &self.workspace)
            .field("base_dir", &self.base_dir)
            .field("dockerfile", &self.dockerfile)
            .field("dependencies", &self.dependencies.is_some())
            .finish()
    }
}

impl<'a> TagInput<'a> {
    /// An input with just the image name and workspace.
    pub fn new(image: &'a str, workspace: &'a Path) -> Self {
        TagInput {
            image,
            workspace,
            base_dir: None,
            dockerfile: None,
            dependencies: None,
        }
    }

    /// The image name and workspace of a configured artifact, and the Dockerfile Skaffold adds
    /// to `inputDigest` ([`dockerfile_for_digest`]).
    pub fn for_artifact(artifact: &'a Artifact) -> Self {
        let mut input = TagInput::new(&artifact.image, Path::new(&artifact.context));
        input.dockerfile = dockerfile_for_digest(artifact).map(Path::new);
        input
    }

    /// Resolves relative paths against `dir`.
    pub fn with_base_dir(mut self, dir: &'a Path) -> Self {
        self.base_dir = Some(dir);
        self
    }

    /// Sets the Dockerfile path added to `inputDigest`'s files.
    pub fn with_dockerfile(mut self, dockerfile: &'a Path) -> Self {
        self.dockerfile = Some(dockerfile);
        self
    }

    /// Sets the source dependencies.
    pub fn with_dependencies(mut self, deps: &'a dyn DependencySource) -> Self {
        self.dependencies = Some(deps);
        self
    }

    /// The workspace as a directory to run commands in (`""` stays `""`: the current directory).
    pub(crate) fn resolve_dir(&self) -> PathBuf {
        match self.base_dir {
            Some(base) if self.workspace.is_relative() => {
                if self.workspace.as_os_str().is_empty() {
                    base.to_path_buf()
                } else {
                    base.join(self.workspace)
                }
            }
            _ => self.workspace.to_path_buf(),
        }
    }
}

/// The Dockerfile path Skaffold appends to `inputDigest`'s dependencies: `docker.dockerfile`,
/// `kaniko.dockerfile`, or `custom.dependencies.dockerfile.path`, as configured.
pub fn dockerfile_for_digest(artifact: &Artifact) -> Option<&str> {
    match artifact.artifact_type.as_ref()? {
        ArtifactType::Docker(d) => Some(&d.dockerfile),
        ArtifactType::Kaniko(k) => Some(&k.dockerfile),
        ArtifactType::Custom(c) => match c.dependencies.as_ref()?.source.as_ref()? {
            CustomDependencySource::Dockerfile(d) => Some(&d.path),
            _ => None,
        },
        _ => None,
    }
}

/// Reads the current time (for `dateTime`).
pub type Clock = Arc<dyn Fn() -> jiff::Timestamp + Send + Sync>;

/// What taggers built by [`try_tagger_for_with`] share: the environment for `envTemplate`, the
/// clock for `dateTime`, the digest cache for `inputDigest` and extra environment for git.
/// The default reads the process environment and the system clock, and has no cache.
#[derive(Clone, Default)]
pub struct TaggerSettings {
    /// Environment for `envTemplate` (`None`: the process environment at tagging time).
    pub env: Option<Arc<BTreeMap<String, String>>>,
    /// Clock for `dateTime` and `DATE` (`None`: the system clock).
    pub clock: Option<Clock>,
    /// Per-file digest cache for `inputDigest` and `INPUT_DIGEST`.
    pub digest_cache: Option<Arc<RwLock<DigestCache>>>,
    /// Extra environment variables for git commands.
    pub git_env: Vec<(std::ffi::OsString, std::ffi::OsString)>,
}

impl fmt::Debug for TaggerSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaggerSettings")
            .field("env", &self.env.as_ref().map(|e| e.len()))
            .field("clock", &self.clock.is_some())
            .field("digest_cache", &self.digest_cache.is_some())
            .field("git_env", &self.git_env)
            .finish()
    }
}

/// Why a tag could not be generated. `Display` follows Skaffold's messages.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TagError {
    /// `gitCommit.variant` is not one of the variants.
    #[error("{} is not a valid git tagger variant", go_quote(.0))]
    InvalidGitVariant(String),
    /// Reading the commit, tag, tree or branch failed (e.g. not a git repository).
    #[error("unable to find git commit: {0}")]
    GitCommit(#[source] GitError),
    /// `git status` failed.
    #[error("getting git status: {0}")]
    GitStatus(#[source] GitError),
    /// An `envTemplate` or `customTemplate` template does not parse.
    #[error("parsing template: {0}")]
    ParseTemplate(#[source] Box<TemplateError>),
    /// The `envTemplate` template failed or referenced unset variables.
    #[error("{0}")]
    Template(#[source] Box<TemplateError>),
    /// `dateTime.timezone` is not a known zone.
    #[error(
        "bad timezone provided: {}, error: unknown time zone {timezone}",
        go_quote(timezone)
    )]
    BadTimezone {
        /// The zone name.
        timezone: String,
    },
    /// Two `customTemplate` components have the same name.
    #[error("multiple components with name {0}")]
    DuplicateComponent(String),
    /// A `customTemplate` component is itself a `customTemplate`.
    #[error("nested customTemplate components are not supported in skaffold ({0})")]
    NestedCustomTemplate(String),
    /// A `customTemplate` component has no tag policy.
    #[error("unknown component for custom template: {0}")]
    UnknownComponent(String),
    /// The `customTemplate` template references a field that is neither a component nor a
    /// built-in.
    #[error("no tagger available for component {0}")]
    NoComponent(String),
    /// A component tagger given programmatically is a `customTemplate` tagger.
    #[error("invalid component specified in custom template: {0}")]
    InvalidComponent(String),
    /// A `customTemplate` component failed.
    #[error("evaluating custom template component: {0}")]
    Component(#[source] Box<TagError>),
    /// Executing the `customTemplate` template failed.
    #[error("executing template: {0}")]
    ExecuteCustomTemplate(#[source] Box<TemplateError>),
    /// `inputDigest` without [`TagInput::dependencies`].
    #[error("no source dependencies available for artifact {}", go_quote(.0))]
    NoDependencies(String),
    /// The [`DependencySource`] failed.
    #[error("{0}")]
    Dependencies(#[source] DependencyError),
    /// A dependency could not be read.
    #[error("getting hash for {}: {source}", go_quote(&path.to_string_lossy()))]
    HashFile {
        /// The dependency path as listed.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The image name is not a valid reference.
    #[error("{0}")]
    Reference(#[source] ReferenceError),
    /// `--tag ""`.
    #[error("custom tag not provided")]
    EmptyCustomTag,
    /// [`TaggerMux`] has no tagger for the image.
    #[error("no valid tagger found for artifact: {}", go_quote(.0))]
    NoTagger(String),
    /// The tagger failed ([`generate_fully_qualified_image_name`]).
    #[error("generating tag: {0}")]
    Generating(#[source] Box<TagError>),
    /// `<image>:<tag>` is not a valid reference.
    #[error("parsing image name: {0}")]
    ParseImage(#[source] ReferenceError),
    /// Even the `sha256` fall-back failed (the image name itself is invalid).
    #[error(
        "generating checksum as fall-back tag for {}: {source}",
        go_quote(image)
    )]
    Fallback {
        /// The image name.
        image: String,
        /// The fall-back's error.
        source: Box<TagError>,
    },
    /// `--default-repo` could not be applied.
    #[error("applying default repo to {}: {source}", go_quote(tag))]
    DefaultRepo {
        /// The reference being rewritten.
        tag: String,
        /// The parse error.
        source: ReferenceError,
    },
    /// A tagger could not be created ([`TaggerMux::from_pipelines`]).
    #[error("creating tagger: {0}")]
    CreatingTagger(#[source] Box<TagError>),
    /// The tagger of an invalid policy ([`tagger_for`] defers the error to tagging time).
    #[error("creating tagger: {0}")]
    InvalidConfig(String),
}

/// The tagger of a tag policy. A configuration error (unknown git variant, unparsable
/// template, bad components) is reported by every [`Tagger::generate_tag`] call, which makes
/// the artifact fall back to `sha256`; use [`try_tagger_for`] to get it up front (Skaffold
/// refuses to start then).
pub fn tagger_for(policy: &TagPolicy) -> Box<dyn Tagger> {
    tagger_for_with(policy, &TaggerSettings::default())
}

/// [`tagger_for`] with settings.
pub fn tagger_for_with(policy: &TagPolicy, settings: &TaggerSettings) -> Box<dyn Tagger> {
    match try_tagger_for_with(policy, settings) {
        Ok(t) => t,
        Err(e) => Box::new(InvalidTagger(e.to_string())),
    }
}

/// Skaffold's `getTagger` without the `--tag` override: the tagger of a policy, or the error
/// that makes Skaffold refuse to start.
pub fn try_tagger_for(policy: &TagPolicy) -> Result<Box<dyn Tagger>, TagError> {
    try_tagger_for_with(policy, &TaggerSettings::default())
}

/// [`try_tagger_for`] with settings.
pub fn try_tagger_for_with(
    policy: &TagPolicy,
    settings: &TaggerSettings,
) -> Result<Box<dyn Tagger>, TagError> {
    Ok(match policy {
        TagPolicy::GitCommit(g) => Box::new(
            GitCommitTagger::new(&g.prefix, &g.variant, g.ignore_changes)?
                .with_git_env(settings.git_env.iter().cloned()),
        ),
        TagPolicy::Sha256(_) => Box::new(ChecksumTagger),
        TagPolicy::EnvTemplate(e) => {
            let mut t = EnvTemplateTagger::new(&e.template)?;
            if let Some(env) = &settings.env {
                t = t.with_env(env.clone());
            }
            Box::new(t)
        }
        TagPolicy::DateTime(d) => {
            let mut t = DateTimeTagger::new(&d.format, &d.timezone);
            if let Some(clock) = &settings.clock {
                t = t.with_clock(clock.clone());
            }
            Box::new(t)
        }
        TagPolicy::InputDigest(_) => Box::new(InputDigestTagger::from_settings(settings)),
        TagPolicy::CustomTemplate(c) => Box::new(CustomTemplateTagger::from_config(c, settings)?),
    })
}

/// Skaffold's `getTagger`: `--tag` (a non-empty custom tag) overrides every policy; no policy
/// means the default `gitCommit` (variant `Tags`).
pub fn run_tagger(
    policy: Option<&TagPolicy>,
    custom_tag: Option<&str>,
    settings: &TaggerSettings,
) -> Result<Box<dyn Tagger>, TagError> {
    if let Some(tag) = custom_tag.filter(|t| !t.is_empty()) {
        return Ok(Box::new(CustomTag::new(tag)));
    }
    match policy {
        Some(p) => try_tagger_for_with(p, settings),
        None => try_tagger_for_with(&TagPolicy::GitCommit(Default::default()), settings),
    }
}

/// The `-t/--tag` tagger: the same tag for every artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomTag {
    tag: String,
}

impl CustomTag {
    /// A tagger that returns `tag` (an empty tag is an error when tagging).
    pub fn new(tag: &str) -> Self {
        CustomTag {
            tag: tag.to_string(),
        }
    }
}

impl Tagger for CustomTag {
    fn generate_tag(&self, _input: &TagInput<'_>) -> Result<String, TagError> {
        if self.tag.is_empty() {
            return Err(TagError::EmptyCustomTag);
        }
        Ok(self.tag.clone())
    }
}

/// A tagger whose configuration was invalid: fails with the configuration error.
#[derive(Debug, Clone)]
struct InvalidTagger(String);

impl Tagger for InvalidTagger {
    fn generate_tag(&self, _input: &TagInput<'_>) -> Result<String, TagError> {
        Err(TagError::InvalidConfig(self.0.clone()))
    }
}

/// Go's `filepath.Rel` on Unix paths: `targ` relative to `base`, lexically; `None` when one is
/// absolute and the other not, or `targ` cannot be reached without knowing the current
/// directory (`base` starts with `..` beyond `targ`).
pub(crate) fn go_rel(base: &str, targ: &str) -> Option<String> {
    let base = gopath::clean(base);
    let targ = gopath::clean(targ);
    if targ == base {
        return Some(".".to_string());
    }
    let base = if base == "." { String::new() } else { base };
    let base_slashed = base.starts_with('/');
    let targ_slashed = targ.starts_with('/');
    if base_slashed != targ_slashed {
        return None;
    }
    let (b, t) = (base.as_bytes(), targ.as_bytes());
    let (bl, tl) = (b.len(), t.len());
    let (mut b0, mut bi, mut t0, mut ti) = (0, 0, 0, 0);
    loop {
        while bi < bl && b[bi] != b'/' {
            bi += 1;
        }
        while ti < tl && t[ti] != b'/' {
            ti += 1;
        }
        if t[t0..ti] != b[b0..bi] {
            break;
        }
        if bi < bl {
            bi += 1;
        }
        if ti < tl {
            ti += 1;
        }
        b0 = bi;
        t0 = ti;
    }
    if &b[b0..bi] == b".." {
        return None;
    }
    if b0 != bl {
        let seps = b[b0..bl].iter().filter(|&&c| c == b'/').count();
        let mut out = String::from("..");
        for _ in 0..seps {
            out.push_str("/..");
        }
        if t0 != tl {
            out.push('/');
            out.push_str(&targ[t0..]);
        }
        return Some(out);
    }
    Some(targ[t0..].to_string())
}
