//! Upgrading `skaffold.yaml` documents of any older `apiVersion` to `skaffold/v4beta14`, the way
//! `skaffold fix` does.
//!
//! Skaffold keeps one schema per version and converts a config one version at a time. Most of
//! those conversions only bump `apiVersion`; the others move, rename, merge or drop fields. This
//! module does the same on the untyped YAML document ([`serde_yaml_ng::Value`]): a table of
//! [`SUPPORTED_VERSIONS`], and a structural step for each version whose successor changed the
//! shape of the config (see [`STRUCTURAL_STEPS`]). Profiles are upgraded with the same logic as
//! the main pipeline.
//!
//! What Skaffold drops silently is dropped here too, but reported as an [`UpgradeWarning`] by
//! [`upgrade`]; what Skaffold refuses to convert is an [`UpgradeError::Unconvertible`].

mod keys;
mod util;
mod v1;
mod v2;
mod v3;
mod v4;

#[cfg(test)]
mod tests;

use serde_yaml_ng::{Mapping, Value};

/// The `apiVersion` every document is upgraded to.
pub const LATEST_VERSION: &str = "skaffold/v4beta14";

/// Every apiVersion this module reads, oldest first, ending with `skaffold/v4beta14`.
pub const SUPPORTED_VERSIONS: &[&str] = &[
    "skaffold/v1alpha1",
    "skaffold/v1alpha2",
    "skaffold/v1alpha3",
    "skaffold/v1alpha4",
    "skaffold/v1alpha5",
    "skaffold/v1beta1",
    "skaffold/v1beta2",
    "skaffold/v1beta3",
    "skaffold/v1beta4",
    "skaffold/v1beta5",
    "skaffold/v1beta6",
    "skaffold/v1beta7",
    "skaffold/v1beta8",
    "skaffold/v1beta9",
    "skaffold/v1beta10",
    "skaffold/v1beta11",
    "skaffold/v1beta12",
    "skaffold/v1beta13",
    "skaffold/v1beta14",
    "skaffold/v1beta15",
    "skaffold/v1beta16",
    "skaffold/v1beta17",
    "skaffold/v1",
    "skaffold/v2alpha1",
    "skaffold/v2alpha2",
    "skaffold/v2alpha3",
    "skaffold/v2alpha4",
    "skaffold/v2beta1",
    "skaffold/v2beta2",
    "skaffold/v2beta3",
    "skaffold/v2beta4",
    "skaffold/v2beta5",
    "skaffold/v2beta6",
    "skaffold/v2beta7",
    "skaffold/v2beta8",
    "skaffold/v2beta9",
    "skaffold/v2beta10",
    "skaffold/v2beta11",
    "skaffold/v2beta12",
    "skaffold/v2beta13",
    "skaffold/v2beta14",
    "skaffold/v2beta15",
    "skaffold/v2beta16",
    "skaffold/v2beta17",
    "skaffold/v2beta18",
    "skaffold/v2beta19",
    "skaffold/v2beta20",
    "skaffold/v2beta21",
    "skaffold/v2beta22",
    "skaffold/v2beta23",
    "skaffold/v2beta24",
    "skaffold/v2beta25",
    "skaffold/v2beta26",
    "skaffold/v2beta27",
    "skaffold/v2beta28",
    "skaffold/v2beta29",
    "skaffold/v3alpha1",
    "skaffold/v3",
    "skaffold/v4beta1",
    "skaffold/v4beta2",
    "skaffold/v4beta3",
    "skaffold/v4beta4",
    "skaffold/v4beta5",
    "skaffold/v4beta6",
    "skaffold/v4beta7",
    "skaffold/v4beta8",
    "skaffold/v4beta9",
    "skaffold/v4beta10",
    "skaffold/v4beta11",
    "skaffold/v4beta12",
    "skaffold/v4beta13",
    "skaffold/v4beta14",
];

/// A conversion from one schema version to the next, run on one document (a YAML mapping).
/// `apiVersion` is bumped by the driver afterwards.
pub(crate) type StepFn = fn(&mut Ctx<'_>, &mut Mapping) -> Result<(), UpgradeError>;

/// One structural step: the conversion from `from` to the version that follows it in
/// [`SUPPORTED_VERSIONS`]. Every other step is a pure `apiVersion` bump.
pub struct StructuralStep {
    /// The version this step reads.
    pub from: &'static str,
    /// What the step does, in a sentence.
    pub summary: &'static str,
    pub(crate) run: StepFn,
}

impl std::fmt::Debug for StructuralStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StructuralStep")
            .field("from", &self.from)
            .field("summary", &self.summary)
            .finish()
    }
}

