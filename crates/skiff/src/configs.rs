//! Reading the configs for every command through [`skiff_config::resolve`]: the
//! file, its modules and what they require, profiles applied, defaults set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::options::ConfigOptions;
use skiff_config::defaults::DefaultsOptions;
use skiff_config::model::{ConfigDependency, SkaffoldConfig};
use skiff_config::{
    ConfigError, ConfigErrors, ResolveOptions, StatusCode, SyncRemoteCache, resolve,
};

/// What to read.
#[derive(Debug, Clone, Default)]
pub(crate) struct LoadRequest {
    /// The root config file.
    pub file: PathBuf,
    /// Only these modules (and what they require); empty: all.
    pub modules: Vec<String>,
    /// Profiles to activate (`-name` deactivates).
    pub profiles: Vec<String>,
    /// Activate the `-p` profiles in required configs too.
    pub propagate_profiles: bool,
    /// Activate profiles by their `activation` rules.
    pub profile_auto_activation: bool,
    /// The command (`diagnose`, `inspect`), for `activation[].command` and for whether the
    /// applied `profiles` sections are dropped (diagnose) or kept (inspect).
    pub command: String,
    /// The kube context given on the command line.
    pub kube_context: Option<String>,
    /// Where remote configs are cached.
    pub remote_cache_dir: Option<PathBuf>,
    /// How remote configs are refreshed.
    pub sync_remote_cache: SyncRemoteCache,
    /// Apply Skaffold's defaults to each config.
    pub apply_defaults: bool,
    /// Skaffold's `MakePathsAbsolute`: `Some(true)` makes every path absolute (the root config's
    /// against the working directory), `None` only those of required configs, `Some(false)` none.
    pub absolute_paths: Option<bool>,
    /// Validate the configs as the command needs (pipeline commands do; `diagnose` and
    /// `inspect` do not, as in Skaffold).
    pub validate: bool,
}

impl LoadRequest {
    /// What a pipeline command reads from the command line's config flags: profiles as given,
    /// defaults applied, paths kept as Skaffold's pipeline commands keep them, validated.
    pub fn for_command(opts: &ConfigOptions, command: &str) -> Self {
        LoadRequest {
            file: opts.filename.clone(),
            modules: opts.modules.clone(),
            profiles: opts.profiles.clone(),
            propagate_profiles: opts.propagate_profiles,
            profile_auto_activation: opts.profile_auto_activation,
            command: command.to_owned(),
            kube_context: opts.kube_context.clone(),
            remote_cache_dir: opts.remote_cache_dir.clone(),
            sync_remote_cache: opts.sync_remote_cache,
            apply_defaults: true,
            absolute_paths: None,
            validate: true,
        }
    }
}

/// One config and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct LoadedConfig {
    /// The config, with profiles (and defaults) applied.
    pub config: SkaffoldConfig,
    /// The absolute path of its file.
    pub file: PathBuf,
    /// Its index among the configs of its file.
    pub index: usize,
    /// It is in the root file (not required by another config).
    pub is_root: bool,
    /// It comes from a remote repository.
    pub is_remote: bool,
}

/// `path` made absolute against the current directory (`.` and `..` resolved lexically, like
/// Go's `filepath.Join(cwd, path)`).
pub(crate) fn absolute(path: &Path) -> PathBuf {
    match std::env::current_dir() {
        Ok(cwd) if !path.is_absolute() => PathBuf::from(skiff_config::requires::paths::go_join(
            &cwd,
            &path.to_string_lossy(),
        )),
        _ => path.to_path_buf(),
    }
}

/// The current context of the kubeconfig (`$KUBECONFIG`'s first file, else `~/.kube/config`),
/// for profiles activated by `kubeContext`. `None` when there is no readable kubeconfig.
pub(crate) fn current_kube_context() -> Option<String> {
    let file = match std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        Some(list) => std::env::split_paths(&list).find(|p| p.is_file())?,
        None => PathBuf::from(std::env::var_os("HOME")?).join(".kube/config"),
    };
    let text = std::fs::read_to_string(file).ok()?;
    let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).ok()?;
    value
        .get("current-context")?
        .as_str()
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
}

