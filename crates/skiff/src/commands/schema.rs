//! `skiff schema list` and `skiff schema get`.
//!
//! `list` prints every `apiVersion` skiff reads, oldest first, one a line (`-o plain`) or as
//! `{"versions":[…]}` (`-o json`), as `skaffold schema list` does.
//!
//! `get` is not available: Skaffold prints the JSON schema files it ships, which skiff does not
//! carry, and skiff's config model does not generate a JSON schema. The error points to the
//! published schema of the version instead.

use std::io::Write;

use anyhow::bail;
use serde::Serialize;
use skiff_config::upgrade::{self, SUPPORTED_VERSIONS};

use crate::options::{SchemaGetOptions, SchemaListOptions};

/// Where Skaffold publishes the JSON schema of each version (`<short version>.json`).
pub const PUBLISHED_SCHEMAS: &str = "https://raw.githubusercontent.com/GoogleContainerTools/skaffold/main/docs-v2/content/en/schemas";

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

/// Runs `skiff schema get`: always an error (see the module documentation).
pub fn run_get(opts: SchemaGetOptions) -> anyhow::Result<()> {
    let version = opts.version.as_str();
    if !upgrade::is_supported(version) {
        bail!(
            "schema {version:?} not found: supported versions are {}",
            upgrade::supported_summary()
        );
    }
    let short = version.trim_start_matches("skaffold/");
    bail!(
        "schema get is not available in skiff: use the published Skaffold JSON schema for \
         {version}: {PUBLISHED_SCHEMAS}/{short}.json"
    )
}
