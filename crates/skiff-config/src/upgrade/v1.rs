//! Structural steps of the v1 era: `skaffold/v1alpha1` … `skaffold/v1`.

use std::sync::LazyLock;

use regex::Regex;
use serde_yaml_ng::{Mapping, Value};

use super::util::{
    for_each_artifact, for_each_helm_release, for_each_pipeline, is_empty, key, map_mut, map_ref,
    rename, render_scalar, seq_maps_mut, set, str_of, string, strings, subset, take,
};
use super::{Ctx, UpgradeError};

/// v1alpha1 → v1alpha2. The v1alpha2 config is rebuilt from the few fields v1alpha1 had:
/// `tagPolicy: sha256|gitCommit` becomes `{sha256: {}}` / `{gitCommit: {}}`, an artifact's
/// `dockerfilePath`/`buildArgs` move under `docker`, kubectl `manifests[].paths` are flattened
/// (their `parameters` are dropped with a warning), helm releases keep their fields, and
/// `deploy.name` is dropped.
pub(crate) fn v1alpha1(ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    if let Some(build) = map_mut(doc, "build") {
        let old = std::mem::take(build);
        for (k, v) in old {
            match k.as_str().unwrap_or_default() {
                "artifacts" => {
                    let artifacts = v
                        .as_sequence()
                        .map(|s| s.iter().map(v1alpha1_artifact).collect::<Vec<_>>())
                        .unwrap_or_default();
                    build.insert(k, Value::Sequence(artifacts));
                }
                "tagPolicy" => match v.as_str() {
                    Some(policy @ ("sha256" | "gitCommit")) => {
                        let mut tagger = Mapping::new();
                        tagger.insert(key(policy), Value::Mapping(Mapping::new()));
                        build.insert(k, Value::Mapping(tagger));
                    }
                    _ => ctx.warn(
                        "build.tagPolicy",
                        format!(
                            "tag policy {:?} is not known to the next version and is dropped",
                            render_scalar(&v)
                        ),
                    ),
                },
                "local" => {
                    let local = v.as_mapping().map(|m| subset(m, &["skipPush"]));
                    build.insert(k, local.map(Value::Mapping).unwrap_or(Value::Null));
                }
                "googleCloudBuild" => {
                    let gcb = v.as_mapping().map(|m| subset(m, &["projectId"]));
                    build.insert(k, gcb.map(Value::Mapping).unwrap_or(Value::Null));
                }
                other => ctx.warn(format!("build.{other}"), "dropped"),
            }
        }
    }
    if let Some(deploy) = map_mut(doc, "deploy") {
        let old = std::mem::take(deploy);
        for (k, v) in old {
            match k.as_str().unwrap_or_default() {
                "helm" => {
                    let mut helm = Mapping::new();
                    if let Some(releases) = v.get("releases").and_then(Value::as_sequence) {
                        let releases = releases
                            .iter()
                            .map(|r| match r.as_mapping() {
                                Some(r) => Value::Mapping(subset(
                                    r,
                                    &[
                                        "name",
                                        "chartPath",
                                        "valuesFilePath",
                                        "values",
                                        "namespace",
                                        "version",
                                    ],
                                )),
                                None => r.clone(),
                            })
                            .collect();
                        helm.insert(key("releases"), Value::Sequence(releases));
                    }
                    deploy.insert(k, Value::Mapping(helm));
                }
                "kubectl" => {
                    ctx.warn(
                        "deploy.kubectl.manifests",
                        "Ignoring manifest parameters when transforming v1alpha1 config; check \
                         Kubernetes yaml before running skaffold",
                    );
                    let mut paths = Vec::new();
                    if let Some(manifests) = v.get("manifests").and_then(Value::as_sequence) {
                        for manifest in manifests {
                            if let Some(p) = manifest.get("paths").and_then(Value::as_sequence) {
                                paths.extend(p.iter().cloned());
                            }
                        }
                    }
                    let mut kubectl = Mapping::new();
                    if !paths.is_empty() {
                        kubectl.insert(key("manifests"), Value::Sequence(paths));
                    }
                    deploy.insert(k, Value::Mapping(kubectl));
                }
                "name" => ctx.warn(
                    "deploy.name",
                    "dropped: the next version has no deploy name",
                ),
                other => ctx.warn(format!("deploy.{other}"), "dropped"),
            }
        }
    }
    Ok(())
}

fn v1alpha1_artifact(artifact: &Value) -> Value {
    let Some(old) = artifact.as_mapping() else {
        return artifact.clone();
    };
    let mut new = subset(old, &["imageName", "workspace"]);
    let dockerfile = old.get("dockerfilePath").filter(|v| !is_empty(v));
    let build_args = old.get("buildArgs").filter(|v| !is_empty(v));
    if dockerfile.is_some() || build_args.is_some() {
        let mut docker = Mapping::new();
        if let Some(d) = dockerfile {
            docker.insert(key("dockerfilePath"), d.clone());
        }
        if let Some(b) = build_args {
            docker.insert(key("buildArgs"), b.clone());
        }
        new.insert(key("docker"), Value::Mapping(docker));
    }
    Value::Mapping(new)
}

