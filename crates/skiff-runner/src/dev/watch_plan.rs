//! What the dev loop watches: each artifact's context (without what its `.dockerignore`
//! excludes) and the config files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use skiff_build::dockerfile::normalize_dockerfile_path;
use skiff_build::dockerignore::DockerIgnore;
use skiff_config::model::ArtifactType;
use skiff_watch::{PathFilter, WatchRoot};

use skiff_tester::{Tester, test_dependencies};

use super::changes::{CONFIG_OWNER, TEST_OWNER_PREFIX};
use crate::build::ConfiguredArtifact;

/// The watch roots of a dev session: the artifacts whose image contains one of `watch_images`
/// (all when it is empty), their test dependencies and the config files.
pub fn roots(
    artifacts: &[ConfiguredArtifact],
    testers: &[Tester<'_>],
    watch_images: &[String],
    config_files: &[PathBuf],
) -> Vec<WatchRoot> {
    let mut roots: Vec<WatchRoot> = artifacts
        .iter()
        .filter(|a| watched(a, watch_images))
        .map(|artifact| WatchRoot {
            owner: artifact.artifact.image.clone(),
            dir: artifact.workspace(),
            filter: ignore_filter(artifact),
        })
        .collect();
    roots.extend(test_roots(testers, artifacts, watch_images));
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

/// One root per directory holding test dependencies of a watched image (structure test files,
/// custom test dependencies), owned by `test:<image>`.
fn test_roots(
    testers: &[Tester<'_>],
    artifacts: &[ConfiguredArtifact],
    watch_images: &[String],
) -> Vec<WatchRoot> {
    let mut by_dir: BTreeMap<(String, PathBuf), BTreeSet<PathBuf>> = BTreeMap::new();
    for artifact in artifacts.iter().filter(|a| watched(a, watch_images)) {
        let image = &artifact.artifact.image;
        let deps = match test_dependencies(testers, image) {
            Ok(deps) => deps,
            Err(err) => {
                tracing::warn!("test dependencies of {image}: {err}; they are not watched");
                continue;
            }
        };
        for dep in deps {
            let workspace = testers.iter().find(|t| t.image == image.as_str());
            let dep = match workspace {
                Some(t) if dep.is_relative() => t.workspace.join(dep),
                _ => dep,
            };
            let dir = dep
                .parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            by_dir
                .entry((format!("{TEST_OWNER_PREFIX}{image}"), dir))
                .or_default()
                .insert(dep);
        }
    }
    by_dir
        .into_iter()
        .map(|((owner, dir), files)| WatchRoot {
            owner,
            dir,
            filter: PathFilter::Files(files),
        })
        .collect()
}

/// Whether `artifact` is watched under `-w/--watch-image` (all when none is given).
fn watched(artifact: &ConfiguredArtifact, watch_images: &[String]) -> bool {
    watch_images.is_empty()
        || watch_images
            .iter()
            .any(|w| artifact.artifact.image.contains(w.as_str()))
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
            roots(&artifacts, &[], watch, std::slice::from_ref(&config))
                .into_iter()
                .map(|r| r.owner)
                .collect()
        };
        assert_eq!(owners(&[]), ["web", "api", CONFIG_OWNER]);
        assert_eq!(owners(&["we".into()]), ["web", CONFIG_OWNER]);
        let roots = roots(&artifacts, &[], &[], std::slice::from_ref(&config));
        assert_eq!(roots[0].dir, dir.path().join("web"));
        assert!(matches!(&roots[2].filter, PathFilter::Files(files) if files.contains(&config)));
    }

    #[test]
    fn test_dependencies_are_watched_for_their_image() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("web/tests")).unwrap();
        std::fs::write(dir.path().join("web/tests/data.json"), "{}").unwrap();
        let config = skiff_testenv::skaffold_config(
            "test:\n- image: web\n  context: web\n  custom:\n  - command: \"true\"\n    dependencies:\n      paths: [\"tests/*.json\"]\n",
        );
        let testers = skiff_tester::testers(&config.pipeline.test, dir.path());
        let artifacts = [artifact("web", dir.path())];
        let all = roots(&artifacts, &testers, &[], &[]);
        let test_root = all
            .iter()
            .find(|r| r.owner == "test:web")
            .expect("a root for the tests of web");
        assert_eq!(test_root.dir, dir.path().join("web/tests"));
        assert!(matches!(
            &test_root.filter,
            PathFilter::Files(files) if files.contains(&dir.path().join("web/tests/data.json"))
        ));
        assert!(roots(&artifacts, &testers, &["api".into()], &[]).is_empty());
    }
}
