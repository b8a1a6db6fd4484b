//! Image substitution: every image field in the manifests that names a built artifact gets the
//! artifact's full reference (Skaffold's `ReplaceImages`).
//!
//! - Fields: in transformable manifests (see [`TransformRules`]), every string under a key
//!   `image`, at any depth — containers, `initContainers` and `ephemeralContainers` of Pods and of
//!   every pod template (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, …), and of
//!   custom resources with `.*` image rules (Argo Workflows, Knative Services, Config Connector
//!   resources, …). Kinds with explicit image paths (Confluent, Strimzi, `resourceSelector`
//!   entries) have exactly those paths replaced, whatever their key.
//! - Matching: the image's name — `ko://` dropped, lower-cased, tag removed — must equal an
//!   artifact's `image` (also lower-cased). `app`, `app:latest` and `app:v1` all become the
//!   artifact's reference; an image pinned by digest (`app@sha256:…`, `app:v1@sha256:…`) is left
//!   alone, as is an image that no artifact names. Images that are not valid references are
//!   skipped (logged at debug level), except the placeholders of Skaffold v1's helm image
//!   strategies (`<artifact>:<artifact>` and `<artifact>/<artifact>:<artifact>`), which are
//!   replaced.
//! - `--default-repo` is already part of [`BuiltArtifact::tag`]; manifests keep naming the
//!   artifact by its `image` as written in skaffold.yaml.
//! - Artifacts no manifest uses are reported in [`ReplacedImages::unused`] (Skaffold logs
//!   `image [NAME] is not used by the current deployment` at debug level; so does skiff).
//!
//! [`DigestSource`] is the `--digest-source` flag: which references the artifacts carry.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use serde_yaml_ng::Value;
use skiff_config::reference::{
    ImageReference, ReferenceError, parse_reference, sanitize_image_name,
};
use skiff_proto::enums::StatusCode;

use crate::visit::{ANY_PATH, Field, FieldVisitor, TransformRules, walk};
use crate::{BuiltArtifact, ManifestList, RenderError};

/// The key whose values are image references.
const IMAGE_KEY: &str = "image";

/// What [`replace_images`] found, by artifact image name (lower-cased, in artifact order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplacedImages {
    /// Artifacts at least one manifest field was replaced with.
    pub used: Vec<String>,
    /// Artifacts no manifest uses.
    pub unused: Vec<String>,
}

/// Replaces the image fields of `list` that name one of `artifacts` with the artifact's
/// reference, following `rules`. Documents that are empty mappings are dropped. Fails with
/// `RENDER_REPLACE_IMAGE_ERR` if a document is not a mapping.
pub fn replace_images(
    list: &mut ManifestList,
    artifacts: &[BuiltArtifact],
    rules: &TransformRules,
) -> Result<ReplacedImages, RenderError> {
    let mut replacer = ImageReplacer::new(artifacts);
    walk(list, rules, &mut replacer).map_err(|reason| {
        RenderError::new(
            StatusCode::RenderReplaceImageErr,
            format!("replacing images in manifest: {reason}"),
        )
    })?;
    let mut report = ReplacedImages::default();
    for name in replacer.names {
        if replacer.found.contains(&name) {
            report.used.push(name);
        } else {
            tracing::debug!("image [{name}] is not used by the current deployment");
            report.unused.push(name);
        }
    }
    Ok(report)
}

/// Rewrites image fields that name an artifact.
struct ImageReplacer<'a> {
    /// Artifact names in artifact order, without duplicates.
    names: Vec<String>,
    /// Reference by artifact name (the last artifact of a name wins).
    tags: HashMap<String, &'a str>,
    /// Artifact names replaced so far.
    found: HashSet<String>,
}

impl<'a> ImageReplacer<'a> {
    fn new(artifacts: &'a [BuiltArtifact]) -> Self {
        let mut names = Vec::new();
        let mut tags = HashMap::new();
        for artifact in artifacts {
            let name = sanitize_image_name(&artifact.image_name);
            if tags.insert(name.clone(), artifact.tag.as_str()).is_none() {
                names.push(name);
            }
        }
        Self {
            names,
            tags,
            found: HashSet::new(),
        }
    }

    /// The artifact an image field names, if any.
    fn artifact_for(&self, image: &str) -> Option<String> {
        let parsed = match parse_reference(image) {
            Ok(parsed) => parsed,
            Err(err) => return self.helm_placeholder(image, &err),
        };
        if !parsed.digest.is_empty() {
            return None;
        }
        let name = self.explicit_registry_placeholder(parsed);
        self.tags.contains_key(&name).then_some(name)
    }

