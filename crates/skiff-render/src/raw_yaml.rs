//! `manifests.rawYaml` and `manifests.remoteManifests`: Skaffold's kubectl renderer (its
//! `generate.Generator`).
//!
//! Each `rawYaml` entry is expanded as an environment template, made absolute against the
//! config's directory, then:
//! - an existing file is read whatever its extension;
//! - an existing directory is an error (Skaffold fails reading it too) that says to use a glob;
//! - anything else is a Go `filepath.Glob` pattern (`*`, `?`, `[…]` within one path segment;
//!   `**` is just `*`): matches come sorted per directory, directories among them are walked in
//!   lexical order, and files found this way are kept only when they end in `.yaml`, `.yml` or
//!   `.json`. A pattern that matches nothing is logged and skipped.
//!
//! A file listed twice is read once. Every file may hold several documents. `http(s)://` and
//! `gs://` entries are refused: skiff does not download manifests.
//!
//! `remoteManifests` (`[namespace:]resource`, read from the cluster with `kubectl get … -o
//! yaml`) come after the files, and are refused with `--offline`.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use skiff_config::model::RemoteManifest;
use skiff_config::template::expand_env_template_with_env;
use skiff_config::validate::glob_matches;
use skiff_proto::enums::{StatusCode, SuggestionCode};

use crate::tools::{KUBECTL, ToolCommand};
use crate::{ManifestList, RenderError};

/// The extensions of files a glob may pick up (Skaffold's `HasKubernetesFileExtension`).
const MANIFEST_EXTENSIONS: [&str; 3] = [".yml", ".yaml", ".json"];

/// Renders `rawYaml` then `remoteManifests`. Relative paths are relative to `base_dir`; `env`
/// is the environment templates and `kubectl` see.
pub async fn render_raw_yaml(
    raw_yaml: &[String],
    remote_manifests: &[RemoteManifest],
    base_dir: &Path,
    env: &BTreeMap<String, String>,
    offline: bool,
) -> Result<ManifestList, RenderError> {
    let mut list = ManifestList::default();
    for file in manifest_files(raw_yaml, base_dir, env)? {
        let text = std::fs::read_to_string(&file).map_err(|err| {
            RenderError::new(
                StatusCode::DeployReadManifestErr,
                format!("reading manifest {}: {err}", file.display()),
            )
        })?;
        list.extend(ManifestList::parse(&text, &file.display().to_string())?);
    }
    for remote in remote_manifests {
        list.extend(read_remote_manifest(remote, env, offline).await?);
    }
    Ok(list)
}

/// The files the `rawYaml` entries stand for, in order, each once.
pub fn manifest_files(
    raw_yaml: &[String],
    base_dir: &Path,
    env: &BTreeMap<String, String>,
) -> Result<Vec<PathBuf>, RenderError> {
    let mut seen = HashSet::new();
    let mut files = Vec::new();
    let mut add = |path: PathBuf| {
        if seen.insert(path.clone()) {
            files.push(path);
        }
    };
    for entry in raw_yaml {
        if let Some(kind) = remote_kind(entry) {
            return Err(RenderError::new(
                StatusCode::DeployReadManifestErr,
                format!(
                    "manifests.rawYaml entry {entry:?}: skiff does not download manifests from \
                     {kind}; download the file and list its local path instead"
                ),
            ));
        }
        let expanded =
            expand_env_template_with_env(entry, env, &BTreeMap::new()).map_err(|err| {
                RenderError::new(
                    StatusCode::DeployReadManifestErr,
                    format!("manifests.rawYaml entry {entry:?}: {err}"),
                )
            })?;
        let path = base_dir.join(&expanded);
        if path.is_dir() {
            return Err(RenderError::new(
                StatusCode::DeployReadManifestErr,
                format!(
                    "manifests.rawYaml entry {entry:?} is a directory ({}); list its files or a \
                     glob such as {:?}",
                    path.display(),
                    format!("{}/*.yaml", expanded.trim_end_matches('/'))
                ),
            ));
        }
        if path.is_file() {
            add(path);
            continue;
        }
        let matches = glob_matches(base_dir, &expanded);
        if matches.is_empty() {
            tracing::warn!("{entry} did not match any file");
        }
        for matched in matches {
            for file in walk_files(&matched) {
                if has_manifest_extension(&file) {
                    add(file);
                } else {
                    tracing::info!(
                        "refusing to deploy/delete non {{json, yaml}} file {}; list it directly, \
                         outside a glob pattern, to deploy it anyway",
                        file.display()
                    );
                }
            }
        }
    }
    Ok(files)
}

