//! The artifact hash: the cache key of one artifact, with the structure of Skaffold's
//! `pkg/skaffold/build/cache/hash.go`.
//!
//! An artifact's own hash is hex SHA-256 over the Go-JSON encoding (`json.Encoder`: HTML-safe
//! escaping, trailing newline) of the string array
//!
//! 1. the JSON of the artifact's builder config (`{"docker":{…}}`),
//! 2. the [`file_hash`](super::file_hashes::file_hash) of every dependency (absolute paths sorted
//!    bytewise; missing files skipped),
//! 3. the evaluated build args (`KEY=value`, or `KEY` without a value; sorted),
//! 4. the target platforms (sorted).
//!
//! When the artifact `requires` others, its hash is the same encoding of `[own hash, hash of
//! each required artifact sorted by image name]`, recursively.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use sha2::{Digest, Sha256};
use skiff_config::model::{Artifact, ArtifactType, CustomDependencySource, SyncMode};
use skiff_config::template;

use super::file_hashes::{FileHashCache, FileHashStats};
use crate::builder::{BuildError, Builder};
use crate::dockerfile::{normalize_dockerfile_path, parser};

/// The Dockerfile name when an artifact does not set one.
const DEFAULT_DOCKERFILE: &str = "Dockerfile";

/// Lists the source files of an artifact, as [`Builder::dependencies`] does: paths relative to
/// the workspace (or absolute). Skaffold also hashes the artifact's test dependencies; a lister
/// that wants that appends them.
pub trait DependencyLister: Send + Sync {
    /// The files `artifact` is built from.
    fn dependencies(
        &self,
        artifact: &Artifact,
        workspace: &Path,
    ) -> Result<Vec<PathBuf>, BuildError>;
}

impl<B: Builder + ?Sized> DependencyLister for B {
    fn dependencies(
        &self,
        artifact: &Artifact,
        workspace: &Path,
    ) -> Result<Vec<PathBuf>, BuildError> {
        Builder::dependencies(self, artifact, workspace)
    }
}

/// A closure as a [`DependencyLister`].
pub struct FnLister<F>(pub F);

impl<F> DependencyLister for FnLister<F>
where
    F: Fn(&Artifact, &Path) -> Result<Vec<PathBuf>, BuildError> + Send + Sync,
{
    fn dependencies(
        &self,
        artifact: &Artifact,
        workspace: &Path,
    ) -> Result<Vec<PathBuf>, BuildError> {
        (self.0)(artifact, workspace)
    }
}

/// One artifact as the hasher sees it.
#[derive(Clone)]
pub struct HashTarget {
    /// The artifact as configured (after profiles and defaults).
    pub artifact: Artifact,
    /// Its context directory, absolute.
    pub workspace: PathBuf,
    /// The reference it is tagged with (`registry/name:tag`): build-arg templates see its
    /// `IMAGE_REPO`, `IMAGE_NAME` and `IMAGE_TAG`.
    pub tag: String,
    /// Its resolved target platforms (`linux/amd64`); empty for the engine's own.
    pub platforms: Vec<String>,
    /// Where its dependencies come from (usually the artifact's builder).
    pub lister: Arc<dyn DependencyLister>,
}

/// Why an artifact could not be hashed. Cloneable, so concurrent callers share one outcome.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// No artifact with that image name was given to the hasher.
    #[error("unknown artifact {0:?}")]
    UnknownArtifact(String),
    /// The `requires` chain loops back to the artifact.
    #[error("artifact {0:?} requires itself through its required artifacts")]
    Cycle(String),
    /// The builder config could not be serialized.
    #[error("getting artifact's configuration for {image:?}: {message}")]
    Config { image: String, message: String },
    /// The dependency lister failed.
    #[error("getting dependencies for {image:?}: {message}")]
    Dependencies { image: String, message: String },
    /// A dependency could not be read.
    #[error("{message}")]
    File { image: String, message: String },
    /// The build args could not be evaluated.
    #[error("hashing build args: {message}")]
    BuildArgs { image: String, message: String },
}

/// Computes artifact hashes for one build (Skaffold creates one hasher per dev-loop
/// iteration): each artifact's own hash is computed at most once, even when several callers
/// ask concurrently. Cheap to clone; clones share the memo.
#[derive(Clone)]
pub struct ArtifactHasher {
    inner: Arc<Inner>,
}