/// The steps that change the shape of the config, oldest first.
pub const STRUCTURAL_STEPS: &[StructuralStep] = &[
    StructuralStep {
        from: "skaffold/v1alpha1",
        summary: "tagPolicy string becomes an object; artifact dockerfilePath/buildArgs move under \
                  docker; kubectl manifests[].paths are flattened (parameters dropped); only the \
                  fields v1alpha2 knows are kept",
        run: v1::v1alpha1,
    },
    StructuralStep {
        from: "skaffold/v1alpha2",
        summary: "helm valuesFilePath becomes valuesFiles; kaniko gcsBucket moves to \
                  buildContext.gcsBucket (dropped in profiles)",
        run: v1::v1alpha2,
    },
    StructuralStep {
        from: "skaffold/v1alpha3",
        summary: "imageName -> image, workspace -> context, docker.dockerfilePath -> \
                  docker.dockerfile, kustomize.kustomizePath -> kustomize.path, local.skipPush -> \
                  local.push (negated)",
        run: v1::v1alpha3,
    },
    StructuralStep {
        from: "skaffold/v1alpha5",
        summary: "build.acr is no longer supported: error",
        run: v1::v1alpha5,
    },
    StructuralStep {
        from: "skaffold/v1beta6",
        summary: "build.kaniko splits into build.cluster and a kaniko section on every artifact",
        run: v1::v1beta6,
    },
    StructuralStep {
        from: "skaffold/v1beta8",
        summary: "artifact plugin and build executionEnvironment become bazel/docker and \
                  googleCloudBuild/local",
        run: v1::v1beta8,
    },
    StructuralStep {
        from: "skaffold/v1beta9",
        summary: "sync map becomes sync.manual rules with strip",
        run: v1::v1beta9,
    },
    StructuralStep {
        from: "skaffold/v1beta13",
        summary: "jibMaven and jibGradle become jib with a type",
        run: v1::v1beta13,
    },
    StructuralStep {
        from: "skaffold/v2alpha1",
        summary: "kaniko buildContext.localDir.initImage becomes kaniko.initImage; buildContext \
                  dropped",
        run: v2::v2alpha1,
    },
    StructuralStep {
        from: "skaffold/v2alpha2",
        summary: "kustomize.path becomes kustomize.paths; buildpack.forcePull dropped",
        run: v2::v2alpha2,
    },
    StructuralStep {
        from: "skaffold/v2beta3",
        summary: "helm release values becomes artifactOverrides",
        run: v2::v2beta3,
    },
    StructuralStep {
        from: "skaffold/v2beta4",
        summary: "cluster.pullSecret becomes cluster.pullSecretPath; buildpack becomes buildpacks",
        run: v2::v2beta4,
    },
    StructuralStep {
        from: "skaffold/v2beta7",
        summary: "kpt applyDir, live.inventoryID/inventoryNamespace and live.apply options dropped",
        run: v2::v2beta7,
    },
    StructuralStep {
        from: "skaffold/v2beta8",
        summary: "sync.auto {} becomes sync.auto: true; kaniko flags dropped",
        run: v2::v2beta8,
    },
    StructuralStep {
        from: "skaffold/v2beta12",
        summary: "helm release remote: true turns chartPath into remoteChart",
        run: v2::v2beta12,
    },
    StructuralStep {
        from: "skaffold/v2beta16",
        summary: "docker secret dst dropped (with a warning)",
        run: v2::v2beta16,
    },
    StructuralStep {
        from: "skaffold/v2beta22",
        summary: "docker.secret becomes the docker.secrets list",
        run: v2::v2beta22,
    },
    StructuralStep {
        from: "skaffold/v2beta27",
        summary: "ko.platforms moves to the artifact's platforms",
        run: v2::v2beta27,
    },
    StructuralStep {
        from: "skaffold/v2beta29",
        summary: "kubectl manifests, kustomize and helm move to the manifests section (rawYaml, \
                  kustomize, helm); kustomize deploy merges into kubectl; helm artifactOverrides \
                  and imageStrategy become setValueTemplates; profile patches are rewritten; \
                  deploy.kpt is an error",
        run: v3::v2beta29,
    },
    StructuralStep {
        from: "skaffold/v3",
        summary: "deploy.kubectl.remoteManifests moves to manifests.remoteManifests",
        run: v3::v3,
    },
    StructuralStep {
        from: "skaffold/v4beta3",
        summary: "verify container keeps only name, image, command, args and env (name, value)",
        run: v4::v4beta3,
    },
    StructuralStep {
        from: "skaffold/v4beta4",
        summary: "kaniko noPush dropped",
        run: v4::v4beta4,
    },
    StructuralStep {
        from: "skaffold/v4beta7",
        summary: "deploy.kpt key `false` becomes `force`",
        run: v4::v4beta7,
    },
];

