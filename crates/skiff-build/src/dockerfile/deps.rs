//! Evaluation of a Dockerfile's stages and the source dependencies of a docker artifact, as
//! Skaffold's `pkg/skaffold/docker/dependencies.go`, `parse.go` and `syncmap.go` compute them.
//!
//! Variables follow BuildKit's scoping rather than Skaffold's textual `$ARG` replacement (the
//! two agree on ordinary Dockerfiles): global ARGs are visible in `FROM` lines and in stages
//! that re-declare them (a re-declaration without default takes the global value), stage ARGs
//! end with their stage, ENV wins over ARG, ENV values are expanded, `${X:-d}` sees ARGs, and
//! the Dockerfile's escape token is honoured. Other deliberate differences from Skaffold:
//! sources are clamped to the context (`../x` is `x`), `ADD` git URLs are not context files,
//! ONBUILD lines of a parent stage run in stages built `FROM` it, an ignored directory is
//! pruned only when no exception can re-include something below it (BuildKit's fsutil rule),
//! and a `FROM` that expands to nothing still starts a new stage.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::gopath;
use super::instructions::{Dockerfile, Instruction, InstructionKind};
use super::parser::ParseError;
use super::shell::{Env, Lexer};
use crate::dockerignore::{DockerIgnore, DockerIgnoreError, MatchState};

/// Build arguments: `None` means "declared without a value" (the Dockerfile default applies).
/// Values must already be templated by the caller.
pub type BuildArgs = BTreeMap<String, Option<String>>;

/// What dependency analysis needs from a base image's config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaseImageInfo {
    /// `Config.WorkingDir` (empty means `/`).
    pub working_dir: String,
    /// `Config.OnBuild`: the image's ONBUILD triggers, one instruction each.
    pub on_build: Vec<String>,
    /// `Config.Env` as `KEY=value`.
    pub env: Vec<String>,
}

/// Looks up base images (from the engine or a registry). This is the extension point for
/// ONBUILD triggers and WORKDIR of base images; the analysis itself does no I/O for images.
pub trait BaseImageInspector {
    /// `Ok(None)` when nothing is known about `image` (WORKDIR `/`, no triggers, no env);
    /// `Err(message)` aborts the analysis, as Skaffold does when an image can't be retrieved.
    fn inspect(&self, image: &str) -> Result<Option<BaseImageInfo>, String>;
}

/// The default inspector: knows no image.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBaseImageInspector;

impl BaseImageInspector for NoBaseImageInspector {
    fn inspect(&self, _image: &str) -> Result<Option<BaseImageInfo>, String> {
        Ok(None)
    }
}

/// A fixed table of image configs (e.g. prefetched from the engine, or for tests).
impl BaseImageInspector for BTreeMap<String, BaseImageInfo> {
    fn inspect(&self, image: &str) -> Result<Option<BaseImageInfo>, String> {
        Ok(self.get(image).cloned())
    }
}

