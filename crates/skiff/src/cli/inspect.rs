//! Flags of the hidden `skiff inspect` commands, the helpers IDEs (Cloud Code) call to read
//! skaffold.yaml. Their flags are Skaffold's: `-f/--filename`, `-o/--format` and
//! `--remote-cache-dir` on every inspect command, `-m/--module`, `-p/--profile` and
//! `--propagate-profiles` where Skaffold has them.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::options::{InspectCommand, InspectOptions};

/// `skiff inspect`: JSON views of the configuration for IDEs.
#[derive(Debug, Clone, Args)]
pub struct InspectArgs {
    /// Path to the local Skaffold config file. Defaults to `skaffold.yaml`
    #[arg(
        short = 'f',
        long = "filename",
        global = true,
        value_name = "PATH",
        default_value = "skaffold.yaml"
    )]
    pub filename: PathBuf,

    /// Output format. One of: json(default)
    #[arg(
        short = 'o',
        long = "format",
        global = true,
        value_name = "FORMAT",
        default_value = "json"
    )]
    pub format: String,

    /// Specify the location of the remote cache (defaults to $HOME/.skaffold/remote-cache)
    #[arg(long, global = true, value_name = "DIR")]
    pub remote_cache_dir: Option<PathBuf>,

    /// What to inspect.
    #[command(subcommand)]
    pub command: InspectCommands,
}

/// `-m/--module`.
#[derive(Debug, Clone, Default, Args)]
pub struct ModuleArgs {
    /// Names of modules to filter target action by.
    #[arg(
        short = 'm',
        long = "module",
        value_name = "NAME",
        value_delimiter = ','
    )]
    pub modules: Vec<String>,
}

/// `-p/--profile` and `--propagate-profiles` of the list commands that apply profiles.
#[derive(Debug, Clone, Args)]
pub struct InspectProfileArgs {
    /// Profile names to activate
    #[arg(
        short = 'p',
        long = "profile",
        value_name = "NAME",
        value_delimiter = ',',
        allow_hyphen_values = true
    )]
    pub profiles: Vec<String>,

    /// Setting '--propagate-profiles=false' disables propagating profiles set by the
    /// '--profile' flag across config dependencies. This mean that only profiles defined
    /// directly in the target 'skaffold.yaml' file are activated.
    #[arg(long, default_value_t = true)]
    pub propagate_profiles: bool,
}

/// The inspect commands.
#[derive(Debug, Clone, Subcommand)]
pub enum InspectCommands {
    /// Interact with configuration modules
    Modules {
        /// The modules command.
        #[command(subcommand)]
        command: ModulesCommands,
    },
    /// Interact with configuration profiles
    Profiles {
        /// Names of modules to filter target action by.
        #[arg(
            short = 'm',
            long = "module",
            global = true,
            value_name = "NAME",
            value_delimiter = ','
        )]
        modules: Vec<String>,
        /// The profiles command.
        #[command(subcommand)]
        command: ProfilesCommands,
    },
    /// Interact with skaffold build environment definitions.
    #[command(name = "build-env")]
    BuildEnv {
        /// Names of modules to filter target action by.
        #[arg(
            short = 'm',
            long = "module",
            global = true,
            value_name = "NAME",
            value_delimiter = ','
        )]
        modules: Vec<String>,
        /// The build-env command.
        #[command(subcommand)]
        command: BuildEnvCommands,
    },
    /// View skaffold test information
    Tests {
        /// The tests command.
        #[command(subcommand)]
        command: ProfiledListCommands,
    },
    /// View skaffold namespace information for resources it manages
    Namespaces {
        /// The namespaces command.
        #[command(subcommand)]
        command: NamespacesCommands,
    },
    /// View skaffold executionMode information defined in the specified skaffold configuration
    #[command(name = "executionModes")]
    ExecutionModes {
        /// The executionModes command.
        #[command(subcommand)]
        command: ProfiledListCommands,
    },
    /// View skaffold jobManifestPath information defined in the specified skaffold configuration
    #[command(name = "jobManifestPaths")]
    JobManifestPaths {
        /// The jobManifestPaths command.
        #[command(subcommand)]
        command: ProfiledListCommands,
    },
    /// Interact with skaffold config dependency definitions.
    #[command(name = "config-dependencies")]
    ConfigDependencies {
        /// The config-dependencies command.
        #[command(subcommand)]
        command: ConfigDependenciesCommands,
    },
}

/// `inspect modules` commands.
#[derive(Debug, Clone, Subcommand)]
pub enum ModulesCommands {
    /// Print the list of module names that can be invoked with the --module flag in other skaffold commands.
    #[command(after_help = "Examples:\n  \
        # Get list of modules\n  \
        skiff inspect modules list --format json\n\n  \
        # Get list of all configs (including unnamed modules)\n  \
        skiff inspect modules list -a --format json")]
    List {
        /// Include unnamed modules in the result.
        #[arg(short = 'a', long = "all")]
        all: bool,
    },
}

/// `inspect profiles` commands.
#[derive(Debug, Clone, Subcommand)]
pub enum ProfilesCommands {
    /// Print the list of profile names that can be invoked with the --profile flag in other skaffold commands.
    #[command(after_help = "Examples:\n  \
        # Get list of profiles\n  \
        skiff inspect profiles list --format json\n\n  \
        # Get list of profiles targeting GoogleCloudBuild environment\n  \
        skiff inspect profiles list --build-env googleCloudBuild --format json")]
    List {
        /// If specified as one of "local", "googleCloudBuild" or "cluster", then filter the
        /// output profiles list to that build environment.
        #[arg(long, value_name = "ENV")]
        build_env: Option<String>,
    },
}

