//! The steps into Skaffold v2's schemas: `skaffold/v2beta29` → `skaffold/v3alpha1` (rendering
//! split from deploying: the `manifests` section) and `skaffold/v3` → `skaffold/v4beta1`.

use std::sync::LazyLock;

use regex::Regex;
use serde_yaml_ng::{Mapping, Value};

use super::util::{
    flatten, for_each_pipeline, insert_at, insert_before, is_empty, is_true, key, map_mut, map_ref,
    position, seq_maps_mut, set, str_of, string, take,
};
use super::{Ctx, UpgradeError};

/// The keys that follow `manifests` in a config or profile; a new `manifests` section is
/// inserted before the first of them.
const AFTER_MANIFESTS: &[&str] = &[
    "deploy",
    "portForward",
    "resourceSelector",
    "verify",
    "customActions",
    "profiles",
];

/// A profile patch that overrides a helm release's `artifactOverrides.image`.
static ARTIFACT_OVERRIDES_PATCH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new("/deploy/helm/releases/[0-9]+/artifactOverrides/image").expect("valid regex")
});

/// How the paths of profile patches move with the sections.
const PATCH_MIGRATIONS: &[(&str, &str)] = &[
    ("/deploy/kubectl/manifests", "/manifests/rawYaml"),
    ("/deploy/kustomize/paths", "/manifests/kustomize/paths"),
    (
        "/deploy/kustomize/buildArgs",
        "/manifests/kustomize/buildArgs",
    ),
    ("/deploy/helm", "/manifests/helm"),
];