/// Errors of dependency and sync-map computation.
#[derive(Debug, thiserror::Error)]
pub enum DepsError {
    #[error("normalizing dockerfile path: {0}")]
    Normalize(#[source] io::Error),
    #[error("reading dockerfile {path:?}: {source}")]
    ReadDockerfile {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("parsing dockerfile {path:?}: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: ParseError,
    },
    /// Variable expansion failed (bad substitution, `${X:?}` on an unset variable...).
    #[error("dockerfile line {line}: {message}")]
    Expand { line: usize, message: String },
    /// A `COPY`/`ADD` left with no word once an inline `#` comment is cut off.
    #[error("invalid dockerfile instruction: {original:?}")]
    InvalidInstruction { line: usize, original: String },
    /// The inspector failed for a base image.
    #[error("retrieving image {image:?}: {message}")]
    BaseImage { image: String, message: String },
    /// A base image's ONBUILD trigger does not parse.
    #[error("parsing ONBUILD instructions of {image:?}: {source}")]
    Onbuild {
        image: String,
        #[source]
        source: ParseError,
    },
    #[error("invalid glob pattern: syntax error in pattern")]
    BadGlob { line: usize, pattern: String },
    /// None of the sources of one `COPY`/`ADD` exists or matches a file.
    #[error("file pattern [{}] must match at least one file", patterns.join(" "))]
    NoMatch { line: usize, patterns: Vec<String> },
    #[error("reading .dockerignore: {0}")]
    DockerIgnore(#[from] DockerIgnoreError),
    #[error("walking workspace: walking {path:?}: {source}")]
    Walk {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// One evaluated `COPY`/`ADD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedCopy {
    /// `true` for `ADD`.
    pub add: bool,
    pub line: usize,
    pub end_line: usize,
    /// Expanded local sources (URLs and heredocs removed), as written after expansion.
    pub sources: Vec<String>,
    /// Expanded sources that are not context files: `http(s)://` or git URLs, heredocs.
    pub remote_sources: Vec<String>,
    /// The destination resolved against the effective WORKDIR (absolute, clean).
    pub dest: String,
    /// Destination ends with `/`, or its base is `.` or `..`.
    pub dest_is_dir: bool,
    /// The expanded `--from`; such a copy reads another stage or image, not the context.
    pub from: Option<String>,
    pub parents: bool,
    pub excludes: Vec<String>,
    /// The WORKDIR in effect.
    pub workdir: String,
    /// Whether it came from an ONBUILD trigger (of a base image or a parent stage).
    pub onbuild: bool,
}

/// One evaluated build stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub index: usize,
    /// The expanded `FROM` reference (empty when it expanded to nothing).
    pub image: String,
    /// The `AS` name, lower-cased.
    pub name: Option<String>,
    /// The earlier stage this one is based on.
    pub base_stage: Option<usize>,
    pub platform: Option<String>,
    pub line: usize,
    pub copies: Vec<ResolvedCopy>,
    /// WORKDIR at the end of the stage.
    pub workdir: String,
}

/// Go `path.Join`-like resolution of `target` against `cwd`.
fn resolve_dir(cwd: &str, target: &str) -> String {
    if target.starts_with('/') {
        gopath::clean(target)
    } else {
        gopath::clean(&format!("{cwd}/{target}"))
    }
}

#[derive(Default, Clone)]
struct StageVars {
    /// ENV in definition order (later wins).
    env: Vec<(String, String)>,
    /// ARGs declared in this stage (later wins); `None` is declared but unset.
    args: Vec<(String, Option<String>)>,
}

impl Env for StageVars {
    fn get(&self, name: &str) -> Option<String> {
        if let Some((_, v)) = self.env.iter().rev().find(|(k, _)| k == name) {
            return Some(v.clone());
        }
        self.args
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.clone())
    }
}

struct Evaluator<'a> {
    lexer: Lexer,
    build_args: &'a BuildArgs,
    inspector: &'a dyn BaseImageInspector,
    meta: StageVars,
    stages: Vec<Stage>,
    /// Per stage: its variables and the ONBUILD triggers it declares.
    vars: Vec<StageVars>,
    declared_onbuild: Vec<Vec<Instruction>>,
}

impl Evaluator<'_> {
    fn expand(&self, word: &str, env: &dyn Env, line: usize) -> Result<String, DepsError> {
        self.lexer
            .process_word(word, env)
            .map_err(|e| DepsError::Expand {
                line,
                message: e.to_string(),
            })
    }

    fn arg_value(
        &self,
        name: &str,
        default: Option<&str>,
        env: &dyn Env,
        line: usize,
        global: bool,
    ) -> Result<Option<String>, DepsError> {
        if let Some(Some(v)) = self.build_args.get(name) {
            return Ok(Some(v.clone()));
        }
        if let Some(d) = default {
            return self.expand(d, env, line).map(Some);
        }
        if !global {
            // A stage re-declaring a global ARG without a default gets the global value.
            if let Some((_, v)) = self.meta.args.iter().rev().find(|(k, _)| k == name) {
                return Ok(v.clone());
            }
        }
        Ok(None)
    }

    fn run(&mut self, df: &Dockerfile) -> Result<(), DepsError> {
        for inst in &df.instructions {
            if let (true, InstructionKind::Arg(defs)) = (self.stages.is_empty(), &inst.kind) {
                for def in defs {
                    let v = self.arg_value(
                        &def.name,
                        def.default.as_deref(),
                        &self.meta,
                        inst.line,
                        true,
                    )?;
                    self.meta.args.push((def.name.clone(), v));
                }
                continue;
            }
            self.step(inst, false)?;
        }
        Ok(())
    }

