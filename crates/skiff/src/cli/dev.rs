//! Flags of `skiff dev`.

use std::time::Duration;

use clap::Args;
use clap::builder::PossibleValuesParser;
use skiff_runner::dev::ImagePruning;
use skiff_runner::dev::intents::PhaseFlags;
use skiff_watch::Trigger;

use super::api::TriggerArgs;
use super::pipeline::{BuildFlags, DeployFlags, SessionArgs};
use crate::exit::UsageError;
use crate::options::DevCommandOptions;

/// `skiff dev`: run a pipeline in development mode.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
    # Build, deploy, stream the logs, and rebuild or sync on every save\n  \
    skiff dev\n\n  \
    # Let an IDE decide when to rebuild, through the API\n  \
    skiff dev --rpc-port 50051 --auto-build=false --auto-deploy=false")]
pub struct DevArgs {
    /// Config and API flags.
    #[command(flatten)]
    pub session: SessionArgs,

    /// Build and tag flags.
    #[command(flatten)]
    pub build: BuildFlags,

    /// Deploy flags.
    #[command(flatten)]
    pub deploy: DeployFlags,

    /// Stream logs from deployed objects
    #[arg(long, default_value_t = true)]
    pub tail: bool,

    /// Auto-trigger flags.
    #[command(flatten)]
    pub triggers: TriggerArgs,

    /// How changes are detected: notify (file system events), polling, or manual (press a key)
    #[arg(long, value_name = "TRIGGER", default_value = "notify",
          value_parser = PossibleValuesParser::new(["notify", "polling", "manual"]))]
    pub trigger: String,

    /// Interval between two checks for changes with --trigger=polling, and the quiet period
    /// before acting on changes with --trigger=notify (in ms; default: a few ms for notify,
    /// 1000 for polling)
    #[arg(short = 'i', long, value_name = "MS")]
    pub watch_poll_interval: Option<u64>,

    /// Choose which artifacts to watch. Artifacts with image names that contain the expression
    /// will be watched only. Default is to watch sources for all artifacts
    #[arg(short = 'w', long, value_name = "IMAGE", value_delimiter = ',')]
    pub watch_image: Vec<String>,

    /// Whether to skip the tests after building
    #[arg(long)]
    pub skip_tests: bool,

    /// Delete deployments after dev mode is interrupted
    #[arg(long, default_value_t = true)]
    pub cleanup: bool,

    /// Keep running after a failure of the first iteration, waiting for the next change
    #[arg(long)]
    pub keep_running_on_failure: bool,

    /// Image pruning flags.
    #[command(flatten)]
    pub prune: PruneFlags,
}

/// What becomes of the images a dev session built.
#[derive(Debug, Clone, Args)]
pub struct PruneFlags {
    /// Skip removing images built by skiff during cleanup after dev mode (they are removed
    /// only with --cache-artifacts=false)
    #[arg(long)]
    pub no_prune: bool,

    /// Skip removing the untagged parent images (layers) of the images skiff removes
    #[arg(long)]
    pub no_prune_children: bool,
}

/// The polling interval when none is given (Skaffold's).
const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(1000);

impl DevArgs {
    /// The validated options of `skiff dev`.
    pub fn to_options(&self) -> Result<DevCommandOptions, UsageError> {
        let interval = self.watch_poll_interval.map(Duration::from_millis);
        let trigger = match self.trigger.as_str() {
            "polling" => Trigger::Polling(interval.unwrap_or(DEFAULT_POLL_INTERVAL)),
            "manual" => Trigger::Manual,
            _ => Trigger::Notify,
        };
        Ok(DevCommandOptions {
            config: self.session.config_options(),
            api: self.session.api_options(),
            build: self.build.to_options(None, false),
            deploy: self.deploy.to_settings(self.tail, "user")?,
            auto: PhaseFlags {
                build: self.triggers.auto_build,
                sync: self.triggers.auto_sync,
                deploy: self.triggers.auto_deploy,
            },
            trigger,
            quiet: interval.unwrap_or(skiff_watch::DEFAULT_QUIET),
            watch_images: self.watch_image.clone(),
            skip_tests: self.skip_tests,
            cleanup: self.cleanup,
            keep_running_on_failure: self.keep_running_on_failure,
            prune: ImagePruning {
                on_exit: !self.prune.no_prune && !self.build.cache_artifacts,
                children: !self.prune.no_prune_children,
            },
        })
    }
}
