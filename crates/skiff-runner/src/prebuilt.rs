//! Images built earlier, for the commands that do not build (`deploy`, `test`, `verify`,
//! `exec`): `-a/--build-artifacts` (the JSON `skiff build -q` prints), `-i/--images`, `-t/--tag`
//! and `-d/--default-repo`, merged as Skaffold merges them.

use skiff_build::builder::BuiltImage;
use skiff_build::tag::default_repo;
use skiff_build::tag::parse_reference;
use skiff_events::{Phase, errors};
use skiff_proto::enums::{StatusCode, SuggestionCode};

use crate::error::PipelineError;

/// Where the references of the images to use come from.
#[derive(Debug, Clone, Default)]
pub struct PrebuiltImages {
    /// From `-a/--build-artifacts` (takes precedence over `images`).
    pub from_file: Vec<BuiltImage>,
    /// From `-i/--images`.
    pub images: Vec<BuiltImage>,
    /// `-t/--tag`: replaces every tag.
    pub custom_tag: Option<String>,
    /// `-d/--default-repo`.
    pub default_repo: Option<String>,
}

fn usage_error(message: String) -> PipelineError {
    PipelineError::new(
        Phase::Deploy,
        errors::actionable(
            StatusCode::InitUnknown,
            message,
            [(
                SuggestionCode::Nil,
                "Build the images first, e.g. `skiff build --file-output=tags.json`, then pass \
                 `--build-artifacts=tags.json` (or `-i NAME=REFERENCE`)."
                    .to_owned(),
            )],
        ),
    )
}