    fn step(&mut self, inst: &Instruction, from_trigger: bool) -> Result<(), DepsError> {
        match &inst.kind {
            InstructionKind::From(from) => self.start_stage(inst, from),
            InstructionKind::Arg(defs) => {
                for def in defs {
                    let vars = self.vars.last().cloned().unwrap_or_default();
                    let v =
                        self.arg_value(&def.name, def.default.as_deref(), &vars, inst.line, false)?;
                    if let Some(cur) = self.vars.last_mut() {
                        cur.args.push((def.name.clone(), v));
                    }
                }
                Ok(())
            }
            InstructionKind::Env(pairs) => {
                let vars = self.vars.last().cloned().unwrap_or_default();
                let mut new = Vec::with_capacity(pairs.len());
                for (k, v) in pairs {
                    new.push((k.clone(), self.expand(v, &vars, inst.line)?));
                }
                if let Some(cur) = self.vars.last_mut() {
                    cur.env.extend(new);
                }
                Ok(())
            }
            InstructionKind::Workdir(w) => {
                let vars = self.vars.last().cloned().unwrap_or_default();
                let value = self.expand(w, &vars, inst.line)?;
                if let Some(stage) = self.stages.last_mut() {
                    stage.workdir = resolve_dir(&stage.workdir, &value);
                }
                Ok(())
            }
            InstructionKind::Copy(copy) => {
                let vars = self.vars.last().cloned().unwrap_or_default();
                // Skaffold stops at a word starting with `#` (an inline comment).
                let words: Vec<&String> = copy
                    .sources
                    .iter()
                    .chain(std::iter::once(&copy.dest))
                    .take_while(|w| !w.starts_with('#'))
                    .collect();
                if words.is_empty() {
                    return Err(DepsError::InvalidInstruction {
                        line: inst.line,
                        original: inst.original.clone(),
                    });
                }
                let from = copy.from.as_ref().map(|f| {
                    self.lexer
                        .process_word(f, &vars)
                        .unwrap_or_else(|_| f.clone())
                });
                let mut expanded = Vec::with_capacity(words.len());
                for w in &words {
                    if from.is_some() {
                        // Not a context dependency: never fail on it.
                        expanded.push(self.lexer.process_word(w, &vars).unwrap_or((*w).clone()));
                    } else {
                        expanded.push(self.expand(w, &vars, inst.line)?);
                    }
                }
                let dest_raw = expanded.pop().unwrap_or_default();
                let mut sources = Vec::new();
                let mut remote_sources = Vec::new();
                for src in expanded {
                    if is_remote_or_heredoc(&src, copy.add) {
                        remote_sources.push(src);
                    } else {
                        sources.push(src);
                    }
                }
                let base = gopath::base(&dest_raw);
                let dest_is_dir = dest_raw.ends_with('/') || base == "." || base == "..";
                let Some(stage) = self.stages.last_mut() else {
                    return Ok(());
                };
                let dest = resolve_dir(&stage.workdir, &dest_raw);
                stage.copies.push(ResolvedCopy {
                    add: copy.add,
                    line: inst.line,
                    end_line: inst.end_line,
                    sources,
                    remote_sources,
                    dest,
                    dest_is_dir,
                    from,
                    parents: copy.parents,
                    excludes: copy.excludes.clone(),
                    workdir: stage.workdir.clone(),
                    onbuild: from_trigger,
                });
                Ok(())
            }
            InstructionKind::Onbuild(trigger) => {
                if let Some(list) = self.declared_onbuild.last_mut() {
                    list.push(trigger.as_ref().clone());
                }
                Ok(())
            }
            InstructionKind::Other { .. } => Ok(()),
        }
    }

