//! `skiff fix`: upgrade a skaffold.yaml to a newer schema version, as `skaffold fix` does.
//!
//! The config is read and checked like every other command reads it (errors name the file,
//! line and column). When every document already has the target version, the command says so
//! and changes nothing. Otherwise the upgraded config is printed on stdout, or written to
//! `--output`, or replaces the file with `--overwrite` (the original is kept as `<file>.v2`, the
//! name Skaffold uses). An upgrade to the latest version is also defaulted and validated first,
//! like Skaffold, so a config that upgrades into something invalid is reported, not written.
//!
//! Output to the latest version is the typed model serialized (Skaffold's field order); output
//! to an older version is the upgraded YAML document in the order the upgrade produced.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use skiff_config::defaults::{DefaultsOptions, set_defaults};
use skiff_config::upgrade::{self, LATEST_VERSION, UpgradeError};
use skiff_config::{ConfigSet, ValidateOptions, load_str, validate, yaml};

use crate::options::FixOptions;

/// Runs `skiff fix`, printing on stdout.
pub fn run(opts: FixOptions) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    fix(&opts, &mut out)?;
    out.flush()?;
    Ok(())
}

/// Upgrades the config named by `opts`, writing the result (or the messages) to `out`.
pub fn fix(opts: &FixOptions, out: &mut dyn Write) -> anyhow::Result<()> {
    if opts.overwrite && opts.output.is_some() {
        bail!("--overwrite and --output/-o cannot be used together");
    }
    let file = &opts.config.filename;
    let from_stdin = file.as_os_str() == "-";
    if from_stdin && opts.overwrite {
        bail!("--overwrite cannot be used with a config read from standard input");
    }
    let target = opts.version.as_str();
    if !upgrade::is_supported(target) {
        bail!(
            "unknown target version {target:?}: supported versions are {}",
            upgrade::supported_summary()
        );
    }

    let text = read_config(file)?;
    // Every document must parse (and upgrade to the latest version) before anything is written.
    let set = load_str(&text, file)?;
    if set
        .entries
        .iter()
        .all(|e| e.source.original_api_version == target)
    {
        writeln!(out, "config is already version {target}")?;
        return Ok(());
    }

    let upgraded = upgrade_documents(&text, file, target)?;
    let new_config = if target == LATEST_VERSION {
        validate_upgraded(&set)?;
        set.to_yaml().context("marshaling new config")?
    } else {
        upgraded
    };

    let to_file = opts
        .output
        .clone()
        .or_else(|| opts.overwrite.then(|| file.clone()));
    let Some(to_file) = to_file else {
        out.write_all(new_config.as_bytes())?;
        return Ok(());
    };
    let mut backup_failed = false;
    if opts.overwrite {
        let mut backup = to_file.clone().into_os_string();
        backup.push(".v2");
        let backup = PathBuf::from(backup);
        match std::fs::write(&backup, &text) {
            Ok(()) => writeln!(
                out,
                "Backed up previous skaffold.yaml at {}",
                backup.display()
            )?,
            Err(e) => {
                tracing::warn!(
                    "cannot back up {} to {}: {e}",
                    file.display(),
                    backup.display()
                );
                backup_failed = true;
            }
        }
    }
    std::fs::write(&to_file, new_config.as_bytes())
        .with_context(|| format!("writing config file {}", to_file.display()))?;
    writeln!(
        out,
        "New config at version {target} generated and written to {}",
        to_file.display()
    )?;
    if backup_failed {
        writeln!(
            out,
            "Error moving old config. Dumping old config on stdout:"
        )?;
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}

/// The text of the config file, or of standard input for `-`.
fn read_config(file: &Path) -> anyhow::Result<String> {
    if file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the config from standard input")?;
        return Ok(text);
    }
    // On failure, report load_file's error (not found, not UTF-8): the one every command gives.
    std::fs::read_to_string(file).map_err(|e| match skiff_config::load_file(file) {
        Err(config_error) => anyhow::Error::from(config_error),
        Ok(_) => anyhow!("cannot read {}: {e}", file.display()),
    })
}

/// Every document upgraded to `target`, as one multi-document YAML text. Logs what the upgrade
/// dropped or changed as warnings.
fn upgrade_documents(text: &str, file: &Path, target: &str) -> anyhow::Result<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let docs =
        yaml::parse_documents(text).map_err(|e| anyhow!("{}: {}", file.display(), e.message))?;
    let mut out = String::new();
    for doc in docs.iter().filter(|d| !d.is_empty()) {
        let upgraded = upgrade::upgrade(yaml::to_value(&doc.root), target)
            .map_err(|e: UpgradeError| anyhow!("{}: {e}", file.display()))?;
        for warning in &upgraded.warnings {
            tracing::warn!("{}: {warning}", file.display());
        }
        if !out.is_empty() {
            out.push_str("---\n");
        }
        out.push_str(&yaml::emit::to_string(&upgraded.doc).context("marshaling new config")?);
    }
    Ok(out)
}

/// Skaffold's check of an upgraded config: defaults applied to a copy, then validation.
fn validate_upgraded(set: &ConfigSet) -> anyhow::Result<()> {
    let mut copy = set.clone();
    let defaults = DefaultsOptions::default();
    for entry in &mut copy.entries {
        if let Err(e) = set_defaults(&mut entry.config, &defaults) {
            let err = entry.source.error(
                &e.path,
                skiff_config::StatusCode::ConfigDefaultValuesErr,
                e.message,
            );
            return Err(anyhow::Error::from(err).context("validating upgraded config"));
        }
    }
    validate(&copy, &ValidateOptions::default())
        .map_err(|e| anyhow::Error::from(e).context("validating upgraded config"))
}
