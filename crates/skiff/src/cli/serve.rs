//! Flags of the hidden `skiff serve` command.

use clap::Args;

use super::api::{ApiArgs, TriggerArgs};
use crate::options::{GlobalOptions, ServeOptions};

/// `skiff serve`: run the API server alone, without a pipeline.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// API server flags.
    #[command(flatten)]
    pub api: ApiArgs,

    /// Auto-trigger flags.
    #[command(flatten)]
    pub triggers: TriggerArgs,

    /// Image name to list in the initial build state (repeatable, or comma-separated)
    #[arg(long = "artifact", value_name = "NAME", value_delimiter = ',')]
    pub artifacts: Vec<String>,
}

impl ServeArgs {
    /// The validated options of `skiff serve`.
    pub fn to_options(&self, global: &GlobalOptions) -> ServeOptions {
        ServeOptions {
            api: self.api.to_options(),
            auto_build: self.triggers.auto_build,
            auto_sync: self.triggers.auto_sync,
            auto_deploy: self.triggers.auto_deploy,
            artifacts: self.artifacts.clone(),
            verbosity: global.verbosity,
        }
    }
}