    fn start_stage(
        &mut self,
        inst: &Instruction,
        from: &super::instructions::From,
    ) -> Result<(), DepsError> {
        let image = self.expand(&from.image, &self.meta, inst.line)?;
        let platform = match &from.platform {
            Some(p) => Some(self.expand(p, &self.meta, inst.line)?),
            None => None,
        };
        let lower = image.to_lowercase();
        let base_stage = self
            .stages
            .iter()
            .position(|s| s.name.as_deref() == Some(lower.as_str()));
        let mut vars = StageVars::default();
        let mut workdir = "/".to_string();
        let mut triggers: Vec<Instruction> = Vec::new();
        if let Some(b) = base_stage {
            vars.env = self.vars[b].env.clone();
            workdir = self.stages[b].workdir.clone();
            triggers = self.declared_onbuild[b].clone();
        } else if !image.is_empty() && lower != "scratch" {
            let info = self
                .inspector
                .inspect(&image)
                .map_err(|message| DepsError::BaseImage {
                    image: image.clone(),
                    message,
                })?;
            if let Some(info) = info {
                if !info.working_dir.is_empty() {
                    workdir = resolve_dir("/", &info.working_dir);
                }
                vars.env = info
                    .env
                    .iter()
                    .map(|e| match e.split_once('=') {
                        Some((k, v)) => (k.to_string(), v.to_string()),
                        None => (e.clone(), String::new()),
                    })
                    .collect();
                if !info.on_build.is_empty() {
                    let text = info.on_build.join("\n");
                    let parsed =
                        super::parser::parse(&text).map_err(|source| DepsError::Onbuild {
                            image: image.clone(),
                            source,
                        })?;
                    for node in &parsed.nodes {
                        let mut t = Instruction::from_node(node, true).map_err(|source| {
                            DepsError::Onbuild {
                                image: image.clone(),
                                source,
                            }
                        })?;
                        // Report trigger instructions at the FROM that runs them.
                        t.line = inst.line;
                        t.end_line = inst.end_line;
                        triggers.push(t);
                    }
                }
            }
        }
        self.stages.push(Stage {
            index: self.stages.len(),
            image,
            name: from.name.clone(),
            base_stage,
            platform,
            line: inst.line,
            copies: Vec::new(),
            workdir,
        });
        self.vars.push(vars);
        self.declared_onbuild.push(Vec::new());
        for t in &triggers {
            self.step(t, true)?;
        }
        Ok(())
    }
}

fn is_remote_or_heredoc(src: &str, add: bool) -> bool {
    if src.starts_with("http://") || src.starts_with("https://") || src.starts_with("<<") {
        return true;
    }
    add && (src.starts_with("git@") || src.starts_with("git://") || src.starts_with("ssh://"))
}

/// Evaluates the stages of a parsed Dockerfile: `FROM` references, `ARG`/`ENV` expansion with
/// BuildKit's scoping, WORKDIR tracking, ONBUILD triggers (base images through `inspector`,
/// parent stages from their own `ONBUILD` lines) and every `COPY`/`ADD`.
pub fn resolve_stages(
    dockerfile: &Dockerfile,
    build_args: &BuildArgs,
    inspector: &dyn BaseImageInspector,
) -> Result<Vec<Stage>, DepsError> {
    let mut ev = Evaluator {
        lexer: Lexer::new(dockerfile.escape),
        build_args,
        inspector,
        meta: StageVars::default(),
        stages: Vec::new(),
        vars: Vec::new(),
        declared_onbuild: Vec::new(),
    };
    ev.run(dockerfile)?;
    Ok(ev.stages)
}

/// The external base images of a Dockerfile (not stages, not `scratch`, not empty), expanded
/// with the build args: what a caller should inspect to build a [`BaseImageInspector`] table.
pub fn base_images(
    dockerfile: &Dockerfile,
    build_args: &BuildArgs,
) -> Result<Vec<String>, DepsError> {
    let stages = resolve_stages(dockerfile, build_args, &NoBaseImageInspector)?;
    let mut out: Vec<String> = Vec::new();
    for s in stages {
        if s.base_stage.is_none()
            && !s.image.is_empty()
            && !s.image.eq_ignore_ascii_case("scratch")
            && !out.contains(&s.image)
        {
            out.push(s.image);
        }
    }
    Ok(out)
}

fn go_abs(path: &Path) -> Result<PathBuf, io::Error> {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    Ok(PathBuf::from(gopath::clean(&joined.to_string_lossy())))
}

