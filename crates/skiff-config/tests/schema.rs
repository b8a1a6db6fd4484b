//! The generated JSON schema of `skaffold/v4beta14` against real configs and Skaffold's own
//! schema:
//!
//! - every key of every `v4beta14` config of the shared corpus (Skaffold's examples and
//!   integration testdata, `../shared/reference/skaffold-configs/`) is a property the schema
//!   allows at that place;
//! - every property of Skaffold's published schema (`../shared/reference/schema-v4beta14.json`,
//!   read here only) reachable from `SkaffoldConfig` exists in ours at the same path.
//!
//! There is no JSON-schema validator among the dependencies, so the checks walk the schema's
//! structure (`$ref`, `allOf`/`anyOf`/`oneOf`, `properties`, `additionalProperties`, `items`).
//! Without the reference files the tests print a note and pass, except under `CI=true`.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::Value;
use skiff_config::schema::{SchemaError, json_schema};
use skiff_config::upgrade::LATEST_VERSION;
use skiff_config::{load_file, model::YamlValue};
use skiff_testenv::{files_under, reference_path};

/// A schema that allows anything.
static ANY: Value = Value::Bool(true);

/// `node` with a local `$ref` (`#/definitions/X` or `#/$defs/X`) followed, repeatedly.
fn deref<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    while let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        let pointer = reference.strip_prefix('#').expect("local $ref");
        node = root
            .pointer(pointer)
            .unwrap_or_else(|| panic!("dangling $ref {reference}"));
    }
    node
}

/// `node` and every schema it combines (`allOf`, `anyOf`, `oneOf`), each dereferenced.
fn branches<'a>(root: &'a Value, node: &'a Value) -> Vec<&'a Value> {
    let node = deref(root, node);
    let mut out = vec![node];
    for combinator in ["allOf", "anyOf", "oneOf"] {
        for member in node
            .get(combinator)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.extend(branches(root, member));
        }
    }
    out
}

/// Whether a (dereferenced) schema says nothing about an object's keys: `true`, `{}` or a bare
/// `{"type": "object"}` (free-form YAML).
fn free_form(node: &Value) -> bool {
    match node {
        Value::Bool(allowed) => *allowed,
        Value::Object(map) => {
            !map.contains_key("properties")
                && !map.contains_key("additionalProperties")
                && !map.contains_key("items")
                && !map.contains_key("allOf")
                && !map.contains_key("anyOf")
                && !map.contains_key("oneOf")
                && map.get("type").is_none_or(|t| t == "object")
        }
        _ => false,
    }
}

/// The schema of the value under `key` of an object described by `node`, if the key is allowed.
fn property<'a>(root: &'a Value, node: &'a Value, key: &str) -> Option<&'a Value> {
    let all = branches(root, node);
    if let Some(found) = all.iter().find_map(|b| b.get("properties")?.get(key)) {
        return Some(found);
    }
    for branch in &all {
        match branch.get("additionalProperties") {
            Some(Value::Bool(true)) => return Some(&ANY),
            Some(schema @ Value::Object(_)) => return Some(schema),
            _ => {}
        }
    }
    all.iter().any(|b| free_form(b)).then_some(&ANY)
}

/// The schema of the items of a list described by `node`.
fn items<'a>(root: &'a Value, node: &'a Value) -> Option<&'a Value> {
    let all = branches(root, node);
    all.iter()
        .find_map(|b| b.get("items"))
        .or_else(|| all.iter().any(|b| free_form(b)).then_some(&ANY))
}

/// The property names of an object described by `node` (empty for free-form objects).
fn property_names(root: &Value, node: &Value) -> BTreeSet<String> {
    branches(root, node)
        .iter()
        .filter_map(|b| b.get("properties").and_then(Value::as_object))
        .flat_map(|props| props.keys().cloned())
        .collect()
}

fn ours() -> Value {
    json_schema(LATEST_VERSION).expect("schema of the latest version")
}

/// Reports every key of `yaml` (at `path`) that `node` does not allow.
fn check_keys(
    root: &Value,
    node: &Value,
    yaml: &YamlValue,
    path: &str,
    problems: &mut Vec<String>,
) {
    match yaml {
        YamlValue::Mapping(map) => {
            for (key, value) in map {
                let key = match key {
                    YamlValue::String(s) => s.clone(),
                    other => serde_yaml_ng::to_string(other).unwrap().trim().to_string(),
                };
                let here = format!("{path}.{key}");
                match property(root, node, &key) {
                    Some(child) => check_keys(root, child, value, &here, problems),
                    None => problems.push(here),
                }
            }
        }
        YamlValue::Sequence(list) => {
            for (i, value) in list.iter().enumerate() {
                let here = format!("{path}[{i}]");
                match items(root, node) {
                    Some(child) => check_keys(root, child, value, &here, problems),
                    None => problems.push(format!("{here} (not a list in the schema)")),
                }
            }
        }
        YamlValue::Tagged(tagged) => check_keys(root, node, &tagged.value, path, problems),
        _ => {}
    }
}

