//! Flags of `skiff render`.

use std::path::PathBuf;

use clap::Args;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use skiff_render::images::DigestSource;

use super::pipeline::{BuildFlags, PrebuiltFlags, SessionArgs, parse_labels};
use crate::exit::UsageError;
use crate::options::{RenderCommandOptions, RenderSettings};

/// `skiff render`: print the Kubernetes manifests that would be deployed.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
    # Hydrate the manifests with the images built from the current sources\n  \
    skiff render --digest-source=local\n\n  \
    # Hydrate the manifests with the tags skiff would build, without building\n  \
    skiff render --digest-source=tag\n\n  \
    # Hydrate the manifests with images built earlier and write them to a file\n  \
    skiff render -a tags.json -o manifests.yaml")]
pub struct RenderArgs {
    /// Config and API flags.
    #[command(flatten)]
    pub session: SessionArgs,

    /// Build and tag flags (used unless --build-artifacts or --images name the images).
    #[command(flatten)]
    pub build: BuildFlags,

    /// The images built earlier.
    #[command(flatten)]
    pub prebuilt: PrebuiltFlags,

    /// Add custom labels to deployed objects (KEY=VALUE; repeatable)
    #[arg(short = 'l', long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,

    /// Run deployments in the specified namespace
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Set to 'remote' to resolve the digest of each tag in its registry, 'local' to build the
    /// images, 'tag' to use the tags without building, 'none' to leave the images of the
    /// manifests as they are (default: 'tag' for a local cluster or none, else 'remote')
    #[arg(long, value_name = "SOURCE",
          value_parser = PossibleValuesParser::new(DigestSource::VALUES)
              .try_map(|value| value.parse::<DigestSource>()))]
    pub digest_source: Option<DigestSource>,

    /// Do not connect to Kubernetes API server for manifest creation and validation; no
    /// metadata.namespace is injected and the manifests are not changed otherwise
    #[arg(long)]
    pub offline: bool,

    /// Show the build logs and output
    #[arg(long)]
    pub loud: bool,

    /// File to write rendered manifests to
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

impl RenderArgs {
    /// The validated options of `skiff render`.
    pub fn to_options(&self) -> Result<RenderCommandOptions, UsageError> {
        Ok(RenderCommandOptions {
            config: self.session.config_options(),
            api: self.session.api_options(),
            build: self.build.to_options(None, false),
            prebuilt: self
                .prebuilt
                .to_options(self.build.tag.as_ref(), self.build.default_repo.as_ref()),
            render: RenderSettings {
                labels: parse_labels(&self.labels)?,
                namespace: self.namespace.clone().filter(|n| !n.is_empty()),
                digest_source: self.digest_source,
                offline: self.offline,
                loud: self.loud,
                output: self.output.clone().filter(|p| !p.as_os_str().is_empty()),
            },
        })
    }
}
