//! Flags of `skiff fix`.

use std::path::PathBuf;

use clap::Args;

use super::config::ConfigFileArgs;
use crate::options::{FixOptions, SyncRemoteCache};

/// `skiff fix`: upgrade a config to a newer schema version.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
    # Update \"skaffold.yaml\" in the current folder to the latest version\n  \
    skiff fix\n\n  \
    # Update \"skaffold.yaml\" in the current folder to version \"skaffold/v1\"\n  \
    skiff fix --version skaffold/v1\n\n  \
    # Update \"skaffold.yaml\" in the current folder in-place\n  \
    skiff fix --overwrite\n\n  \
    # Update \"skaffold.yaml\" and write the output to a new file\n  \
    skiff fix --output skaffold.new.yaml")]
pub struct FixArgs {
    /// Config file flags.
    #[command(flatten)]
    pub config: ConfigFileArgs,

    /// Overwrite original config with fixed config
    #[arg(long)]
    pub overwrite: bool,

    /// Target schema version to upgrade to
    #[arg(long, value_name = "VERSION", default_value = skiff_config::upgrade::LATEST_VERSION)]
    pub version: String,

    /// File to write the changed config (instead of standard output)
    #[arg(short = 'o', long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

impl FixArgs {
    /// The validated options of `skiff fix`.
    pub fn to_options(&self) -> FixOptions {
        FixOptions {
            config: self.config.to_options(SyncRemoteCache::Missing),
            version: self.version.clone(),
            overwrite: self.overwrite,
            output: self.output.clone().filter(|p| !p.as_os_str().is_empty()),
        }
    }
}
