//! Flags of `skiff schema list` and `skiff schema get`.

use clap::{Args, Subcommand};

use crate::options::{SchemaGetOptions, SchemaListOptions};

/// `skiff schema`: the skaffold.yaml schema versions.
#[derive(Debug, Clone, Args)]
pub struct SchemaArgs {
    /// The schema command.
    #[command(subcommand)]
    pub command: SchemaCommands,
}

/// The `schema` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum SchemaCommands {
    /// List skaffold.yaml's json schema versions
    #[command(
        hide = true,
        after_help = "Examples:\n  \
            # List all the versions\n  \
            skiff schema list\n\n  \
            # List all the versions, in json format\n  \
            skiff schema list -o json"
    )]
    List(SchemaListArgs),

    /// Print a given skaffold.yaml's json schema
    #[command(after_help = "Examples:\n  \
        # Print the JSON schema of `skaffold/v4beta14`, generated from skiff's config model\n  \
        skiff schema get skaffold/v4beta14")]
    Get(SchemaGetArgs),
}

/// `skiff schema list`.
#[derive(Debug, Clone, Args)]
pub struct SchemaListArgs {
    /// Type of output: `plain` or `json`.
    #[arg(short = 'o', long, value_name = "TYPE", default_value = "plain")]
    pub output: String,
}

impl SchemaListArgs {
    /// The options of `skiff schema list`.
    pub fn to_options(&self) -> SchemaListOptions {
        SchemaListOptions {
            output: self.output.clone(),
        }
    }
}

/// `skiff schema get VERSION`.
#[derive(Debug, Clone, Args)]
pub struct SchemaGetArgs {
    /// The schema version, such as skaffold/v4beta14
    #[arg(value_name = "VERSION")]
    pub version: String,
}

impl SchemaGetArgs {
    /// The options of `skiff schema get`.
    pub fn to_options(&self) -> SchemaGetOptions {
        SchemaGetOptions {
            version: self.version.clone(),
        }
    }
}
