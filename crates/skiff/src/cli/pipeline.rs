//! Flag groups of the pipeline commands: the configs and the API ([`SessionArgs`]: every
//! pipeline command), how artifacts are built ([`BuildFlags`]: `build`,
//! `run`), how they are deployed ([`DeployFlags`]: `run`, `deploy`), which phases write to log
//! files ([`MuteLogsFlag`]: `build`, and `run` and `deploy` through [`DeployFlags`]), which
//! images were built before ([`PrebuiltFlags`]: `deploy`, `test`) and how local containers run
//! ([`LocalRunFlags`]: `verify`, `exec`).
//!
//! Commands include them with `#[command(flatten)]`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use skiff_deploy::kubernetes::port_forward::ForwardModes;
use skiff_runner::build::BuildOptions;

use super::api::ApiArgs;
use super::config::ConfigArgs;
use super::flags::parse_bool;
use crate::exit::UsageError;
use crate::options::{
    ApiOptions, ConfigOptions, DeploySettings, LocalRunSettings, MutedPhases, PrebuiltOptions,
    SyncRemoteCache,
};

/// The configs a pipeline command reads and the API it serves.
#[derive(Debug, Clone, Args)]
pub struct SessionArgs {
    /// Config flags.
    #[command(flatten)]
    pub config: ConfigArgs,

    /// API flags.
    #[command(flatten)]
    pub api: ApiArgs,
}

impl SessionArgs {
    /// The config options (remote configs synced on access).
    pub fn config_options(&self) -> ConfigOptions {
        self.config.to_options(SyncRemoteCache::Always)
    }

    /// The API options.
    pub fn api_options(&self) -> ApiOptions {
        self.api.to_options()
    }
}

/// How artifacts are built and tagged.
#[derive(Debug, Clone, Args)]
pub struct BuildFlags {
    /// The optional custom tag to use for images which overrides the current Tagger configuration
    #[arg(short = 't', long, value_name = "TAG")]
    pub tag: Option<String>,

    /// Default repository value (overrides global config)
    #[arg(short = 'd', long, value_name = "REPO")]
    pub default_repo: Option<String>,

    /// Number of concurrently running builds. Set to 0 to run all builds in parallel. Doesn't
    /// violate build order among dependencies
    #[arg(long, value_name = "N", default_value_t = -1, allow_negative_numbers = true)]
    pub build_concurrency: i32,

    /// The platform to target for the build artifacts
    #[arg(long, value_name = "PLATFORM", value_delimiter = ',')]
    pub platform: Vec<String>,

    /// Set to false to disable default caching of artifacts
    #[arg(long, default_value_t = true)]
    pub cache_artifacts: bool,

    /// Specify the location of the cache file (default $HOME/.skaffold/cache)
    #[arg(long, value_name = "PATH")]
    pub cache_file: Option<PathBuf>,

    /// Target registries for built images which are not secure
    #[arg(long, value_name = "REGISTRY")]
    pub insecure_registry: Vec<String>,

    /// Only build artifacts with image names that contain the given substring. Default is to
    /// build sources for all artifacts
    #[arg(
        short = 'b',
        long = "build-image",
        value_name = "IMAGE",
        value_delimiter = ','
    )]
    pub build_image: Vec<String>,
}

impl BuildFlags {
    /// The build options; `push` and `dry_run` come from flags of `skiff build`.
    pub fn to_options(&self, push: Option<bool>, dry_run: bool) -> BuildOptions {
        BuildOptions {
            custom_tag: self.tag.clone().filter(|t| !t.is_empty()),
            default_repo: self.default_repo.clone().filter(|r| !r.is_empty()),
            push,
            concurrency: usize::try_from(self.build_concurrency).ok(),
            platforms: self.platform.clone(),
            only_images: self.build_image.clone(),
            insecure_registries: self.insecure_registry.clone(),
            dry_run,
            cache_artifacts: self.cache_artifacts,
            cache_file: self
                .cache_file
                .clone()
                .filter(|p| !p.as_os_str().is_empty()),
        }
    }
}