    /// Skaffold v1's `helm` (`<artifact>:<artifact>`) and `helm+explicitRegistry` with a
    /// qualified artifact name (`<artifact>/<artifact>:<artifact>`): not references, but the
    /// part after the only `:` names an artifact and starts the string.
    fn helm_placeholder(&self, image: &str, err: &ReferenceError) -> Option<String> {
        let parts: Vec<&str> = image.split(':').collect();
        match parts[..] {
            [_, artifact] if image.starts_with(artifact) => self
                .tags
                .contains_key(artifact)
                .then(|| artifact.to_string()),
            _ => {
                tracing::debug!("Couldn't parse image [{image}]: {err}");
                None
            }
        }
    }

    /// Skaffold v1's `helm+explicitRegistry` with an unqualified artifact name
    /// (`<artifact>/<artifact>:<artifact>` parses with domain and repo both `<artifact>`).
    fn explicit_registry_placeholder(&self, parsed: ImageReference) -> String {
        if !parsed.domain.is_empty()
            && parsed.domain == parsed.repo
            && self.tags.contains_key(&parsed.repo)
        {
            parsed.repo
        } else {
            parsed.base_name
        }
    }
}

impl FieldVisitor for ImageReplacer<'_> {
    fn visit(&mut self, field: &Field<'_, '_>, value: &mut Value) -> bool {
        if !image_allowed(field) {
            return true;
        }
        let Value::String(image) = value else {
            return true;
        };
        if let Some(name) = self.artifact_for(image) {
            *value = Value::String(self.tags[&name].to_string());
            self.found.insert(name);
        }
        false
    }
}

/// Whether `field` holds an image under its manifest's rules (Skaffold's
/// `ResourceSelectorImages.allowByNavpath`): a denied path never does; an allowlisted type's
/// `.*` covers every `image` key and other entries name exact paths; a Config Connector type
/// without an allowlist entry has every `image` key.
fn image_allowed(field: &Field<'_, '_>) -> bool {
    let Field { rules, path, key } = *field;
    if let Some(deny) = rules.deny
        && deny.image.iter().any(|p| p == ANY_PATH || p == path)
    {
        return false;
    }
    match rules.allow {
        Some(allow) => allow
            .image
            .iter()
            .any(|p| (p == ANY_PATH && key == IMAGE_KEY) || p == path),
        None => rules.config_connector && key == IMAGE_KEY,
    }
}

/// The `--digest-source` flag: where the image references put into manifests come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestSource {
    /// Resolve each tag's digest in the remote registry (`tag@sha256:…`); `render` skips the
    /// build. The default for remote clusters.
    Remote,
    /// Build, and use the references the build produced.
    Local,
    /// Use the computed tags as they are; `render` skips the build. The default for local
    /// clusters (kind, minikube, …).
    Tag,
    /// Build nothing and replace nothing: manifests keep the images they name.
    None,
}

impl DigestSource {
    /// Every value, in the order of [`DigestSource::VALUES`].
    pub const ALL: [Self; 4] = [Self::Remote, Self::Local, Self::Tag, Self::None];

    /// The flag's values, as spelled on the command line.
    pub const VALUES: [&'static str; 4] = ["remote", "local", "tag", "none"];

    /// The value in effect: `flag` if given, else `tag` for a local cluster and `remote`
    /// otherwise (Skaffold's `RunContext.DigestSource`).
    pub fn resolve(flag: Option<Self>, local_cluster: bool) -> Self {
        flag.unwrap_or(if local_cluster {
            Self::Tag
        } else {
            Self::Remote
        })
    }

    /// The flag value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Remote => "remote",
            Self::Local => "local",
            Self::Tag => "tag",
            Self::None => "none",
        }
    }

    /// Whether images are built: never with `none`; with `remote` and `tag` only outside
    /// `render` (where they only compute tags). `render_only` is true for `skiff render`.
    pub fn builds(self, render_only: bool) -> bool {
        match self {
            Self::None => false,
            Self::Remote | Self::Tag => !render_only,
            Self::Local => true,
        }
    }

    /// Whether artifacts are passed to [`replace_images`] at all (not with `none`).
    pub fn replaces_images(self) -> bool {
        self != Self::None
    }

    /// Whether each artifact's tag must be resolved to `tag@digest` in the remote registry
    /// before rendering (see [`skiff_config::reference::tag_with_digest`]); only `remote` in
    /// `render`.
    /// Skaffold fails with `failed to resolve the digest of TAG: does the image exist
    /// remotely?` when the lookup fails.
    pub fn resolves_remote_digest(self, render_only: bool) -> bool {
        self == Self::Remote && render_only
    }

    /// The line Skaffold prints (in yellow) when this value makes `render` skip the build.
    pub fn skipped_build_note(self, render_only: bool) -> Option<&'static str> {
        match (self, render_only) {
            (Self::Remote, true) => Some("Skipping build phase since --digest-source=remote"),
            (Self::Tag, true) => Some("Skipping build phase since --digest-source=tag"),
            _ => None,
        }
    }

    /// The line Skaffold prints when `render` starts with `none`.
    pub fn render_note(self, render_only: bool) -> Option<&'static str> {
        (self == Self::None && render_only)
            .then_some("--digest-source set to 'none', tags listed in Kubernetes manifests will be used for render")
    }
}

