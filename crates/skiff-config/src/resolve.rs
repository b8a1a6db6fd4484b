//! The one entry point from command-line options (`-f`, `-m`, `-p`, …) to the effective configs.
//!
//! [`resolve`] does what Skaffold's `parser.GetConfigSet` and the start of its runner do:
//! 1. load the root file (`-f`, default `skaffold.yaml`; `-` reads standard input), upgrading
//!    older `apiVersion`s;
//! 2. walk `requires` ([`crate::requires`]): each config gets its profiles applied
//!    ([`crate::profiles`]), Skaffold's per-config defaults, and (for dependencies) absolute file
//!    paths; dependencies come before the configs that require them;
//! 3. module selection (`-m`): only the named configs and their dependencies are kept; no match
//!    at all is `CONFIG_BAD_FILTER_ERR`;
//! 4. every `-p` name (without its leading `-`) must be a profile of some config parsed:
//!    otherwise `CONFIG_PROFILES_NOT_FOUND_ERR`;
//! 5. with a single config, the default renderer (`rawYaml: [k8s/*.yaml]`) and deployer
//!    (`kubectl: {}`), except for `diagnose` and `inspect` (which Skaffold does not run through
//!    its runner);
//! 6. validation ([`crate::validate()`]) across all configs, unless turned off.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::defaults::{self, DefaultsOptions};
use crate::error::{ConfigError, ConfigErrors, StatusCode, SuggestionCode};
use crate::load::{ConfigEntry, ConfigSet, Source};
use crate::model::SkaffoldConfig;
use crate::profiles::{ActivationContext, go_quote_list};
use crate::requires::{self, git::SyncRemoteCache, split_list};
use crate::validate::{ValidateOptions, validate};

/// Everything that decides the effective configs.
#[derive(Debug, Clone)]
pub struct ResolveOptions {
    /// `-f/--filename`: the root config file (`-` for standard input). Default `skaffold.yaml`.
    pub file: PathBuf,
    /// `-m/--module`: names of the configs to keep (with their dependencies); empty keeps all.
    /// Values may be comma-separated.
    pub modules: Vec<String>,
    /// `-p/--profile`: profiles to activate (`name`) or deactivate (`-name`), in order. Values
    /// may be comma-separated.
    pub profiles: Vec<String>,
    /// `--profile-auto-activation` (default `true`).
    pub profile_auto_activation: bool,
    /// `--propagate-profiles` (default `true`): apply the `-p` profiles to dependencies too.
    pub propagate_profiles: bool,
    /// The command being run (`dev`, `build`, …): for `activation[].command`, for whether the
    /// `profiles` section is dropped after applying profiles, and for the default renderer.
    pub command: String,
    /// `--kube-context`, if given (takes precedence over the kubeconfig for activation).
    pub kube_context: Option<String>,
    /// The kubeconfig's current context, if known (for `activation[].kubeContext` without
    /// `--kube-context`).
    pub current_kube_context: Option<String>,
    /// The environment for `activation[].env` (and `HOME` for the default remote cache).
    pub env: BTreeMap<String, String>,
    /// The working directory that relative paths are resolved against (`None`: the process's).
    pub work_dir: Option<PathBuf>,
    /// `--remote-cache-dir` (default `$HOME/.skaffold/remote-cache`).
    pub remote_cache_dir: Option<PathBuf>,
    /// `--sync-remote-cache`.
    pub sync_remote_cache: SyncRemoteCache,
    /// Skaffold's `MakePathsAbsolute`: `None` makes the paths of dependency configs absolute
    /// (the default); `Some(true)` makes all paths absolute (the root's against the working
    /// directory, as `diagnose` does); `Some(false)` leaves every path as written (`inspect`).
    pub make_paths_absolute: Option<bool>,
    /// Skip Skaffold's defaults (`inspect` commands do).
    pub skip_defaults: bool,
    /// What the defaults need from the environment.
    pub defaults: DefaultsOptions,
    /// Validation to run on the result (`None`: none).
    pub validate: Option<ValidateOptions>,
}