#[test]
fn every_key_of_the_v4beta14_corpus_is_in_the_schema() {
    let Some(corpus) = reference_path("skaffold-configs") else {
        return;
    };
    let schema = ours();
    let (mut checked, mut problems) = (0, Vec::new());
    for file in files_under(&corpus) {
        if load_file(&file).is_err() {
            continue;
        }
        let rel = file.strip_prefix(&corpus).unwrap().display().to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, doc) in serde_yaml_ng::Deserializer::from_str(&text).enumerate() {
            let doc = YamlValue::deserialize(doc).expect("loaded, so valid YAML");
            if doc.get("apiVersion").and_then(YamlValue::as_str) != Some(LATEST_VERSION) {
                continue;
            }
            checked += 1;
            check_keys(&schema, &schema, &doc, &format!("{rel}#{n}"), &mut problems);
        }
    }
    assert!(
        checked > 50,
        "only {checked} v4beta14 documents in the corpus"
    );
    assert!(
        problems.is_empty(),
        "keys the schema does not allow:\n{}",
        problems.join("\n")
    );
}

/// Walks Skaffold's schema from `theirs` and ours from `mine` at the same `path`, reporting
/// every property of theirs that ours lacks. Each of their definitions is walked once.
fn compare(
    (their_root, theirs): (&Value, &Value),
    (our_root, mine): (&Value, &Value),
    path: &str,
    seen: &mut BTreeSet<String>,
    missing: &mut Vec<String>,
) {
    if let Some(reference) = theirs.get("$ref").and_then(Value::as_str)
        && !seen.insert(reference.to_string())
    {
        return;
    }
    for key in property_names(their_root, theirs) {
        let here = format!("{path}.{key}");
        let their_child = property(their_root, theirs, &key).expect("listed property");
        match property(our_root, mine, &key) {
            Some(our_child) => compare(
                (their_root, their_child),
                (our_root, our_child),
                &here,
                seen,
                missing,
            ),
            None => missing.push(here),
        }
    }
    let their_items = branches(their_root, theirs)
        .into_iter()
        .find_map(|b| b.get("items"));
    if let Some(their_items) = their_items {
        match items(our_root, mine) {
            Some(our_items) => compare(
                (their_root, their_items),
                (our_root, our_items),
                &format!("{path}[]"),
                seen,
                missing,
            ),
            None => missing.push(format!("{path}[] (a list upstream)")),
        }
    }
}

#[test]
fn every_upstream_property_is_in_the_schema() {
    let Some(file) = reference_path("schema-v4beta14.json") else {
        return;
    };
    let theirs: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let their_top = theirs
        .pointer("/definitions/SkaffoldConfig")
        .expect("SkaffoldConfig");
    let schema = ours();
    let (mut seen, mut missing) = (BTreeSet::new(), Vec::new());
    compare(
        (&theirs, their_top),
        (&schema, &schema),
        "",
        &mut seen,
        &mut missing,
    );
    assert!(
        seen.len() > 50,
        "walked only {} upstream definitions",
        seen.len()
    );
    assert!(
        missing.is_empty(),
        "upstream properties missing from the generated schema:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_schema_is_draft_07_with_closed_objects() {
    let schema = ours();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    let definitions = schema["definitions"].as_object().expect("definitions");
    for name in [
        "BuildConfig",
        "Artifact",
        "TagPolicy",
        "DeployConfig",
        "Profile",
    ] {
        assert!(definitions.contains_key(name), "no definition {name}");
    }
    let closed = |node: &Value| node["additionalProperties"] == Value::Bool(false);
    assert!(closed(&schema));
    for name in ["Artifact", "TagPolicy", "Profile", "KubectlDeploy"] {
        assert!(closed(&definitions[name]), "{name} accepts unknown keys");
    }
    assert!(
        property(&schema, &schema, "biuld").is_none(),
        "a misspelt key is allowed"
    );
    let artifact = &definitions["Artifact"];
    assert_eq!(
        artifact["description"],
        "Items that need to be built, along with the context in which they should be built."
    );
}

#[test]
fn only_the_latest_version_has_a_schema() {
    assert!(matches!(
        json_schema("skaffold/v2beta29"),
        Err(SchemaError::NotLatest { .. })
    ));
    assert!(matches!(
        json_schema("skaffold/v9"),
        Err(SchemaError::Unknown { .. })
    ));
}