/// v1alpha2 → v1alpha3. A helm release's `valuesFilePath` becomes `valuesFiles: [path]`; the
/// main pipeline's `build.kaniko.gcsBucket` moves to `build.kaniko.buildContext.gcsBucket`.
/// Skaffold converts kaniko only in the main pipeline, so a profile's `gcsBucket` is dropped.
pub(crate) fn v1alpha2(ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    for_each_pipeline(doc, |pipeline, prefix| {
        for_each_helm_release(pipeline, prefix, |release, _| {
            match take(release, "valuesFilePath") {
                Some(Value::String(path)) if !path.is_empty() => {
                    set(release, "valuesFiles", strings([path]));
                }
                _ => {}
            }
            Ok(())
        })?;
        let Some(kaniko) = map_mut(pipeline, "build").and_then(|b| map_mut(b, "kaniko")) else {
            return Ok(());
        };
        let Some(bucket) = take(kaniko, "gcsBucket") else {
            return Ok(());
        };
        if prefix.is_empty() {
            if !is_empty(&bucket) {
                let mut context = Mapping::new();
                context.insert(key("gcsBucket"), bucket);
                let mut rebuilt = Mapping::new();
                rebuilt.insert(key("buildContext"), Value::Mapping(context));
                rebuilt.extend(std::mem::take(kaniko));
                *kaniko = rebuilt;
            }
        } else if !is_empty(&bucket) {
            ctx.warn(
                format!("{prefix}build.kaniko.gcsBucket"),
                "dropped: Skaffold only moves the main pipeline's gcsBucket to buildContext",
            );
        }
        Ok(())
    })
}

/// v1alpha3 → v1alpha4. Renames: artifact `imageName` → `image`, `workspace` → `context`,
/// `docker.dockerfilePath` → `docker.dockerfile`, `deploy.kustomize.kustomizePath` →
/// `deploy.kustomize.path`; `build.local.skipPush` becomes `build.local.push` (negated).
pub(crate) fn v1alpha3(_ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    for_each_pipeline(doc, |pipeline, prefix| {
        for_each_artifact(pipeline, prefix, |artifact, _| {
            rename(artifact, "imageName", "image");
            rename(artifact, "workspace", "context");
            if let Some(docker) = map_mut(artifact, "docker") {
                rename(docker, "dockerfilePath", "dockerfile");
            }
            Ok(())
        })?;
        if let Some(local) = map_mut(pipeline, "build").and_then(|b| map_mut(b, "local")) {
            if let Some(Value::Bool(skip)) = local.get("skipPush").cloned() {
                rename(local, "skipPush", "push");
                set(local, "push", Value::Bool(!skip));
            } else {
                take(local, "skipPush");
            }
        }
        if let Some(kustomize) = map_mut(pipeline, "deploy").and_then(|d| map_mut(d, "kustomize")) {
            rename(kustomize, "kustomizePath", "path");
        }
        Ok(())
    })
}

