//! Flags of `skiff apply`.

use std::path::PathBuf;

use clap::Args;

use super::pipeline::{DeployFlags, SessionArgs};
use crate::exit::UsageError;
use crate::options::ApplyCommandOptions;

/// `skiff apply`: apply hydrated manifests to a cluster.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
    # Hydrate Kubernetes pod manifest first\n  \
    skiff render --output rendered-pod.yaml\n\n  \
    # Then create resources on your cluster from that hydrated manifest\n  \
    skiff apply rendered-pod.yaml")]
pub struct ApplyArgs {
    /// Config and API flags.
    #[command(flatten)]
    pub session: SessionArgs,

    /// Deploy flags.
    #[command(flatten)]
    pub deploy: DeployFlags,

    /// The hydrated manifest files to apply
    #[arg(value_name = "MANIFEST", required = true)]
    pub manifests: Vec<PathBuf>,
}

impl ApplyArgs {
    /// The validated options of `skiff apply`.
    pub fn to_options(&self) -> Result<ApplyCommandOptions, UsageError> {
        Ok(ApplyCommandOptions {
            config: self.session.config_options(),
            api: self.session.api_options(),
            deploy: self.deploy.to_settings(false, "off")?,
            manifests: self.manifests.clone(),
        })
    }
}
