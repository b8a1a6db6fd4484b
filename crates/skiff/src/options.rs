//! Validated, clap-free options handed from the command line to the commands.
//!
//! The `cli` module parses flags (Skaffold's spellings) into low-level argument structs and
//! converts them into the plain structs defined here. Nothing below this module knows about
//! clap; tests and other crates can build these structs directly.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

pub use skiff_config::SyncRemoteCache;
pub use skiff_events::MutedPhases;

/// Log level selected with `-v/--verbosity` (Skaffold's logrus levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum LogLevel {
    /// `panic`: only the most severe errors (logged as errors by skiff).
    Panic,
    /// `fatal`: only fatal errors (logged as errors by skiff).
    Fatal,
    /// `error`: errors only.
    Error,
    /// `warning` (the default): warnings and errors.
    #[default]
    Warning,
    /// `info`: progress information, warnings and errors.
    Info,
    /// `debug`: detailed diagnostics.
    Debug,
    /// `trace`: everything.
    Trace,
}

impl LogLevel {
    /// Every level, from the least to the most verbose.
    pub const ALL: [LogLevel; 7] = [
        LogLevel::Panic,
        LogLevel::Fatal,
        LogLevel::Error,
        LogLevel::Warning,
        LogLevel::Info,
        LogLevel::Debug,
        LogLevel::Trace,
    ];

    /// The level's name as accepted by `--verbosity`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Panic => "panic",
            LogLevel::Fatal => "fatal",
            LogLevel::Error => "error",
            LogLevel::Warning => "warning",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error returned when a string names no [`LogLevel`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLogLevel(pub String);

impl fmt::Display for UnknownLogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a valid log level: {:?}", self.0)
    }
}

impl std::error::Error for UnknownLogLevel {}

impl FromStr for LogLevel {
    type Err = UnknownLogLevel;

    /// Parses a level like logrus does: case-insensitive, `warn` accepted for `warning`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "panic" => Ok(LogLevel::Panic),
            "fatal" => Ok(LogLevel::Fatal),
            "error" => Ok(LogLevel::Error),
            "warn" | "warning" => Ok(LogLevel::Warning),
            "info" => Ok(LogLevel::Info),
            "debug" => Ok(LogLevel::Debug),
            "trace" => Ok(LogLevel::Trace),
            _ => Err(UnknownLogLevel(s.to_owned())),
        }
    }
}

/// Options that apply to every command (Skaffold's global flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalOptions {
    /// Log level for messages on stderr.
    pub verbosity: LogLevel,
    /// Default output colour, as an ANSI SGR code (34 = blue).
    pub color: u8,
    /// Print colour codes even when the output is not a terminal.
    pub force_colors: bool,
    /// Allow prompts asking the user for more information.
    pub interactive: bool,
    /// Accepted for compatibility with Skaffold; skiff never checks for updates.
    pub update_check: bool,
    /// Prefix log lines with a wall-clock timestamp instead of seconds since start.
    pub timestamps: bool,
}

impl Default for GlobalOptions {
    fn default() -> Self {
        GlobalOptions {
            verbosity: LogLevel::Warning,
            color: 34,
            force_colors: false,
            interactive: true,
            update_check: true,
            timestamps: false,
        }
    }
}

/// Settings of the skiff API (gRPC and HTTP/JSON `SkaffoldV2Service`) and the event-log file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiOptions {
    /// Start the API servers. True when `--enable-rpc` was set or when any port was given.
    pub enabled: bool,
    /// Port of the gRPC server on 127.0.0.1; `None` picks a free port.
    pub grpc_port: Option<u16>,
    /// Port of the HTTP/JSON gateway on 127.0.0.1; `None` means no HTTP server.
    pub http_port: Option<u16>,
    /// Before exiting, wait until a client has connected to the event stream.
    pub wait_for_connection: bool,
    /// File that receives every event as one JSON object per line.
    pub event_log_file: Option<PathBuf>,
}

/// Options of the hidden `skiff serve` command: the API without a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    /// API server settings.
    pub api: ApiOptions,
    /// Initial state of automatic rebuilds (`--auto-build`).
    pub auto_build: bool,
    /// Initial state of automatic file sync (`--auto-sync`).
    pub auto_sync: bool,
    /// Initial state of automatic redeploys (`--auto-deploy`).
    pub auto_deploy: bool,
    /// Image names listed in the initial build state (`--artifact`, repeatable).
    pub artifacts: Vec<String>,
    /// Log level selected with `-v/--verbosity`.
    pub verbosity: LogLevel,
}

