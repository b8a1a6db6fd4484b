//! Reusable flag groups naming the configs a command reads: `-f/--filename`, `-m/--module`,
//! `--remote-cache-dir`, `--sync-remote-cache` ([`ConfigFileArgs`], which Skaffold defines on
//! every command) and, on top of them, the profile and kube-context flags of the commands that
//! apply profiles ([`ConfigArgs`]).
//!
//! Commands include them with `#[command(flatten)]`.

use std::path::PathBuf;

use clap::Args;
use clap::builder::PossibleValuesParser;

use crate::options::{ConfigOptions, SyncRemoteCache};

/// The flags that name the config file and the modules to use, and how remote configs are cached.
/// `skiff fix` has these only; commands that also apply profiles flatten [`ConfigArgs`].
#[derive(Debug, Clone, Args)]
pub struct ConfigFileArgs {
    /// Path to the Skaffold config file
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "PATH",
        default_value = "skaffold.yaml"
    )]
    pub filename: PathBuf,

    /// Filter Skaffold configs to only the provided named modules (repeatable, or comma-separated)
    #[arg(
        short = 'm',
        long = "module",
        value_name = "NAME",
        value_delimiter = ','
    )]
    pub modules: Vec<String>,

    /// Specify the location of the remote cache (default $HOME/.skaffold/remote-cache)
    #[arg(long, value_name = "DIR")]
    pub remote_cache_dir: Option<PathBuf>,

    /// How remote config repositories are cached: `always` syncs them on access, `missing`
    /// only clones those not cached yet, `never` leaves updating them to the user (default
    /// `always`; `missing` for fix, diagnose and inspect)
    #[arg(
        long,
        value_name = "WHEN",
        value_parser = PossibleValuesParser::new(["always", "missing", "never"]),
    )]
    pub sync_remote_cache: Option<String>,
}

impl ConfigFileArgs {
    /// The config options, with no profile activated. `sync_default` is the command's default
    /// for `--sync-remote-cache`.
    pub fn to_options(&self, sync_default: SyncRemoteCache) -> ConfigOptions {
        ConfigOptions {
            filename: self.filename.clone(),
            modules: self.modules.clone(),
            profiles: Vec::new(),
            profile_auto_activation: true,
            propagate_profiles: true,
            kube_context: None,
            remote_cache_dir: self.remote_cache_dir.clone(),
            sync_remote_cache: self
                .sync_remote_cache
                .as_deref()
                .and_then(|s| s.parse().ok())
                .unwrap_or(sync_default),
        }
    }
}

/// The config flags of the commands that read skaffold.yaml and apply profiles (`build`, `dev`,
/// `run`, `diagnose`, …): [`ConfigFileArgs`] plus `-p/--profile`, `--profile-auto-activation`,
/// `--propagate-profiles` and `--kube-context`.
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// Config file, modules and remote cache.
    #[command(flatten)]
    pub file: ConfigFileArgs,

    /// Activate profiles by name (prefixed with `-` to disable a profile; repeatable, or
    /// comma-separated)
    #[arg(
        short = 'p',
        long = "profile",
        value_name = "NAME",
        value_delimiter = ',',
        allow_hyphen_values = true
    )]
    pub profiles: Vec<String>,

    /// Set to false to disable profile auto activation
    #[arg(long, default_value_t = true)]
    pub profile_auto_activation: bool,

    /// Setting '--propagate-profiles=false' disables propagating profiles set by the
    /// '--profile' flag across config dependencies. This mean that only profiles defined
    /// directly in the target 'skaffold.yaml' file are activated.
    #[arg(long, default_value_t = true)]
    pub propagate_profiles: bool,

    /// Deploy to this Kubernetes context (also selects the profiles activated by kubeContext)
    #[arg(long, value_name = "CONTEXT")]
    pub kube_context: Option<String>,
}

