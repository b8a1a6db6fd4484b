//! Flags of `skiff diagnose`.

use std::path::PathBuf;

use clap::Args;

use super::config::ConfigArgs;
use crate::options::{DiagnoseOptions, SyncRemoteCache};

/// `skiff diagnose`: print diagnostics and the effective configuration.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
    # Search for configuration issues and print the effective configuration\n  \
    skiff diagnose\n\n  \
    # Print the effective skaffold.yaml configuration for given profile\n  \
    skiff diagnose --yaml-only --profile PROFILE")]
pub struct DiagnoseArgs {
    /// Config file, module and profile flags.
    #[command(flatten)]
    pub config: ConfigArgs,

    /// Only prints the effective skaffold.yaml configuration
    #[arg(long)]
    pub yaml_only: bool,

    /// Render supported templated fields with golang template engine
    #[arg(long)]
    pub enable_templating: bool,

    /// File to write diagnose result
    #[arg(short = 'o', long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

impl DiagnoseArgs {
    /// The validated options of `skiff diagnose`.
    pub fn to_options(&self) -> DiagnoseOptions {
        DiagnoseOptions {
            config: self.config.to_options(SyncRemoteCache::Missing),
            yaml_only: self.yaml_only,
            enable_templating: self.enable_templating,
            output: self.output.clone().filter(|p| !p.as_os_str().is_empty()),
        }
    }
}
