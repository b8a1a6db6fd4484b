//! Making the file paths of a config absolute, as Skaffold's `tags.MakeFilePathsAbsolute` does for
//! every field tagged `skaffold:"filepath"` in `pkg/skaffold/schema/latest/config.go`:
//!
//! | field | |
//! |---|---|
//! | `requires[].path` | |
//! | `build.artifacts[].context`, `test[].context` | |
//! | `test[].structureTests[]` | |
//! | `manifests.rawYaml[]`, `manifests.kpt[]`, `manifests.kustomize.paths[]` | |
//! | helm releases (`manifests.helm`, `deploy.helm`): `chartPath`, `valuesFiles[]`, `setFiles` values | |
//! | `build.artifacts[].kaniko.contextSubPath` | |
//! | `build.artifacts[].buildpacks.volumes[].host` | |
//! | `dir` of every host hook (build, artifact, sync, render `before`/`after`, deploy, Cloud Run) | |
//!
//! Everything else stays as written: a `dockerfile`, custom `dependencies.paths` or `ko.dir` are
//! relative to the artifact's context, which is made absolute itself. Empty and already absolute
//! values are left alone; the others become `filepath.Join(base, value)` (which also cleans them:
//! `./k8s/../k8s/*.yaml` becomes `<base>/k8s/*.yaml`). Profiles still present in the config are
//! rewritten the same way.

use std::path::Path;

use crate::model::*;

/// Go's `path/filepath.Clean` for `/`-separated paths.
pub fn go_clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let rooted = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|p| *p != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            p => out.push(p),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Go's `filepath.Join(base, path)`.
pub fn go_join(base: &Path, path: &str) -> String {
    let base = base.to_string_lossy();
    match (base.is_empty(), path.is_empty()) {
        (true, true) => String::new(),
        (true, false) => go_clean(path),
        (false, true) => go_clean(&base),
        (false, false) => go_clean(&format!("{base}/{path}")),
    }
}

fn fix(path: &mut String, base: &Path) {
    if path.is_empty() || Path::new(path.as_str()).is_absolute() {
        return;
    }
    *path = go_join(base, path);
}

fn fix_all(paths: &mut [String], base: &Path) {
    for p in paths {
        fix(p, base);
    }
}

/// Rewrite every relative file path of `config` (see the module docs) against `base`.
pub fn make_file_paths_absolute(config: &mut SkaffoldConfig, base: &Path) {
    for dep in &mut config.requires {
        if let Some(ConfigSource::Path(p)) = &mut dep.source {
            fix(p, base);
        }
    }
    pipeline(&mut config.pipeline, base);
    for profile in &mut config.profiles {
        pipeline(&mut profile.pipeline, base);
    }
}

fn host_hook(h: &mut HostHook, base: &Path) {
    fix(&mut h.dir, base);
}

fn build_hooks(h: &mut BuildHooks, base: &Path) {
    for hook in h.before.iter_mut().chain(h.after.iter_mut()) {
        host_hook(hook, base);
    }
}

fn deploy_hooks(h: &mut DeployHooks, base: &Path) {
    for item in h.before.iter_mut().chain(h.after.iter_mut()) {
        if let DeployHookItem::Host(hook) = item {
            host_hook(hook, base);
        }
    }
}

fn helm_release(r: &mut HelmRelease, base: &Path) {
    if let Some(ChartSource::ChartPath(p)) = &mut r.chart {
        fix(p, base);
    }
    fix_all(&mut r.values_files, base);
    for v in r.set_files.values_mut() {
        fix(v, base);
    }
}

fn pipeline(p: &mut Pipeline, base: &Path) {
    build_hooks(&mut p.build.hooks, base);
    for a in &mut p.build.artifacts {
        fix(&mut a.context, base);
        if let Some(sync) = &mut a.sync {
            for item in sync
                .hooks
                .before
                .iter_mut()
                .chain(sync.hooks.after.iter_mut())
            {
                if let SyncHookItem::Host(hook) = item {
                    host_hook(hook, base);
                }
            }
        }
        match &mut a.artifact_type {
            Some(ArtifactType::Kaniko(k)) => fix(&mut k.context_sub_path, base),
            Some(ArtifactType::Buildpacks(b)) => {
                for v in &mut b.volumes {
                    fix(&mut v.host, base);
                }
            }
            _ => {}
        }
        build_hooks(&mut a.hooks, base);
    }
    for t in &mut p.test {
        fix(&mut t.context, base);
        fix_all(&mut t.structure_tests, base);
    }
    let m = &mut p.manifests;
    fix_all(&mut m.raw_yaml, base);
    if let Some(k) = &mut m.kustomize {
        fix_all(&mut k.paths, base);
    }
    if let Some(h) = &mut m.helm {
        for r in &mut h.releases {
            helm_release(r, base);
        }
    }
    fix_all(&mut m.kpt, base);
    for item in &mut m.hooks.before {
        if let Some(h) = &mut item.host {
            host_hook(h, base);
        }
    }
    for item in &mut m.hooks.after {
        if let Some(h) = &mut item.host {
            fix(&mut h.dir, base);
        }
    }
    let d = &mut p.deploy;
    if let Some(h) = &mut d.helm {
        for r in &mut h.releases {
            helm_release(r, base);
        }
        deploy_hooks(&mut h.hooks, base);
    }
    if let Some(k) = &mut d.kubectl {
        deploy_hooks(&mut k.hooks, base);
    }
    if let Some(c) = &mut d.cloudrun {
        for hook in c.hooks.before.iter_mut().chain(c.hooks.after.iter_mut()) {
            host_hook(hook, base);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_matches_go() {
        for (input, want) in [
            ("", "."),
            (".", "."),
            ("a/b/../c", "a/c"),
            ("./a//b/", "a/b"),
            ("/../a", "/a"),
            ("../../a", "../../a"),
            ("a/../..", ".."),
            ("/", "/"),
            ("/a/./b/../../c", "/c"),
        ] {
            assert_eq!(go_clean(input), want, "{input:?}");
        }
        assert_eq!(go_join(Path::new("/base/dir"), "."), "/base/dir");
        assert_eq!(
            go_join(Path::new("/base/dir"), "../x/*.yaml"),
            "/base/x/*.yaml"
        );
        assert_eq!(go_join(Path::new(""), "./a"), "a");
    }
}