/// v2beta29 → v3alpha1, the move to Skaffold v2's render/deploy split, for the main pipeline and
/// every profile:
/// - `deploy.kubectl.manifests` → `manifests.rawYaml`;
/// - `deploy.kustomize` → `manifests.kustomize` (`paths`, default `["."]`, and `buildArgs`), and
///   its `flags`, `defaultNamespace` and `hooks` merge into `deploy.kubectl` (conflicting
///   `defaultNamespace` or `disableValidation` values are an error);
/// - `deploy.kpt` is an error (Skaffold cannot convert it);
/// - `deploy.helm` is copied to `manifests.helm` (releases and flags) and stays in `deploy.helm`;
///   each release's `artifactOverrides` becomes `setValueTemplates` entries
///   (`{{.IMAGE_FULLY_QUALIFIED_x}}`, or with `imageStrategy.helm` the `.tag`/`.repository`
///   (`.registry`) split); `imageStrategy` is dropped;
/// - profile patches: paths into the moved sections are rewritten, patches of a helm release's
///   `artifactOverrides/image` become `setValueTemplates` patches, and patches of `deploy.helm`
///   are duplicated so that both copies of the helm section get them.
pub(crate) fn v2beta29(ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    let old_patches: Vec<Vec<Value>> = doc
        .get("profiles")
        .and_then(Value::as_sequence)
        .map(|profiles| {
            profiles
                .iter()
                .map(|p| {
                    p.get("patches")
                        .and_then(Value::as_sequence)
                        .cloned()
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default();
    let mut new_patches = old_patches.clone();

    let old_helm = helm_of(doc);
    upgrade_pipeline(ctx, doc, "")?;
    convert_artifact_overrides_patches(ctx, &old_patches, &mut new_patches, old_helm.as_ref())?;
    for (i, profile) in seq_maps_mut(doc, "profiles") {
        let old_helm = helm_of(profile);
        upgrade_pipeline(ctx, profile, &format!("profiles[{i}]."))?;
        convert_artifact_overrides_patches(ctx, &old_patches, &mut new_patches, old_helm.as_ref())?;
    }

    for (i, profile) in seq_maps_mut(doc, "profiles") {
        let (Some(olds), Some(news)) = (old_patches.get(i), new_patches.get(i)) else {
            continue;
        };
        if olds.is_empty() && news.is_empty() {
            continue;
        }
        let mut news = duplicate_helm_patches(news.clone());
        migrate_patch_paths(ctx, olds, &mut news, &format!("profiles[{i}]."));
        set(profile, "patches", Value::Sequence(news));
    }
    Ok(())
}

fn helm_of(pipeline: &Mapping) -> Option<Mapping> {
    map_ref(pipeline, "deploy")
        .and_then(|d| map_ref(d, "helm"))
        .cloned()
}

fn upgrade_pipeline(
    ctx: &mut Ctx<'_>,
    pipeline: &mut Mapping,
    prefix: &str,
) -> Result<(), UpgradeError> {
    let Some(deploy) = map_mut(pipeline, "deploy") else {
        return Ok(());
    };
    let mut render = Mapping::new();

    if let Some(kubectl) = map_mut(deploy, "kubectl")
        && let Some(manifests) = take(kubectl, "manifests")
        && !is_empty(&manifests)
    {
        render.insert(key("rawYaml"), manifests);
    }

    if let Some(index) = position(deploy, "kustomize")
        && let Some(Value::Mapping(kustomize)) = take(deploy, "kustomize")
    {
        let mut rendered = Mapping::new();
        let paths = kustomize
            .get("paths")
            .filter(|p| !is_empty(p))
            .cloned()
            .unwrap_or_else(|| Value::Sequence(vec![string(".")]));
        rendered.insert(key("paths"), paths);
        if let Some(args) = kustomize.get("buildArgs").filter(|a| !is_empty(a)) {
            rendered.insert(key("buildArgs"), args.clone());
        }
        render.insert(key("kustomize"), Value::Mapping(rendered));
        merge_kustomize_into_kubectl(ctx, deploy, &kustomize, index, prefix)?;
    }

    if deploy.get("kpt").is_some_and(|k| !k.is_null()) {
        return Err(ctx.unconvertible(
            format!("{prefix}deploy.kpt"),
            "converting deploy.kpt isn't currently supported",
        ));
    }

    if let Some(helm) = map_mut(deploy, "helm") {
        let releases: Vec<Value> = helm
            .get("releases")
            .and_then(Value::as_sequence)
            .map(|rs| {
                rs.iter()
                    .map(|r| match r.as_mapping() {
                        Some(r) => Value::Mapping(convert_release(r)),
                        None => r.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut rendered = Mapping::new();
        for (k, v) in helm.iter() {
            match k.as_str() {
                Some("releases") if !releases.is_empty() => {
                    rendered.insert(k.clone(), Value::Sequence(releases.clone()));
                }
                Some("flags") if !is_empty(v) => {
                    rendered.insert(k.clone(), v.clone());
                }
                _ => {}
            }
        }
        if helm.contains_key("releases") {
            set(helm, "releases", Value::Sequence(releases));
        }
        render.insert(key("helm"), Value::Mapping(rendered));
    }

    if !render.is_empty() {
        insert_before(
            pipeline,
            "manifests",
            Value::Mapping(render),
            AFTER_MANIFESTS,
        );
    }
    Ok(())
}

/// The kustomize deployer's `flags`, `defaultNamespace` and `hooks` move to the kubectl
/// deployer (created at the kustomize deployer's place when there is none).
fn merge_kustomize_into_kubectl(
    ctx: &mut Ctx<'_>,
    deploy: &mut Mapping,
    kustomize: &Mapping,
    index: usize,
    prefix: &str,
) -> Result<(), UpgradeError> {
    let from_kustomize = super::util::subset(kustomize, &["flags", "defaultNamespace", "hooks"]);
    let Some(kubectl) = map_mut(deploy, "kubectl") else {
        if deploy.contains_key("kubectl") {
            set(deploy, "kubectl", Value::Mapping(from_kustomize));
        } else {
            insert_at(deploy, index, "kubectl", Value::Mapping(from_kustomize));
        }
        return Ok(());
    };
    let ns_kubectl = kubectl.get("defaultNamespace").filter(|v| !v.is_null());
    let ns_kustomize = kustomize.get("defaultNamespace").filter(|v| !v.is_null());
    if let (Some(a), Some(b)) = (ns_kubectl, ns_kustomize)
        && a != b
    {
        return Err(ctx.unconvertible(
            format!("{prefix}deploy.kustomize.defaultNamespace"),
            "can't merge defaultNamespace property from kustomize into kubectl deployer, \
             property is already set with different value",
        ));
    }
    let flags_kubectl = map_ref(kubectl, "flags").cloned().unwrap_or_default();
    let flags_kustomize = map_ref(kustomize, "flags").cloned().unwrap_or_default();
    let disable_validation = is_true(flags_kustomize.get("disableValidation"));
    if is_true(flags_kubectl.get("disableValidation")) != disable_validation {
        return Err(ctx.unconvertible(
            format!("{prefix}deploy.kustomize.flags.disableValidation"),
            "can't merge disableValidation property from kustomize into kubectl deployer, \
             property is already set with different value",
        ));
    }
    if let Some(ns) = ns_kustomize {
        set(kubectl, "defaultNamespace", ns.clone());
    }

    let mut flags = Mapping::new();
    for list in ["global", "apply", "delete"] {
        let joined = concat(flags_kubectl.get(list), flags_kustomize.get(list));
        if !joined.is_empty() {
            flags.insert(key(list), Value::Sequence(joined));
        }
    }
    if disable_validation {
        flags.insert(key("disableValidation"), Value::Bool(true));
    }
    if flags.is_empty() {
        take(kubectl, "flags");
    } else {
        set(kubectl, "flags", Value::Mapping(flags));
    }

    let hooks_kubectl = map_ref(kubectl, "hooks").cloned().unwrap_or_default();
    let hooks_kustomize = map_ref(kustomize, "hooks").cloned().unwrap_or_default();
    let mut hooks = Mapping::new();
    for list in ["before", "after"] {
        let joined = concat(hooks_kubectl.get(list), hooks_kustomize.get(list));
        if !joined.is_empty() {
            hooks.insert(key(list), Value::Sequence(joined));
        }
    }
    if hooks.is_empty() {
        take(kubectl, "hooks");
    } else {
        set(kubectl, "hooks", Value::Mapping(hooks));
    }
    Ok(())
}

fn concat(a: Option<&Value>, b: Option<&Value>) -> Vec<Value> {
    let items = |v: Option<&Value>| v.and_then(Value::as_sequence).cloned().unwrap_or_default();
    let mut out = items(a);
    out.extend(items(b));
    out
}

/// Replaces the characters of an image name that Go templates do not allow in a name.
fn sanitize_template_value(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '.' | '-' | '/' | ':' => '_',
            c => c,
        })
        .collect()
}

/// The `setValueTemplates` entries that replace one `artifactOverrides` entry.
fn override_templates(
    key_path: &str,
    image: &str,
    convention: bool,
    explicit_registry: bool,
) -> Vec<(String, String)> {
    let v = sanitize_template_value(image);
    if !convention {
        return vec![(
            key_path.to_owned(),
            format!("{{{{.IMAGE_FULLY_QUALIFIED_{v}}}}}"),
        )];
    }
    let tag = (
        format!("{key_path}.tag"),
        format!("{{{{.IMAGE_TAG_{v}}}}}@{{{{.IMAGE_DIGEST_{v}}}}}"),
    );
    if explicit_registry {
        vec![
            tag,
            (
                format!("{key_path}.repository"),
                format!("{{{{.IMAGE_REPO_NO_DOMAIN_{v}}}}}"),
            ),
            (
                format!("{key_path}.registry"),
                format!("{{{{.IMAGE_DOMAIN_{v}}}}}"),
            ),
        ]
    } else {
        vec![
            tag,
            (
                format!("{key_path}.repository"),
                format!("{{{{.IMAGE_REPO_{v}}}}}"),
            ),
        ]
    }
}

/// A v3alpha1 helm release: `artifactOverrides` turned into `setValueTemplates`,
/// `imageStrategy` dropped.
fn convert_release(release: &Mapping) -> Mapping {
    let strategy = map_ref(release, "imageStrategy");
    let convention = strategy
        .and_then(|s| s.get("helm"))
        .filter(|h| !h.is_null());
    let explicit_registry = convention.is_some_and(|c| is_true(c.get("explicitRegistry")));
    let mut templates = map_ref(release, "setValueTemplates")
        .cloned()
        .unwrap_or_default();
    if let Some(overrides) = map_ref(release, "artifactOverrides") {
        for (k, image) in flatten(overrides) {
            for (tk, tv) in override_templates(&k, &image, convention.is_some(), explicit_registry)
            {
                set(&mut templates, &tk, string(tv));
            }
        }
    }
    let has_templates_key = release.contains_key("setValueTemplates");
    let mut placed = false;
    let mut out = Mapping::new();
    for (k, v) in release {
        match k.as_str() {
            Some("imageStrategy") => {}
            Some("artifactOverrides") => {
                if !has_templates_key && !templates.is_empty() {
                    out.insert(key("setValueTemplates"), Value::Mapping(templates.clone()));
                    placed = true;
                }
            }
            Some("setValueTemplates") => {
                if !templates.is_empty() {
                    out.insert(k.clone(), Value::Mapping(templates.clone()));
                }
                placed = true;
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if !placed && !templates.is_empty() {
        out.insert(key("setValueTemplates"), Value::Mapping(templates));
    }
    out
}

fn patch(op: Option<&Value>, path: String, from: Option<&Value>, value: String) -> Value {
    let mut p = Mapping::new();
    if let Some(op) = op.filter(|v| !is_empty(v)) {
        p.insert(key("op"), op.clone());
    }
    p.insert(key("path"), string(path));
    if let Some(from) = from.filter(|v| !is_empty(v)) {
        p.insert(key("from"), from.clone());
    }
    p.insert(key("value"), string(value));
    Value::Mapping(p)
}

/// Rewrites every profile's patches of `/deploy/helm/releases/N/artifactOverrides/image` into
/// `setValueTemplates` patches of `/manifests/helm/...`, using release N of the pipeline being
/// upgraded (Skaffold runs this once per pipeline that has a helm deployer).
fn convert_artifact_overrides_patches(
    ctx: &mut Ctx<'_>,
    old_patches: &[Vec<Value>],
    new_patches: &mut [Vec<Value>],
    old_helm: Option<&Mapping>,
) -> Result<(), UpgradeError> {
    for (k, olds) in old_patches.iter().enumerate() {
        for (i, old) in olds.iter().enumerate() {
            let path = old.get("path").and_then(Value::as_str).unwrap_or_default();
            if !ARTIFACT_OVERRIDES_PATCH.is_match(path) {
                continue;
            }
            let field = format!("profiles[{k}].patches[{i}]");
            let index_text = path.split('/').nth(4).unwrap_or_default();
            let index: usize = index_text.parse().map_err(|_| {
                ctx.unconvertible(
                    format!("{field}.path"),
                    format!(
                        "error converting helm artifactOverrides during version upgrade: \
                         release index {index_text:?} in {path:?} is not a number"
                    ),
                )
            })?;
            let new_path = path
                .replace("/deploy/helm", "/manifests/helm")
                .replace("artifactOverrides", "setValueTemplates");
            let Some(helm) = old_helm else {
                continue;
            };
            let Some(image) = old.get("value").and_then(Value::as_str) else {
                return Err(ctx.unconvertible(
                    format!("{field}.value"),
                    "error converting helm artifactOverrides during version upgrade: the value \
                     of an artifactOverrides image patch must be an image name",
                ));
            };
            let release = helm
                .get("releases")
                .and_then(Value::as_sequence)
                .and_then(|rs| rs.get(index))
                .and_then(Value::as_mapping)
                .ok_or_else(|| {
                    ctx.unconvertible(
                        format!("{field}.path"),
                        format!(
                            "error converting helm artifactOverrides during version upgrade: \
                             there is no helm release {index}"
                        ),
                    )
                })?;
            let convention = map_ref(release, "imageStrategy")
                .and_then(|s| s.get("helm"))
                .filter(|h| !h.is_null());
            let explicit_registry = convention.is_some_and(|c| is_true(c.get("explicitRegistry")));
            let current = new_patches[k][i].clone();
            let op = current.get("op");
            let from = current.get("from");
            let mut templates =
                override_templates(&new_path, image, convention.is_some(), explicit_registry);
            if convention.is_some() {
                // The `.tag` patch replaces the original; the others are appended, the
                // registry (if any) before the repository.
                let rest = templates.split_off(1);
                let (tag_path, tag_value) = templates.remove(0);
                new_patches[k][i] = patch(op, tag_path, from, tag_value);
                for (p, v) in rest.into_iter().rev() {
                    new_patches[k].push(patch(op, p, from, v));
                }
            } else if let Some((p, v)) = templates.into_iter().next() {
                let mut updated = current.as_mapping().cloned().unwrap_or_default();
                set(&mut updated, "value", string(v));
                set(&mut updated, "path", string(p));
                new_patches[k][i] = Value::Mapping(updated);
            }
        }
    }
    Ok(())
}

/// Appends a copy of every patch of `/deploy/helm` (other than its hooks): the original is
/// moved to `/manifests/helm` by [`migrate_patch_paths`], the copy keeps patching the deployer.
fn duplicate_helm_patches(mut patches: Vec<Value>) -> Vec<Value> {
    let duplicates: Vec<Value> = patches
        .iter()
        .filter(|p| {
            let path = p.get("path").and_then(Value::as_str).unwrap_or_default();
            path.contains("/deploy/helm") && !path.contains("/deploy/helm/hooks")
        })
        .cloned()
        .collect();
    patches.extend(duplicates);
    patches
}

/// Rewrites the paths of the original patches that point into a section that moved.
fn migrate_patch_paths(ctx: &mut Ctx<'_>, olds: &[Value], news: &mut [Value], prefix: &str) {
    for (i, old) in olds.iter().enumerate() {
        let path = old.get("path").and_then(Value::as_str).unwrap_or_default();
        if ARTIFACT_OVERRIDES_PATCH.is_match(path) || path.contains("/deploy/helm/hooks") {
            continue;
        }
        for (from, to) in PATCH_MIGRATIONS {
            if path.contains(from)
                && let Some(new) = news.get_mut(i).and_then(Value::as_mapping_mut)
            {
                set(new, "path", string(path.replace(from, to)));
            }
        }
        if path.contains("/deploy/kpt") {
            ctx.warn(
                format!("{prefix}patches[{i}].path"),
                "skip migrating kpt deploy sections. Please migrate these over manually",
            );
        }
    }
}

/// v3 → v4beta1. `deploy.kubectl.remoteManifests` (a list of names) moves to
/// `manifests.remoteManifests`, each entry `{manifest, kubeContext}` with the deploy's
/// `kubeContext`.
pub(crate) fn v3(_ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    for_each_pipeline(doc, |pipeline, _| {
        let Some(deploy) = map_mut(pipeline, "deploy") else {
            return Ok(());
        };
        let kube_context = str_of(deploy, "kubeContext")
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        let Some(kubectl) = map_mut(deploy, "kubectl") else {
            return Ok(());
        };
        let Some(remote) = take(kubectl, "remoteManifests") else {
            return Ok(());
        };
        let entries: Vec<Value> = remote
            .as_sequence()
            .into_iter()
            .flatten()
            .map(|m| {
                let mut entry = Mapping::new();
                if !is_empty(m) {
                    entry.insert(key("manifest"), m.clone());
                }
                if let Some(c) = &kube_context {
                    entry.insert(key("kubeContext"), string(c.clone()));
                }
                Value::Mapping(entry)
            })
            .collect();
        if entries.is_empty() {
            return Ok(());
        }
        if !matches!(pipeline.get("manifests"), Some(Value::Mapping(_))) {
            insert_before(
                pipeline,
                "manifests",
                Value::Mapping(Mapping::new()),
                AFTER_MANIFESTS,
            );
        }
        let manifests = map_mut(pipeline, "manifests").expect("just inserted");
        let mut all = manifests
            .get("remoteManifests")
            .and_then(Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        all.extend(entries);
        set(manifests, "remoteManifests", Value::Sequence(all));
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes_image_names_for_templates() {
        assert_eq!(
            sanitize_template_value("gcr.io/k8s-skaffold/app:v1"),
            "gcr_io_k8s_skaffold_app_v1"
        );
    }

    #[test]
    fn override_templates_forms() {
        assert_eq!(
            override_templates("image", "a-b", false, false),
            vec![("image".into(), "{{.IMAGE_FULLY_QUALIFIED_a_b}}".into())]
        );
        assert_eq!(
            override_templates("image", "a", true, false),
            vec![
                (
                    "image.tag".into(),
                    "{{.IMAGE_TAG_a}}@{{.IMAGE_DIGEST_a}}".into()
                ),
                ("image.repository".into(), "{{.IMAGE_REPO_a}}".into()),
            ]
        );
        assert_eq!(
            override_templates("image", "a", true, true),
            vec![
                (
                    "image.tag".into(),
                    "{{.IMAGE_TAG_a}}@{{.IMAGE_DIGEST_a}}".into()
                ),
                (
                    "image.repository".into(),
                    "{{.IMAGE_REPO_NO_DOMAIN_a}}".into()
                ),
                ("image.registry".into(), "{{.IMAGE_DOMAIN_a}}".into()),
            ]
        );
    }
}
