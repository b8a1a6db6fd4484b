//! Flags of `skiff run`.

use clap::Args;

use super::dev::PruneFlags;
use super::pipeline::{BuildFlags, DeployFlags, SessionArgs};
use crate::exit::UsageError;
use crate::options::RunCommandOptions;

/// `skiff run`: build, test, deploy once.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
    # Build, test, deploy and tail the logs\n  \
    skiff run --tail\n\n  \
    # Run with a given profile\n  \
    skiff run -p <profile>")]
pub struct RunArgs {
    /// Config and API flags.
    #[command(flatten)]
    pub session: SessionArgs,

    /// Build and tag flags.
    #[command(flatten)]
    pub build: BuildFlags,

    /// Deploy flags.
    #[command(flatten)]
    pub deploy: DeployFlags,

    /// Stream logs from deployed objects
    #[arg(long)]
    pub tail: bool,

    /// Whether to skip the tests after building
    #[arg(long)]
    pub skip_tests: bool,

    /// Delete deployments after the command is interrupted
    #[arg(long, default_value_t = true)]
    pub cleanup: bool,

    /// Accepted as Skaffold does; `skiff run` never removes the images it built.
    #[command(flatten)]
    pub prune: PruneFlags,
}

impl RunArgs {
    /// The validated options of `skiff run`.
    pub fn to_options(&self) -> Result<RunCommandOptions, UsageError> {
        Ok(RunCommandOptions {
            config: self.session.config_options(),
            api: self.session.api_options(),
            build: self.build.to_options(None, false),
            deploy: self.deploy.to_settings(self.tail, "off")?,
            skip_tests: self.skip_tests,
            cleanup: self.cleanup,
        })
    }
}
