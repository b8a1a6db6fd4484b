//! The commands. Each one takes its options from [`crate::options`] and never sees clap.

pub mod apply;
pub mod build;
pub mod delete;
pub mod deploy;
mod deployed;
pub mod dev;
pub mod diagnose;
pub mod filter;
pub mod fix;
pub mod inspect;
pub mod local_run;
pub mod render;
pub mod run;
pub mod schema;
pub mod serve;
pub mod test;
pub mod version;

use crate::cli::{Commands, Parsed, SchemaCommands};
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
        Some(Commands::Filter(args)) => filter::run(args.to_options()?),
        Some(Commands::Run(args)) => run::run(args.to_options()?).await,
        Some(Commands::Dev(args)) => dev::run(args.to_options()?).await,
        Some(Commands::Build(args)) => build::run(args.to_options()?).await,
        Some(Commands::Test(args)) => test::run(args.to_options()).await,
        Some(Commands::Deploy(args)) => deploy::run(args.to_options()?).await,
        Some(Commands::Render(args)) => render::run(args.to_options()?).await,
        Some(Commands::Apply(args)) => apply::run(args.to_options()?).await,
        Some(Commands::Delete(args)) => delete::run(args.to_options()).await,
        Some(Commands::Verify(args)) => local_run::run(args.to_options()).await,
        Some(Commands::Exec(args)) => local_run::run(args.to_options()).await,
        Some(Commands::Fix(args)) => fix::run(args.to_options()),
        Some(Commands::Schema(args)) => match args.command {
            SchemaCommands::List(list) => schema::run_list(list.to_options()),
            SchemaCommands::Get(get) => schema::run_get(get.to_options()),
        },
        Some(Commands::Diagnose(args)) => diagnose::run(args.to_options()),
        Some(Commands::Inspect(args)) => inspect::run(args.to_options()),
    }
}