/// Skaffold's `NormalizeDockerfilePath`: `context/dockerfile` if it exists, else `dockerfile`
/// relative to the current directory if that exists, else `context/dockerfile`; absolute.
pub fn normalize_dockerfile_path(context: &Path, dockerfile: &str) -> Result<PathBuf, DepsError> {
    let rel = context.join(dockerfile);
    if let Err(e) = fs::metadata(&rel)
        && e.kind() == io::ErrorKind::NotFound
    {
        match fs::metadata(dockerfile) {
            Ok(_) => return go_abs(Path::new(dockerfile)).map_err(DepsError::Normalize),
            Err(e2) if e2.kind() != io::ErrorKind::NotFound => {
                return go_abs(Path::new(dockerfile)).map_err(DepsError::Normalize);
            }
            Err(_) => {}
        }
    }
    go_abs(&rel).map_err(DepsError::Normalize)
}

/// A source path relative to the context: cleaned, with `..` clamped at the context root the way
/// BuildKit resolves paths (`../x` is `x`), `"."` for the root.
fn context_relative(src: &str) -> String {
    let c = gopath::clean(&format!("/{src}"));
    let r = c.trim_start_matches('/');
    if r.is_empty() {
        ".".to_string()
    } else {
        r.to_string()
    }
}

/// A context path a COPY/ADD reads, with the copy it belongs to.
struct FromTo<'a> {
    rel: String,
    copy: &'a ResolvedCopy,
    /// The expanded source it came from (for `--parents` pivots).
    source: &'a str,
}

/// Skaffold's `expandSrcGlobPatterns`: each source that exists is kept as is, otherwise it is
/// globbed; a copy none of whose sources matches anything is an error.
fn expand_sources<'a>(
    context: &Path,
    copies: impl Iterator<Item = &'a ResolvedCopy>,
) -> Result<Vec<FromTo<'a>>, DepsError> {
    let mut out = Vec::new();
    for copy in copies {
        if copy.sources.is_empty() {
            continue;
        }
        let mut matches_one = false;
        for src in &copy.sources {
            let rel = context_relative(src);
            let abs = if rel == "." {
                context.to_path_buf()
            } else {
                context.join(&rel)
            };
            if fs::metadata(&abs).is_ok() {
                out.push(FromTo {
                    rel,
                    copy,
                    source: src,
                });
                matches_one = true;
                continue;
            }
            let found = gopath::glob(context, &rel).map_err(|_| DepsError::BadGlob {
                line: copy.line,
                pattern: src.clone(),
            })?;
            if found.is_empty() {
                continue;
            }
            for f in found {
                out.push(FromTo {
                    rel: f,
                    copy,
                    source: src,
                });
            }
            matches_one = true;
        }
        if !matches_one {
            return Err(DepsError::NoMatch {
                line: copy.line,
                patterns: copy.sources.clone(),
            });
        }
    }
    Ok(out)
}

/// Walks one source (a file or a directory tree), calling `visit(rel, is_dir)` for every file
/// and for every empty directory that is not ignored. The source root itself is always kept
/// when it is a directory (reported if empty), as Skaffold does. Ignored directories are pruned
/// when no exception can re-include anything below them.
fn walk_source(
    context: &Path,
    rel: &str,
    ignore: &DockerIgnore,
    visit: &mut dyn FnMut(&str, bool),
) -> Result<(), DepsError> {
    let abs = if rel == "." {
        context.to_path_buf()
    } else {
        context.join(rel)
    };
    let walk_err = |source| DepsError::Walk {
        path: abs.clone(),
        source,
    };
    let meta = fs::symlink_metadata(&abs).map_err(walk_err)?;
    if !meta.is_dir() {
        if !ignore.matches(rel) {
            visit(rel, false);
        }
        return Ok(());
    }
    let state = ignore.state_for(rel);
    let n = walk_dir(&abs, rel, &state, ignore, visit).map_err(walk_err)?;
    if n == 0 {
        visit(rel, true);
    }
    Ok(())
}

