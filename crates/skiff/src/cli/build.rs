//! Flags of `skiff build`.

use std::path::PathBuf;

use clap::Args;

use super::pipeline::{BuildFlags, MuteLogsFlag, SessionArgs};
use crate::exit::UsageError;
use crate::options::{BuildCommandOptions, OutputFormat};
use skiff_config::template::Template;

/// The only `-o/--output` template skiff renders.
pub const DEFAULT_OUTPUT_TEMPLATE: &str = "{{json .}}";

/// `skiff build`: build the artifacts.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
    # Build all the artifacts\n  \
    skiff build\n\n  \
    # Build artifacts with a profile activated\n  \
    skiff build -p <profile>\n\n  \
    # Build artifacts whose image name contains <db>\n  \
    skiff build -b <db>\n\n  \
    # Quietly build artifacts and output the image names as json\n  \
    skiff build -q > build_result.json")]
pub struct BuildArgs {
    /// Config and API flags.
    #[command(flatten)]
    pub session: SessionArgs,

    /// Build and tag flags.
    #[command(flatten)]
    pub build: BuildFlags,

    /// Push the built images to the specified image repository
    #[arg(long, num_args = 0..=1, default_missing_value = "true", require_equals = true, value_name = "true|false")]
    pub push: Option<bool>,

    /// Suppress the build output and print image built on success. See --output to format output
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Used in conjunction with --quiet flag. Format output with go-template: the data is
    /// `.Builds`, each with `.ImageName` and `.Tag`; the default prints them as JSON
    #[arg(short = 'o', long, value_name = "TEMPLATE", default_value = DEFAULT_OUTPUT_TEMPLATE)]
    pub output: String,

    /// Filename to write build images to
    #[arg(long, value_name = "PATH")]
    pub file_output: Option<PathBuf>,

    /// Don't build images, just compute the tag for each artifact
    #[arg(long)]
    pub dry_run: bool,

    /// `--mute-logs`.
    #[command(flatten)]
    pub mute: MuteLogsFlag,
}

impl BuildArgs {
    /// The validated options of `skiff build`.
    pub fn to_options(&self) -> Result<BuildCommandOptions, UsageError> {
        let output = if self.output == DEFAULT_OUTPUT_TEMPLATE {
            OutputFormat::Json
        } else {
            let template = Template::parse("output", &self.output)
                .map_err(|e| UsageError(format!("invalid --output template: {e}")))?;
            OutputFormat::Template(Box::new(template))
        };
        Ok(BuildCommandOptions {
            config: self.session.config_options(),
            api: self.session.api_options(),
            build: self.build.to_options(self.push, self.dry_run),
            quiet: self.quiet,
            mute_logs: self.mute.phases(),
            output,
            file_output: self.file_output.clone(),
        })
    }
}