/// `path` itself if it is a file, else the files under it, in lexical order.
fn walk_files(path: &Path) -> Vec<PathBuf> {
    if !path.is_dir() {
        return vec![path.to_path_buf()];
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return Vec::new();
    };
    let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    children.sort();
    children
        .iter()
        .flat_map(|child| walk_files(child))
        .collect()
}

fn has_manifest_extension(path: &Path) -> bool {
    let name = path.to_string_lossy();
    MANIFEST_EXTENSIONS.iter().any(|ext| name.ends_with(ext))
}

/// What a remote `rawYaml` entry would be fetched from, if it is one.
fn remote_kind(entry: &str) -> Option<&'static str> {
    if entry.starts_with("http://") || entry.starts_with("https://") {
        Some("URLs")
    } else if entry.starts_with("gs://") {
        Some("Google Cloud Storage")
    } else {
        None
    }
}

/// `kubectl [--context C] [--namespace N] get RESOURCE -o yaml`, as Skaffold reads a remote
/// manifest.
async fn read_remote_manifest(
    remote: &RemoteManifest,
    env: &BTreeMap<String, String>,
    offline: bool,
) -> Result<ManifestList, RenderError> {
    if offline {
        return Err(RenderError::new(
            StatusCode::DeployKubectlOfflineModeErr,
            format!(
                "manifests.remoteManifests entry {:?} must be read from a cluster, which \
                 rendering with --offline does not contact",
                remote.manifest
            ),
        )
        .suggest(
            SuggestionCode::SetRenderFlagOfflineFalse,
            "Remove the remote manifests or render without --offline",
        ));
    }
    let kubectl = KUBECTL.locate(env)?;
    ToolCommand::new(kubectl, remote_manifest_args(remote), env)
        .stdout(
            StatusCode::DeployReadRemoteManifestErr,
            &format!("getting remote manifest {:?}", remote.manifest),
        )
        .await
        .and_then(|text| {
            ManifestList::parse(&text, &format!("remote manifest {}", remote.manifest))
        })
}

