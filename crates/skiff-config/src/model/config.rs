//! Top-level config pieces: metadata, `requires`, profile activation and patches.
//!
//! Generated from Skaffold's `v4beta14` Go structs and JSON schema, then edited by hand.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[allow(unused_imports)]
use super::*;

/// A `skaffold.yaml` document: one config of a possibly multi-document file.
///
/// The pipeline sections (`build`, `test`, `manifests`, `deploy`, `portForward`,
/// `resourceSelector`, `verify`, `customActions`) live in [`Pipeline`], the same type a
/// [`Profile`] carries, so applying a profile is replacing parts of one pipeline with another.
#[derive(Debug, Clone, Default, PartialEq, schemars::JsonSchema)]
#[schemars(rename_all = "camelCase", deny_unknown_fields)]
pub struct SkaffoldConfig {
    /// Version of the configuration (`skaffold/v4beta14` once loaded). Required.
    pub api_version: String,
    /// Always `Config`. Required.
    pub kind: String,
    /// Holds additional information about the config.
    #[schemars(default)]
    pub metadata: Metadata,
    /// Describes a list of other required configs for the current config.
    #[schemars(default)]
    pub requires: Vec<ConfigDependency>,
    /// The pipeline sections.
    #[schemars(flatten)]
    pub pipeline: Pipeline,
    /// *beta* can override be used to `build`, `test` or `deploy` configuration.
    #[schemars(default)]
    pub profiles: Vec<Profile>,
}

/// The sections of a config that describe what to do, shared by [`SkaffoldConfig`] and
/// [`Profile`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pipeline {
    /// Describes how images are built.
    #[serde(default, skip_serializing_if = "is_default")]
    pub build: BuildConfig,
    /// Describes how images are tested.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub test: Vec<TestCase>,
    /// Describes how the original manifests are hydrated, validated and transformed.
    #[serde(default, skip_serializing_if = "is_default")]
    pub manifests: RenderConfig,
    /// Describes how the manifests are deployed.
    #[serde(default, skip_serializing_if = "is_default")]
    pub deploy: DeployConfig,
    /// Describes user defined resources to port-forward.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub port_forward: Vec<PortForwardResource>,
    /// Describes user defined filters describing how skaffold should treat objects/fields during
    /// rendering.
    #[serde(default, skip_serializing_if = "is_default")]
    pub resource_selector: ResourceSelectorConfig,
    /// Describes how images are verified (via verification tests).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verify: Vec<VerifyTestCase>,
    /// Describes a list of all the custom actions that can be run (`skaffold exec`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_actions: Vec<Action>,
}

