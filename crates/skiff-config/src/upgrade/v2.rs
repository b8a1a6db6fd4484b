//! Structural steps of the v2 era: `skaffold/v2alpha1` … `skaffold/v2beta28`.

use serde_yaml_ng::{Mapping, Value};

use super::util::{
    for_each_artifact, for_each_helm_release, for_each_pipeline, insert_at, is_empty, is_true,
    map_mut, position, rename, set, str_of, strings, subset, take,
};
use super::{Ctx, UpgradeError};

/// v2alpha1 → v2alpha2. kaniko always builds from a local context now: the artifact's
/// `kaniko.buildContext.localDir.initImage` becomes `kaniko.initImage` and `buildContext` is
/// dropped (a `gcsBucket` context with it).
pub(crate) fn v2alpha1(ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    for_each_pipeline(doc, |pipeline, prefix| {
        for_each_artifact(pipeline, prefix, |artifact, path| {
            let Some(kaniko) = map_mut(artifact, "kaniko") else {
                return Ok(());
            };
            let Some(index) = position(kaniko, "buildContext") else {
                return Ok(());
            };
            let Some(context) = take(kaniko, "buildContext") else {
                return Ok(());
            };
            let init_image = context
                .get("localDir")
                .and_then(|l| l.get("initImage"))
                .filter(|v| !is_empty(v))
                .cloned();
            if let Some(init_image) = init_image {
                insert_at(kaniko, index, "initImage", init_image);
            }
            if context.get("gcsBucket").is_some_and(|v| !is_empty(v)) {
                ctx.warn(
                    format!("{path}.kaniko.buildContext.gcsBucket"),
                    "dropped: kaniko builds only from a local context in the next version",
                );
            }
            Ok(())
        })
    })
}

/// v2alpha2 → v2alpha3. `deploy.kustomize.path` becomes the list `deploy.kustomize.paths`;
/// `buildpack.forcePull` is dropped.
pub(crate) fn v2alpha2(ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    for_each_pipeline(doc, |pipeline, prefix| {
        for_each_artifact(pipeline, prefix, |artifact, path| {
            if let Some(buildpack) = map_mut(artifact, "buildpack")
                && take(buildpack, "forcePull").is_some()
            {
                ctx.warn(format!("{path}.buildpack.forcePull"), "dropped");
            }
            Ok(())
        })?;
        if let Some(kustomize) = map_mut(pipeline, "deploy").and_then(|d| map_mut(d, "kustomize"))
            && let Some(index) = position(kustomize, "path")
            && let Some(Value::String(p)) = take(kustomize, "path")
            && !p.is_empty()
        {
            insert_at(kustomize, index, "paths", strings([p]));
        }
        Ok(())
    })
}

/// v2beta3 → v2beta4. A helm release's `values` (image overrides) becomes
/// `artifactOverrides`.
pub(crate) fn v2beta3(_ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    for_each_pipeline(doc, |pipeline, prefix| {
        for_each_helm_release(pipeline, prefix, |release, _| {
            rename(release, "values", "artifactOverrides");
            if release.get("artifactOverrides").is_some_and(is_empty) {
                take(release, "artifactOverrides");
            }
            Ok(())
        })
    })
}

/// v2beta4 → v2beta5. `build.cluster.pullSecret` becomes `build.cluster.pullSecretPath`, and the
/// artifact type `buildpack` is renamed `buildpacks`.
pub(crate) fn v2beta4(_ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    for_each_pipeline(doc, |pipeline, prefix| {
        if let Some(cluster) = map_mut(pipeline, "build").and_then(|b| map_mut(b, "cluster")) {
            rename(cluster, "pullSecret", "pullSecretPath");
        }
        for_each_artifact(pipeline, prefix, |artifact, _| {
            rename(artifact, "buildpack", "buildpacks");
            Ok(())
        })
    })
}

/// v2beta7 → v2beta8. The kpt deployer's options were reorganised; the old `applyDir`,
/// `live.inventoryID`, `live.inventoryNamespace` and `live.apply.*` options have no place in the
/// new structure and are dropped.
pub(crate) fn v2beta7(ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    for_each_pipeline(doc, |pipeline, prefix| {
        let Some(kpt) = map_mut(pipeline, "deploy").and_then(|d| map_mut(d, "kpt")) else {
            return Ok(());
        };
        let mut dropped = Vec::new();
        if take(kpt, "applyDir").is_some() {
            dropped.push("applyDir".to_owned());
        }
        if let Some(live) = map_mut(kpt, "live") {
            for k in ["inventoryID", "inventoryNamespace"] {
                if take(live, k).is_some() {
                    dropped.push(format!("live.{k}"));
                }
            }
            if let Some(Value::Mapping(apply)) = take(live, "apply") {
                dropped.extend(
                    apply
                        .keys()
                        .map(|k| format!("live.apply.{}", k.as_str().unwrap_or_default())),
                );
            }
            if live.is_empty() {
                take(kpt, "live");
            }
        }
        for field in dropped {
            ctx.warn(
                format!("{prefix}deploy.kpt.{field}"),
                "dropped: the kpt deployer options were reorganised",
            );
        }
        Ok(())
    })
}

