//! Deciding, for one artifact and one set of changed files, between syncing them into its
//! containers and rebuilding it, with Skaffold's rules (`pkg/skaffold/sync/sync.go`): sync is
//! all-or-nothing per artifact, so one file the rules do not cover means a rebuild.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use skiff_config::model::{Artifact, SyncMode};

use super::infer::sync_map_of;
use super::rules::{destinations, glob_match};
use crate::error::DeployError;

/// What to do in an artifact's containers instead of rebuilding it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncPlan {
    /// Local files (absolute) and the container path each is copied to; a file copied to
    /// several places appears once per place.
    pub copy: Vec<(PathBuf, String)>,
    /// Local files deleted (absolute) and the container path to remove for each.
    pub delete: Vec<(PathBuf, String)>,
}

impl SyncPlan {
    /// How many local files the plan covers, as Skaffold counts them in `Syncing N files for
    /// <image>` and in `FileSyncEvent`s: the distinct files copied plus the distinct files
    /// deleted.
    pub fn file_count(&self) -> usize {
        let distinct = |pairs: &[(PathBuf, String)]| {
            pairs
                .iter()
                .map(|(local, _)| local)
                .collect::<BTreeSet<_>>()
                .len()
        };
        distinct(&self.copy) + distinct(&self.delete)
    }

    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.copy.is_empty() && self.delete.is_empty()
    }
}

/// The sync plan for `artifact` (whose sources are in the absolute directory `workspace`) after
/// the files `changed` (added or modified) and `deleted` (all absolute), or `None` when the
/// artifact must be rebuilt instead. `image_workdir` is the working directory of the image its
/// containers run (see `Engine::image_working_dir`); relative `manual` destinations start
/// there.
///
/// `None`, as in Skaffold, when: nothing changed; the artifact has no `sync` rules; `manual`:
/// a changed or deleted file matches no rule; `infer`: a file was deleted, or a changed file
/// matches no `infer` glob or is not copied by the Dockerfile's last stage; `auto`: always,
/// since only jib and buildpacks artifacts can discover rules (a warning says so; Skaffold
/// instead reports an error and neither syncs nor rebuilds). Files outside `workspace` match
/// no rule. Errors: a malformed glob, or a Dockerfile that cannot be analysed for `infer`.
///
/// The caller checks first whether the artifact is required by others (see
/// [`sync_ignored_warning`]).
pub fn plan_sync(
    artifact: &Artifact,
    workspace: &Path,
    image_workdir: &str,
    changed: &[PathBuf],
    deleted: &[PathBuf],
) -> Result<Option<SyncPlan>, DeployError> {
    if changed.is_empty() && deleted.is_empty() {
        return Ok(None);
    }
    match artifact.sync.as_ref().and_then(|s| s.mode.as_ref()) {
        Some(SyncMode::Manual(rules)) if !rules.is_empty() => {
            let map = |files: &[PathBuf]| {
                map_all(workspace, files, |rel| {
                    destinations(rules, rel, image_workdir)
                })
            };
            let (Some(copy), Some(delete)) = (map(changed)?, map(deleted)?) else {
                return Ok(None);
            };
            Ok(Some(SyncPlan { copy, delete }))
        }
        Some(SyncMode::Infer(patterns)) if !patterns.is_empty() => {
            if !deleted.is_empty() {
                tracing::info!("Deleted files cannot be synced by inferred rules. Rebuilding");
                return Ok(None);
            }
            let mut sync_map: Option<BTreeMap<PathBuf, Vec<String>>> = None;
            let copy = map_all(workspace, changed, |rel| {
                if !any_match(patterns, rel)? {
                    return Ok(Vec::new());
                }
                let map = match &mut sync_map {
                    Some(map) => map,
                    None => sync_map.insert(sync_map_of(artifact, workspace)?),
                };
                Ok(map.get(Path::new(rel)).cloned().unwrap_or_default())
            })?;
            Ok(copy.map(|copy| SyncPlan {
                copy,
                delete: Vec::new(),
            }))
        }
        Some(SyncMode::Auto(true)) => {
            tracing::warn!(
                "Sync: auto is not supported by the build of {}: only jib and buildpacks \
                 artifacts discover sync rules. Rebuilding",
                artifact.image
            );
            Ok(None)
        }
        _ => Ok(None),
    }
}

/// Skaffold's warning when an artifact with sync rules is required by other artifacts: its
/// rules are ignored and every change rebuilds it (and the artifacts built from it). `None`
/// when the artifact has no sync rules or nothing requires it.
pub fn sync_ignored_warning(artifact: &Artifact, artifacts: &[Artifact]) -> Option<String> {
    artifact.sync.as_ref()?;
    let required = artifacts
        .iter()
        .any(|other| other.requires.iter().any(|r| r.image == artifact.image));
    required.then(|| {
        format!(
            "Ignoring sync rules for image {:?} as it is being used as a required artifact for \
             other images.",
            artifact.image
        )
    })
}

/// Maps every file through `targets` (given its `/`-separated path relative to `workspace`);
/// `None` as soon as one file has no target (or lies outside `workspace`).
fn map_all(
    workspace: &Path,
    files: &[PathBuf],
    mut targets: impl FnMut(&str) -> Result<Vec<String>, DeployError>,
) -> Result<Option<Vec<(PathBuf, String)>>, DeployError> {
    let mut pairs = Vec::new();
    for file in files {
        let found = match relative(workspace, file) {
            Some(rel) => targets(&rel)?,
            None => Vec::new(),
        };
        if found.is_empty() {
            tracing::info!(
                "Changed file {} does not match any sync pattern. Skipping sync",
                file.display()
            );
            return Ok(None);
        }
        pairs.extend(found.into_iter().map(|dest| (file.clone(), dest)));
    }
    Ok(Some(pairs))
}

/// Whether any of `patterns` matches `rel`.
fn any_match(patterns: &[String], rel: &str) -> Result<bool, DeployError> {
    for pattern in patterns {
        if glob_match(pattern, rel)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `file` relative to `workspace`, `/`-separated; `None` when it is not below it.
fn relative(workspace: &Path, file: &Path) -> Option<String> {
    let rest = file.strip_prefix(workspace).ok()?;
    let parts: Option<Vec<&str>> = rest
        .components()
        .map(|c| match c {
            Component::Normal(name) => name.to_str(),
            _ => None,
        })
        .collect();
    parts.filter(|p| !p.is_empty()).map(|p| p.join("/"))
}

#[cfg(test)]
mod tests;