/// Which phases write their own output to a log file instead of the terminal.
#[derive(Debug, Clone, Args)]
pub struct MuteLogsFlag {
    /// Mute logs for specified stages in pipeline: their output goes to a log file whose name
    /// is printed instead (comma-separated, repeatable; application logs are never muted)
    #[arg(long, value_name = "STAGES", value_delimiter = ',',
          value_parser = PossibleValuesParser::new(MutedPhases::VALUES)
              .try_map(|v| v.parse::<MutedPhases>()))]
    pub mute_logs: Vec<MutedPhases>,
}

impl MuteLogsFlag {
    /// The muted phases: those any value names.
    pub fn phases(&self) -> MutedPhases {
        self.mute_logs.iter().copied().collect()
    }
}

/// How deployed images are labelled, checked and followed.
#[derive(Debug, Clone, Args)]
pub struct DeployFlags {
    /// Add custom labels to deployed objects (KEY=VALUE; repeatable)
    #[arg(short = 'l', long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,

    /// Wait for deployed resources to stabilize (default: on, unless the config turns it off)
    #[arg(long, num_args = 0..=1, default_missing_value = "true", require_equals = true,
          value_parser = parse_bool, value_name = "true|false")]
    pub status_check: Option<bool>,

    /// Port-forward exposes service ports and container ports within pods and other resources
    /// (off, user, services, debug, pods; comma-separated). The docker target publishes the
    /// `portForward` entries of `resourceType: container` on every deploy
    #[arg(long, num_args = 0..=1, default_missing_value = "true", require_equals = true,
          value_name = "MODES")]
    pub port_forward: Option<String>,

    /// Runs deployments in the specified namespace
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Recreate Kubernetes resources if necessary for deployment, warning: might cause downtime!
    #[arg(long, num_args = 0..=1, default_missing_value = "true", require_equals = true,
          value_parser = parse_bool, value_name = "true|false", default_value = "false")]
    pub force: bool,

    /// `--kubeconfig`.
    #[command(flatten)]
    pub kubeconfig: KubeconfigFlag,

    /// `--mute-logs`.
    #[command(flatten)]
    pub mute: MuteLogsFlag,
}

impl DeployFlags {
    /// The deploy settings, with the command's `--tail` and its `--port-forward` default
    /// (`user` for `dev`, `off` otherwise); `-l` values must be `KEY=VALUE`.
    pub fn to_settings(
        &self,
        tail: bool,
        port_forward_default: &str,
    ) -> Result<DeploySettings, UsageError> {
        let modes = self.port_forward.as_deref().unwrap_or(port_forward_default);
        Ok(DeploySettings {
            labels: parse_labels(&self.labels)?,
            tail,
            status_check: self.status_check,
            mute_logs: self.mute.phases(),
            namespace: self.namespace.clone().filter(|n| !n.is_empty()),
            force: self.force,
            port_forward: ForwardModes::parse(&[modes])
                .map_err(|e| UsageError(e.message.clone()))?,
            kubeconfig: self.kubeconfig.path(),
        })
    }
}

/// The kubeconfig the Kubernetes commands use.
#[derive(Debug, Clone, Args)]
pub struct KubeconfigFlag {
    /// Path to the kubeconfig file to use for CLI requests.
    #[arg(long = "kubeconfig", value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
}

impl KubeconfigFlag {
    /// The file, unless empty.
    pub fn path(&self) -> Option<PathBuf> {
        self.kubeconfig
            .clone()
            .filter(|p| !p.as_os_str().is_empty())
    }
}