/// `inspect build-env` commands.
#[derive(Debug, Clone, Subcommand)]
pub enum BuildEnvCommands {
    /// Print the list of active build environments.
    #[command(after_help = "Examples:\n  \
        # Get list of target build environments with activated profiles p1 and p2\n  \
        skiff inspect build-env list -p p1,p2 --format json")]
    List {
        /// Profile flags.
        #[command(flatten)]
        profiles: InspectProfileArgs,
    },
}

/// The `list` command of `inspect tests`, `executionModes` and `jobManifestPaths`.
#[derive(Debug, Clone, Subcommand)]
pub enum ProfiledListCommands {
    /// Print the list for a given configuration (default skaffold configuration, specific module, specific profile, etc).
    List {
        /// Module flag.
        #[command(flatten)]
        modules: ModuleArgs,
        /// Profile flags.
        #[command(flatten)]
        profiles: InspectProfileArgs,
    },
}

/// `inspect namespaces` commands.
#[derive(Debug, Clone, Subcommand)]
pub enum NamespacesCommands {
    /// Print the list of namespaces that would be run for a given configuration (default skaffold configuration, specific module, specific profile, etc).
    #[command(after_help = "Examples:\n  \
        # Get list of namespaces\n  \
        skiff inspect namespaces list manifests.yaml --format json\n\n  \
        # Get list of namespaces targeting a specific configuration\n  \
        skiff inspect namespaces list manifests.yaml --profile local --format json")]
    List {
        /// The manifest file (rendered Kubernetes resources) to read
        #[arg(value_name = "MANIFEST")]
        manifest: PathBuf,
        /// Module flag.
        #[command(flatten)]
        modules: ModuleArgs,
        /// Profile flags.
        #[command(flatten)]
        profiles: InspectProfileArgs,
    },
}

/// `inspect config-dependencies` commands.
#[derive(Debug, Clone, Subcommand)]
pub enum ConfigDependenciesCommands {
    /// Add config dependencies
    #[command(after_help = "Examples:\n  \
        # Add config dependency defined in `dependency.json`.\n  \
        skiff inspect config-dependencies add dependency.json -f skaffold.yaml")]
    Add {
        /// JSON file of the form {"dependencies": [{"configs": [...], "path": ...}, ...]}
        #[arg(value_name = "FILE")]
        input: PathBuf,
        /// Module flag.
        #[command(flatten)]
        modules: ModuleArgs,
    },
}

fn set_profiles(opts: &mut InspectOptions, p: &InspectProfileArgs) {
    opts.profiles = p.profiles.clone();
    opts.propagate_profiles = p.propagate_profiles;
}

impl InspectArgs {
    /// The validated options of the inspect command.
    pub fn to_options(&self) -> InspectOptions {
        let mut opts = InspectOptions {
            filename: self.filename.clone(),
            format: self.format.clone(),
            remote_cache_dir: self.remote_cache_dir.clone(),
            modules: Vec::new(),
            profiles: Vec::new(),
            propagate_profiles: true,
            command: InspectCommand::BuildEnvList,
        };
        opts.command = match &self.command {
            InspectCommands::Modules {
                command: ModulesCommands::List { all },
            } => InspectCommand::ModulesList { include_all: *all },
            InspectCommands::Profiles {
                modules,
                command: ProfilesCommands::List { build_env },
            } => {
                opts.modules = modules.clone();
                InspectCommand::ProfilesList {
                    build_env: build_env.clone(),
                }
            }
            InspectCommands::BuildEnv {
                modules,
                command: BuildEnvCommands::List { profiles },
            } => {
                opts.modules = modules.clone();
                set_profiles(&mut opts, profiles);
                InspectCommand::BuildEnvList
            }
            InspectCommands::Tests {
                command: ProfiledListCommands::List { modules, profiles },
            } => {
                opts.modules = modules.modules.clone();
                set_profiles(&mut opts, profiles);
                InspectCommand::TestsList
            }
            InspectCommands::ExecutionModes {
                command: ProfiledListCommands::List { modules, profiles },
            } => {
                opts.modules = modules.modules.clone();
                set_profiles(&mut opts, profiles);
                InspectCommand::ExecutionModesList
            }
            InspectCommands::JobManifestPaths {
                command: ProfiledListCommands::List { modules, profiles },
            } => {
                opts.modules = modules.modules.clone();
                set_profiles(&mut opts, profiles);
                InspectCommand::JobManifestPathsList
            }
            InspectCommands::Namespaces {
                command:
                    NamespacesCommands::List {
                        manifest,
                        modules,
                        profiles,
                    },
            } => {
                opts.modules = modules.modules.clone();
                set_profiles(&mut opts, profiles);
                InspectCommand::NamespacesList {
                    manifest: manifest.clone(),
                }
            }
            InspectCommands::ConfigDependencies {
                command: ConfigDependenciesCommands::Add { input, modules },
            } => {
                opts.modules = modules.modules.clone();
                InspectCommand::ConfigDependenciesAdd {
                    input: input.clone(),
                }
            }
        };
        opts
    }
}