fn walk_dir(
    abs: &Path,
    rel: &str,
    state: &MatchState,
    ignore: &DockerIgnore,
    visit: &mut dyn FnMut(&str, bool),
) -> io::Result<usize> {
    let mut count = 0;
    for entry in fs::read_dir(abs)? {
        let entry = entry?;
        count += 1;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let child_rel = if rel == "." {
            name.into_owned()
        } else {
            let mut s = String::with_capacity(rel.len() + 1 + name.len());
            s.push_str(rel);
            s.push('/');
            s.push_str(&name);
            s
        };
        let is_dir = entry.file_type()?.is_dir();
        if is_dir {
            let child_abs = entry.path();
            if ignore.is_empty() {
                if walk_dir(&child_abs, &child_rel, state, ignore, visit)? == 0 {
                    visit(&child_rel, true);
                }
                continue;
            }
            let child_state = ignore.child_state(state, &child_rel);
            if ignore.is_excluded(&child_state) {
                if ignore.can_skip_dir(&child_rel) {
                    continue;
                }
                walk_dir(&child_abs, &child_rel, &child_state, ignore, visit)?;
            } else if walk_dir(&child_abs, &child_rel, &child_state, ignore, visit)? == 0 {
                visit(&child_rel, true);
            }
        } else if ignore.is_empty() || !ignore.child_excluded(state, &child_rel) {
            visit(&child_rel, false);
        }
    }
    Ok(count)
}

/// Every file (and empty directory) of a build context that `.dockerignore` does not exclude,
/// relative to the context: what a build sends to the engine. Excluded directories are pruned
/// when no exception can re-include anything below them.
pub fn context_files(context: &Path, ignore: &DockerIgnore) -> Result<Vec<String>, DepsError> {
    let mut files = Vec::new();
    walk_source(context, ".", ignore, &mut |rel, _| {
        if rel != "." {
            files.push(rel.to_owned());
        }
    })?;
    files.sort();
    Ok(files)
}

struct Loaded {
    abs: PathBuf,
    dockerfile: Dockerfile,
}

fn load(abs: PathBuf) -> Result<Loaded, DepsError> {
    let bytes = fs::read(&abs).map_err(|source| DepsError::ReadDockerfile {
        path: abs.clone(),
        source,
    })?;
    let dockerfile =
        Dockerfile::parse(&String::from_utf8_lossy(&bytes)).map_err(|source| DepsError::Parse {
            path: abs.clone(),
            source,
        })?;
    Ok(Loaded { abs, dockerfile })
}

/// The source files a docker artifact depends on (Skaffold's `GetDependencies`), relative to
/// the context and sorted like Go's `sort.Strings` (byte order of the path string). Base images
/// are not inspected; see [`docker_dependencies_with`].
pub fn docker_dependencies(
    context: &Path,
    dockerfile: &str,
    build_args: &BuildArgs,
) -> Result<Vec<PathBuf>, DepsError> {
    docker_dependencies_with(context, dockerfile, build_args, &NoBaseImageInspector)
}

/// [`docker_dependencies`] with a [`BaseImageInspector`] for base images' ONBUILD triggers.
pub fn docker_dependencies_with(
    context: &Path,
    dockerfile: &str,
    build_args: &BuildArgs,
    inspector: &dyn BaseImageInspector,
) -> Result<Vec<PathBuf>, DepsError> {
    let abs = normalize_dockerfile_path(context, dockerfile)?;
    if let Err(e) = fs::metadata(&abs)
        && e.kind() == io::ErrorKind::NotFound
    {
        // Skaffold: the Dockerfile is a dependency even when missing; errors come later.
        return Ok(vec![PathBuf::from(dockerfile)]);
    }
    let loaded = load(abs)?;
    let stages = resolve_stages(&loaded.dockerfile, build_args, inspector)?;
    let copies = stages
        .iter()
        .flat_map(|s| s.copies.iter())
        .filter(|c| c.from.is_none());
    let fts = expand_sources(context, copies)?;
    let ignore = DockerIgnore::read(context, &loaded.abs)?;

    let mut files: Vec<String> = Vec::new();
    let mut walked: HashSet<&str> = HashSet::new();
    for ft in &fts {
        if !walked.insert(ft.rel.as_str()) {
            continue;
        }
        walk_source(context, &ft.rel, &ignore, &mut |rel, _| {
            files.push(rel.to_string());
        })?;
    }
    // Always add the Dockerfile, even if ignored; never list the context's .dockerignore.
    if Path::new(dockerfile).is_absolute() {
        files.push(loaded.abs.to_string_lossy().into_owned());
    } else {
        files.push(dockerfile.to_string());
    }
    files.retain(|f| f != ".dockerignore");
    files.sort_unstable();
    files.dedup();
    Ok(files.into_iter().map(PathBuf::from).collect())
}