fn resolve_options(req: &LoadRequest) -> ResolveOptions {
    ResolveOptions {
        file: req.file.clone(),
        modules: req.modules.clone(),
        profiles: req.profiles.clone(),
        profile_auto_activation: req.profile_auto_activation,
        propagate_profiles: req.propagate_profiles,
        command: req.command.clone(),
        kube_context: req.kube_context.clone(),
        current_kube_context: if req.profile_auto_activation && req.kube_context.is_none() {
            current_kube_context()
        } else {
            None
        },
        env: std::env::vars().collect::<BTreeMap<_, _>>(),
        work_dir: None,
        remote_cache_dir: req.remote_cache_dir.clone(),
        sync_remote_cache: req.sync_remote_cache,
        make_paths_absolute: req.absolute_paths,
        skip_defaults: !req.apply_defaults,
        defaults: DefaultsOptions::default(),
        validate: req
            .validate
            .then(|| skiff_config::resolve::validate_options_for(&req.command)),
    }
}

/// Reads the configs of `req`.
pub(crate) fn load(req: &LoadRequest) -> Result<Vec<LoadedConfig>, ConfigErrors> {
    let resolved = resolve(&resolve_options(req))?;
    for warning in &resolved.warnings {
        tracing::warn!("{warning}");
    }
    Ok(resolved
        .entries
        .into_iter()
        .map(|e| LoadedConfig {
            file: absolute(&e.source.file),
            index: e.source.index,
            is_root: e.is_root,
            is_remote: e.is_remote,
            config: e.config,
        })
        .collect())
}

/// Appends `deps` to the `requires` of every config selected by `modules` (all when empty), in
/// the root file and in the local files it requires, and writes those files back: the changed
/// documents in the latest schema version, the others with the same content (reformatted).
pub(crate) fn add_requires(
    file: &Path,
    modules: &[String],
    remote_cache_dir: Option<PathBuf>,
    deps: &[ConfigDependency],
) -> Result<(), ConfigErrors> {
    let one = |e: ConfigError| ConfigErrors(vec![e]);
    let req = LoadRequest {
        file: file.to_path_buf(),
        modules: modules.to_vec(),
        propagate_profiles: true,
        command: "inspect".to_owned(),
        remote_cache_dir,
        sync_remote_cache: SyncRemoteCache::Missing,
        apply_defaults: false,
        absolute_paths: Some(false),
        ..LoadRequest::default()
    };
    let resolved = resolve(&resolve_options(&req))?;
    // Each local file, with the changed configs by index.
    let mut by_file: BTreeMap<PathBuf, BTreeMap<usize, SkaffoldConfig>> = BTreeMap::new();
    for entry in resolved.entries.into_iter().filter(|e| !e.is_remote) {
        let mut config = entry.config;
        config.requires.extend(deps.iter().cloned());
        by_file
            .entry(entry.source.file.clone())
            .or_default()
            .insert(entry.source.index, config);
    }
    for (path, changed) in by_file {
        if path.as_os_str() == "-" {
            continue;
        }
        let write_err = |message: String| {
            one(ConfigError::new(
                &path,
                StatusCode::ConfigFileParsingErr,
                message,
            ))
        };
        // The documents as written: the unchanged ones keep their version and content.
        let text =
            std::fs::read_to_string(&path).map_err(|e| one(ConfigError::not_found(&path, &e)))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let docs = skiff_config::yaml::parse_documents(text).map_err(|e| {
            one(
                ConfigError::new(&path, StatusCode::ConfigFileParsingErr, e.message)
                    .at(e.pos, text),
            )
        })?;
        let mut out = String::new();
        for (index, doc) in docs.iter().filter(|d| !d.is_empty()).enumerate() {
            let text = match changed.get(&index) {
                Some(config) => serde_yaml_ng::to_string(config),
                None => serde_yaml_ng::to_string(&skiff_config::yaml::to_value(&doc.root)),
            }
            .map_err(|e| write_err(format!("marshaling new configs: {e}")))?;
            if !out.is_empty() {
                out.push_str("---\n");
            }
            out.push_str(&text);
        }
        std::fs::write(&path, out).map_err(|e| write_err(format!("writing config file: {e}")))?;
    }
    Ok(())
}