impl Default for ResolveOptions {
    /// Hermetic defaults: `skaffold.yaml`, no command, an empty environment, validation without
    /// the manifest check.
    fn default() -> Self {
        ResolveOptions {
            file: PathBuf::from("skaffold.yaml"),
            modules: Vec::new(),
            profiles: Vec::new(),
            profile_auto_activation: true,
            propagate_profiles: true,
            command: String::new(),
            kube_context: None,
            current_kube_context: None,
            env: BTreeMap::new(),
            work_dir: None,
            remote_cache_dir: None,
            sync_remote_cache: SyncRemoteCache::Always,
            make_paths_absolute: None,
            skip_defaults: false,
            defaults: DefaultsOptions::default(),
            validate: Some(ValidateOptions::default()),
        }
    }
}

impl ResolveOptions {
    /// Options for running `command` as Skaffold would by default: the process environment,
    /// the command's `--sync-remote-cache` default and validation options, and for `diagnose`
    /// all paths made absolute.
    pub fn for_command(command: &str) -> ResolveOptions {
        ResolveOptions {
            command: command.to_string(),
            env: std::env::vars().collect(),
            sync_remote_cache: SyncRemoteCache::default_for_command(command),
            make_paths_absolute: (command == "diagnose").then_some(true),
            validate: Some(validate_options_for(command)),
            ..ResolveOptions::default()
        }
    }

    /// The view of these options that profile activation needs.
    pub fn activation_context(&self) -> ActivationContext<'_> {
        ActivationContext {
            command: &self.command,
            kube_context: self.kube_context.as_deref(),
            current_kube_context: self.current_kube_context.as_deref(),
            env: &self.env,
            auto_activation: self.profile_auto_activation,
        }
    }
}

/// Skaffold's validation options for a command: the manifest-file check for `dev`, `deploy`,
/// `run`, `debug` and `render`.
pub fn validate_options_for(command: &str) -> ValidateOptions {
    ValidateOptions {
        check_manifests: matches!(command, "dev" | "deploy" | "run" | "debug" | "render"),
    }
}

/// One effective config.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedEntry {
    /// The config after profiles, defaults and path rewriting.
    pub config: SkaffoldConfig,
    /// Where it came from; its tree has the positions of the fields set by profiles.
    pub source: Source,
    /// The profiles applied to it, in order.
    pub profiles: Vec<String>,
    /// A config of the root file (not imported through `requires` from another file).
    pub is_root: bool,
    /// A config from a remote (git) dependency.
    pub is_remote: bool,
}

impl ResolvedEntry {
    /// The config's name (`metadata.name`, possibly empty).
    pub fn name(&self) -> &str {
        &self.config.metadata.name
    }
}

/// The effective configs, in Skaffold's order (each config after the configs it requires).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResolvedConfig {
    /// The configs.
    pub entries: Vec<ResolvedEntry>,
    /// Problems Skaffold ignores silently (a `-m` name or `requires[].configs` name that matches
    /// nothing), worth showing as warnings.
    pub warnings: Vec<String>,
}

impl ResolvedConfig {
    /// The configs.
    pub fn configs(&self) -> impl Iterator<Item = &SkaffoldConfig> {
        self.entries.iter().map(|e| &e.config)
    }

    /// The names of the named configs (modules), in order.
    pub fn modules(&self) -> Vec<&str> {
        self.entries
            .iter()
            .map(ResolvedEntry::name)
            .filter(|n| !n.is_empty())
            .collect()
    }

    /// The configs with their sources as a [`ConfigSet`].
    pub fn to_config_set(&self) -> ConfigSet {
        ConfigSet {
            entries: self
                .entries
                .iter()
                .map(|e| ConfigEntry {
                    config: e.config.clone(),
                    source: e.source.clone(),
                })
                .collect(),
        }
    }