/// Parses the JSON of `skiff build -q` / `--file-output`: `{"builds":[{"imageName","tag"}]}`.
pub fn parse_build_output(json: &str) -> Result<Vec<BuiltImage>, PipelineError> {
    #[derive(serde::Deserialize)]
    struct Output {
        #[serde(default)]
        builds: Vec<Build>,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Build {
        image_name: String,
        tag: String,
    }
    let output: Output = serde_json::from_str(json)
        .map_err(|e| usage_error(format!("reading --build-artifacts: {e}")))?;
    Ok(output
        .builds
        .into_iter()
        .map(|b| BuiltImage {
            image_name: b.image_name,
            reference: b.tag,
        })
        .collect())
}

/// Parses one `-i/--images` value: `NAME=REFERENCE`, or a reference whose name (without tag
/// and digest) is the image name.
pub fn parse_image_flag(value: &str) -> Result<BuiltImage, PipelineError> {
    if value.is_empty() {
        return Err(usage_error("cannot add an empty image value".into()));
    }
    let invalid = |e: &dyn std::fmt::Display| usage_error(format!("{value}: {e}"));
    if let Some((name, reference)) = value.split_once('=') {
        parse_reference(reference).map_err(|e| invalid(&e))?;
        return Ok(BuiltImage {
            image_name: name.to_owned(),
            reference: reference.to_owned(),
        });
    }
    let parsed = parse_reference(value).map_err(|e| invalid(&e))?;
    Ok(BuiltImage {
        image_name: parsed.base_name,
        reference: value.to_owned(),
    })
}

/// `previous` with each image replaced by the one of the same name in `newer`, then the images
/// of `newer` that `previous` lacks (Skaffold's `MergeWithPreviousBuilds`).
fn merge(newer: &[BuiltImage], previous: Vec<BuiltImage>) -> Vec<BuiltImage> {
    let mut merged: Vec<BuiltImage> = previous
        .into_iter()
        .map(|old| {
            newer
                .iter()
                .find(|n| n.image_name == old.image_name)
                .cloned()
                .unwrap_or(old)
        })
        .collect();
    for image in newer {
        if !merged.iter().any(|m| m.image_name == image.image_name) {
            merged.push(image.clone());
        }
    }
    merged
}

/// `reference` with its tag replaced by `tag` (Skaffold's `SetImageTag`).
fn with_tag(reference: &str, tag: &str) -> Result<String, PipelineError> {
    let parsed =
        parse_reference(reference).map_err(|e| usage_error(format!("{reference}: {e}")))?;
    let mut image = parsed.base_name;
    if !tag.is_empty() {
        image = format!("{image}:{tag}");
    }
    if !parsed.digest.is_empty() {
        image = format!("{image}@{}", parsed.digest);
    }
    Ok(image)
}

impl PrebuiltImages {
    /// The images to use for the artifacts named `artifact_names` (the configs' artifacts, or
    /// only the images a command needs): each takes its reference from the file, else from
    /// `-i`; images the flags name beyond those are kept. Every image must end up with a
    /// reference.
    pub fn resolve(&self, artifact_names: &[String]) -> Result<Vec<BuiltImage>, PipelineError> {
        let configured: Vec<BuiltImage> = artifact_names
            .iter()
            .map(|name| BuiltImage {
                image_name: name.clone(),
                reference: String::new(),
            })
            .collect();
        let merged = merge(&self.from_file, merge(&self.images, configured));
        let mut images = Vec::with_capacity(merged.len());
        for mut image in merged {
            if let Some(tag) = &self.custom_tag {
                image.reference = if image.reference.is_empty() {
                    format!("{}:{tag}", image.image_name)
                } else {
                    with_tag(&image.reference, tag)?
                };
            }
            if image.reference.is_empty() {
                return Err(usage_error(format!(
                    "no tag provided for image [{}]",
                    image.image_name
                )));
            }
            image.reference =
                default_repo::substitute(&image.reference, self.default_repo.as_deref());
            images.push(image);
        }
        Ok(images)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(name: &str, reference: impl Into<String>) -> BuiltImage {
        BuiltImage {
            image_name: name.into(),
            reference: reference.into(),
        }
    }

    #[test]
    fn build_output_json_is_read() {
        let images =
            parse_build_output(r#"{"builds":[{"imageName":"app","tag":"app:v1@sha256:abc"}]}"#)
                .unwrap();
        assert_eq!(images, [image("app", "app:v1@sha256:abc")]);
        assert!(parse_build_output("not json").is_err());
    }

    #[test]
    fn image_flags_name_the_image() {
        assert_eq!(
            parse_image_flag("app=reg.io/app:v2").unwrap(),
            image("app", "reg.io/app:v2")
        );
        assert_eq!(
            parse_image_flag("reg.io/app:v2").unwrap(),
            image("reg.io/app", "reg.io/app:v2")
        );
        assert!(parse_image_flag("").is_err());
        assert!(parse_image_flag("app=UPPER CASE").is_err());
    }

    #[test]
    fn the_file_beats_the_flag_and_every_image_needs_a_tag() {
        let prebuilt = PrebuiltImages {
            from_file: vec![image("a", "a:file")],
            images: vec![
                image("a", "a:flag"),
                image("b", "b:flag"),
                image("c", "c:flag"),
            ],
            ..Default::default()
        };
        let images = prebuilt.resolve(&["a".into(), "b".into()]).unwrap();
        assert_eq!(
            images,
            [
                image("a", "a:file"),
                image("b", "b:flag"),
                image("c", "c:flag")
            ]
        );

        let err = PrebuiltImages::default()
            .resolve(&["a".into()])
            .unwrap_err();
        assert_eq!(err.to_string(), "no tag provided for image [a]");
    }

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn custom_tag_and_default_repo_apply_to_every_image() {
        let prebuilt = PrebuiltImages {
            images: vec![image("b", format!("b:old@{DIGEST}"))],
            custom_tag: Some("v9".into()),
            default_repo: Some("registry.local:5000".into()),
            ..Default::default()
        };
        let images = prebuilt.resolve(&["a".into(), "b".into()]).unwrap();
        assert_eq!(
            images,
            [
                image("a", "registry.local:5000/a:v9"),
                image("b", format!("registry.local:5000/b:v9@{DIGEST}"))
            ]
        );
    }
}
