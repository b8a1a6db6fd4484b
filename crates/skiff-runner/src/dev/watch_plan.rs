//! What the dev loop watches: each artifact's context (without what its `.dockerignore`
//! excludes) and the config files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use skiff_build::dockerfile::normalize_dockerfile_path;
use skiff_build::dockerignore::DockerIgnore;
use skiff_config::model::ArtifactType;
use skiff_watch::{PathFilter, WatchRoot};

use super::changes::CONFIG_OWNER;
use crate::build::ConfiguredArtifact;

/// The watch roots of a dev session: the artifacts whose image contains one of `watch_images`
/// (all when it is empty) and the config files.
pub fn roots(
    artifacts: &[ConfiguredArtifact],
    watch_images: &[String],
    config_files: &[PathBuf],
) -> Vec<WatchRoot> {
    let mut roots: Vec<WatchRoot> = artifacts
        .iter()
        .filter(|a| {
            watch_images.is_empty()
                || watch_images
                    .iter()
                    .any(|w| a.artifact.image.contains(w.as_str()))
        })
        .map(|artifact| WatchRoot {
            owner: artifact.artifact.image.clone(),
            dir: artifact.workspace(),
            filter: ignore_filter(artifact),
        })
        .collect();
    for file in config_files {
        let file = std::path::absolute(file).unwrap_or_else(|_| file.clone());
        let dir = file
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        roots.push(WatchRoot {
            owner: CONFIG_OWNER.to_owned(),
            dir,
            filter: PathFilter::Files(BTreeSet::from([file])),
        });
    }
    roots
}

/// The `.dockerignore` of a docker artifact as a filter (others: everything).
fn ignore_filter(artifact: &ConfiguredArtifact) -> PathFilter {
    let dockerfile = match &artifact.artifact.artifact_type {
        Some(ArtifactType::Docker(docker)) => docker.dockerfile.clone(),
        None => "Dockerfile".to_owned(),
        Some(_) => return PathFilter::Everything,
    };
    let workspace = artifact.workspace();
    let Ok(dockerfile) = normalize_dockerfile_path(&workspace, &dockerfile) else {
        return PathFilter::Everything;
    };
    match DockerIgnore::read(&workspace, &dockerfile) {
        // With `!` exceptions, an ignored directory may hold files that are not: watch it all
        // (changes to files that are no inputs are dropped later).
        Ok(ignore) if !ignore.is_empty() && !ignore.has_exclusions() => {
            let ignore = Arc::new(ignore);
            PathFilter::Ignore(Arc::new(move |rel: &Path| {
                ignore.matches(&rel.to_string_lossy())
            }))
        }
        _ => PathFilter::Everything,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_config::model::Artifact;

    fn artifact(image: &str, dir: &Path) -> ConfiguredArtifact {
        ConfiguredArtifact {
            artifact: Artifact {
                image: image.into(),
                context: image.into(),
                ..Default::default()
            },
            base_dir: dir.to_path_buf(),
        }
    }

    #[test]
    fn watch_images_selects_the_artifacts_and_the_config_is_always_watched() {
        let dir = tempfile::tempdir().unwrap();
        let artifacts = [artifact("web", dir.path()), artifact("api", dir.path())];
        let config = dir.path().join("skaffold.yaml");
        let owners = |watch: &[String]| -> Vec<String> {
            roots(&artifacts, watch, std::slice::from_ref(&config))
                .into_iter()
                .map(|r| r.owner)
                .collect()
        };
        assert_eq!(owners(&[]), ["web", "api", CONFIG_OWNER]);
        assert_eq!(owners(&["we".into()]), ["web", CONFIG_OWNER]);
        let roots = roots(&artifacts, &[], std::slice::from_ref(&config));
        assert_eq!(roots[0].dir, dir.path().join("web"));
        assert!(matches!(&roots[2].filter, PathFilter::Files(files) if files.contains(&config)));
    }
}