    /// The configs with their sources as a [`ConfigSet`].
    pub fn into_config_set(self) -> ConfigSet {
        ConfigSet {
            entries: self
                .entries
                .into_iter()
                .map(|e| ConfigEntry {
                    config: e.config,
                    source: e.source,
                })
                .collect(),
        }
    }

    /// Every config as a `skaffold/v4beta14` document, separated by `---`, as `skaffold diagnose
    /// --yaml-only` prints them: `requires` is left out (the required configs are in the output).
    pub fn to_yaml(&self) -> Result<String, serde_yaml_ng::Error> {
        let mut out = String::new();
        for (i, e) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push_str("---\n");
            }
            let mut config = e.config.clone();
            config.requires.clear();
            out.push_str(&crate::yaml::emit::to_string(&config)?);
        }
        Ok(out)
    }
}

/// Resolve the effective configs (see the module docs).
pub fn resolve(opts: &ResolveOptions) -> Result<ResolvedConfig, ConfigErrors> {
    let one = |e: ConfigError| ConfigErrors(vec![e]);
    let collected = requires::collect(opts).map_err(one)?;
    let modules = split_list(&opts.modules);
    let profiles = split_list(&opts.profiles);
    let root = opts.file.clone();

    if collected.entries.is_empty() {
        if !modules.is_empty() {
            let known = if collected.config_names.is_empty() {
                "no config has a `metadata.name`".to_string()
            } else {
                format!(
                    "the configs are named {}",
                    go_quote_list(&collected.config_names)
                )
            };
            return Err(one(ConfigError::new(
                &root,
                StatusCode::ConfigBadFilterErr,
                format!(
                    "did not find any configs matching selection [{}] ({known})",
                    modules.join(" ")
                ),
            )
            .with_suggestion(
                SuggestionCode::ConfigCheckFilter,
                "Check that the arguments to the `-m` or `--module` flag are valid config names",
            )));
        }
        return Err(one(ConfigError::new(
            &root,
            StatusCode::ConfigZeroFoundErr,
            format!(
                "failed to get any valid configs from file {:?}",
                root.display().to_string()
            ),
        )));
    }

    let unmatched: Vec<String> = profiles
        .iter()
        .filter(|p| {
            !collected
                .all_profiles
                .iter()
                .any(|known| known == p.strip_prefix('-').unwrap_or(p))
        })
        .cloned()
        .collect();
    if !unmatched.is_empty() {
        let known = if collected.all_profiles.is_empty() {
            "no config defines profiles".to_string()
        } else {
            format!(
                "the profiles are {}",
                go_quote_list(&collected.all_profiles)
            )
        };
        return Err(one(
            ConfigError::new(
                &root,
                StatusCode::ConfigProfilesNotFoundErr,
                format!(
                    "profile selection {} did not match those defined in any configurations ({known})",
                    go_quote_list(&unmatched)
                ),
            )
            .with_suggestion(
                SuggestionCode::ConfigCheckProfileSelection,
                r#"Check that values specified in the "--profile" or "-p" flags are valid profile names"#,
            ),
        ));
    }

    let mut resolved = ResolvedConfig {
        entries: collected.entries,
        warnings: collected.warnings,
    };
    for m in &modules {
        if !collected.config_names.contains(m) {
            resolved.warnings.push(format!(
                "module {m:?} (-m) matches no config; the configs are named {}",
                go_quote_list(&collected.config_names)
            ));
        }
    }

    let runs_pipeline = !(opts.command == "diagnose" || opts.command.starts_with("inspect"));
    if !opts.skip_defaults
        && runs_pipeline
        && let [entry] = resolved.entries.as_mut_slice()
    {
        defaults::set_default_renderer(&mut entry.config);
        defaults::set_default_deployer(&mut entry.config);
    }

    if let Some(vopts) = &opts.validate {
        validate(&resolved.to_config_set(), vopts)?;
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests;