/// The sync map of the final stage (Skaffold's `docker.SyncMap` for `sync.infer`): for each
/// context file copied by a `COPY`/`ADD` of the last stage (no `--from`), the absolute paths it
/// is copied to in the container, sorted. When several copies write the same destination the
/// last one wins.
pub fn sync_map(
    context: &Path,
    dockerfile: &str,
    build_args: &BuildArgs,
) -> Result<BTreeMap<PathBuf, Vec<String>>, DepsError> {
    sync_map_with(context, dockerfile, build_args, &NoBaseImageInspector)
}

/// [`sync_map`] with a [`BaseImageInspector`].
pub fn sync_map_with(
    context: &Path,
    dockerfile: &str,
    build_args: &BuildArgs,
    inspector: &dyn BaseImageInspector,
) -> Result<BTreeMap<PathBuf, Vec<String>>, DepsError> {
    let abs = normalize_dockerfile_path(context, dockerfile)?;
    let loaded = load(abs)?;
    let stages = resolve_stages(&loaded.dockerfile, build_args, inspector)?;
    let Some(last) = stages.last() else {
        return Ok(BTreeMap::new());
    };
    let fts = expand_sources(context, last.copies.iter().filter(|c| c.from.is_none()))?;
    let ignore = DockerIgnore::read(context, &loaded.abs)?;

    let mut src_by_dest: BTreeMap<String, String> = BTreeMap::new();
    for ft in &fts {
        let abs = if ft.rel == "." {
            context.to_path_buf()
        } else {
            context.join(&ft.rel)
        };
        let meta = fs::metadata(&abs).map_err(|source| DepsError::Walk {
            path: abs.clone(),
            source,
        })?;
        let kept = parents_kept_path(ft);
        if meta.is_dir() {
            let prefix = if ft.rel == "." {
                String::new()
            } else {
                format!("{}/", ft.rel)
            };
            let mut pairs = Vec::new();
            walk_source(context, &ft.rel, &ignore, &mut |rel, is_dir| {
                if is_dir {
                    return;
                }
                let rel_base = rel.strip_prefix(prefix.as_str()).unwrap_or(rel);
                let dest = match &kept {
                    Some(k) => gopath::join(&gopath::join(&ft.copy.dest, k), rel_base),
                    None => gopath::join(&ft.copy.dest, rel_base),
                };
                pairs.push((dest, rel.to_string()));
            })?;
            src_by_dest.extend(pairs);
        } else if meta.is_file() && !ignore.matches(&ft.rel) {
            let dest = match &kept {
                Some(k) => gopath::join(&ft.copy.dest, k),
                None if ft.copy.dest_is_dir => gopath::join(&ft.copy.dest, &gopath::base(&ft.rel)),
                None => ft.copy.dest.clone(),
            };
            src_by_dest.insert(dest, ft.rel.clone());
        }
    }
    let mut out: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for (dest, src) in src_by_dest {
        out.entry(PathBuf::from(src)).or_default().push(dest);
    }
    for dests in out.values_mut() {
        dests.sort();
    }
    Ok(out)
}

/// With `--parents`, the part of a source path kept under the destination: the path relative
/// to the context, or to the `/./` pivot when the source has one. `None` without `--parents`.
fn parents_kept_path(ft: &FromTo<'_>) -> Option<String> {
    if !ft.copy.parents {
        return None;
    }
    let rel = if ft.rel == "." { "" } else { ft.rel.as_str() };
    if let Some(i) = ft.source.find("/./") {
        let pivot = context_relative(&ft.source[..i]);
        if pivot == "." {
            return Some(rel.to_string());
        }
        let pivot = format!("{pivot}/");
        return Some(rel.strip_prefix(pivot.as_str()).unwrap_or(rel).to_string());
    }
    Some(rel.to_string())
}