/// Why a document could not be upgraded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpgradeError {
    /// The document has no `apiVersion`.
    #[error(
        "missing apiVersion: a skaffold config must start with `apiVersion: skaffold/<version>`"
    )]
    MissingApiVersion,
    /// The document's (or the requested) `apiVersion` is not one this module reads.
    #[error("unsupported version \"{version}\": supported versions are {supported}")]
    UnknownVersion {
        /// The version found.
        version: String,
        /// Every supported version, in a readable form.
        supported: String,
    },
    /// The document is not a YAML mapping.
    #[error("a skaffold config must be a YAML mapping, found {found}")]
    NotAMapping {
        /// What was found instead (`a sequence`, `a string`, …).
        found: &'static str,
    },
    /// A key the document's own schema version does not have (Skaffold parses every version
    /// strictly and rejects such a file).
    #[error(
        "field \"{field}\" is not valid in {version}{}",
        location_suffix(location)
    )]
    UnknownField {
        /// The document's version.
        version: String,
        /// Where the key is (empty at the top level, `profiles[0] (name "dev")` in a profile).
        location: String,
        /// The unknown key.
        field: String,
    },
    /// A field an upgrade step cannot carry to the next version.
    #[error("cannot upgrade {version} config: {field}: {reason}")]
    Unconvertible {
        /// The version the failing step reads.
        version: String,
        /// The field, as a path such as `profiles[1].deploy.kpt`.
        field: String,
        /// Why.
        reason: String,
    },
    /// `to_version` was asked for a version older than the document's.
    #[error("config version \"{version}\" is more recent than target version \"{target}\"")]
    NewerThanTarget {
        /// The document's version.
        version: String,
        /// The requested target.
        target: String,
    },
}

fn location_suffix(location: &str) -> String {
    if location.is_empty() {
        String::new()
    } else {
        format!(" (at {location})")
    }
}

/// Something an upgrade step dropped or changed in a way the user may want to check. Skaffold
/// logs some of these as warnings and drops the others silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeWarning {
    /// The version the step reads.
    pub version: &'static str,
    /// The field, as a path such as `build.artifacts[0].kaniko.flags`.
    pub field: String,
    /// What happened.
    pub message: String,
}

impl std::fmt::Display for UpgradeWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} -> next: {}: {}",
            self.version, self.field, self.message
        )
    }
}

/// An upgraded document and what the upgrade dropped on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Upgraded {
    /// The document at the target version.
    pub doc: Value,
    /// The version the document had.
    pub from: &'static str,
    /// Warnings, in the order the steps produced them.
    pub warnings: Vec<UpgradeWarning>,
}

/// State shared by the steps of one upgrade.
pub(crate) struct Ctx<'a> {
    /// The version the running step reads.
    pub(crate) version: &'static str,
    /// The version the running step writes.
    pub(crate) next: &'static str,
    warnings: &'a mut Vec<UpgradeWarning>,
}

