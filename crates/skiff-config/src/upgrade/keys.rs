//! The top-level and profile keys each schema version accepts. Skaffold reads every version
//! strictly, so a key its version does not have (say `manifests` in a `skaffold/v2beta29`
//! profile) makes it reject the file before any upgrade; this check does the same for the two
//! levels where such mix-ups happen. Deeper keys are checked by the loader against
//! `skaffold/v4beta14` after the upgrade.

use serde_yaml_ng::{Mapping, Value};

use super::{UpgradeError, util, version_index};

/// Each top-level key and the first version that has it.
const TOP_LEVEL: &[(&str, &str)] = &[
    ("apiVersion", "skaffold/v1alpha1"),
    ("kind", "skaffold/v1alpha1"),
    ("build", "skaffold/v1alpha1"),
    ("deploy", "skaffold/v1alpha1"),
    ("profiles", "skaffold/v1alpha2"),
    ("test", "skaffold/v1alpha4"),
    ("portForward", "skaffold/v1beta12"),
    ("metadata", "skaffold/v1beta13"),
    ("requires", "skaffold/v2beta11"),
    ("resourceSelector", "skaffold/v2beta28"),
    ("manifests", "skaffold/v3alpha1"),
    ("verify", "skaffold/v3alpha1"),
    ("customActions", "skaffold/v4beta5"),
];

/// Each profile key and the first version that has it.
const PROFILE: &[(&str, &str)] = &[
    ("name", "skaffold/v1alpha2"),
    ("build", "skaffold/v1alpha2"),
    ("deploy", "skaffold/v1alpha2"),
    ("test", "skaffold/v1alpha4"),
    ("patches", "skaffold/v1beta4"),
    ("activation", "skaffold/v1beta4"),
    ("portForward", "skaffold/v1beta12"),
    ("resourceSelector", "skaffold/v2beta28"),
    ("manifests", "skaffold/v3alpha1"),
    ("verify", "skaffold/v3alpha1"),
    ("requiresAllActivations", "skaffold/v3alpha1"),
    ("customActions", "skaffold/v4beta5"),
];

fn allowed(table: &[(&str, &str)], version_idx: usize, key: &str) -> bool {
    table.iter().any(|(k, since)| {
        *k == key && version_index(since).is_some_and(|since| since <= version_idx)
    })
}

/// Fails on the first top-level or profile key that `version` does not have.
pub(crate) fn check_known_keys(version: &str, doc: &Mapping) -> Result<(), UpgradeError> {
    let Some(idx) = version_index(version) else {
        return Ok(());
    };
    let unknown = |location: String, field: &Value| UpgradeError::UnknownField {
        version: version.to_owned(),
        location,
        field: util::render_scalar(field),
    };
    for k in doc.keys() {
        let known = k.as_str().is_some_and(|k| allowed(TOP_LEVEL, idx, k));
        if !known {
            return Err(unknown(String::new(), k));
        }
    }
    if let Some(profiles) = doc.get("profiles").and_then(Value::as_sequence) {
        for (i, profile) in profiles.iter().enumerate() {
            let Some(profile) = profile.as_mapping() else {
                continue;
            };
            for k in profile.keys() {
                let known = k.as_str().is_some_and(|k| allowed(PROFILE, idx, k));
                if !known {
                    let location = match util::str_of(profile, "name") {
                        Some(name) => format!("profiles[{i}] (name \"{name}\")"),
                        None => format!("profiles[{i}]"),
                    };
                    return Err(unknown(location, k));
                }
            }
        }
    }
    Ok(())
}
