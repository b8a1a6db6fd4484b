//! `requires`: configs that depend on other configs, resolved as Skaffold's
//! `pkg/skaffold/parser/config.go` does.
//!
//! Starting from the configs of the root file, each config is processed in file order:
//! 1. its `metadata.name` must not be used by a config of another file;
//! 2. when it is imported with a `configs` selection that does not name it, it is skipped;
//! 3. its profiles are applied ([`crate::profiles`]): for the root file, the `-p` names; for a
//!    dependency, the `activeProfiles` of the importing `requires` entry whose `activatedBy` is
//!    empty or names a profile active in the importing config, plus (with `propagate_profiles`,
//!    the default) every `-p` name; auto-activation applies everywhere;
//! 4. Skaffold's defaults are set ([`crate::defaults::set_defaults`]);
//! 5. the file paths of a *dependency* config are made absolute against its file's directory
//!    ([`paths`]); the root file's configs keep relative paths (relative to the working
//!    directory, as in Skaffold);
//! 6. a config already processed (same file, same index, same "required" state) is skipped if
//!    its profiles are the same, and is an error (`CONFIG_MULTI_IMPORT_PROFILE_CONFLICT_ERR`)
//!    otherwise; this is also what ends import cycles, which are not errors in Skaffold (skiff
//!    reports them as warnings);
//! 7. its `requires` entries are resolved recursively, each one's configs coming *before* it;
//! 8. it is kept if it is "required": no `-m` was given, `-m` names it, or it is a dependency of a
//!    required config.
//!
//! A `requires` entry points at a file or a directory (`<dir>/skaffold.yaml`) relative to the
//! importing file, at a git repository ([`git`]), or (without `path`/`git`) at the importing file
//! itself. `googleCloudStorage` and `googleCloudBuildRepoV2` are not supported by skiff.

pub mod git;
pub mod paths;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::defaults;
use crate::error::{ConfigError, StatusCode, SuggestionCode};
use crate::load::{self, ConfigEntry, ConfigSet, Source};
use crate::model::{ConfigDependency, ConfigSource};
use crate::path;
use crate::profiles::{self, go_quote_list};
use crate::resolve::{ResolveOptions, ResolvedEntry};
use crate::yaml::Segment;

use paths::{go_clean, go_join};

/// What walking the `requires` graph found.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    /// The required configs, in Skaffold's order (dependencies first).
    pub entries: Vec<ResolvedEntry>,
    /// The names of all profiles of all configs parsed, for checking `-p`.
    pub all_profiles: Vec<String>,
    /// The names of all named configs parsed, in the order found.
    pub config_names: Vec<String>,
    /// Things that are not errors in Skaffold but probably mistakes.
    pub warnings: Vec<String>,
}

/// A config file: as shown in errors, and absolute (the identity Skaffold compares).
#[derive(Debug, Clone)]
struct FileRef {
    display: PathBuf,
    abs: PathBuf,
}

impl FileRef {
    fn is_stdin(&self) -> bool {
        self.display.as_os_str() == "-"
    }
}

/// Skaffold's `configOpts`.
#[derive(Debug, Clone)]
struct CfgOpts {
    file: FileRef,
    /// Names of the configs to take from the file (empty: all).
    selection: Vec<String>,
    /// `-p`-style names to apply.
    profiles: Vec<String>,
    is_required: bool,
    is_dependency: bool,
    is_remote: bool,
    /// The `requires` entry that imported this file, for positions.
    origin: Option<(Source, Vec<Segment>)>,
}

struct Walker<'a> {
    opts: &'a ResolveOptions,
    work_dir: PathBuf,
    profiles: Vec<String>,
    modules: Vec<String>,
    applied: HashMap<String, String>,
    name_to_file: HashMap<String, PathBuf>,
    cached_repos: HashMap<String, Result<PathBuf, ConfigError>>,
    files: HashMap<PathBuf, ConfigSet>,
    /// Labels of the configs being processed (outermost first), for messages.
    chain: Vec<String>,
    /// Their revisit keys, to tell import cycles from configs imported twice.
    chain_keys: Vec<String>,
    out: Collected,
}

