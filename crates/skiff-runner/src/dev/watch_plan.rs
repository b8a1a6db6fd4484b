//! What the dev loop watches: each artifact's context (without what its `.dockerignore`
//! excludes), the config files and, for a target that renders them, the manifests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use skiff_build::dockerfile::normalize_dockerfile_path;
use skiff_build::dockerignore::DockerIgnore;
use skiff_config::SkaffoldConfig;
use skiff_config::model::{ArtifactType, ChartSource};
use skiff_watch::{PathFilter, WatchRoot};

use skiff_tester::{Tester, test_dependencies};

use super::changes::{CONFIG_OWNER, MANIFESTS_OWNER, TEST_OWNER_PREFIX};
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

/// The roots of what a deploy renders, owned by [`MANIFESTS_OWNER`]: the directories of the
/// configs' `manifests.rawYaml` globs (up to their first wildcard) and files, kpt and kustomize
/// directories, and local helm charts (`manifests.helm` and `deploy.helm`) with their values
/// files. A change there redeploys.
pub fn manifest_roots(configs: &[&SkaffoldConfig], base_dir: &Path) -> Vec<WatchRoot> {
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    let mut files: BTreeSet<PathBuf> = BTreeSet::new();
    for config in configs {
        let manifests = &config.pipeline.manifests;
        for pattern in &manifests.raw_yaml {
            match pattern.find(['*', '?', '[', '{']) {
                Some(at) => {
                    let prefix = &pattern[..at];
                    let dir = prefix.rfind('/').map_or("", |slash| &prefix[..slash]);
                    dirs.insert(base_dir.join(dir));
                }
                None => {
                    files.insert(base_dir.join(pattern));
                }
            }
        }
        let kustomize = manifests.kustomize.iter().flat_map(|k| &k.paths);
        dirs.extend(kustomize.chain(&manifests.kpt).map(|p| base_dir.join(p)));
        let releases = manifests
            .helm
            .iter()
            .flat_map(|h| &h.releases)
            .chain(config.pipeline.deploy.helm.iter().flat_map(|h| &h.releases));
        for release in releases {
            if let Some(ChartSource::ChartPath(chart)) = &release.chart {
                dirs.insert(base_dir.join(chart));
            }
            files.extend(release.values_files.iter().map(|f| base_dir.join(f)));
        }
    }
    let mut by_parent: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for file in files {
        let file = std::path::absolute(&file).unwrap_or(file);
        if dirs.iter().any(|dir| file.starts_with(dir)) {
            continue;
        }
        let parent = file
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        by_parent.entry(parent).or_default().insert(file);
    }
    let dir_roots = dirs.into_iter().map(|dir| WatchRoot {
        owner: MANIFESTS_OWNER.to_owned(),
        dir,
        filter: PathFilter::Everything,
    });
    let file_roots = by_parent.into_iter().map(|(dir, files)| WatchRoot {
        owner: MANIFESTS_OWNER.to_owned(),
        dir,
        filter: PathFilter::Files(files),
    });
    dir_roots.chain(file_roots).collect()
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

    #[test]
    fn manifests_are_watched_up_to_their_first_wildcard() {
        let base = Path::new("/p");
        let config = skiff_testenv::skaffold_config(
            "manifests:\n  rawYaml: [\"k8s/*.yaml\", \"extra/one.yaml\", \"k8s/sub/two.yaml\"]\n  kustomize:\n    paths: [overlays/dev]\n\
             deploy:\n  helm:\n    releases:\n    - name: web\n      chartPath: chart\n      valuesFiles: [values/dev.yaml]\n",
        );
        let roots = manifest_roots(&[&config], base);
        assert!(roots.iter().all(|r| r.owner == MANIFESTS_OWNER));
        let dirs: Vec<&Path> = roots.iter().map(|r| r.dir.as_path()).collect();
        assert_eq!(
            dirs,
            [
                Path::new("/p/chart"),
                Path::new("/p/k8s"),
                Path::new("/p/overlays/dev"),
                Path::new("/p/extra"),
                Path::new("/p/values"),
            ],
            "a file under a watched directory gets no root of its own"
        );
        assert!(matches!(
            &roots[3].filter,
            PathFilter::Files(files) if files.contains(Path::new("/p/extra/one.yaml"))
        ));
    }
}
