//! Flags accepted by every command.

use clap::Args;
use clap::builder::{PossibleValuesParser, TypedValueParser};

use crate::options::{GlobalOptions, LogLevel};

/// Skaffold's global flags: `-v/--verbosity`, `--color`, `--interactive`, `--update-check`,
/// `--timestamps` (and the hidden `--force-colors`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global Options")]
pub struct GlobalArgs {
    /// Log level: one of panic, fatal, error, warning, info, debug, trace
    #[arg(
        short = 'v',
        long,
        global = true,
        value_name = "LEVEL",
        default_value = "warning",
        ignore_case = true,
        hide_possible_values = true,
        value_parser = verbosity_parser(),
    )]
    pub verbosity: LogLevel,

    /// Default output color, as an ANSI escape code
    #[arg(long, global = true, value_name = "CODE", default_value_t = 34)]
    pub color: u8,

    /// Always print color codes, even when the output is not a terminal
    #[arg(long, global = true, hide = true)]
    pub force_colors: bool,

    /// Allow user prompts for more information
    #[arg(long, global = true, default_value_t = true)]
    pub interactive: bool,

    /// Accepted for compatibility with Skaffold; skiff never checks for updates
    #[arg(long, global = true, default_value_t = true)]
    pub update_check: bool,

    /// Print timestamps in logs
    #[arg(long, global = true)]
    pub timestamps: bool,
}

impl GlobalArgs {
    /// The validated global options.
    pub fn to_options(&self) -> GlobalOptions {
        GlobalOptions {
            verbosity: self.verbosity,
            color: self.color,
            force_colors: self.force_colors,
            interactive: self.interactive,
            update_check: self.update_check,
            timestamps: self.timestamps,
        }
    }
}

/// Accepts the level names case-insensitively, plus `warn` for `warning`, like logrus.
fn verbosity_parser() -> impl TypedValueParser<Value = LogLevel> {
    let names = LogLevel::ALL.map(|level| {
        let value = clap::builder::PossibleValue::new(level.as_str());
        if level == LogLevel::Warning {
            value.alias("warn")
        } else {
            value
        }
    });
    PossibleValuesParser::new(names).map(|name| {
        name.parse::<LogLevel>()
            .expect("possible values are valid log levels")
    })
}