/// Split comma-separated values (`-p a,b`), as Skaffold's string-slice flags do.
pub(crate) fn split_list(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

pub(crate) fn is_url(path: &str) -> bool {
    path.starts_with("http://") || path.starts_with("https://")
}

/// The working directory used for relative paths.
pub(crate) fn work_dir(opts: &ResolveOptions) -> PathBuf {
    opts.work_dir
        .clone()
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// Walk the configs of `opts.file` and everything they require.
pub(crate) fn collect(opts: &ResolveOptions) -> Result<Collected, ConfigError> {
    let work_dir = work_dir(opts);
    let display = opts.file.clone();
    let abs = if display.as_os_str() == "-" || is_url(&display.to_string_lossy()) {
        display.clone()
    } else if display.is_absolute() {
        PathBuf::from(go_clean(&display.to_string_lossy()))
    } else {
        PathBuf::from(go_join(&work_dir, &display.to_string_lossy()))
    };
    let mut w = Walker {
        opts,
        work_dir,
        profiles: split_list(&opts.profiles),
        modules: split_list(&opts.modules),
        applied: HashMap::new(),
        name_to_file: HashMap::new(),
        cached_repos: HashMap::new(),
        files: HashMap::new(),
        chain: Vec::new(),
        chain_keys: Vec::new(),
        out: Collected::default(),
    };
    let root = CfgOpts {
        file: FileRef { display, abs },
        selection: Vec::new(),
        profiles: w.profiles.clone(),
        is_required: false,
        is_dependency: false,
        is_remote: false,
        origin: None,
    };
    let entries = w.get_configs(&root)?;
    w.out.entries = entries;
    Ok(w.out)
}

fn origin_error(
    origin: &Option<(Source, Vec<Segment>)>,
    fallback_file: &Path,
    field: Option<&str>,
    code: StatusCode,
    message: String,
) -> ConfigError {
    match origin {
        Some((source, base)) => {
            let mut path = base.clone();
            if let Some(f) = field {
                path.push(Segment::Key(f.to_string()));
            }
            source.error(&path, code, message)
        }
        None => ConfigError::new(fallback_file, code, message),
    }
}

impl Walker<'_> {
    fn load(&mut self, c: &CfgOpts) -> Result<ConfigSet, ConfigError> {
        if let Some(set) = self.files.get(&c.file.abs) {
            return Ok(set.clone());
        }
        let display = &c.file.display;
        let shown = display.to_string_lossy();
        if is_url(&shown) {
            return Err(origin_error(
                &c.origin,
                display,
                Some("path"),
                StatusCode::ConfigFileParsingErr,
                format!(
                    "reading configs from a URL ({shown}) is not supported by skiff; download the file or use a git dependency"
                ),
            ));
        }
        let mut set = if c.file.is_stdin() {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| {
                ConfigError::new(
                    "-",
                    StatusCode::ConfigFileParsingErr,
                    format!("cannot read the configuration from standard input: {e}"),
                )
            })?;
            load::load_str(&text, "-")?
        } else {
            let read = if display.is_absolute() || self.opts.work_dir.is_none() {
                display.clone()
            } else {
                c.file.abs.clone()
            };
            let mut set = load::load_file(&read)?;
            for e in &mut set.entries {
                e.source.file = display.clone();
            }
            set
        };
        if set.is_empty() {
            return Err(ConfigError::new(
                display,
                StatusCode::ConfigZeroFoundErr,
                format!("failed to get any valid configs from file {shown:?}"),
            ));
        }
        set.entries.shrink_to_fit();
        self.files.insert(c.file.abs.clone(), set.clone());
        Ok(set)
    }

    fn get_configs(&mut self, c: &CfgOpts) -> Result<Vec<ResolvedEntry>, ConfigError> {
        let set = self.load(c)?;
        for config in set.configs() {
            for p in &config.profiles {
                if !self.out.all_profiles.contains(&p.name) {
                    self.out.all_profiles.push(p.name.clone());
                }
            }
        }
        for name in &c.selection {
            if !set.configs().any(|cfg| &cfg.metadata.name == name) {
                let known: Vec<String> = set
                    .configs()
                    .map(|cfg| cfg.metadata.name.clone())
                    .filter(|n| !n.is_empty())
                    .collect();
                self.out.warnings.push(format!(
                    "{}: no config named {name:?} (required by {}); the file's configs are named {}",
                    c.file.display.display(),
                    self.chain.last().map_or("the command line", String::as_str),
                    go_quote_list(&known)
                ));
            }
        }
        let mut out = Vec::new();
        for (index, entry) in set.entries.into_iter().enumerate() {
            out.extend(self.process_each_config(entry, index, c)?);
        }
        Ok(out)
    }

    fn process_each_config(
        &mut self,
        mut entry: ConfigEntry,
        index: usize,
        c: &CfgOpts,
    ) -> Result<Vec<ResolvedEntry>, ConfigError> {
        let name = entry.config.metadata.name.clone();
        let file = &c.file;
        if !name.is_empty() {
            match self.name_to_file.get(&name) {
                Some(prev) if prev != &file.abs => {
                    let (f1, f2) = (prev.display().to_string(), file.abs.display().to_string());
                    let path = path!["metadata", "name"];
                    return Err(entry
                        .source
                        .error(
                            &path,
                            StatusCode::ConfigDuplicateNamesAcrossFilesErr,
                            format!(
                                "skaffold config named {name:?} found in multiple files: {f1:?} and {f2:?}"
                            ),
                        )
                        .with_suggestion(
                            SuggestionCode::ConfigChangeNames,
                            format!(
                                "Change the name of config {name:?} in file {f1:?} or file {f2:?} to make it unique"
                            ),
                        ));
                }
                Some(_) => {}
                None => {
                    self.name_to_file.insert(name.clone(), file.abs.clone());
                    self.out.config_names.push(name.clone());
                }
            }
        }
        if !c.selection.is_empty() && !c.selection.contains(&name) {
            return Ok(Vec::new());
        }
        let required = c.is_required || self.modules.is_empty() || self.modules.contains(&name);

        let ctx = self.opts.activation_context();
        let applied = profiles::apply_profiles(&mut entry, &ctx, &c.profiles)?;
        if !self.opts.skip_defaults {
            defaults::set_defaults(&mut entry.config, &self.opts.defaults).map_err(|e| {
                entry.source.error(
                    &e.path,
                    StatusCode::ConfigDefaultValuesErr,
                    format!(
                        "failed to set default values for config {name:?} defined in file {:?}: {}",
                        file.display.display().to_string(),
                        e.message
                    ),
                )
            })?;
        }
        // Dependencies are found from `requires` as written, relative to this file (Skaffold
        // uses the rewritten paths, which for the root with `make_paths_absolute: Some(true)` are
        // relative to the working directory instead: a bug when `-f` is in another directory).
        let requires = entry.config.requires.clone();
        let absolute = match self.opts.make_paths_absolute {
            Some(v) => v,
            None => c.is_dependency,
        };
        if absolute {
            let base = if c.is_dependency {
                file.abs.parent().map(Path::to_path_buf).unwrap_or_default()
            } else {
                self.work_dir.clone()
            };
            paths::make_file_paths_absolute(&mut entry.config, &base);
        }

        let mut sorted = applied.clone();
        sorted.sort();
        let key = format!("{}:{index}:{required}", file.abs.display());
        let expected = sorted.join(",");
        if let Some(previous) = self.applied.get(&key) {
            if previous != &expected {
                let id = if name.is_empty() {
                    format!("index {index}")
                } else {
                    name.clone()
                };
                let shown = file.abs.display().to_string();
                let mut chain = self.chain.clone();
                chain.push(label(file, &name, index));
                return Err(origin_error(
                    &c.origin,
                    &file.display,
                    None,
                    StatusCode::ConfigMultiImportProfileConflictErr,
                    format!(
                        "config {id:?} defined in file {shown:?} imported multiple times with different set of profiles ({} through {}; {} before)",
                        go_quote_list(&sorted),
                        chain.join(" -> "),
                        go_quote_list(
                            &previous
                                .split(',')
                                .filter(|s| !s.is_empty())
                                .map(str::to_string)
                                .collect::<Vec<_>>()
                        ),
                    ),
                )
                .with_suggestion(
                    SuggestionCode::ConfigCheckDependencyProfilesSelection,
                    "Check that all occurrences of the specified config dependency use the same set of profiles; refer to the documentation on how to author config dependencies: https://skaffold.dev/docs/design/config/#configuration-dependencies",
                ));
            }
            if let Some(start) = self.chain_keys.iter().position(|k| k == &key) {
                let mut cycle = self.chain[start..].to_vec();
                cycle.push(label(file, &name, index));
                self.out.warnings.push(format!(
                    "`requires` cycle: {}; the cycle is cut there, as Skaffold does",
                    cycle.join(" -> ")
                ));
            }
            return Ok(Vec::new());
        }
        self.applied.insert(key.clone(), expected);

        self.chain.push(label(file, &name, index));
        self.chain_keys.push(key);
        let mut out = Vec::new();
        for (k, d) in requires.iter().enumerate() {
            let mut dep_profiles = filter_active_profiles(d, &sorted);
            if self.opts.propagate_profiles {
                for p in &self.profiles {
                    if !dep_profiles.contains(p) {
                        dep_profiles.push(p.clone());
                    }
                }
            }
            let sub = CfgOpts {
                file: file.clone(),
                selection: Vec::new(),
                profiles: dep_profiles,
                is_required: required,
                is_dependency: c.is_dependency,
                is_remote: false,
                origin: Some((entry.source.clone(), path!["requires", k].to_vec())),
            };
            let found = self.process_each_dependency(d, sub);
            match found {
                Ok(found) => out.extend(found),
                Err(e) => {
                    self.chain.pop();
                    self.chain_keys.pop();
                    return Err(e);
                }
            }
        }
        self.chain.pop();
        self.chain_keys.pop();
        if required {
            out.push(ResolvedEntry {
                config: entry.config,
                source: entry.source,
                profiles: applied,
                is_root: !c.is_dependency,
                is_remote: c.is_remote,
            });
        }
        Ok(out)
    }

    fn process_each_dependency(
        &mut self,
        d: &ConfigDependency,
        mut c: CfgOpts,
    ) -> Result<Vec<ResolvedEntry>, ConfigError> {
        let parent = c.file.clone();
        let mut is_remote = false;
        let mut field = "path";
        let mut target: Option<FileRef> = match &d.source {
            Some(ConfigSource::Path(p)) if !p.is_empty() => {
                Some(self.make_config_path_absolute(p, &parent))
            }
            _ => None,
        };
        match &d.source {
            Some(ConfigSource::Git(g)) => {
                field = "git";
                let repo_dir = self.cache_repo(g, &c.origin, &parent)?;
                let p = go_join(&repo_dir, &g.path);
                target = Some(FileRef {
                    display: PathBuf::from(&p),
                    abs: PathBuf::from(&p),
                });
                is_remote = true;
            }
            Some(source @ ConfigSource::GoogleCloudStorage(_))
            | Some(source @ ConfigSource::GoogleCloudBuildRepoV2(_)) => {
                let what = match source {
                    ConfigSource::GoogleCloudStorage(_) => "Google Cloud Storage",
                    _ => "Google Cloud Build repositories (2nd gen)",
                };
                return Err(origin_error(
                    &c.origin,
                    &parent.display,
                    Some(source.key()),
                    StatusCode::ConfigFileParsingErr,
                    format!(
                        "`requires[].{}`: configs from {what} are not supported by skiff; use `path` or `git`",
                        source.key()
                    ),
                ));
            }
            _ => {}
        }
        let mut target = target.unwrap_or_else(|| parent.clone());
        if !is_url(&target.display.to_string_lossy()) && !target.is_stdin() {
            match std::fs::metadata(&target.abs) {
                Ok(meta) => {
                    if meta.is_dir() {
                        target = FileRef {
                            display: target.display.join("skaffold.yaml"),
                            abs: target.abs.join("skaffold.yaml"),
                        };
                    }
                }
                Err(e) => {
                    let dep = target.display.display().to_string();
                    let parent_file = parent.display.display().to_string();
                    return Err(if e.kind() == std::io::ErrorKind::NotFound {
                        origin_error(
                            &c.origin,
                            &parent.display,
                            Some(field),
                            StatusCode::ConfigDependencyNotFoundErr,
                            format!(
                                "could not find skaffold config file {dep:?} that is referenced as a dependency in config file {parent_file:?}: stat {dep}: no such file or directory"
                            ),
                        )
                        .with_suggestion(
                            SuggestionCode::ConfigCheckDependencyDefinition,
                            format!(
                                "Modify the `requires` definition in the configuration file {parent_file:?} to point to the correct path for the dependency {dep:?}"
                            ),
                        )
                    } else {
                        origin_error(
                            &c.origin,
                            &parent.display,
                            Some(field),
                            StatusCode::ConfigFileParsingErr,
                            format!(
                                "error parsing skaffold configuration file: parsing dependencies for skaffold config {parent_file}: stat {dep}: {e}"
                            ),
                        )
                    });
                }
            }
        }
        c.is_dependency = c.is_dependency || target.abs != parent.abs;
        c.file = target;
        c.selection = d.configs.clone();
        c.is_remote = is_remote;
        self.get_configs(&c)
    }

    /// Skaffold's `makeConfigPathAbsolute`, keeping a display path relative when the importing
    /// file's is.
    fn make_config_path_absolute(&self, dep: &str, parent: &FileRef) -> FileRef {
        if Path::new(dep).is_absolute() || is_url(dep) {
            let p = if is_url(dep) {
                dep.to_string()
            } else {
                go_clean(dep)
            };
            return FileRef {
                display: PathBuf::from(&p),
                abs: PathBuf::from(p),
            };
        }
        if parent.is_stdin() || is_url(&parent.display.to_string_lossy()) {
            let p = go_join(&self.work_dir, dep);
            return FileRef {
                display: PathBuf::from(go_clean(dep)),
                abs: PathBuf::from(p),
            };
        }
        let dir = |p: &Path| p.parent().map(Path::to_path_buf).unwrap_or_default();
        FileRef {
            display: PathBuf::from(go_join(&dir(&parent.display), dep)),
            abs: PathBuf::from(go_join(&dir(&parent.abs), dep)),
        }
    }

    fn cache_dir(&self) -> Option<PathBuf> {
        if let Some(dir) = &self.opts.remote_cache_dir {
            return Some(if dir.is_absolute() {
                dir.clone()
            } else {
                self.work_dir.join(dir)
            });
        }
        let home = self
            .opts
            .env
            .get("HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(PathBuf::from))?;
        Some(git::default_cache_dir(&home))
    }

    fn cache_repo(
        &mut self,
        g: &crate::model::GitInfo,
        origin: &Option<(Source, Vec<Segment>)>,
        parent: &FileRef,
    ) -> Result<PathBuf, ConfigError> {
        let key = format!("{}@{}", g.repo, g.r#ref);
        if let Some(result) = self.cached_repos.get(&key) {
            return result.clone();
        }
        let result = match self.cache_dir() {
            None => Err(origin_error(
                origin,
                &parent.display,
                Some("git"),
                StatusCode::ConfigFileParsingErr,
                format!(
                    "error parsing skaffold configuration file: caching remote dependency {}: failed to clone repo {}: retrieving home directory: $HOME is not set",
                    g.repo, g.repo
                ),
            )),
            Some(cache_dir) => {
                let repo = git::Repo {
                    repo: &g.repo,
                    clone_uri: &g.repo,
                    r#ref: &g.r#ref,
                    sync: g.sync,
                };
                git::sync_repo(&repo, &cache_dir, self.opts.sync_remote_cache).map_err(|e| {
                    match &e {
                        git::GitError::SyncDisabled { dir, .. } => origin_error(
                            origin,
                            &parent.display,
                            Some("git"),
                            StatusCode::ConfigRemoteRepoCacheNotFoundErr,
                            e.to_string(),
                        )
                        .with_suggestion(
                            SuggestionCode::ConfigEnableRemoteRepoSync,
                            format!(
                                "Either clone the repository manually inside {:?}, or set flag `--sync-remote-cache` to `always` or `missing`",
                                dir.display().to_string()
                            ),
                        ),
                        git::GitError::Failed(m) => origin_error(
                            origin,
                            &parent.display,
                            Some("git"),
                            StatusCode::ConfigFileParsingErr,
                            format!(
                                "error parsing skaffold configuration file: caching remote dependency {}: {m}",
                                g.repo
                            ),
                        ),
                    }
                })
            }
        };
        self.cached_repos.insert(key, result.clone());
        result
    }
}

fn label(file: &FileRef, name: &str, index: usize) -> String {
    if name.is_empty() {
        format!("{}[{index}]", file.display.display())
    } else {
        format!("{}({name})", file.display.display())
    }
}

/// The profiles to activate in a dependency: each `activeProfiles` entry whose `activatedBy` is
/// empty or names one of the importing config's active `profiles`.
pub fn filter_active_profiles(d: &ConfigDependency, profiles: &[String]) -> Vec<String> {
    d.active_profiles
        .iter()
        .filter(|ap| {
            ap.activated_by.is_empty() || profiles.iter().any(|p| ap.activated_by.contains(p))
        })
        .map(|ap| ap.name.clone())
        .collect()
}

#[cfg(test)]
pub(crate) mod tests;
