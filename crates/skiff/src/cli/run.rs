//! Flags of `skiff run`.

use clap::Args;

use super::api::ApiArgs;
use super::config::ConfigArgs;
use super::pipeline::{BuildFlags, DeployFlags};
use crate::exit::UsageError;
use crate::options::{RunCommandOptions, SyncRemoteCache};

/// `skiff run`: build, test, deploy once.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
    # Build, test, deploy and tail the logs\n  \
    skiff run --tail\n\n  \
    # Run with a given profile\n  \
    skiff run -p <profile>")]
pub struct RunArgs {
    /// Config flags.
    #[command(flatten)]
    pub config: ConfigArgs,

    /// API flags.
    #[command(flatten)]
    pub api: ApiArgs,

    /// Build and tag flags.
    #[command(flatten)]
    pub build: BuildFlags,

    /// Deploy flags.
    #[command(flatten)]
    pub deploy: DeployFlags,

    /// Only build artifacts with image names that contain the given substring. Default is to
    /// build sources for all artifacts
    #[arg(
        short = 'b',
        long = "build-image",
        value_name = "IMAGE",
        value_delimiter = ','
    )]
    pub build_image: Vec<String>,

    /// Whether to skip the tests after building
    #[arg(long)]
    pub skip_tests: bool,

    /// Delete deployments after the command is interrupted
    #[arg(long, default_value_t = true)]
    pub cleanup: bool,
}

impl RunArgs {
    /// The validated options of `skiff run`.
    pub fn to_options(&self) -> Result<RunCommandOptions, UsageError> {
        Ok(RunCommandOptions {
            config: self.config.to_options(SyncRemoteCache::Always),
            api: self.api.to_options(),
            build: self.build.to_options(None, self.build_image.clone(), false),
            deploy: self.deploy.to_settings()?,
            skip_tests: self.skip_tests,
            cleanup: self.cleanup,
        })
    }
}
