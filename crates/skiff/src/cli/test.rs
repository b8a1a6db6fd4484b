//! Flags of `skiff test`.

use clap::Args;

use super::pipeline::{PrebuiltFlags, SessionArgs};
use crate::options::TestCommandOptions;

/// `skiff test`: run the tests against images built earlier.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
    # Build the artifacts and collect the tags into a file\n  \
    skiff build --file-output=tags.json\n\n  \
    # Run test against images previously built by skiff into a 'tags.json' file\n  \
    skiff test --build-artifacts=tags.json")]
pub struct TestArgs {
    /// Config and API flags.
    #[command(flatten)]
    pub session: SessionArgs,

    /// The images built earlier.
    #[command(flatten)]
    pub prebuilt: PrebuiltFlags,
}

impl TestArgs {
    /// The options of `skiff test`.
    pub fn to_options(&self) -> TestCommandOptions {
        TestCommandOptions {
            config: self.session.config_options(),
            api: self.session.api_options(),
            prebuilt: self.prebuilt.to_options(None, None),
        }
    }
}
