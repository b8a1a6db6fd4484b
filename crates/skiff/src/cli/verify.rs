//! Flags of `skiff verify` and `skiff exec`.

use clap::Args;

use super::pipeline::{LocalRunFlags, SessionArgs};
use crate::options::LocalRunCommandOptions;

/// The flags `verify` and `exec` share.
#[derive(Debug, Clone, Args)]
pub struct LocalRunArgs {
    /// Config and API flags.
    #[command(flatten)]
    pub session: SessionArgs,

    /// Images and container flags.
    #[command(flatten)]
    pub local: LocalRunFlags,
}

impl LocalRunArgs {
    /// The options, running `action` (`exec`) or the verification tests (`None`).
    fn to_options(&self, action: Option<String>) -> LocalRunCommandOptions {
        LocalRunCommandOptions {
            config: self.session.config_options(),
            api: self.session.api_options(),
            local: self.local.to_settings(),
            action,
        }
    }
}

/// `skiff verify`: run the verification tests.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
    # Deploy with skiff and then verify deployments\n  \
    skiff deploy -q | skiff verify")]
pub struct VerifyArgs {
    /// Config, API, images and container flags.
    #[command(flatten)]
    pub common: LocalRunArgs,
}

impl VerifyArgs {
    /// The options of `skiff verify`.
    pub fn to_options(&self) -> LocalRunCommandOptions {
        self.common.to_options(None)
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

    /// Config, API, images and container flags.
    #[command(flatten)]
    pub common: LocalRunArgs,
}

impl ExecArgs {
    /// The options of `skiff exec`.
    pub fn to_options(&self) -> LocalRunCommandOptions {
        self.common.to_options(Some(self.action.clone()))
    }
}