/// Which configs a command reads and which profiles it applies (`-f`, `-m`, `-p`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigOptions {
    /// The config file (`-f/--filename`, default `skaffold.yaml`).
    pub filename: PathBuf,
    /// Only the configs with these names, and what they require (`-m/--module`).
    pub modules: Vec<String>,
    /// Profiles to activate; a name prefixed with `-` deactivates it (`-p/--profile`).
    pub profiles: Vec<String>,
    /// Activate profiles whose `activation` matches (`--profile-auto-activation`).
    pub profile_auto_activation: bool,
    /// Activate the `-p` profiles in required configs too (`--propagate-profiles`).
    pub propagate_profiles: bool,
    /// The kube context selected on the command line (`--kube-context`).
    pub kube_context: Option<String>,
    /// Where remote configs are cached (`--remote-cache-dir`; `None`: `~/.skaffold/remote-cache`).
    pub remote_cache_dir: Option<PathBuf>,
    /// How the remote cache is refreshed (`--sync-remote-cache`).
    pub sync_remote_cache: SyncRemoteCache,
}

impl Default for ConfigOptions {
    fn default() -> Self {
        ConfigOptions {
            filename: PathBuf::from("skaffold.yaml"),
            modules: Vec::new(),
            profiles: Vec::new(),
            profile_auto_activation: true,
            propagate_profiles: true,
            kube_context: None,
            remote_cache_dir: None,
            sync_remote_cache: SyncRemoteCache::Always,
        }
    }
}

/// Options of the hidden `skiff filter` (helm's post-renderer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterOptions {
    /// The labels to set on every resource and pod template.
    pub labels: std::collections::BTreeMap<String, String>,
}

/// Options of `skiff fix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixOptions {
    /// The config to upgrade (only `filename` is used).
    pub config: ConfigOptions,
    /// The `apiVersion` to upgrade to (`--version`, default the latest).
    pub version: String,
    /// Replace the config file, keeping the original as `<file>.v2` (`--overwrite`).
    pub overwrite: bool,
    /// Write the upgraded config to this file instead of stdout (`-o/--output`).
    pub output: Option<PathBuf>,
}

/// Options of `skiff schema list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaListOptions {
    /// `-o/--output`: `plain` or `json` (checked when the command runs, like Skaffold).
    pub output: String,
}

/// Options of `skiff schema get`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaGetOptions {
    /// The schema version asked for (`skaffold/v4beta14`).
    pub version: String,
}

/// Options of `skiff diagnose`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagnoseOptions {
    /// The configs and profiles.
    pub config: ConfigOptions,
    /// Print the effective configuration only (`--yaml-only`).
    pub yaml_only: bool,
    /// Render the templated fields of the printed configuration (`--enable-templating`).
    pub enable_templating: bool,
    /// Write the result to this file instead of stdout (`-o/--output`).
    pub output: Option<PathBuf>,
}

/// Options shared by every `skiff inspect` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectOptions {
    /// The config file (`-f/--filename`).
    pub filename: PathBuf,
    /// `-o/--format`; only `json` exists (any value prints JSON, as in Skaffold).
    pub format: String,
    /// Where remote configs are cached (`--remote-cache-dir`).
    pub remote_cache_dir: Option<PathBuf>,
    /// Only the configs with these names (`-m/--module`), where the command has the flag.
    pub modules: Vec<String>,
    /// Profiles to activate (`-p/--profile`), where the command has the flag.
    pub profiles: Vec<String>,
    /// Activate the `-p` profiles in required configs too (`--propagate-profiles`).
    pub propagate_profiles: bool,
    /// What to inspect.
    pub command: InspectCommand,
}

/// The `skiff inspect` commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InspectCommand {
    /// `inspect modules list`: the named configs (all of them with `include_all`).
    ModulesList {
        /// `-a/--all`: include unnamed configs as `__config_<index>`.
        include_all: bool,
    },
    /// `inspect profiles list`: every profile of the configs.
    ProfilesList {
        /// `--build-env`: only the profiles that build with `local`, `googleCloudBuild` or
        /// `cluster`.
        build_env: Option<String>,
    },
    /// `inspect build-env list`: the build environment of each config.
    BuildEnvList,
    /// `inspect tests list`: the custom and structure tests.
    TestsList,
    /// `inspect namespaces list MANIFEST`: the namespace of each Deployment of a manifest file.
    NamespacesList {
        /// The rendered manifest file.
        manifest: PathBuf,
    },
    /// `inspect executionModes list`: how each verify test and custom action runs.
    ExecutionModesList,
    /// `inspect jobManifestPaths list`: the job manifests of verify tests and custom actions.
    JobManifestPathsList,
    /// `inspect config-dependencies add FILE`: add `requires` entries from a JSON file.
    ConfigDependenciesAdd {
        /// The JSON file with `{"dependencies": [...]}`.
        input: PathBuf,
    },
}

