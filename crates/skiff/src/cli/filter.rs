//! Flags of the hidden `skiff filter` command.

use clap::Args;

use super::pipeline::parse_labels;
use crate::exit::UsageError;
use crate::options::FilterOptions;

/// `skiff filter`: label the Kubernetes manifests read from stdin (helm's post-renderer).
#[derive(Debug, Clone, Args)]
pub struct FilterArgs {
    /// Add a label to every resource and pod template (KEY=VALUE; repeatable)
    #[arg(short = 'l', long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
}

impl FilterArgs {
    /// The validated options of `skiff filter`.
    pub fn to_options(&self) -> Result<FilterOptions, UsageError> {
        Ok(FilterOptions {
            labels: parse_labels(&self.labels)?,
        })
    }
}
