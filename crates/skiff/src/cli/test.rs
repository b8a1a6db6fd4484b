//! Flags of `skiff test`.

use clap::Args;

use super::api::ApiArgs;
use super::config::ConfigArgs;
use super::pipeline::PrebuiltFlags;
use crate::options::{SyncRemoteCache, TestCommandOptions};

/// `skiff test`: run the tests against images built earlier.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
    # Build the artifacts and collect the tags into a file\n  \
    skiff build --file-output=tags.json\n\n  \
    # Run test against images previously built by skiff into a 'tags.json' file\n  \
    skiff test --build-artifacts=tags.json")]
pub struct TestArgs {
    /// Config flags.
    #[command(flatten)]
    pub config: ConfigArgs,

    /// API flags.
    #[command(flatten)]
    pub api: ApiArgs,

    /// The images built earlier.
    #[command(flatten)]
    pub prebuilt: PrebuiltFlags,
}

impl TestArgs {
    /// The options of `skiff test`.
    pub fn to_options(&self) -> TestCommandOptions {
        TestCommandOptions {
            config: self.config.to_options(SyncRemoteCache::Always),
            api: self.api.to_options(),
            prebuilt: self.prebuilt.to_options(None, None),
        }
    }
}
