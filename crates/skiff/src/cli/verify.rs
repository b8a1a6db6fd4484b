//! Flags of `skiff verify` and `skiff exec`.

use clap::Args;

use super::api::ApiArgs;
use super::config::ConfigArgs;
use super::pipeline::LocalRunFlags;
use crate::options::{LocalRunCommandOptions, SyncRemoteCache};

/// `skiff verify`: run the verification tests.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
    # Deploy with skiff and then verify deployments\n  \
    skiff deploy -q | skiff verify")]
pub struct VerifyArgs {
    /// Config flags.
    #[command(flatten)]
    pub config: ConfigArgs,

    /// API flags.
    #[command(flatten)]
    pub api: ApiArgs,

    /// Images and container flags.
    #[command(flatten)]
    pub local: LocalRunFlags,
}

impl VerifyArgs {
    /// The options of `skiff verify`.
    pub fn to_options(&self) -> LocalRunCommandOptions {
        LocalRunCommandOptions {
            config: self.config.to_options(SyncRemoteCache::Always),
            api: self.api.to_options(),
            local: self.local.to_settings(),
            action: None,
        }
    }
}

/// `skiff exec ACTION`: run a custom action.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
    # Execute a defined action\n  \
    skiff exec <action-name>\n\n  \
    # Execute a defined action that uses an image built from skiff. First, build the images\n  \
    skiff build --file-output=build.json\n\n  \
    # Then use the built artifacts\n  \
    skiff exec <action-name> --build-artifacts=build.json")]
pub struct ExecArgs {
    /// The custom action to run (`customActions[].name`).
    #[arg(value_name = "ACTION")]
    pub action: String,

    /// Config flags.
    #[command(flatten)]
    pub config: ConfigArgs,

    /// API flags.
    #[command(flatten)]
    pub api: ApiArgs,

    /// Images and container flags.
    #[command(flatten)]
    pub local: LocalRunFlags,
}

impl ExecArgs {
    /// The options of `skiff exec`.
    pub fn to_options(&self) -> LocalRunCommandOptions {
        LocalRunCommandOptions {
            config: self.config.to_options(SyncRemoteCache::Always),
            api: self.api.to_options(),
            local: self.local.to_settings(),
            action: Some(self.action.clone()),
        }
    }
}