impl ConfigArgs {
    /// The config options. `sync_default` is the command's default for `--sync-remote-cache`.
    pub fn to_options(&self, sync_default: SyncRemoteCache) -> ConfigOptions {
        ConfigOptions {
            profiles: self.profiles.clone(),
            profile_auto_activation: self.profile_auto_activation,
            propagate_profiles: self.propagate_profiles,
            kube_context: self.kube_context.clone().filter(|c| !c.is_empty()),
            ..self.file.to_options(sync_default)
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::cli::{Commands, parse_from};
    use crate::options::SyncRemoteCache;

    fn parse(args: &[&str]) -> Result<Commands, clap::Error> {
        let parsed = parse_from(std::iter::once("skiff").chain(args.iter().copied()))?;
        Ok(parsed.cli.command.expect("a command"))
    }

    #[test]
    fn diagnose_takes_the_config_and_profile_flags() {
        let Commands::Diagnose(args) = parse(&[
            "diagnose",
            "-f",
            "other.yaml",
            "-m",
            "a,b",
            "--module=c",
            "-p",
            "dev,-gcb",
            "-p",
            "-local",
            "--profile-auto-activation=false",
            "--propagate-profiles=false",
            "--kube-context",
            "kind-kind",
            "--yaml-only",
        ])
        .unwrap() else {
            panic!("not diagnose")
        };
        let opts = args.to_options();
        assert_eq!(opts.config.filename.to_str(), Some("other.yaml"));
        assert_eq!(opts.config.modules, ["a", "b", "c"]);
        assert_eq!(opts.config.profiles, ["dev", "-gcb", "-local"]);
        assert!(!opts.config.profile_auto_activation);
        assert!(!opts.config.propagate_profiles);
        assert_eq!(opts.config.kube_context.as_deref(), Some("kind-kind"));
        assert_eq!(opts.config.sync_remote_cache, SyncRemoteCache::Missing);
        assert!(opts.yaml_only && !opts.enable_templating && opts.output.is_none());
    }

    #[test]
    fn fix_has_the_file_flags_only() {
        let Commands::Fix(args) = parse(&["fix", "--sync-remote-cache", "never"]).unwrap() else {
            panic!("not fix")
        };
        let opts = args.to_options();
        assert_eq!(opts.config.filename.to_str(), Some("skaffold.yaml"));
        assert_eq!(opts.config.sync_remote_cache, SyncRemoteCache::Never);
        assert_eq!(opts.version, skiff_config::upgrade::LATEST_VERSION);
        assert!(!opts.overwrite && opts.output.is_none());
        assert!(parse(&["fix", "-p", "dev"]).is_err());
        assert!(parse(&["fix", "--sync-remote-cache", "sometimes"]).is_err());
    }

    #[test]
    fn inspect_flags_apply_to_the_list_commands() {
        use crate::options::InspectCommand;
        let Commands::Inspect(args) = parse(&[
            "inspect",
            "-f",
            "x.yaml",
            "build-env",
            "list",
            "-p",
            "p1,p2",
            "-m",
            "mod",
            "--propagate-profiles=false",
        ])
        .unwrap() else {
            panic!("not inspect")
        };
        let opts = args.to_options();
        assert_eq!(opts.filename.to_str(), Some("x.yaml"));
        assert_eq!(opts.format, "json");
        assert_eq!(opts.modules, ["mod"]);
        assert_eq!(opts.profiles, ["p1", "p2"]);
        assert!(!opts.propagate_profiles);
        assert_eq!(opts.command, InspectCommand::BuildEnvList);

        let Commands::Inspect(args) =
            parse(&["inspect", "modules", "list", "-a", "--format", "json"]).unwrap()
        else {
            panic!("not inspect")
        };
        assert_eq!(
            args.to_options().command,
            InspectCommand::ModulesList { include_all: true }
        );
        // `modules list` has no -m, `profiles list` no -p.
        assert!(parse(&["inspect", "modules", "list", "-m", "x"]).is_err());
        assert!(parse(&["inspect", "profiles", "list", "-p", "x"]).is_err());
    }
}
