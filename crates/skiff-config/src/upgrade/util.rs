//! Small helpers over `serde_yaml_ng` values used by the upgrade steps. Every helper keeps the
//! order of the other keys of a mapping.

use serde_yaml_ng::{Mapping, Value};

use super::UpgradeError;

/// A string key.
pub(crate) fn key(k: &str) -> Value {
    Value::String(k.to_owned())
}

/// A string value.
pub(crate) fn string(s: impl Into<String>) -> Value {
    Value::String(s.into())
}

/// A sequence of strings.
pub(crate) fn strings<I, S>(items: I) -> Value
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    Value::Sequence(items.into_iter().map(|s| Value::String(s.into())).collect())
}

/// Sets `k` to `v`: in place when the key exists, at the end otherwise.
pub(crate) fn set(map: &mut Mapping, k: &str, v: Value) {
    if let Some(slot) = map.get_mut(k) {
        *slot = v;
    } else {
        map.insert(key(k), v);
    }
}

/// Removes `k`, keeping the order of the other keys.
pub(crate) fn take(map: &mut Mapping, k: &str) -> Option<Value> {
    map.shift_remove(k)
}

/// The position of `k` in the mapping.
pub(crate) fn position(map: &Mapping, k: &str) -> Option<usize> {
    map.keys().position(|x| x.as_str() == Some(k))
}

/// Inserts `k: v` at `index` (or replaces the value in place if `k` exists).
pub(crate) fn insert_at(map: &mut Mapping, index: usize, k: &str, v: Value) {
    if let Some(slot) = map.get_mut(k) {
        *slot = v;
        return;
    }
    let old = std::mem::take(map);
    let mut pending = Some(v);
    for (i, (ok, ov)) in old.into_iter().enumerate() {
        if i == index
            && let Some(v) = pending.take()
        {
            map.insert(key(k), v);
        }
        map.insert(ok, ov);
    }
    if let Some(v) = pending {
        map.insert(key(k), v);
    }
}

/// Inserts `k: v` before the first of `anchors` present in the mapping, or at the end. Replaces
/// the value in place if `k` already exists.
pub(crate) fn insert_before(map: &mut Mapping, k: &str, v: Value, anchors: &[&str]) {
    if map.contains_key(k) {
        set(map, k, v);
        return;
    }
    match anchors.iter().find_map(|a| position(map, a)) {
        Some(index) => insert_at(map, index, k, v),
        None => {
            map.insert(key(k), v);
        }
    }
}

/// Renames `from` to `to` in place. An existing `to` is overwritten (and moves to `from`'s
/// position).
pub(crate) fn rename(map: &mut Mapping, from: &str, to: &str) {
    if !map.contains_key(from) {
        return;
    }
    let old = std::mem::take(map);
    for (k, v) in old {
        if k.as_str() == Some(to) {
            continue;
        }
        if k.as_str() == Some(from) {
            map.insert(key(to), v);
        } else {
            map.insert(k, v);
        }
    }
}

/// The mapping under `k`, if it is one.
pub(crate) fn map_mut<'a>(map: &'a mut Mapping, k: &str) -> Option<&'a mut Mapping> {
    map.get_mut(k).and_then(Value::as_mapping_mut)
}

/// The mapping under `k`, if it is one.
pub(crate) fn map_ref<'a>(map: &'a Mapping, k: &str) -> Option<&'a Mapping> {
    map.get(k).and_then(Value::as_mapping)
}

/// The string under `k`, if it is one.
pub(crate) fn str_of<'a>(map: &'a Mapping, k: &str) -> Option<&'a str> {
    map.get(k).and_then(Value::as_str)
}

/// The mappings of the sequence under `k`, each with its index.
pub(crate) fn seq_maps_mut<'a>(
    map: &'a mut Mapping,
    k: &str,
) -> impl Iterator<Item = (usize, &'a mut Mapping)> {
    map.get_mut(k)
        .and_then(Value::as_sequence_mut)
        .into_iter()
        .flat_map(|s| s.iter_mut().enumerate())
        .filter_map(|(i, v)| v.as_mapping_mut().map(|m| (i, m)))
}

/// Whether a value counts as "not set" the way Go's `omitempty` sees it after a round trip
/// through the typed config: null, an empty string, an empty sequence or an empty mapping.
pub(crate) fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Sequence(s) => s.is_empty(),
        Value::Mapping(m) => m.is_empty(),
        _ => false,
    }
}

