//! The data `setValueTemplates` (and `valuesFiles` paths) are expanded with: the fields of every
//! built image, as Skaffold's helm `envVarForImage` computes them.
//!
//! For each artifact, in order, each field is available under three keys: the bare name for the
//! first artifact, the name with the artifact's position from the second on (`IMAGE_REPO2`,
//! `IMAGE_REPO3`, …), and the name with `_` and the artifact's image name, in which `.`, `-`, `/`
//! and `:` become `_` (`IMAGE_REPO_gcr_io_project_app`).
//!
//! | field | for `gcr.io/p/app:v1@sha256:abc…` |
//! |---|---|
//! | `IMAGE_NAME` | the artifact's image name as configured |
//! | `DIGEST`, `IMAGE_FULLY_QUALIFIED` | the whole reference |
//! | `IMAGE_REPO` | `gcr.io/p/app` |
//! | `IMAGE_TAG` | `v1` (empty without a tag) |
//! | `IMAGE_DIGEST` | `sha256:abc…` (empty without a digest) |
//! | `IMAGE_DOMAIN` | `gcr.io` (empty for a one-segment name) |
//! | `IMAGE_REPO_NO_DOMAIN` | `p/app` |
//! | `DIGEST_ALGO`, `DIGEST_HEX` | the reference split at its first `:` (deprecated, kept for compatibility) |
//!
//! A reference that does not parse only gets `IMAGE_NAME`, `DIGEST`, `DIGEST_ALGO`/`DIGEST_HEX`
//! and `IMAGE_FULLY_QUALIFIED`.

use std::collections::BTreeMap;

use skiff_config::reference::parse_reference;

use crate::BuiltArtifact;

/// The template data for all `artifacts`.
pub fn image_template_data(artifacts: &[BuiltArtifact]) -> BTreeMap<String, String> {
    let mut data = BTreeMap::new();
    for (idx, artifact) in artifacts.iter().enumerate() {
        let position = if idx == 0 {
            String::new()
        } else {
            (idx + 1).to_string()
        };
        let name_suffix = sanitize_helm_template_value(&artifact.image_name);
        for (field, value) in image_fields(&artifact.image_name, &artifact.tag) {
            data.insert(format!("{field}{position}"), value.clone());
            data.insert(format!("{field}_{name_suffix}"), value);
        }
    }
    data
}

/// Skaffold's `SanitizeHelmTemplateValue`: `.`, `-`, `/` and `:` become `_`, so an image name
/// can be part of a template key.
pub fn sanitize_helm_template_value(s: &str) -> String {
    s.replace(['.', '-', '/', ':'], "_")
}

/// The fields of one built image (`reference` is the full built reference).
fn image_fields(image_name: &str, reference: &str) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("IMAGE_NAME", image_name.to_string()),
        ("DIGEST", reference.to_string()),
    ];
    let parsed = parse_reference(reference).ok();
    if let Some(parsed) = &parsed {
        fields.extend([
            ("IMAGE_REPO", parsed.base_name.clone()),
            ("IMAGE_TAG", parsed.tag.clone()),
            ("IMAGE_DIGEST", parsed.digest.clone()),
        ]);
    }
    if reference.is_empty() {
        return fields;
    }
    match reference.split_once(':') {
        Some((algo, hex)) => fields.extend([
            ("DIGEST_ALGO", algo.to_string()),
            ("DIGEST_HEX", hex.to_string()),
        ]),
        None => fields.push(("DIGEST_HEX", reference.to_string())),
    }
    if let Some(parsed) = &parsed {
        let without_domain = parsed
            .base_name
            .strip_prefix(&format!("{}/", parsed.domain))
            .unwrap_or(&parsed.base_name);
        fields.extend([
            ("IMAGE_DOMAIN", parsed.domain.clone()),
            ("IMAGE_REPO_NO_DOMAIN", without_domain.to_string()),
        ]);
    }
    fields.push(("IMAGE_FULLY_QUALIFIED", reference.to_string()));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts that `data` has each `(key, value)` of `expected` and none of `absent`.
    #[track_caller]
    fn assert_fields(data: &BTreeMap<String, String>, expected: &[(&str, &str)], absent: &[&str]) {
        for (key, value) in expected {
            assert_eq!(data.get(*key).map(String::as_str), Some(*value), "{key}");
        }
        for key in absent {
            assert!(!data.contains_key(*key), "{key} should not be set");
        }
    }

    #[test]
    fn the_first_artifact_gets_bare_keys_and_later_ones_their_position() {
        let digest = format!("sha256:{}", "ab".repeat(32));
        let data = image_template_data(&[
            BuiltArtifact::new("gcr.io/p/app", "gcr.io/p/app:v1"),
            BuiltArtifact::new("worker", format!("localhost:5000/worker:v2@{digest}")),
        ]);
        let expected = [
            ("IMAGE_REPO", "gcr.io/p/app"),
            ("IMAGE_TAG", "v1"),
            ("IMAGE_DIGEST", ""),
            ("IMAGE_DOMAIN", "gcr.io"),
            ("IMAGE_REPO_NO_DOMAIN", "p/app"),
            ("IMAGE_REPO_gcr_io_p_app", "gcr.io/p/app"),
            ("IMAGE_FULLY_QUALIFIED", "gcr.io/p/app:v1"),
            ("IMAGE_NAME", "gcr.io/p/app"),
            ("DIGEST_ALGO", "gcr.io/p/app"),
            ("DIGEST_HEX", "v1"),
            ("IMAGE_REPO2", "localhost:5000/worker"),
            ("IMAGE_TAG2", "v2"),
            ("IMAGE_DIGEST2", digest.as_str()),
            ("IMAGE_DOMAIN_worker", "localhost:5000"),
            ("IMAGE_REPO_NO_DOMAIN_worker", "worker"),
        ];
        assert_fields(&data, &expected, &["IMAGE_REPO1"]);
    }

    #[test]
    fn a_single_segment_name_has_no_domain_and_unparsable_references_few_fields() {
        let data = image_template_data(&[BuiltArtifact::new("app", "app:1")]);
        assert_fields(
            &data,
            &[("IMAGE_DOMAIN", ""), ("IMAGE_REPO_NO_DOMAIN", "app")],
            &[],
        );
        let data = image_template_data(&[BuiltArtifact::new("bad", "Not A Ref")]);
        assert_fields(
            &data,
            &[("DIGEST", "Not A Ref")],
            &["IMAGE_REPO", "IMAGE_DOMAIN"],
        );
    }

    #[test]
    fn image_names_are_sanitized_for_template_keys() {
        assert_eq!(
            sanitize_helm_template_value("gcr.io/my-proj/app:x"),
            "gcr_io_my_proj_app_x"
        );
    }
}
