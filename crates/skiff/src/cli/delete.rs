//! Flags of `skiff delete`.

use clap::Args;

use super::config::ConfigArgs;
use crate::options::{DeleteCommandOptions, SyncRemoteCache};

/// `skiff delete`: remove what skiff deployed.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
    # Print the resources to be deleted\n  \
    skiff delete --dry-run")]
pub struct DeleteArgs {
    /// Config flags.
    #[command(flatten)]
    pub config: ConfigArgs,

    /// Don't delete resources, just print them.
    #[arg(long)]
    pub dry_run: bool,
}

impl DeleteArgs {
    /// The options of `skiff delete`.
    pub fn to_options(&self) -> DeleteCommandOptions {
        DeleteCommandOptions {
            config: self.config.to_options(SyncRemoteCache::Always),
            dry_run: self.dry_run,
        }
    }
}