impl Ctx<'_> {
    pub(crate) fn warn(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(UpgradeWarning {
            version: self.version,
            field: field.into(),
            message: message.into(),
        });
    }

    pub(crate) fn unconvertible(
        &self,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> UpgradeError {
        UpgradeError::Unconvertible {
            version: self.version.to_owned(),
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Upgrades one parsed skaffold.yaml document of any supported apiVersion to skaffold/v4beta14.
/// Documents already at v4beta14 are returned unchanged.
pub fn to_latest(doc: Value) -> Result<Value, UpgradeError> {
    upgrade(doc, LATEST_VERSION).map(|u| u.doc)
}

/// Upgrades one document to `target` (for `skiff fix --version`). `target` must be a supported
/// version no older than the document's. A document already at `target` is returned unchanged.
pub fn to_version(doc: Value, target: &str) -> Result<Value, UpgradeError> {
    upgrade(doc, target).map(|u| u.doc)
}

/// Like [`to_latest`], also returning the warnings of the steps.
pub fn to_latest_with_warnings(doc: Value) -> Result<Upgraded, UpgradeError> {
    upgrade(doc, LATEST_VERSION)
}

/// Upgrades one document to `target`, returning it with the warnings of the steps.
pub fn upgrade(mut doc: Value, target: &str) -> Result<Upgraded, UpgradeError> {
    let target_idx = version_index(target).ok_or_else(|| unknown_version(target))?;
    let from = api_version(&doc)?;
    let from_idx = version_index(from).ok_or_else(|| unknown_version(from))?;
    let from = SUPPORTED_VERSIONS[from_idx];
    if from_idx > target_idx {
        return Err(UpgradeError::NewerThanTarget {
            version: from.to_owned(),
            target: target.to_owned(),
        });
    }
    let mut warnings = Vec::new();
    if from_idx == target_idx {
        return Ok(Upgraded {
            doc,
            from,
            warnings,
        });
    }
    // Skaffold resolves merge keys while parsing and drops top-level keys starting with `.`
    // (they only hold YAML anchors) before it reads the config.
    if doc.apply_merge().is_err() {
        // A malformed merge key: leave the document as it is; the loader reports it.
    }
    let map = doc
        .as_mapping_mut()
        .expect("api_version checked the mapping");
    map.retain(|k, _| !k.as_str().is_some_and(|k| k.starts_with('.')));
    keys::check_known_keys(from, map)?;
    for idx in from_idx..target_idx {
        let version = SUPPORTED_VERSIONS[idx];
        let next = SUPPORTED_VERSIONS[idx + 1];
        if let Some(step) = STRUCTURAL_STEPS.iter().find(|s| s.from == version) {
            let mut ctx = Ctx {
                version,
                next,
                warnings: &mut warnings,
            };
            (step.run)(&mut ctx, map)?;
        }
        util::set(map, "apiVersion", Value::String(next.to_owned()));
    }
    Ok(Upgraded {
        doc,
        from,
        warnings,
    })
}

/// The position of `version` in [`SUPPORTED_VERSIONS`].
pub fn version_index(version: &str) -> Option<usize> {
    SUPPORTED_VERSIONS.iter().position(|v| *v == version)
}

/// Whether `version` is one of [`SUPPORTED_VERSIONS`].
pub fn is_supported(version: &str) -> bool {
    version_index(version).is_some()
}

/// The `apiVersion` of a document.
pub fn api_version(doc: &Value) -> Result<&str, UpgradeError> {
    let map = doc.as_mapping().ok_or(UpgradeError::NotAMapping {
        found: util::kind_of(doc),
    })?;
    match map.get("apiVersion") {
        None | Some(Value::Null) => Err(UpgradeError::MissingApiVersion),
        Some(Value::String(s)) => Ok(s.as_str()),
        Some(other) => Err(unknown_version(&util::render_scalar(other))),
    }
}

fn unknown_version(version: &str) -> UpgradeError {
    UpgradeError::UnknownVersion {
        version: version.to_owned(),
        supported: supported_summary(),
    }
}

/// The supported versions as a short readable list of ranges:
/// `skaffold/v1alpha1…v1alpha5, skaffold/v1beta1…v1beta17, skaffold/v1, …`.
pub fn supported_summary() -> String {
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for v in SUPPORTED_VERSIONS {
        let short = v.trim_start_matches("skaffold/");
        let family = short
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .to_owned();
        // `v1`, `v3` are families of their own; `v1alpha…` and `v1beta…` group by prefix.
        let family = if family.ends_with("alpha") || family.ends_with("beta") {
            family
        } else {
            short.to_owned()
        };
        match groups.last_mut() {
            Some((f, members)) if *f == family => members.push(short),
            _ => groups.push((family, vec![short])),
        }
    }
    groups
        .iter()
        .map(|(_, members)| match members.as_slice() {
            [one] => format!("skaffold/{one}"),
            [first, .., last] => format!("skaffold/{first}…{last}"),
            [] => String::new(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