/// One artifact's own hash, computed once.
type SingleHash = Arc<OnceLock<Result<String, HashError>>>;

struct Inner {
    targets: HashMap<String, HashTarget>,
    file_hashes: Arc<FileHashCache>,
    run_mode: String,
    env: BTreeMap<String, String>,
    singles: Mutex<HashMap<String, SingleHash>>,
    stats: Mutex<FileHashStats>,
}

impl ArtifactHasher {
    /// A hasher over `targets` (every artifact that may be hashed or required), memoizing file
    /// hashes in `file_hashes`. `run_mode` is Skaffold's run mode (`dev`, `build`, `run`,
    /// `debug`, …): docker builds see it as `SKAFFOLD_RUN_MODE`. Templates read the process
    /// environment as it is now.
    pub fn new(
        targets: impl IntoIterator<Item = HashTarget>,
        file_hashes: Arc<FileHashCache>,
        run_mode: &str,
    ) -> Self {
        Self::with_env(targets, file_hashes, run_mode, template::process_env())
    }

    /// [`ArtifactHasher::new`] with an explicit environment for templates.
    pub fn with_env(
        targets: impl IntoIterator<Item = HashTarget>,
        file_hashes: Arc<FileHashCache>,
        run_mode: &str,
        env: BTreeMap<String, String>,
    ) -> Self {
        let targets = targets
            .into_iter()
            .map(|t| (t.artifact.image.clone(), t))
            .collect();
        Self {
            inner: Arc::new(Inner {
                targets,
                file_hashes,
                run_mode: run_mode.to_owned(),
                env,
                singles: Mutex::new(HashMap::new()),
                stats: Mutex::new(FileHashStats::default()),
            }),
        }
    }

    /// The file-hash memo in use.
    pub fn file_hashes(&self) -> &Arc<FileHashCache> {
        &self.inner.file_hashes
    }

    /// What the file-hash memo did for this hasher so far.
    pub fn stats(&self) -> FileHashStats {
        *self.inner.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cache key of `image`: its own hash combined with those of the artifacts it requires.
    pub fn hash(&self, image: &str) -> Result<String, HashError> {
        self.hash_in(image, &mut Vec::new())
    }

    fn hash_in(&self, image: &str, path: &mut Vec<String>) -> Result<String, HashError> {
        if path.iter().any(|p| p == image) {
            return Err(HashError::Cycle(image.to_owned()));
        }
        let own = self.single_hash(image)?;
        let target = self.target(image)?;
        if target.artifact.requires.is_empty() {
            return Ok(own);
        }
        let mut required: Vec<&str> = target
            .artifact
            .requires
            .iter()
            .map(|r| r.image.as_str())
            .collect();
        required.sort_unstable();
        path.push(image.to_owned());
        let mut hashes = vec![own];
        for dep in required {
            hashes.push(self.hash_in(dep, path)?);
        }
        path.pop();
        Ok(encode(&hashes))
    }

    /// The hash of `image`'s own inputs, ignoring required artifacts (Skaffold's
    /// `singleArtifactHash`). Memoized.
    pub fn single_hash(&self, image: &str) -> Result<String, HashError> {
        let cell = {
            let mut singles = self.inner.singles.lock().unwrap_or_else(|e| e.into_inner());
            singles.entry(image.to_owned()).or_default().clone()
        };
        cell.get_or_init(|| self.parts(image).map(|parts| parts.encode()))
            .clone()
    }

    /// The strings `image`'s own hash is computed over, in order (not memoized): the hash is
    /// [`encode`] of them.
    pub fn inputs(&self, image: &str) -> Result<Vec<String>, HashError> {
        let parts = self.parts(image)?;
        let mut inputs = vec![parts.config];
        inputs.extend(parts.files.iter().map(|d| super::file_hashes::hex(d)));
        inputs.extend(parts.rest);
        Ok(inputs)
    }

    fn parts(&self, image: &str) -> Result<Parts, HashError> {
        let target = self.target(image)?;
        let artifact = &target.artifact;
        let config = artifact_config(artifact)?;

        let deps = target
            .lister
            .dependencies(artifact, &target.workspace)
            .map_err(|e| HashError::Dependencies {
                image: image.to_owned(),
                message: e.message,
            })?;
        // Skaffold hashes absolute paths sorted bytewise; under a common workspace that is the
        // bytewise order of the relative paths (what listers return, usually sorted already).
        let by_bytes =
            |a: &PathBuf, b: &PathBuf| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes());
        let (base, mut paths): (&Path, Vec<PathBuf>) = if deps.iter().all(|d| d.is_relative()) {
            (&target.workspace, deps)
        } else {
            (
                Path::new(""),
                deps.iter().map(|d| target.workspace.join(d)).collect(),
            )
        };
        if !paths.is_sorted_by(|a, b| by_bytes(a, b).is_le()) {
            paths.sort_unstable_by(by_bytes);
        }
        let (files, stats) = self
            .inner
            .file_hashes
            .hash_files_in(base, &paths)
            .map_err(|e| HashError::File {
                image: image.to_owned(),
                message: e.to_string(),
            })?;
        {
            let mut total = self.inner.stats.lock().unwrap_or_else(|e| e.into_inner());
            total.hashed += stats.hashed;
            total.reused += stats.reused;
            total.missing += stats.missing;
        }
        let mut rest =
            hash_build_args(target, &self.inner.run_mode, &self.inner.env).map_err(|message| {
                HashError::BuildArgs {
                    image: image.to_owned(),
                    message,
                }
            })?;
        let mut platforms = target.platforms.clone();
        platforms.sort();
        rest.extend(platforms);
        Ok(Parts {
            config,
            files,
            rest,
        })
    }

