//! `skiff schema list` and `skiff schema get`.
//!
//! `list` prints every `apiVersion` skiff reads, oldest first, one a line (`-o plain`) or as
//! `{"versions":[…]}` (`-o json`), as `skaffold schema list` does.
//!
//! `get` prints the JSON schema of `skaffold/v4beta14`, generated from skiff's config model
//! ([`skiff_config::schema::json_schema`]), indented by two spaces. Skaffold prints the schema
//! of any version it ships; skiff describes the latest only, and for an older version says that
//! `skiff fix` upgrades a config to it.

use std::io::Write;

use anyhow::bail;
use serde::Serialize;
use skiff_config::schema;
use skiff_config::upgrade::SUPPORTED_VERSIONS;

use crate::options::{SchemaGetOptions, SchemaListOptions};

/// Runs `skiff schema list`, printing on stdout.
pub fn run_list(opts: SchemaListOptions) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    list(&opts, &mut out)?;
    out.flush()?;
    Ok(())
}

#[derive(Serialize)]
struct SchemaList<'a> {
    versions: &'a [&'a str],
}

/// Writes the supported schema versions to `out` in the format of `opts.output`.
pub fn list(opts: &SchemaListOptions, out: &mut dyn Write) -> anyhow::Result<()> {
    match opts.output.as_str() {
        "plain" => {
            for version in SUPPORTED_VERSIONS {
                writeln!(out, "{version}")?;
            }
        }
        "json" => {
            let json = super::inspect::to_go_json(&SchemaList {
                versions: SUPPORTED_VERSIONS,
            })?;
            out.write_all(json.as_bytes())?;
        }
        other => bail!(r#"invalid output type: {other:?}. Must be "plain" or "json""#),
    }
    Ok(())
}

/// Runs `skiff schema get`, printing the schema on stdout.
pub fn run_get(opts: SchemaGetOptions) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    get(&opts, &mut out)?;
    out.flush()?;
    Ok(())
}

/// Writes the JSON schema of `opts.version` to `out`: pretty-printed, newline-terminated.
pub fn get(opts: &SchemaGetOptions, out: &mut dyn Write) -> anyhow::Result<()> {
    let schema = schema::json_schema(&opts.version)?;
    serde_json::to_writer_pretty(&mut *out, &schema)?;
    writeln!(out)?;
    Ok(())
}
