//! Upgrades every skaffold.yaml of the shared reference corpus (Skaffold's examples and
//! integration testdata) and checks the result: older files must upgrade the way `skaffold fix`
//! does (expected outputs in `tests/data/upgrade-corpus-expected.yaml`), end at
//! `skaffold/v4beta14` and use only keys of the v4beta14 JSON schema.
//!
//! The corpus and the schema live outside the repository (`../../../shared/reference` from this
//! crate). Where they are absent the tests print a note and pass, except under `CI=true`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value as Json;
use serde_yaml_ng::Value;
use skiff_config::upgrade::{self, LATEST_VERSION, UpgradeError};
use skiff_testenv::{files_under, reference_path};

/// The `.yaml` and `.yml` files under `dir`, sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = files_under(dir);
    files.retain(|path| path.extension().is_some_and(|e| e == "yaml" || e == "yml"));
    files
}

/// The YAML documents of a file that are Skaffold configs.
fn skaffold_docs(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml_ng::Deserializer::from_str(&text)
        .filter_map(|d| Value::deserialize(d).ok())
        .filter(|v| {
            v.get("apiVersion")
                .and_then(Value::as_str)
                .is_some_and(|a| a.starts_with("skaffold/"))
        })
        .collect()
}

/// Walks `doc` along the JSON schema and records every key the schema does not allow.
struct SchemaChecker {
    definitions: serde_json::Map<String, Json>,
    root: Json,
}

impl SchemaChecker {
    fn load(path: &Path) -> Self {
        let text = std::fs::read_to_string(path).unwrap();
        let mut root: Json = serde_json::from_str(&text).unwrap();
        let definitions = root
            .as_object_mut()
            .and_then(|o| o.remove("definitions"))
            .and_then(|d| d.as_object().cloned())
            .expect("schema has definitions");
        SchemaChecker { definitions, root }
    }

    fn resolve<'a>(&'a self, mut schema: &'a Json) -> &'a Json {
        while let Some(reference) = schema.get("$ref").and_then(Json::as_str) {
            let name = reference.rsplit('/').next().unwrap();
            schema = self
                .definitions
                .get(name)
                .unwrap_or_else(|| panic!("unknown schema definition {reference}"));
        }
        schema
    }

    /// The schema and its `anyOf`/`oneOf` alternatives, resolved.
    fn alternatives<'a>(&'a self, schema: &'a Json) -> Vec<&'a Json> {
        let schema = self.resolve(schema);
        let mut alts = vec![schema];
        for key in ["anyOf", "oneOf", "allOf"] {
            if let Some(list) = schema.get(key).and_then(Json::as_array) {
                for alt in list {
                    alts.extend(self.alternatives(alt));
                }
            }
        }
        alts
    }

    fn unknown_keys(&self, doc: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        self.walk(doc, &self.root, "", &mut errors);
        errors
    }

