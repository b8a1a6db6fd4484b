//! The commands. Each one takes its options from [`crate::options`] and never sees clap.

pub mod serve;
pub mod version;

use crate::cli::{Commands, Parsed};
use crate::envfile::EnvFileReport;

/// Runs the parsed command line: reports deprecated flags, sets up logging, then runs the
/// command (or prints the root help when no command was given).
pub async fn dispatch(parsed: Parsed, env_files: EnvFileReport) -> anyhow::Result<()> {
    for notice in &parsed.deprecations {
        eprintln!("{notice}");
    }
    let global = parsed.cli.global.to_options();
    crate::logging::init(&global)?;
    env_files.log();

    match parsed.cli.command {
        None => Ok(crate::cli::print_help()?),
        Some(Commands::Version) => version::run(),
        Some(Commands::Serve(args)) => serve::run(args.to_options(&global)).await,
    }
}