    fn target(&self, image: &str) -> Result<&HashTarget, HashError> {
        self.inner
            .targets
            .get(image)
            .ok_or_else(|| HashError::UnknownArtifact(image.to_owned()))
    }

    /// The image names of every artifact `image` requires, transitively.
    pub fn required_closure(&self, image: &str) -> HashSet<String> {
        let mut seen = HashSet::new();
        let mut stack = vec![image.to_owned()];
        while let Some(name) = stack.pop() {
            if let Some(t) = self.inner.targets.get(&name) {
                for r in &t.artifact.requires {
                    if seen.insert(r.image.clone()) {
                        stack.push(r.image.clone());
                    }
                }
            }
        }
        seen
    }
}

/// The inputs of one artifact's own hash, with file hashes kept as bytes.
struct Parts {
    config: String,
    files: Vec<[u8; 16]>,
    /// Build args then platforms.
    rest: Vec<String>,
}

impl Parts {
    /// [`encode`] of `[config, hex(files)..., rest...]`, without building the strings.
    fn encode(&self) -> String {
        let mut enc = Encoder::new();
        enc.string(&self.config);
        for d in &self.files {
            enc.md5(d);
        }
        for s in &self.rest {
            enc.string(s);
        }
        enc.finish()
    }
}

/// Streams the Go-JSON encoding of a string array into SHA-256.
struct Encoder {
    hasher: Sha256,
    buf: String,
    first: bool,
}

impl Encoder {
    fn new() -> Self {
        let mut buf = String::with_capacity(64 * 1024);
        buf.push('[');
        Encoder {
            hasher: Sha256::new(),
            buf,
            first: true,
        }
    }

    fn separator(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.buf.push(',');
        }
    }

    fn flush_if_full(&mut self) {
        if self.buf.len() >= 60 * 1024 {
            self.hasher.update(self.buf.as_bytes());
            self.buf.clear();
        }
    }

    fn string(&mut self, s: &str) {
        self.separator();
        go_json_string(s, &mut self.buf);
        self.flush_if_full();
    }

    fn md5(&mut self, digest: &[u8; 16]) {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        self.separator();
        self.buf.push('"');
        for b in digest {
            self.buf.push(DIGITS[usize::from(b >> 4)] as char);
            self.buf.push(DIGITS[usize::from(b & 15)] as char);
        }
        self.buf.push('"');
        self.flush_if_full();
    }

    fn finish(mut self) -> String {
        self.buf.push_str("]\n");
        self.hasher.update(self.buf.as_bytes());
        let digest = self.hasher.finalize();
        let mut hex = String::with_capacity(64);
        for b in digest.iter() {
            let _ = write!(hex, "{b:02x}");
        }
        hex
    }
}