/// How `skiff build -q` and `--file-output` present the built images.
#[derive(Debug, Clone)]
pub enum OutputFormat {
    /// `{"builds":[{"imageName":…,"tag":…}]}` (the default `{{json .}}`).
    Json,
    /// A Go template over `.Builds` (each with `.ImageName` and `.Tag`).
    Template(Box<skiff_config::template::Template>),
}

/// Options of `skiff build`.
#[derive(Debug, Clone)]
pub struct BuildCommandOptions {
    /// Which configs to read.
    pub config: ConfigOptions,
    /// API server settings.
    pub api: ApiOptions,
    /// How to build.
    pub build: skiff_runner::build::BuildOptions,
    /// `-q/--quiet`: no build output; print the built images (see `output`).
    pub quiet: bool,
    /// `--mute-logs`: the phases whose own output goes to log files.
    pub mute_logs: MutedPhases,
    /// `-o/--output`: how the built images are printed and written.
    pub output: OutputFormat,
    /// `--file-output`: also write the built images as JSON to this file.
    pub file_output: Option<PathBuf>,
}

/// How deployed images are labelled, checked and followed (`run`, `deploy`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeploySettings {
    /// `-l KEY=VALUE` labels on everything deployed.
    pub labels: std::collections::BTreeMap<String, String>,
    /// `--tail`: stream the logs of what was deployed until interrupted.
    pub tail: bool,
    /// `--status-check`; `None`: the config decides.
    pub status_check: Option<bool>,
    /// `--mute-logs`: the phases whose own output goes to log files.
    pub mute_logs: MutedPhases,
    /// `-n/--namespace`: where namespaced objects naming none are deployed.
    pub namespace: Option<String>,
    /// `--force`: re-create objects whose update the cluster refuses.
    pub force: bool,
    /// `--port-forward`: what the Kubernetes target forwards.
    pub port_forward: skiff_deploy::kubernetes::port_forward::ForwardModes,
    /// `--kubeconfig`.
    pub kubeconfig: Option<PathBuf>,
}

/// Where a pipeline command's phase output goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutputSettings {
    /// Phase output reaches the hub only (`skiff build -q`).
    pub quiet: bool,
    /// `--mute-logs`: the phases whose own output goes to log files.
    pub mute_logs: MutedPhases,
}

impl OutputSettings {
    /// Output on the terminal, without the phases `mute_logs` names.
    pub fn muting(mute_logs: MutedPhases) -> Self {
        OutputSettings {
            quiet: false,
            mute_logs,
        }
    }
}

impl From<bool> for OutputSettings {
    /// Quiet or not, nothing muted.
    fn from(quiet: bool) -> Self {
        OutputSettings {
            quiet,
            mute_logs: MutedPhases::NONE,
        }
    }
}

/// Images built earlier (`-a/--build-artifacts`, `-i/--images`, with `-t` and `-d`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrebuiltOptions {
    /// The `skiff build --file-output` file, or `-` for stdin.
    pub build_artifacts: Option<String>,
    /// `NAME=REFERENCE` or `REFERENCE` values.
    pub images: Vec<String>,
    /// `-t/--tag`.
    pub custom_tag: Option<String>,
    /// `-d/--default-repo`.
    pub default_repo: Option<String>,
}

/// How `verify` and `exec` run their containers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalRunSettings {
    /// The images built earlier.
    pub prebuilt: PrebuiltOptions,
    /// `--env-file`: environment for the containers.
    pub env_file: Option<PathBuf>,
    /// `--docker-network`.
    pub docker_network: Option<String>,
}

/// Options of `skiff run`.
#[derive(Debug, Clone)]
pub struct RunCommandOptions {
    /// Which configs to read.
    pub config: ConfigOptions,
    /// API server settings.
    pub api: ApiOptions,
    /// How to build.
    pub build: skiff_runner::build::BuildOptions,
    /// How to deploy.
    pub deploy: DeploySettings,
    /// `--skip-tests`.
    pub skip_tests: bool,
    /// `--cleanup`: remove what was deployed when interrupted.
    pub cleanup: bool,
}

/// Options of `skiff deploy`.
#[derive(Debug, Clone)]
pub struct DeployCommandOptions {
    /// Which configs to read.
    pub config: ConfigOptions,
    /// API server settings.
    pub api: ApiOptions,
    /// The images to deploy.
    pub prebuilt: PrebuiltOptions,
    /// How to deploy.
    pub deploy: DeploySettings,
}

