//! Flags of `skiff delete`.

use clap::Args;

use super::config::ConfigArgs;
use super::pipeline::KubeconfigFlag;
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

    /// Runs deployments in the specified namespace
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// `--kubeconfig`.
    #[command(flatten)]
    pub kubeconfig: KubeconfigFlag,
}

impl DeleteArgs {
    /// The options of `skiff delete`.
    pub fn to_options(&self) -> DeleteCommandOptions {
        DeleteCommandOptions {
            config: self.config.to_options(SyncRemoteCache::Always),
            dry_run: self.dry_run,
            namespace: self.namespace.clone().filter(|n| !n.is_empty()),
            kubeconfig: self.kubeconfig.path(),
        }
    }
}