/// Hex SHA-256 of the Go `json.Encoder` encoding of a string array (Skaffold's `encode`).
pub fn encode(inputs: &[String]) -> String {
    let mut enc = Encoder::new();
    for s in inputs {
        enc.string(s);
    }
    enc.finish()
}

/// Appends `s` as a JSON string the way Go's `encoding/json` writes it with HTML escaping.
fn go_json_string(s: &str, out: &mut String) {
    out.push('"');
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && !matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&'))
    {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The JSON of the artifact's builder config, `{"<builder>":{…}}` (Go marshals the embedded
/// `ArtifactType` struct, whose only non-empty member is the builder in use), with Go's HTML-safe
/// escaping of `<`, `>` and `&`.
fn artifact_config(artifact: &Artifact) -> Result<String, HashError> {
    let err = |e: serde_json::Error| HashError::Config {
        image: artifact.image.clone(),
        message: e.to_string(),
    };
    let value = serde_json::to_value(artifact).map_err(err)?;
    let mut config = serde_json::Map::new();
    if let Some(kind) = &artifact.artifact_type {
        let key = kind.key();
        if let Some(v) = value.get(key) {
            config.insert(key.to_owned(), v.clone());
        }
    }
    let text = serde_json::to_string(&serde_json::Value::Object(config)).map_err(err)?;
    // Outside strings JSON has none of these characters, so a plain replacement is exact.
    Ok(text
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026"))
}

/// Skaffold's `docker.EnvTags`: `IMAGE_REPO` (everything before the last `/` of the name),
/// `IMAGE_NAME` (after it; both empty for a name without `/`), `IMAGE_TAG` (`latest` if none).
pub fn env_tags(tag: &str) -> BTreeMap<String, String> {
    let (name, tag) = skiff_docker::split_tag(tag);
    let (repo, short) = match name.rsplit_once('/') {
        Some((repo, short)) => (repo, short),
        None => ("", ""),
    };
    [
        ("IMAGE_REPO", repo),
        ("IMAGE_NAME", short),
        ("IMAGE_TAG", tag.unwrap_or("latest")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The evaluated build args (or buildpacks env) of an artifact, as sorted `KEY=value` strings
/// (`KEY` alone for an arg without a value). Skaffold's `hashBuildArgs`.
fn hash_build_args(
    target: &HashTarget,
    run_mode: &str,
    env: &BTreeMap<String, String>,
) -> Result<Vec<String>, String> {
    let artifact = &target.artifact;
    let args: BTreeMap<String, Option<String>> = match &artifact.artifact_type {
        Some(ArtifactType::Docker(docker)) => eval_docker_build_args(
            run_mode,
            &target.workspace,
            or_default(&docker.dockerfile),
            &docker.build_args,
            &env_tags(&target.tag),
            env,
        )?,
        Some(ArtifactType::Kaniko(kaniko)) => eval_docker_build_args(
            run_mode,
            &target.workspace.join(&kaniko.context_sub_path),
            or_default(&kaniko.dockerfile),
            &kaniko.build_args,
            &env_tags(&target.tag),
            env,
        )?,
        Some(ArtifactType::Buildpacks(buildpacks)) => {
            let mut vars = BTreeMap::new();
            for kv in &buildpacks.env {
                let Some((k, v)) = kv.split_once('=') else {
                    return Err(format!(
                        "invalid env variable: {kv}, should be using `key=value` form"
                    ));
                };
                let value = template::expand_env_template_with_env(v, env, &BTreeMap::new())
                    .map_err(|e| format!("unable to get value for env variable {k:?}: {e}"))?;
                vars.insert(k.to_owned(), Some(value));
            }
            let auto_sync = matches!(
                artifact.sync.as_ref().and_then(|s| s.mode.as_ref()),
                Some(SyncMode::Auto(true))
            );
            if run_mode == "dev" && auto_sync {
                vars.insert("GOOGLE_DEVMODE".into(), Some("1".into()));
            }
            if run_mode == "debug" {
                vars.entry("GOOGLE_GOGCFLAGS".into())
                    .or_insert_with(|| Some("all=-N -l".into()));
            }
            vars
        }
        Some(ArtifactType::Custom(custom)) => {
            match custom.dependencies.as_ref().and_then(|d| d.source.as_ref()) {
                Some(CustomDependencySource::Dockerfile(dockerfile)) => {
                    template::evaluate_env_template_map_with_env(
                        &dockerfile.build_args,
                        env,
                        &BTreeMap::new(),
                    )
                    .map_err(|e| e.to_string())?
                }
                _ => return Ok(Vec::new()),
            }
        }
        _ => return Ok(Vec::new()),
    };
    let mut out: Vec<String> = args
        .into_iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{k}={v}"),
            None => k,
        })
        .collect();
    out.sort();
    Ok(out)
}

fn or_default(dockerfile: &str) -> &str {
    if dockerfile.is_empty() {
        DEFAULT_DOCKERFILE
    } else {
        dockerfile
    }
}

/// Skaffold's `EvalBuildArgsWithEnv` without extra args: `SKAFFOLD_RUN_MODE` (and, in debug,
/// `SKAFFOLD_GO_GCFLAGS`) if the Dockerfile declares them as `ARG`, then the artifact's
/// `buildArgs`, every value expanded as a template over the environment plus `IMAGE_REPO`,
/// `IMAGE_NAME` and `IMAGE_TAG`.
fn eval_docker_build_args(
    run_mode: &str,
    context: &Path,
    dockerfile: &str,
    args: &BTreeMap<String, Option<String>>,
    env_tags: &BTreeMap<String, String>,
    env: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Option<String>>, String> {
    let mut defaults = BTreeMap::new();
    defaults.insert("SKAFFOLD_RUN_MODE".to_owned(), Some(run_mode.to_owned()));
    if run_mode == "debug" {
        defaults.insert(
            "SKAFFOLD_GO_GCFLAGS".to_owned(),
            Some("all=-N -l".to_owned()),
        );
    }
    let path = normalize_dockerfile_path(context, dockerfile)
        .map_err(|e| format!("normalizing dockerfile path: {e}"))?;
    let text = fs::read_to_string(&path).map_err(|e| format!("reading dockerfile: {e}"))?;
    let parsed = parser::parse(&text)
        .map_err(|e| format!("removing unused default args: parsing dockerfile: {e}"))?;
    let declared: HashSet<&str> = parsed
        .nodes
        .iter()
        .filter(|n| n.keyword() == "arg")
        .filter_map(|n| n.args.first())
        .map(|a| a.split_once('=').map_or(a.as_str(), |(k, _)| k))
        .collect();
    let mut result: BTreeMap<String, Option<String>> = defaults
        .into_iter()
        .filter(|(k, _)| declared.contains(k.as_str()))
        .collect();
    result.extend(args.iter().map(|(k, v)| (k.clone(), v.clone())));
    template::evaluate_env_template_map_with_env(&result, env, env_tags)
        .map_err(|e| format!("unable to expand build args: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_matches_go_json_encoder() {
        // sha256 of `["a","b"]\n`
        let mut h = Sha256::new();
        h.update(b"[\"a\",\"b\"]\n");
        let expected: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(encode(&["a".into(), "b".into()]), expected);

        let mut s = String::new();
        go_json_string("<a&b>\"\\\n\u{1}\u{2028}é", &mut s);
        assert_eq!(s, r#""\u003ca\u0026b\u003e\"\\\n\u0001\u2028é""#);
    }

    #[test]
    fn env_tags_follow_skaffold() {
        let t = env_tags("127.0.0.1:5000/team/app:v1");
        assert_eq!(t["IMAGE_REPO"], "127.0.0.1:5000/team");
        assert_eq!(t["IMAGE_NAME"], "app");
        assert_eq!(t["IMAGE_TAG"], "v1");
        let t = env_tags("app");
        assert_eq!(t["IMAGE_REPO"], "");
        assert_eq!(t["IMAGE_NAME"], "");
        assert_eq!(t["IMAGE_TAG"], "latest");
    }

    #[test]
    fn config_json_is_the_builder_member_only() {
        let artifact: Artifact = serde_yaml_ng::from_str(
            "image: app\ncontext: ctx\ndocker:\n  dockerfile: Dockerfile\n  buildArgs:\n    A: \"<x>\"\n",
        )
        .unwrap();
        assert_eq!(
            artifact_config(&artifact).unwrap(),
            r#"{"docker":{"dockerfile":"Dockerfile","buildArgs":{"A":"\u003cx\u003e"}}}"#
        );
    }
}