/// v2beta8 → v2beta9. `sync.auto: {}` becomes `sync.auto: true`; kaniko `flags` are dropped
/// (the next version has a typed field per kaniko flag instead).
pub(crate) fn v2beta8(ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    for_each_pipeline(doc, |pipeline, prefix| {
        for_each_artifact(pipeline, prefix, |artifact, path| {
            if let Some(sync) = map_mut(artifact, "sync") {
                match sync.get("auto") {
                    Some(Value::Null) => {
                        take(sync, "auto");
                    }
                    Some(_) => set(sync, "auto", Value::Bool(true)),
                    None => {}
                }
            }
            if let Some(kaniko) = map_mut(artifact, "kaniko")
                && let Some(flags) = take(kaniko, "flags")
                && !is_empty(&flags)
            {
                ctx.warn(
                    format!("{path}.kaniko.flags"),
                    "dropped: the next version has a field for each kaniko flag",
                );
            }
            Ok(())
        })
    })
}

/// v2beta12 → v2beta13. A helm release with `remote: true` names its chart in `remoteChart`
/// instead of `chartPath`; `remote` is dropped.
pub(crate) fn v2beta12(_ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    for_each_pipeline(doc, |pipeline, prefix| {
        for_each_helm_release(pipeline, prefix, |release, _| {
            let remote = is_true(release.get("remote"));
            take(release, "remote");
            if remote {
                match position(release, "chartPath") {
                    Some(index) => {
                        let chart = take(release, "chartPath").unwrap_or_default();
                        if !is_empty(&chart) {
                            insert_at(release, index, "remoteChart", chart);
                        }
                    }
                    None => {
                        take(release, "remoteChart");
                    }
                }
            }
            Ok(())
        })
    })
}

/// v2beta16 → v2beta17. A docker secret's destination (`secret.dst`) is no longer supported:
/// dropped with a warning.
pub(crate) fn v2beta16(ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    for_each_pipeline(doc, |pipeline, prefix| {
        for_each_artifact(pipeline, prefix, |artifact, path| {
            let image = str_of(artifact, "image").unwrap_or_default().to_owned();
            let Some(secret) = map_mut(artifact, "docker").and_then(|d| map_mut(d, "secret"))
            else {
                return Ok(());
            };
            if let Some(dst) = take(secret, "dst")
                && let Some(dst) = dst.as_str().filter(|d| !d.is_empty())
            {
                ctx.warn(
                    format!("{path}.docker.secret.dst"),
                    format!(
                        "Artifact {image:?}: Docker secret destination is no longer supported: \
                         {dst:?}"
                    ),
                );
            }
            Ok(())
        })
    })
}

/// v2beta22 → v2beta23. `docker.secret` becomes the list `docker.secrets` (one entry with the
/// secret's `id` and `src`).
pub(crate) fn v2beta22(_ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    for_each_pipeline(doc, |pipeline, prefix| {
        for_each_artifact(pipeline, prefix, |artifact, _| {
            let Some(docker) = map_mut(artifact, "docker") else {
                return Ok(());
            };
            let Some(index) = position(docker, "secret") else {
                return Ok(());
            };
            if let Some(Value::Mapping(secret)) = take(docker, "secret") {
                let entry = subset(&secret, &["id", "src"]);
                insert_at(
                    docker,
                    index,
                    "secrets",
                    Value::Sequence(vec![Value::Mapping(entry)]),
                );
            }
            Ok(())
        })
    })
}

/// v2beta27 → v2beta28. `ko.platforms` moves to the artifact-level `platforms`.
pub(crate) fn v2beta27(_ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    for_each_pipeline(doc, |pipeline, prefix| {
        for_each_artifact(pipeline, prefix, |artifact, _| {
            let Some(ko) = map_mut(artifact, "ko") else {
                return Ok(());
            };
            let Some(platforms) = take(ko, "platforms") else {
                return Ok(());
            };
            if !is_empty(&platforms) {
                set(artifact, "platforms", platforms);
            }
            Ok(())
        })
    })
}