/// The `-l/--label` values as a map; each must be `KEY=VALUE` with a non-empty key.
pub fn parse_labels(labels: &[String]) -> Result<BTreeMap<String, String>, UsageError> {
    let mut parsed = BTreeMap::new();
    for label in labels {
        let Some((key, value)) = label.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            return Err(UsageError(format!(
                "invalid label {label:?}: expected KEY=VALUE"
            )));
        };
        parsed.insert(key.to_owned(), value.to_owned());
    }
    Ok(parsed)
}

/// Images built earlier, for the commands that do not build.
#[derive(Debug, Clone, Args)]
pub struct PrebuiltFlags {
    /// File containing build result from a previous 'skiff build --file-output' ('-' reads
    /// stdin)
    #[arg(short = 'a', long, value_name = "FILE")]
    pub build_artifacts: Option<String>,

    /// A list of pre-built images to deploy, either tagged images or NAME=TAG pairs
    #[arg(short = 'i', long, value_name = "IMAGE", value_delimiter = ',')]
    pub images: Vec<String>,
}

impl PrebuiltFlags {
    /// Where the images come from, with the command's `-t` and `-d`.
    pub fn to_options(
        &self,
        custom_tag: Option<&String>,
        default_repo: Option<&String>,
    ) -> PrebuiltOptions {
        PrebuiltOptions {
            build_artifacts: self.build_artifacts.clone().filter(|f| !f.is_empty()),
            images: self.images.clone(),
            custom_tag: custom_tag.filter(|t| !t.is_empty()).cloned(),
            default_repo: default_repo.filter(|r| !r.is_empty()).cloned(),
        }
    }
}

/// How `verify` and `exec` run their containers on the local engine.
#[derive(Debug, Clone, Args)]
pub struct LocalRunFlags {
    /// File containing build result from a previous 'skiff build --file-output' ('-' reads
    /// stdin)
    #[arg(short = 'a', long, value_name = "FILE")]
    pub build_artifacts: Option<String>,

    /// Default repository value (overrides global config)
    #[arg(short = 'd', long, value_name = "REPO")]
    pub default_repo: Option<String>,

    /// File of KEY=VALUE lines with environment variables for the containers
    #[arg(long, value_name = "PATH")]
    pub env_file: Option<PathBuf>,

    /// The Docker network the containers join
    #[arg(long, value_name = "NETWORK")]
    pub docker_network: Option<String>,
}

impl LocalRunFlags {
    /// The images and the container settings.
    pub fn to_settings(&self) -> LocalRunSettings {
        LocalRunSettings {
            prebuilt: PrebuiltOptions {
                build_artifacts: self.build_artifacts.clone().filter(|f| !f.is_empty()),
                images: Vec::new(),
                custom_tag: None,
                default_repo: self.default_repo.clone().filter(|r| !r.is_empty()),
            },
            env_file: self.env_file.clone().filter(|p| !p.as_os_str().is_empty()),
            docker_network: self.docker_network.clone().filter(|n| !n.is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use skiff_events::Phase;

    #[derive(Debug, Parser)]
    struct Command {
        #[command(flatten)]
        mute: MuteLogsFlag,
    }

    fn parse(args: &[&str]) -> Result<MutedPhases, clap::Error> {
        Command::try_parse_from(std::iter::once("skiff").chain(args.iter().copied()))
            .map(|c| c.mute.phases())
    }

    #[test]
    fn mute_logs_takes_comma_separated_and_repeated_values() {
        assert_eq!(parse(&[]).unwrap(), MutedPhases::NONE);
        let muted = parse(&["--mute-logs", "build,status-check", "--mute-logs=none"]).unwrap();
        assert!(muted.mutes(Phase::Build));
        assert!(muted.mutes(Phase::StatusCheck));
        assert!(!muted.mutes(Phase::Deploy));
        assert_eq!(parse(&["--mute-logs", "all"]).unwrap(), MutedPhases::ALL);
    }

    #[test]
    fn mute_logs_refuses_unknown_stages() {
        let err = parse(&["--mute-logs", "build,logs"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::InvalidValue);
        assert!(err.to_string().contains("status-check"), "{err}");
    }
}