/// v1alpha5 → v1beta1. `build.acr` (Azure Container Registry builds) was removed: Skaffold
/// refuses to upgrade a config that uses it.
pub(crate) fn v1alpha5(ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    let has_acr = |pipeline: &Mapping| {
        map_ref(pipeline, "build").is_some_and(|b| b.get("acr").is_some_and(|v| !v.is_null()))
    };
    if has_acr(doc) {
        return Err(ctx.unconvertible(
            "build.acr",
            format!(
                "can't upgrade to {}, build.acr is not supported anymore, please remove it \
                 manually",
                ctx.next
            ),
        ));
    }
    if let Some(profiles) = doc.get("profiles").and_then(Value::as_sequence) {
        for (i, profile) in profiles.iter().enumerate() {
            let Some(profile) = profile.as_mapping() else {
                continue;
            };
            if has_acr(profile) {
                return Err(ctx.unconvertible(
                    format!("profiles[{i}].build.acr"),
                    format!(
                        "can't upgrade to {}, profiles.build.acr is not supported anymore, \
                         please remove it from the {} profile manually",
                        ctx.next,
                        str_of(profile, "name").unwrap_or_default()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// v1beta6 → v1beta7. `build.kaniko` (a build type) splits in two: its pod settings
/// (`pullSecret`, `pullSecretName`, `namespace`, `timeout`, `dockerConfig`) become
/// `build.cluster`, and its image settings (`flags`, `buildContext`, `image`, `cache`) are copied
/// into a `kaniko` section on every artifact.
pub(crate) fn v1beta6(_ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    for_each_pipeline(doc, |pipeline, _| {
        let Some(build) = map_mut(pipeline, "build") else {
            return Ok(());
        };
        let Some(index) = super::util::position(build, "kaniko") else {
            return Ok(());
        };
        let Some(Value::Mapping(kaniko)) = take(build, "kaniko") else {
            return Ok(());
        };
        let artifact_part = subset(&kaniko, &["flags", "buildContext", "image", "cache"]);
        let cluster = subset(
            &kaniko,
            &[
                "pullSecret",
                "pullSecretName",
                "namespace",
                "timeout",
                "dockerConfig",
            ],
        );
        for (_, artifact) in seq_maps_mut(build, "artifacts") {
            set(artifact, "kaniko", Value::Mapping(artifact_part.clone()));
        }
        super::util::insert_at(build, index, "cluster", Value::Mapping(cluster));
        Ok(())
    })
}

/// v1beta8 → v1beta9. The generic `plugin` of an artifact and `executionEnvironment` of the
/// build become the typed sections: plugin `bazel`/`docker` → `bazel`/`docker` (from its
/// `properties`), execution environment `googleCloudBuild`/`local` → `googleCloudBuild`/`local`.
/// Other plugin or environment names are dropped.
pub(crate) fn v1beta8(ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    const BAZEL: &[&str] = &["target", "args"];
    const DOCKER: &[&str] = &["dockerfile", "target", "buildArgs", "cacheFrom"];
    const GCB: &[&str] = &[
        "projectId",
        "diskSizeGb",
        "machineType",
        "timeout",
        "dockerImage",
        "mavenImage",
        "gradleImage",
    ];
    const LOCAL: &[&str] = &["push", "useDockerCLI", "useBuildkit"];

    fn properties(section: &Mapping, keep: &[&str]) -> Value {
        Value::Mapping(
            map_ref(section, "properties")
                .map(|p| subset(p, keep))
                .unwrap_or_default(),
        )
    }

    for_each_pipeline(doc, |pipeline, prefix| {
        for_each_artifact(pipeline, prefix, |artifact, path| {
            let Some(index) = super::util::position(artifact, "plugin") else {
                return Ok(());
            };
            let Some(Value::Mapping(plugin)) = take(artifact, "plugin") else {
                return Ok(());
            };
            match str_of(&plugin, "name").unwrap_or_default() {
                "bazel" => {
                    super::util::insert_at(artifact, index, "bazel", properties(&plugin, BAZEL))
                }
                "docker" => {
                    super::util::insert_at(artifact, index, "docker", properties(&plugin, DOCKER))
                }
                other => ctx.warn(
                    format!("{path}.plugin"),
                    format!("builder plugin {other:?} has no equivalent and is dropped"),
                ),
            }
            Ok(())
        })?;
        let Some(build) = map_mut(pipeline, "build") else {
            return Ok(());
        };
        let Some(index) = super::util::position(build, "executionEnvironment") else {
            return Ok(());
        };
        let Some(Value::Mapping(env)) = take(build, "executionEnvironment") else {
            return Ok(());
        };
        match str_of(&env, "name").unwrap_or_default() {
            "googleCloudBuild" => {
                super::util::insert_at(build, index, "googleCloudBuild", properties(&env, GCB))
            }
            "local" => super::util::insert_at(build, index, "local", properties(&env, LOCAL)),
            other => ctx.warn(
                format!("{prefix}build.executionEnvironment"),
                format!("execution environment {other:?} has no equivalent and is dropped"),
            ),
        }
        Ok(())
    })
}

/// Sync patterns whose semantics did not change when v1beta10 stopped flattening the folder
/// structure: an optional folder prefix followed by a file name with at most one `*`.
static COMPATIBLE_SIMPLE_PATTERN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([^*]*/)?([^*/]*\*[^*/]*|[^*/]+)$").expect("valid regex"));

/// v1beta9 → v1beta10. The `sync` map (`"src glob": dest`) becomes `sync.manual`, a list of
/// `{src, dest, strip}` rules. Simple patterns keep their meaning through `strip`, `***`
/// becomes `**`; other patterns are kept as they are, with a warning that their meaning changed.
pub(crate) fn v1beta9(ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    let mut incompatible = Vec::new();
    let mut first_path = None;
    for_each_pipeline(doc, |pipeline, prefix| {
        for_each_artifact(pipeline, prefix, |artifact, path| {
            let Some(sync) = artifact.get_mut("sync") else {
                return Ok(());
            };
            let Value::Mapping(rules) = sync else {
                if sync.is_null() {
                    take(artifact, "sync");
                }
                return Ok(());
            };
            let mut manual = Vec::new();
            for (src, dest) in rules.iter() {
                let src = render_scalar(src);
                let dest = render_scalar(dest);
                let mut rule = Mapping::new();
                if let Some(caps) = COMPATIBLE_SIMPLE_PATTERN.captures(&src) {
                    let prefix = caps.get(1).map_or("", |m| m.as_str());
                    let (dest, strip) = simplify(&dest, prefix);
                    rule.insert(key("src"), string(src.clone()));
                    rule.insert(key("dest"), string(dest));
                    if !strip.is_empty() {
                        rule.insert(key("strip"), string(strip));
                    }
                } else if src.contains("***") {
                    let prefix = src.split("***").next().unwrap_or_default();
                    let (dest, strip) = simplify(&dest, prefix);
                    rule.insert(key("src"), string(src.replace("***", "**")));
                    rule.insert(key("dest"), string(dest));
                    if !strip.is_empty() {
                        rule.insert(key("strip"), string(strip));
                    }
                } else {
                    incompatible.push(src.clone());
                    first_path.get_or_insert_with(|| format!("{path}.sync"));
                    rule.insert(key("src"), string(src));
                    rule.insert(key("dest"), string(dest));
                }
                manual.push(Value::Mapping(rule));
            }
            let mut new = Mapping::new();
            if !manual.is_empty() {
                new.insert(key("manual"), Value::Sequence(manual));
            }
            *sync = Value::Mapping(new);
            Ok(())
        })
    })?;
    if !incompatible.is_empty() {
        ctx.warn(
            first_path.unwrap_or_default(),
            format!(
                "The semantics of sync has changed, the folder structure is no longer flattened \
                 but preserved (see https://skaffold.dev/docs/how-tos/filesync/). The likely \
                 impacted patterns in your skaffold yaml are: [{}]",
                incompatible.join(" ")
            ),
        );
    }
    Ok(())
}

/// Folds a sync rule's folder prefix into its destination where the destination already ends
/// with it (so `strip` is not needed); returns the new `(dest, strip)`.
fn simplify(dest: &str, strip: &str) -> (String, String) {
    if strip.is_empty() || strip == "/" || dest.is_empty() {
        return (dest.to_owned(), strip.to_owned());
    }
    let with_slash = if dest.ends_with('/') {
        dest.to_owned()
    } else {
        format!("{dest}/")
    };
    if with_slash.ends_with(strip) {
        let trimmed = strip.strip_prefix('/').unwrap_or(strip);
        let mut simple = with_slash
            .strip_suffix(trimmed)
            .unwrap_or(&with_slash)
            .to_owned();
        if simple.is_empty() {
            simple = ".".to_owned();
        }
        return (simple, String::new());
    }
    (dest.to_owned(), strip.to_owned())
}

/// v1beta13 → v1beta14. `jibMaven` and `jibGradle` merge into `jib` with a `type`: maven's
/// `module` becomes `project` and its `profile` becomes `--activate-profiles <profile>` in
/// `args`.
pub(crate) fn v1beta13(_ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    for_each_pipeline(doc, |pipeline, prefix| {
        for_each_artifact(pipeline, prefix, |artifact, _| {
            for (old_key, kind) in [("jibMaven", "maven"), ("jibGradle", "gradle")] {
                let Some(index) = super::util::position(artifact, old_key) else {
                    continue;
                };
                let Some(old) = take(artifact, old_key) else {
                    continue;
                };
                let Value::Mapping(old) = old else {
                    continue;
                };
                let project_key = if kind == "maven" { "module" } else { "project" };
                let mut jib = Mapping::new();
                if let Some(project) = old.get(project_key).filter(|v| !is_empty(v)) {
                    jib.insert(key("project"), project.clone());
                }
                let mut args = old
                    .get("args")
                    .and_then(Value::as_sequence)
                    .cloned()
                    .unwrap_or_default();
                if kind == "maven"
                    && let Some(profile) = old.get("profile").filter(|v| !is_empty(v))
                {
                    args.push(string("--activate-profiles"));
                    args.push(profile.clone());
                }
                if !args.is_empty() {
                    jib.insert(key("args"), Value::Sequence(args));
                }
                jib.insert(key("type"), string(kind));
                super::util::insert_at(artifact, index, "jib", Value::Mapping(jib));
            }
            Ok(())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::simplify;

    #[test]
    fn simplify_folds_matching_prefix_into_dest() {
        assert_eq!(simplify("app/src", "src/"), ("app/".into(), "".into()));
        assert_eq!(simplify("src/", "src/"), (".".into(), "".into()));
        assert_eq!(simplify("/app", "src/"), ("/app".into(), "src/".into()));
        assert_eq!(simplify(".", ""), (".".into(), "".into()));
        assert_eq!(simplify("", "src/"), ("".into(), "src/".into()));
        assert_eq!(simplify("/a/b/", "/"), ("/a/b/".into(), "/".into()));
    }
}