/// Whether a value is true (a YAML boolean).
pub(crate) fn is_true(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Bool(true)))
}

/// A scalar rendered the way Go's `fmt.Sprint` renders it.
pub(crate) fn render_scalar(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Tagged(t) => render_scalar(&t.value),
        Value::Sequence(_) | Value::Mapping(_) => serde_yaml_ng::to_string(v)
            .map(|s| s.trim_end().to_owned())
            .unwrap_or_default(),
    }
}

/// What kind of YAML node a value is, for messages.
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a sequence",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// A copy of `map` holding only the keys in `keep` (in `map`'s order).
pub(crate) fn subset(map: &Mapping, keep: &[&str]) -> Mapping {
    map.iter()
        .filter(|(k, _)| k.as_str().is_some_and(|k| keep.contains(&k)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Removes from `map` every key not in `keep`, returning the removed key names.
pub(crate) fn retain_keys(map: &mut Mapping, keep: &[&str]) -> Vec<String> {
    let mut dropped = Vec::new();
    map.retain(|k, _| {
        let kept = k.as_str().is_some_and(|k| keep.contains(&k));
        if !kept {
            dropped.push(render_scalar(k));
        }
        kept
    });
    dropped
}

/// A Go-style flattening of a nested mapping into dotted keys with string values (Skaffold's
/// `FlatMap`): `{a: {b: 1}, l: [x]}` becomes `a.b: "1"`, `l[0]: x`.
pub(crate) fn flatten(map: &Mapping) -> Vec<(String, String)> {
    fn item(out: &mut Vec<(String, String)>, k: String, v: &Value) {
        match v {
            Value::Mapping(m) => {
                for (ck, cv) in m {
                    item(out, format!("{k}.{}", render_scalar(ck)), cv);
                }
            }
            Value::Sequence(s) => {
                for (i, cv) in s.iter().enumerate() {
                    item(out, format!("{k}[{i}]"), cv);
                }
            }
            Value::Null => out.push((k, "<nil>".to_owned())),
            other => out.push((k, render_scalar(other))),
        }
    }
    let mut out = Vec::new();
    for (k, v) in map {
        item(&mut out, render_scalar(k), v);
    }
    out
}

/// Runs `f` on the main pipeline (the document itself) and then on each profile, with the
/// field-path prefix of each (`""`, `"profiles[0]."`, …).
pub(crate) fn for_each_pipeline(
    doc: &mut Mapping,
    mut f: impl FnMut(&mut Mapping, &str) -> Result<(), UpgradeError>,
) -> Result<(), UpgradeError> {
    f(doc, "")?;
    for (i, profile) in seq_maps_mut(doc, "profiles") {
        f(profile, &format!("profiles[{i}]."))?;
    }
    Ok(())
}

/// Runs `f` on every artifact of a pipeline's `build.artifacts`, with its field path.
pub(crate) fn for_each_artifact(
    pipeline: &mut Mapping,
    prefix: &str,
    mut f: impl FnMut(&mut Mapping, &str) -> Result<(), UpgradeError>,
) -> Result<(), UpgradeError> {
    if let Some(build) = map_mut(pipeline, "build") {
        for (i, artifact) in seq_maps_mut(build, "artifacts") {
            f(artifact, &format!("{prefix}build.artifacts[{i}]"))?;
        }
    }
    Ok(())
}

/// Runs `f` on every release of a pipeline's `deploy.helm.releases`, with its field path.
pub(crate) fn for_each_helm_release(
    pipeline: &mut Mapping,
    prefix: &str,
    mut f: impl FnMut(&mut Mapping, &str) -> Result<(), UpgradeError>,
) -> Result<(), UpgradeError> {
    if let Some(helm) = map_mut(pipeline, "deploy").and_then(|d| map_mut(d, "helm")) {
        for (i, release) in seq_maps_mut(helm, "releases") {
            f(release, &format!("{prefix}deploy.helm.releases[{i}]"))?;
        }
    }
    Ok(())
}

/// Parses YAML text into a value (used by tests).
#[cfg(test)]
pub(crate) fn yaml(text: &str) -> Value {
    serde_yaml_ng::from_str(text).expect("test YAML parses")
}