fn remote_manifest_args(remote: &RemoteManifest) -> Vec<String> {
    let mut parts = remote.manifest.split(':');
    let first = parts.next().unwrap_or_default();
    let (namespace, name) = match parts.next() {
        Some(name) => (first, name),
        None => ("", first),
    };
    let mut args = Vec::new();
    if !remote.kube_context.is_empty() {
        args.extend(["--context".to_string(), remote.kube_context.clone()]);
    }
    if !namespace.is_empty() {
        args.extend(["--namespace".to_string(), namespace.to_string()]);
    }
    args.extend(["get", name, "-o", "yaml"].map(String::from));
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::assert_contains;

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn names(files: &[PathBuf], base: &Path) -> Vec<String> {
        files
            .iter()
            .map(|f| f.strip_prefix(base).unwrap().display().to_string())
            .collect()
    }

    #[test]
    fn globs_match_one_segment_sorted_and_skip_other_extensions() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        for name in [
            "k8s/b.yaml",
            "k8s/a.yml",
            "k8s/notes.txt",
            "k8s/sub/c.json",
            "k8s/sub/deep/d.yaml",
        ] {
            write(base, name, "kind: X\n");
        }
        let env = BTreeMap::new();
        let files = manifest_files(&["k8s/*".into()], base, &env).unwrap();
        assert_eq!(
            names(&files, base),
            [
                "k8s/a.yml",
                "k8s/b.yaml",
                "k8s/sub/c.json",
                "k8s/sub/deep/d.yaml"
            ]
        );
        // `**` is `*`: it matches one segment, like Go's filepath.Glob.
        let files = manifest_files(&["k8s/**/*.yaml".into()], base, &env).unwrap();
        assert!(names(&files, base).is_empty(), "{files:?}");
    }

    #[test]
    fn a_file_named_directly_is_read_whatever_its_extension_and_only_once() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        write(base, "app.txt", "kind: X\n");
        write(base, "b.yaml", "kind: X\n");
        let env = BTreeMap::new();
        let files = manifest_files(
            &["app.txt".into(), "*.yaml".into(), "b.yaml".into()],
            base,
            &env,
        )
        .unwrap();
        assert_eq!(names(&files, base), ["app.txt", "b.yaml"]);
    }

    #[test]
    fn entries_are_templates_over_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "dev/app.yaml", "kind: X\n");
        let env = BTreeMap::from([("ENV".to_string(), "dev".to_string())]);
        let files = manifest_files(&["{{.ENV}}/app.yaml".into()], dir.path(), &env).unwrap();
        assert_eq!(names(&files, dir.path()), ["dev/app.yaml"]);
    }

    #[test]
    fn directories_and_urls_are_refused_with_the_entry_named() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "k8s/a.yaml", "kind: X\n");
        let env = BTreeMap::new();
        let err = manifest_files(&["k8s".into()], dir.path(), &env).unwrap_err();
        assert_contains(&err.message, "\"k8s/*.yaml\"");
        let err = manifest_files(&["https://x/y.yaml".into()], dir.path(), &env).unwrap_err();
        assert_contains(&err.message, "\"https://x/y.yaml\"");
        assert_eq!(err.code, StatusCode::DeployReadManifestErr);
    }

    #[tokio::test]
    async fn documents_of_every_file_are_read_in_order() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.yaml", "kind: A1\n---\nkind: A2\n");
        write(dir.path(), "b.yaml", "kind: B\n");
        let list = render_raw_yaml(&["*.yaml".into()], &[], dir.path(), &BTreeMap::new(), false)
            .await
            .unwrap();
        let kinds: Vec<_> = list
            .docs()
            .iter()
            .map(|d| d["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["A1", "A2", "B"]);
    }

    #[tokio::test]
    async fn remote_manifests_are_refused_offline() {
        let remote = RemoteManifest {
            manifest: "prod:deployment/web".into(),
            kube_context: String::new(),
        };
        let err = render_raw_yaml(&[], &[remote], Path::new("."), &BTreeMap::new(), true)
            .await
            .unwrap_err();
        assert_eq!(err.code, StatusCode::DeployKubectlOfflineModeErr);
        assert_contains(&err.message, "prod:deployment/web");
        assert_eq!(
            err.suggestion.map(|s| s.0),
            Some(SuggestionCode::SetRenderFlagOfflineFalse)
        );
    }

    #[test]
    fn remote_manifests_become_kubectl_get_arguments() {
        let remote = RemoteManifest {
            manifest: "prod:deployment/web".into(),
            kube_context: "kind-x".into(),
        };
        assert_eq!(
            remote_manifest_args(&remote),
            [
                "--context",
                "kind-x",
                "--namespace",
                "prod",
                "get",
                "deployment/web",
                "-o",
                "yaml"
            ]
        );
        let plain = RemoteManifest {
            manifest: "deployment/web".into(),
            kube_context: String::new(),
        };
        assert_eq!(
            remote_manifest_args(&plain),
            ["get", "deployment/web", "-o", "yaml"]
        );
    }
}
