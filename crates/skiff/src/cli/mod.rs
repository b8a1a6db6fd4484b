//! Command-line parsing: Skaffold's commands and flag spellings, defined with clap.
//!
//! Parsing happens in two steps: clap turns the arguments (and `SKAFFOLD_*` environment
//! variables) into the `*Args` structs of this module, then each command's `to_options`
//! turns those into the plain structs of [`crate::options`], which is all the commands see.
//!
//! To add a command: define its `XxxArgs` (flattening [`ApiArgs`] / [`TriggerArgs`] where
//! Skaffold has those flags) with a `to_options` method, add a variant to [`Commands`], and a
//! match arm in [`crate::commands::dispatch`]. Environment variables, boolean spellings,
//! deprecations and the grouped root help are applied to every command automatically.

mod api;
mod apply;
mod build;
pub mod config;
mod delete;
mod deploy;
mod dev;
mod diagnose;
mod filter;
mod fix;
pub mod flags;
mod global;
mod help;
mod inspect;
mod pipeline;
mod render;
mod run;
mod schema;
mod serve;
mod test;
mod verify;

use std::ffi::OsString;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

pub use api::{ApiArgs, TriggerArgs};
pub use apply::ApplyArgs;
pub use build::BuildArgs;
pub use config::{ConfigArgs, ConfigFileArgs};
pub use delete::DeleteArgs;
pub use deploy::DeployArgs;
pub use dev::DevArgs;
pub use diagnose::DiagnoseArgs;
pub use filter::FilterArgs;
pub use fix::FixArgs;
pub use global::GlobalArgs;
pub use inspect::InspectArgs;
pub use pipeline::{BuildFlags, DeployFlags, LocalRunFlags, PrebuiltFlags, SessionArgs};
pub use render::RenderArgs;
pub use run::RunArgs;
pub use schema::{SchemaArgs, SchemaCommands};
pub use serve::ServeArgs;
pub use test::TestArgs;
pub use verify::{ExecArgs, LocalRunArgs, VerifyArgs};

/// The text of `skiff version`: `v` followed by the package version.
pub const VERSION: &str = concat!("v", env!("CARGO_PKG_VERSION"));

/// skiff: fast, Skaffold-compatible continuous development for containers and Kubernetes
#[derive(Debug, Clone, Parser)]
#[command(
    name = "skiff",
    version = VERSION,
    about = "skiff: fast, Skaffold-compatible continuous development for containers and Kubernetes.\n\n  \
             It reads skaffold.yaml and accepts Skaffold's commands, flags and SKAFFOLD_* variables.",
    max_term_width = 100
)]
pub struct Cli {
    /// Flags accepted by every command.
    #[command(flatten)]
    pub global: GlobalArgs,

    /// The command to run; without one, the help is printed.
    #[command(subcommand)]
    pub command: Option<Commands>,
}

/// skiff's commands.
#[derive(Debug, Clone, Subcommand)]
pub enum Commands {
    /// Print the version information
    Version,

    /// Run the skiff API server alone, without a pipeline
    #[command(hide = true)]
    Serve(ServeArgs),

    /// Filter and transform a set of Kubernetes manifests from stdin
    #[command(hide = true)]
    Filter(FilterArgs),

    /// Run a pipeline: build and test artifacts, tag them and deploy them
    Run(Box<RunArgs>),

    /// Run a pipeline in development mode: sync or rebuild and redeploy on every change
    Dev(Box<DevArgs>),

    /// Build the artifacts
    Build(Box<BuildArgs>),

    /// Run tests against your built application images
    Test(Box<TestArgs>),

    /// Deploy pre-built artifacts
    Deploy(Box<DeployArgs>),

    /// Generate rendered Kubernetes manifests
    Render(Box<RenderArgs>),

    /// Apply hydrated manifests to a cluster
    Apply(Box<ApplyArgs>),

    /// Delete any resources deployed by skiff
    Delete(Box<DeleteArgs>),

    /// Run verification tests against skiff deployments
    Verify(Box<VerifyArgs>),

    /// Execute a custom action
    Exec(Box<ExecArgs>),

    /// Update old configuration to a newer schema version
    Fix(FixArgs),

    /// List JSON schemas used to validate skaffold.yaml configuration
    Schema(SchemaArgs),

    /// Run a diagnostic on Skaffold
    Diagnose(DiagnoseArgs),

    /// Helper commands for Cloud Code IDEs to interact with and modify skaffold configuration files.
    #[command(hide = true)]
    Inspect(InspectArgs),
}

/// A successfully parsed command line.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The typed arguments.
    pub cli: Cli,
    /// Messages about deprecated flags that were used, to print on stderr.
    pub deprecations: Vec<String>,
}

/// The complete clap command: every command, with environment variables, boolean spellings
/// and the grouped root help applied.
pub fn command() -> clap::Command {
    help::with_grouped_help(flags::finish(Cli::command()))
}

/// Parses `args` (starting with the program name) and the `SKAFFOLD_*` environment variables.
///
/// The error is clap's: it may be a request for help or the version (see
/// [`crate::exit::clap_error`]).
pub fn parse_from<I, T>(args: I) -> Result<Parsed, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let mut cmd = flags::command_line_beats_env(command(), &args);
    let mut matches = cmd.try_get_matches_from_mut(args)?;
    let deprecations = flags::deprecation_notices(&cmd, &matches);
    let cli = Cli::from_arg_matches_mut(&mut matches).map_err(|err| err.format(&mut cmd))?;
    Ok(Parsed { cli, deprecations })
}

/// Parses the process's arguments and environment.
pub fn parse() -> Result<Parsed, clap::Error> {
    parse_from(std::env::args_os())
}

/// Prints the root help on stdout.
pub fn print_help() -> std::io::Result<()> {
    use std::io::Write;
    let help = command().render_help();
    let mut out = std::io::stdout().lock();
    write!(out, "{help}")?;
    out.flush()
}

#[cfg(test)]
mod tests;