/// Options of `skiff apply`.
#[derive(Debug, Clone)]
pub struct ApplyCommandOptions {
    /// Which configs to read.
    pub config: ConfigOptions,
    /// API server settings.
    pub api: ApiOptions,
    /// How to deploy.
    pub deploy: DeploySettings,
    /// The hydrated manifest files.
    pub manifests: Vec<PathBuf>,
}

/// Options of `skiff render`.
#[derive(Debug, Clone)]
pub struct RenderCommandOptions {
    /// Which configs to read.
    pub config: ConfigOptions,
    /// API server settings.
    pub api: ApiOptions,
    /// How to build the images when none are given.
    pub build: skiff_runner::build::BuildOptions,
    /// The images built earlier (`-a`, `-i`).
    pub prebuilt: PrebuiltOptions,
    /// How to render.
    pub render: RenderSettings,
}

/// How `skiff render` hydrates and where it writes.
#[derive(Debug, Clone, Default)]
pub struct RenderSettings {
    /// `-l KEY=VALUE` labels on every resource.
    pub labels: std::collections::BTreeMap<String, String>,
    /// `-n/--namespace`.
    pub namespace: Option<String>,
    /// `--digest-source`; `None`: chosen by the cluster.
    pub digest_source: Option<skiff_render::images::DigestSource>,
    /// `--offline`: no namespace injected.
    pub offline: bool,
    /// `--loud`: show the build's output.
    pub loud: bool,
    /// `-o/--output`: the file to write the manifests to (standard output when unset).
    pub output: Option<PathBuf>,
}

/// Options of `skiff delete`.
#[derive(Debug, Clone)]
pub struct DeleteCommandOptions {
    /// Which configs to read.
    pub config: ConfigOptions,
    /// `--dry-run`: print what would be removed.
    pub dry_run: bool,
    /// `-n/--namespace`: where namespaced objects naming none were deployed.
    pub namespace: Option<String>,
    /// `--kubeconfig`.
    pub kubeconfig: Option<PathBuf>,
}

/// Options of `skiff test`.
#[derive(Debug, Clone)]
pub struct TestCommandOptions {
    /// Which configs to read.
    pub config: ConfigOptions,
    /// API server settings.
    pub api: ApiOptions,
    /// The images to test.
    pub prebuilt: PrebuiltOptions,
}

/// Options of `skiff verify` and `skiff exec`.
#[derive(Debug, Clone)]
pub struct LocalRunCommandOptions {
    /// Which configs to read.
    pub config: ConfigOptions,
    /// API server settings.
    pub api: ApiOptions,
    /// Images and container settings.
    pub local: LocalRunSettings,
    /// `exec`: the custom action to run.
    pub action: Option<String>,
}

/// Options of `skiff dev`.
#[derive(Debug, Clone)]
pub struct DevCommandOptions {
    /// Which configs to read.
    pub config: ConfigOptions,
    /// API server settings.
    pub api: ApiOptions,
    /// How to build.
    pub build: skiff_runner::build::BuildOptions,
    /// How to deploy (`--tail` is on by default).
    pub deploy: DeploySettings,
    /// `--auto-build`, `--auto-sync`, `--auto-deploy`.
    pub auto: skiff_runner::dev::intents::PhaseFlags,
    /// `--trigger`, with `--watch-poll-interval` for polling.
    pub trigger: skiff_watch::Trigger,
    /// The quiet period that ends a burst of changes.
    pub quiet: std::time::Duration,
    /// `-w/--watch-image`: only these artifacts are watched.
    pub watch_images: Vec<String>,
    /// `--skip-tests`.
    pub skip_tests: bool,
    /// `--cleanup`: remove what was deployed when dev mode ends.
    pub cleanup: bool,
    /// `--keep-running-on-failure`.
    pub keep_running_on_failure: bool,
    /// `--no-prune`, `--no-prune-children` (with `--cache-artifacts`).
    pub prune: skiff_runner::dev::ImagePruning,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_levels_parse_like_logrus() {
        for level in LogLevel::ALL {
            assert_eq!(level.as_str().parse::<LogLevel>(), Ok(level));
            assert_eq!(level.as_str().to_uppercase().parse::<LogLevel>(), Ok(level));
        }
        assert_eq!("warn".parse::<LogLevel>(), Ok(LogLevel::Warning));
        assert!("bogus".parse::<LogLevel>().is_err());
    }
}