/// Generates the raw twin of a struct that embeds a [`Pipeline`] inline.
macro_rules! with_pipeline_raw {
    ($raw:ident { $($(#[serde($($ser:tt)*)])? $field:ident : $ty:ty,)* } { $($(#[serde($($aser:tt)*)])? $afield:ident : $aty:ty,)* }) => {
        #[derive(Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct $raw {
            $($(#[serde($($ser)*)])? $field: $ty,)*
            #[serde(default, skip_serializing_if = "is_default")]
            build: BuildConfig,
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            test: Vec<TestCase>,
            #[serde(default, skip_serializing_if = "is_default")]
            manifests: RenderConfig,
            #[serde(default, skip_serializing_if = "is_default")]
            deploy: DeployConfig,
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            port_forward: Vec<PortForwardResource>,
            #[serde(default, skip_serializing_if = "is_default")]
            resource_selector: ResourceSelectorConfig,
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            verify: Vec<VerifyTestCase>,
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            custom_actions: Vec<Action>,
            $($(#[serde($($aser)*)])? $afield: $aty,)*
        }

        impl $raw {
            fn take_pipeline(&mut self) -> Pipeline {
                Pipeline {
                    build: std::mem::take(&mut self.build),
                    test: std::mem::take(&mut self.test),
                    manifests: std::mem::take(&mut self.manifests),
                    deploy: std::mem::take(&mut self.deploy),
                    port_forward: std::mem::take(&mut self.port_forward),
                    resource_selector: std::mem::take(&mut self.resource_selector),
                    verify: std::mem::take(&mut self.verify),
                    custom_actions: std::mem::take(&mut self.custom_actions),
                }
            }
        }
    };
}

with_pipeline_raw!(SkaffoldConfigRaw {
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    api_version: String,
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    kind: String,
    #[serde(default, skip_serializing_if = "is_default")]
    metadata: Metadata,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    requires: Vec<ConfigDependency>,
} {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    profiles: Vec<Profile>,
});

impl Serialize for SkaffoldConfig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.pipeline.clone();
        SkaffoldConfigRaw {
            api_version: self.api_version.clone(),
            kind: self.kind.clone(),
            metadata: self.metadata.clone(),
            requires: self.requires.clone(),
            build: p.build,
            test: p.test,
            manifests: p.manifests,
            deploy: p.deploy,
            port_forward: p.port_forward,
            resource_selector: p.resource_selector,
            verify: p.verify,
            custom_actions: p.custom_actions,
            profiles: self.profiles.clone(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for SkaffoldConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut raw = SkaffoldConfigRaw::deserialize(d)?;
        let pipeline = raw.take_pipeline();
        Ok(SkaffoldConfig {
            api_version: raw.api_version,
            kind: raw.kind,
            metadata: raw.metadata,
            requires: raw.requires,
            pipeline,
            profiles: raw.profiles,
        })
    }
}

/// Profiles are used to override any `build`, `test` or `deploy` configuration.
#[derive(Debug, Clone, Default, PartialEq, schemars::JsonSchema)]
#[schemars(rename_all = "camelCase", deny_unknown_fields)]
pub struct Profile {
    /// A unique profile name. Required.
    pub name: String,
    /// Criteria by which a profile can be auto-activated. The profile is auto-activated if any
    /// one of the activations are triggered.
    #[schemars(default)]
    pub activation: Vec<Activation>,
    /// Requires all activations to be triggered for the profile to be auto-activated.
    #[schemars(default)]
    pub requires_all_activations: bool,
    /// Patches applied to the configuration. Patches use the JSON patch notation.
    #[schemars(default)]
    pub patches: Vec<JsonPatch>,
    /// Pipeline sections that replace the config's when the profile is active.
    #[schemars(flatten)]
    pub pipeline: Pipeline,
}

with_pipeline_raw!(ProfileRaw {
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    activation: Vec<Activation>,
    #[serde(default, skip_serializing_if = "is_false")]
    requires_all_activations: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    patches: Vec<JsonPatch>,
} {});

impl Serialize for Profile {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.pipeline.clone();
        ProfileRaw {
            name: self.name.clone(),
            activation: self.activation.clone(),
            requires_all_activations: self.requires_all_activations,
            patches: self.patches.clone(),
            build: p.build,
            test: p.test,
            manifests: p.manifests,
            deploy: p.deploy,
            port_forward: p.port_forward,
            resource_selector: p.resource_selector,
            verify: p.verify,
            custom_actions: p.custom_actions,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Profile {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut raw = ProfileRaw::deserialize(d)?;
        let pipeline = raw.take_pipeline();
        Ok(Profile {
            name: raw.name,
            activation: raw.activation,
            requires_all_activations: raw.requires_all_activations,
            patches: raw.patches,
            pipeline,
        })
    }
}

/// Holds an optional name of the project.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metadata {
    /// An identifier for the project.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// A map of labels identifying the project.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// A map of annotations providing additional metadata about the project.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

one_of_struct! {
    /// Describes a dependency on another skaffold configuration.
    pub struct ConfigDependency / ConfigDependencyRaw {
        /// Includes specific named configs within the file path. If empty, then all configs in the
        /// file are included.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub configs: Vec<String>,
    }
    one_of("paths")
    /// Where the required configs come from: a local path, a git repository, a Cloud Storage object
    /// or a Cloud Build repository. `None`: the current file.
    pub source: Option<ConfigSource> {
        path = "path" => Path(String),
        git = "git" => Git(GitInfo),
        google_cloud_storage = "googleCloudStorage" => GoogleCloudStorage(GoogleCloudStorageInfo),
        google_cloud_build_repo_v2 = "googleCloudBuildRepoV2" => GoogleCloudBuildRepoV2(GoogleCloudBuildRepoV2Info),
    }
    {
        /// Describes the list of profiles to activate when resolving the required configs. These
        /// profiles must exist in the imported config.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub active_profiles: Vec<ProfileDependency>,
    }
}

/// Where a `requires` entry finds its configs (one-of group `paths`).
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigSource {
    /// Describes the path to the file containing the required configs. (`path`)
    Path(String),
    /// Describes a remote git repository containing the required configs. (`git`)
    Git(GitInfo),
    /// Describes remote Google Cloud Storage objects containing the required configs.
    /// (`googleCloudStorage`)
    GoogleCloudStorage(GoogleCloudStorageInfo),
    /// Describes a [Google Cloud Build repository (2nd
    /// gen)](https://cloud.google.com/build/docs/repositories#repositories_2nd_gen) that points to
    /// a repo with the required configs. (`googleCloudBuildRepoV2`)
    GoogleCloudBuildRepoV2(GoogleCloudBuildRepoV2Info),
}

impl ConfigSource {
    /// The YAML key of this member.
    pub fn key(&self) -> &'static str {
        match self {
            ConfigSource::Path(_) => "path",
            ConfigSource::Git(_) => "git",
            ConfigSource::GoogleCloudStorage(_) => "googleCloudStorage",
            ConfigSource::GoogleCloudBuildRepoV2(_) => "googleCloudBuildRepoV2",
        }
    }
}

/// Contains information on the origin of skaffold configurations cloned from a git repository.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitInfo {
    /// Git repository the package should be cloned from.  e.g.
    /// `https://github.com/GoogleContainerTools/skaffold.git`. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub repo: String,
    /// Relative path from the repo root to the skaffold configuration file. eg.
    /// `getting-started/skaffold.yaml`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Git ref the package should be cloned from. eg. `master` or `main`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub r#ref: String,
    /// When set to `true` will reset the cached repository to the latest commit from remote on
    /// every run. To use the cached repository with uncommitted changes or unpushed commits, it
    /// needs to be set to `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<bool>,
}

/// Contains information on the origin of skaffold configurations copied from Google Cloud Storage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GoogleCloudStorageInfo {
    /// Google Cloud Storage objects to copy. e.g. `gs://my-bucket/dir1/dir2/*`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// Relative path from the source to the skaffold configuration file. e.g.
    /// `configs/skaffold.yaml`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// When set to `true` will reset the cached object to the latest remote version on every run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<bool>,
}

/// Contains information on the origin of skaffold configurations cloned from Google Cloud Build
/// repository (2nd gen).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GoogleCloudBuildRepoV2Info {
    /// ID of the GCP project where the repository is configured. Required.
    #[serde(
        rename = "projectID",
        deserialize_with = "crate::yaml::de::required_string"
    )]
    pub project_id: String,
    /// GCP region where the repository is configured. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub region: String,
    /// Name of the GCB repository connection associated with the repo. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub connection: String,
    /// Name of repository under the given connection. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub repo: String,
    /// Relative path from the repo root to the skaffold configuration file. eg.
    /// `getting-started/skaffold.yaml`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Git ref the repo should be cloned from. e.g. `master` or `main`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub r#ref: String,
    /// When set to `true` will reset the cached repository to the latest commit from remote on
    /// every run. To use the cached repository with uncommitted changes or unpushed commits, it
    /// needs to be set to `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<bool>,
}

/// Describes a mapping from referenced config profiles to the current config profiles. If the
/// current config is activated with a profile in this mapping then the dependency configs are also
/// activated with the corresponding mapped profiles.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProfileDependency {
    /// Describes name of the profile to activate in the dependency config. It should exist in the
    /// dependency config. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub name: String,
    /// Describes a list of profiles in the current config that when activated will also activate
    /// the named profile in the dependency config. If empty then the named profile is always
    /// activated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub activated_by: Vec<String>,
}

/// Criteria by which a profile is auto-activated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Activation {
    /// A `key=pattern` pair. The profile is auto-activated if an Environment Variable `key` matches
    /// the pattern.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub env: String,
    /// A Kubernetes context for which the profile is auto-activated.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kube_context: String,
    /// A Skaffold command for which the profile is auto-activated.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub command: String,
}

/// Patch to be applied by a profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JsonPatch {
    /// Operation carried by the patch: `add`, `remove`, `replace`, `move`, `copy` or `test`.
    /// Defaults to `replace`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub op: String,
    /// Position in the yaml where the operation takes place. For example, this targets the
    /// `dockerfile` of the first artifact built. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub path: String,
    /// Source position in the yaml, used for `copy` or `move` operations.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub from: String,
    /// Value to apply. Can be any portion of yaml.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub value: Option<YamlValue>,
}