    fn walk(&self, doc: &Value, schema: &Json, path: &str, errors: &mut Vec<String>) {
        let alts = self.alternatives(schema);
        match doc {
            Value::Mapping(map) => {
                let closed = alts.iter().any(|a| {
                    a.get("properties").is_some()
                        || a.get("additionalProperties") == Some(&Json::Bool(false))
                });
                for (k, v) in map {
                    let k = match k {
                        Value::String(s) => s.clone(),
                        other => serde_yaml_ng::to_string(other).unwrap().trim().to_owned(),
                    };
                    let child = format!("{path}.{k}");
                    let property = alts.iter().find_map(|a| a.get("properties")?.get(&k));
                    let additional = alts
                        .iter()
                        .find_map(|a| a.get("additionalProperties").filter(|ap| ap.is_object()));
                    match (property, additional) {
                        (Some(p), _) | (None, Some(p)) => self.walk(v, p, &child, errors),
                        (None, None) if closed => errors.push(child),
                        (None, None) => {}
                    }
                }
            }
            Value::Sequence(items) => {
                if let Some(item_schema) = alts.iter().find_map(|a| a.get("items")) {
                    for (i, item) in items.iter().enumerate() {
                        self.walk(item, item_schema, &format!("{path}[{i}]"), errors);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Drops `false` booleans, which Skaffold's `omitempty` leaves out of its output and skiff keeps
/// when the input had them.
fn without_false(v: &Value) -> Value {
    match v {
        Value::Mapping(m) => Value::Mapping(
            m.iter()
                .filter(|(_, v)| !matches!(v, Value::Bool(false)))
                .map(|(k, v)| (k.clone(), without_false(v)))
                .collect(),
        ),
        Value::Sequence(s) => Value::Sequence(s.iter().map(without_false).collect()),
        other => other.clone(),
    }
}

#[test]
fn older_corpus_files_upgrade_like_skaffold_fix() {
    let (Some(corpus), Some(schema)) = (
        reference_path("skaffold-configs"),
        reference_path("schema-v4beta14.json"),
    ) else {
        return;
    };
    let checker = SchemaChecker::load(&schema);
    let expected_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/upgrade-corpus-expected.yaml"),
    )
    .unwrap();
    let expected: BTreeMap<String, Value> = serde_yaml_ng::from_str(&expected_text).unwrap();

    let files = yaml_files(&corpus);
    let mut seen = Vec::new();
    let mut failures = Vec::new();
    for file in &files {
        let rel = file
            .strip_prefix(&corpus)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        for doc in skaffold_docs(file) {
            let version = upgrade::api_version(&doc).unwrap().to_owned();
            if version == LATEST_VERSION {
                continue;
            }
            seen.push(rel.clone());
            let Some(want) = expected.get(&rel) else {
                failures.push(format!("{rel} ({version}): no expected output recorded"));
                continue;
            };
            let result = upgrade::to_latest(doc);
            if let Some(message) = want.get("error").and_then(Value::as_str) {
                match result {
                    Err(e) if e.to_string().contains(message) => {}
                    other => failures.push(format!(
                        "{rel}: expected the error {message:?}, got {other:?}"
                    )),
                }
                continue;
            }
            let up = match result {
                Ok(up) => up,
                Err(e) => {
                    failures.push(format!("{rel} ({version}): {e}"));
                    continue;
                }
            };
            if upgrade::api_version(&up).ok() != Some(LATEST_VERSION) {
                failures.push(format!("{rel}: apiVersion is not {LATEST_VERSION}"));
            }
            let unknown = checker.unknown_keys(&up);
            if !unknown.is_empty() {
                failures.push(format!(
                    "{rel}: keys not in the v4beta14 schema: {unknown:?}"
                ));
            }
            if without_false(&up) != without_false(want) {
                failures.push(format!(
                    "{rel} ({version}): differs from skaffold fix\n--- skiff:\n{}--- skaffold:\n{}",
                    serde_yaml_ng::to_string(&up).unwrap(),
                    serde_yaml_ng::to_string(want).unwrap()
                ));
            }
        }
    }
    for rel in expected.keys() {
        if !seen.contains(rel) {
            failures.push(format!(
                "{rel}: expected output recorded but no older config found"
            ));
        }
    }
    assert!(
        seen.len() >= 25,
        "only {} older configs found in {}",
        seen.len(),
        corpus.display()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("upgraded {} older corpus configs", seen.len());
}

/// Upstream v4beta14 files that use keys v4beta14 does not have (stale testdata that Skaffold's
/// strict parser rejects as well): `deploy.kustomize` went away in v3alpha1, `docker.secret` in
/// v2beta23.
const KNOWN_INVALID_LATEST: &[(&str, &[&str])] = &[
    (
        "examples/kustomize/skaffold-kustomize-args.yaml",
        &[".deploy.kustomize"],
    ),
    (
        "integration/testdata/build/secret/skaffold.yaml",
        &[".build.artifacts[0].docker.secret"],
    ),
];

#[test]
fn latest_corpus_files_are_returned_unchanged_and_match_the_schema() {
    let (Some(corpus), Some(schema)) = (
        reference_path("skaffold-configs"),
        reference_path("schema-v4beta14.json"),
    ) else {
        return;
    };
    let checker = SchemaChecker::load(&schema);
    let files = yaml_files(&corpus);
    let mut count = 0;
    let mut failures = Vec::new();
    for file in &files {
        for doc in skaffold_docs(file) {
            if upgrade::api_version(&doc).ok() != Some(LATEST_VERSION) {
                continue;
            }
            count += 1;
            let up = upgrade::to_latest(doc.clone()).unwrap();
            assert_eq!(up, doc, "{}", file.display());
            // Top-level keys starting with `.` only hold YAML anchors; Skaffold drops them.
            let mut checked = doc.clone();
            if let Some(m) = checked.as_mapping_mut() {
                m.retain(|k, _| !k.as_str().is_some_and(|k| k.starts_with('.')));
            }
            let unknown = checker.unknown_keys(&checked);
            let rel = file
                .strip_prefix(&corpus)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let known_invalid = KNOWN_INVALID_LATEST
                .iter()
                .find(|(path, _)| *path == rel)
                .map(|(_, keys)| *keys);
            match known_invalid {
                Some(keys) if unknown == keys => {}
                _ if unknown.is_empty() && known_invalid.is_none() => {}
                _ => failures.push(format!("{rel}: {unknown:?}")),
            }
        }
    }
    assert!(count >= 100, "only {count} v4beta14 configs found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_schema_checker_finds_unknown_keys() {
    let Some(schema) = reference_path("schema-v4beta14.json") else {
        return;
    };
    let checker = SchemaChecker::load(&schema);
    let doc: Value = serde_yaml_ng::from_str(
        "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n  - image: a\n    docker: {dockerfilePath: D}\n    sync: {manual: [{src: a, dest: b, bogus: 1}]}\ndeploy:\n  kubectl: {manifests: [a]}\n  helm: {releases: [{name: r, setValues: {any.key: v}}]}\nprofiles:\n- name: p\n  patches: [{op: add, path: /x, value: {anything: goes}}]\n  deploy: {kustomize: {}}\n",
    )
    .unwrap();
    assert_eq!(
        checker.unknown_keys(&doc),
        [
            ".build.artifacts[0].docker.dockerfilePath",
            ".build.artifacts[0].sync.manual[0].bogus",
            ".deploy.kubectl.manifests",
            ".profiles[0].deploy.kustomize",
        ]
    );
}

#[test]
fn errors_render_readably() {
    let err = upgrade::to_latest(serde_yaml_ng::from_str("kind: Config").unwrap()).unwrap_err();
    assert_eq!(err, UpgradeError::MissingApiVersion);
}
