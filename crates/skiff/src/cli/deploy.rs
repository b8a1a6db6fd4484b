//! Flags of `skiff deploy`.

use clap::Args;

use super::pipeline::{DeployFlags, PrebuiltFlags, SessionArgs};
use crate::exit::UsageError;
use crate::options::DeployCommandOptions;

/// `skiff deploy`: deploy images built earlier.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
    # Build the artifacts and collect the tags into a file\n  \
    skiff build --file-output=tags.json\n\n  \
    # Deploy those tags\n  \
    skiff deploy --build-artifacts=tags.json\n\n  \
    # Build the artifacts and then deploy them\n  \
    skiff build -q | skiff deploy --build-artifacts -")]
pub struct DeployArgs {
    /// Config and API flags.
    #[command(flatten)]
    pub session: SessionArgs,

    /// The images built earlier.
    #[command(flatten)]
    pub prebuilt: PrebuiltFlags,

    /// Deploy flags.
    #[command(flatten)]
    pub deploy: DeployFlags,

    /// Stream logs from deployed objects
    #[arg(long)]
    pub tail: bool,

    /// The optional custom tag to use for images which overrides the current Tagger configuration
    #[arg(short = 't', long, value_name = "TAG")]
    pub tag: Option<String>,

    /// Default repository value (overrides global config)
    #[arg(short = 'd', long, value_name = "REPO")]
    pub default_repo: Option<String>,
}

impl DeployArgs {
    /// The validated options of `skiff deploy`.
    pub fn to_options(&self) -> Result<DeployCommandOptions, UsageError> {
        Ok(DeployCommandOptions {
            config: self.session.config_options(),
            api: self.session.api_options(),
            prebuilt: self
                .prebuilt
                .to_options(self.tag.as_ref(), self.default_repo.as_ref()),
            deploy: self.deploy.to_settings(self.tail, "off")?,
        })
    }
}