impl fmt::Display for DigestSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `--digest-source` value that is not one of [`DigestSource::VALUES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid --digest-source {0:?}: must be one of remote, local, tag, none")]
pub struct UnknownDigestSource(pub String);

impl FromStr for DigestSource {
    type Err = UnknownDigestSource;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|value| value.as_str() == s)
            .ok_or_else(|| UnknownDigestSource(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use skiff_config::model::ResourceSelectorConfig;

    use super::*;
    use crate::testing::{assert_contains, assert_yaml, edited, manifests};

    const SHA: &str = "sha256:81daf011d63b68cfa514ddab7741a1adddd59d3264118dfb0fd9266328bb8883";

    /// The artifact `app`, built as `tag`.
    fn app(tag: &str) -> [BuiltArtifact; 1] {
        [BuiltArtifact::new("app", tag)]
    }

    /// A Pod whose one container runs `image` (YAML, quoted as needed).
    fn pod(image: &str) -> String {
        format!("apiVersion: v1\nkind: Pod\nspec:\n  containers: [{{image: {image}}}]\n")
    }

    /// Replaces the images of `text` under `rules`, asserts that the documents then read like
    /// `expected`, and returns the report.
    #[track_caller]
    fn check_with(
        rules: &TransformRules,
        text: &str,
        artifacts: &[BuiltArtifact],
        expected: &str,
    ) -> ReplacedImages {
        let mut list = manifests(text);
        let report = replace_images(&mut list, artifacts, rules).unwrap();
        assert_yaml(&list, expected);
        report
    }

    /// [`check_with`] Skaffold's default rules.
    #[track_caller]
    fn check(text: &str, artifacts: &[BuiltArtifact], expected: &str) -> ReplacedImages {
        check_with(&TransformRules::default(), text, artifacts, expected)
    }

    #[test]
    fn deployment_containers_by_name_with_or_without_tag_but_not_digest() {
        let input = format!(
            r#"
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  template:
    spec:
      containers:
      - {{name: plain, image: gcr.io/k8s-skaffold/example}}
      - {{name: latest, image: "gcr.io/k8s-skaffold/example:latest"}}
      - {{name: tagged, image: "gcr.io/k8s-skaffold/example:v1"}}
      - {{name: digest, image: "gcr.io/k8s-skaffold/example@{SHA}"}}
      - {{name: other, image: busybox}}
      - {{name: invalid, image: not valid}}
"#
        );
        let artifacts = [BuiltArtifact::new(
            "gcr.io/k8s-skaffold/example",
            "gcr.io/k8s-skaffold/example:TAG",
        )];
        let expected = edited(
            &input,
            &[
                (
                    "image: gcr.io/k8s-skaffold/example}",
                    "image: \"gcr.io/k8s-skaffold/example:TAG\"}",
                ),
                ("example:latest", "example:TAG"),
                ("example:v1", "example:TAG"),
            ],
        );
        let report = check(&input, &artifacts, &expected);
        assert_eq!(report.used, ["gcr.io/k8s-skaffold/example"]);
    }

    #[test]
    fn cronjob_init_containers_and_pod_ephemeral_containers() {
        let input = r#"
apiVersion: batch/v1
kind: CronJob
spec:
  jobTemplate:
    spec:
      template:
        spec:
          initContainers: [{name: init, image: app}]
          containers: [{name: main, image: app}]
---
apiVersion: v1
kind: Pod
spec:
  containers: [{name: main, image: app}]
  ephemeralContainers: [{name: debug, image: "app:dbg"}]
"#;
        let expected = edited(
            input,
            &[
                ("image: app}", "image: \"registry.local/app:abc\"}"),
                ("\"app:dbg\"", "\"registry.local/app:abc\""),
            ],
        );
        check(input, &app("registry.local/app:abc"), &expected);
    }

    #[test]
    fn default_repo_is_carried_by_the_artifact_reference() {
        let reference = format!("myregistry.io/team/app:v1@{SHA}");
        check(
            &pod("app"),
            &app(&reference),
            &pod(&format!("{reference:?}")),
        );
    }

    #[test]
    fn ko_prefix_and_case_are_ignored_when_matching() {
        let artifacts = [BuiltArtifact::new(
            "github.com/GoogleContainerTools/skaffold/cmd/skaffold",
            "gcr.io/k8s-skaffold/skaffold:TAG",
        )];
        let report = check(
            &pod("'ko://github.com/GoogleContainerTools/skaffold/cmd/skaffold'"),
            &artifacts,
            &pod("'gcr.io/k8s-skaffold/skaffold:TAG'"),
        );
        assert_eq!(
            report.used,
            ["github.com/googlecontainertools/skaffold/cmd/skaffold"]
        );
    }

    #[test]
    fn unlisted_kinds_and_lists_are_untouched() {
        let input = r#"
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  spec: {containers: [{image: app}]}
---
apiVersion: v1
kind: ConfigMap
data: {image: app}
---
apiVersion: example.com/v1
kind: Widget
spec: {image: app}
"#;
        let report = check(input, &app("app:TAG"), input);
        assert_eq!(
            report,
            ReplacedImages {
                used: vec![],
                unused: vec!["app".into()]
            }
        );
    }

    #[test]
    fn custom_resources_with_wildcard_rules_have_any_image_key_replaced() {
        let input = r#"
apiVersion: argoproj.io/v1alpha1
kind: Workflow
spec:
  templates:
  - name: step
    container: {image: app, args: [image]}
    script: {image: "app:old", source: echo}
"#;
        let expected = edited(
            input,
            &[
                ("{image: app,", "{image: \"app:new\","),
                ("\"app:old\"", "\"app:new\""),
            ],
        );
        check(input, &app("app:new"), &expected);
    }

    #[test]
    fn explicit_image_paths_replace_exactly_those_fields() {
        let input = r#"
apiVersion: platform.confluent.io/v1beta1
kind: Kafka
spec:
  image: {application: app, init: app}
  other: {image: app}
---
apiVersion: kafka.strimzi.io/v1beta2
kind: Kafka
spec:
  kafkaExporter: {image: app}
  cruiseControl: {image: app}
"#;
        let expected = edited(
            input,
            &[
                (
                    "{application: app, init: app}",
                    "{application: \"app:T\", init: \"app:T\"}",
                ),
                (
                    "kafkaExporter: {image: app}",
                    "kafkaExporter: {image: \"app:T\"}",
                ),
            ],
        );
        check(input, &app("app:T"), &expected);
    }

    #[test]
    fn config_connector_resources_and_selector_paths() {
        let input = r#"
apiVersion: storage.cnrm.cloud.google.com/v1beta1
kind: StorageBucket
metadata:
  labels: {image: app, other: app}
spec:
  template: {spec: {restartPolicy: app}}
"#;
        let expected = edited(input, &[("{image: app,", "{image: \"app:T\",")]);
        check(input, &app("app:T"), &expected);

        let selector: ResourceSelectorConfig = serde_yaml_ng::from_str(
            "allow:\n- groupKind: StorageBucket.storage.cnrm.cloud.google.com\n  image: [.spec.template.spec.restartPolicy]\n",
        )
        .unwrap();
        let rules = TransformRules::default().with_selector(&selector);
        let expected = edited(input, &[("restartPolicy: app", "restartPolicy: \"app:T\"")]);
        check_with(&rules, input, &app("app:T"), &expected);
    }

    #[test]
    fn deny_rules_remove_kinds_or_paths() {
        let selector: ResourceSelectorConfig = serde_yaml_ng::from_str(
            r#"
deny:
- groupKind: Pod
  image: [.spec.initContainers.image]
- groupKind: StorageBucket.storage.cnrm.cloud.google.com
  image: [.metadata.labels.image]
"#,
        )
        .unwrap();
        let rules = TransformRules::default().with_selector(&selector);
        // A deny entry takes the kind off the allowlist: the Pod is not transformed at all.
        check_with(&rules, &pod("app"), &app("app:T"), &pod("app"));
        // Config Connector kinds stay transformable; only the denied path is kept.
        let bucket = r#"
apiVersion: storage.cnrm.cloud.google.com/v1beta1
kind: StorageBucket
metadata: {labels: {image: app}}
spec: {image: app}
"#;
        let expected = edited(
            bucket,
            &[("spec: {image: app}", "spec: {image: \"app:T\"}")],
        );
        check_with(&rules, bucket, &app("app:T"), &expected);
    }

    #[test]
    fn helm_v1_image_strategy_placeholders() {
        let input = r#"
apiVersion: v1
kind: Pod
spec:
  containers:
  - image: "gcr.io/x/app:gcr.io/x/app"
  - image: "gcr.io/x/app/gcr.io/x/app:gcr.io/x/app"
  - image: "short/short:short"
  - image: "other:gcr.io/x/app"
"#;
        let artifacts = [
            BuiltArtifact::new("gcr.io/x/app", "gcr.io/x/app:T"),
            BuiltArtifact::new("short", "short:T"),
        ];
        let expected = edited(
            input,
            &[
                ("\"gcr.io/x/app:gcr.io/x/app\"", "\"gcr.io/x/app:T\""),
                (
                    "\"gcr.io/x/app/gcr.io/x/app:gcr.io/x/app\"",
                    "\"gcr.io/x/app:T\"",
                ),
                ("\"short/short:short\"", "\"short:T\""),
            ],
        );
        check(input, &artifacts, &expected);
    }

    #[test]
    fn non_string_images_are_descended_into_and_documents_must_be_mappings() {
        let input = "apiVersion: v1\nkind: Pod\nspec:\n  image: [app]\n  x: {image: {nested: {image: app}}}\n";
        let expected = edited(
            input,
            &[("{nested: {image: app}}", "{nested: {image: \"app:T\"}}")],
        );
        check(input, &app("app:T"), &expected);

        let mut list = manifests("just a string");
        let err = replace_images(&mut list, &[], &TransformRules::default()).unwrap_err();
        assert_eq!(err.code, StatusCode::RenderReplaceImageErr);
        assert_contains(&err.message, "document 1 is a string");
    }

    #[test]
    fn unused_artifacts_are_reported_once_in_order() {
        let artifacts = [("b", "b:1"), ("a", "a:1"), ("b", "b:2"), ("c", "c:1")]
            .map(|(name, tag)| BuiltArtifact::new(name, tag));
        let report = check(&pod("b"), &artifacts, &pod("'b:2'"));
        assert_eq!(
            report,
            ReplacedImages {
                used: vec!["b".into()],
                unused: vec!["a".into(), "c".into()]
            }
        );
    }

    #[test]
    fn digest_source_flag_and_defaults() {
        assert_eq!(
            DigestSource::ALL.map(DigestSource::as_str),
            DigestSource::VALUES
        );
        for value in DigestSource::VALUES {
            assert_eq!(value.parse::<DigestSource>().unwrap().as_str(), value);
        }
        let err = "digest".parse::<DigestSource>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid --digest-source \"digest\": must be one of remote, local, tag, none"
        );
        assert_eq!(DigestSource::resolve(None, true), DigestSource::Tag);
        assert_eq!(DigestSource::resolve(None, false), DigestSource::Remote);
        assert_eq!(
            DigestSource::resolve(Some(DigestSource::Local), true),
            DigestSource::Local
        );
    }

    #[test]
    fn digest_source_behaviour() {
        use DigestSource::*;
        let all = DigestSource::ALL;
        assert_eq!(all.map(|d| d.builds(true)), [false, true, false, false]);
        assert_eq!(all.map(|d| d.builds(false)), [true, true, true, false]);
        assert_eq!(
            all.map(DigestSource::replaces_images),
            [true, true, true, false]
        );
        assert!(Remote.resolves_remote_digest(true) && !Remote.resolves_remote_digest(false));
        assert_eq!(
            Tag.skipped_build_note(true),
            Some("Skipping build phase since --digest-source=tag")
        );
        assert_eq!(Tag.skipped_build_note(false), Option::None);
        assert!(
            None.render_note(true)
                .unwrap()
                .starts_with("--digest-source set to 'none'")
        );
    }
}
