//! The `manifests` section: raw YAML, kustomize, helm, kpt, transformers, validators and render hooks.
//!
//! Generated from Skaffold's `v4beta14` Go structs and JSON schema, then edited by hand.

use serde::{Deserialize, Serialize};

#[allow(unused_imports)]
use super::*;

/// Contains all the configuration needed by the render steps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RenderConfig {
    /// Defines the raw kubernetes resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub raw_yaml: Vec<String>,
    /// Kubernetes manifests in remote clusters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remote_manifests: Vec<RemoteManifest>,
    /// Defines the paths to be modified with kustomize, along with extra flags to be passed to
    /// kustomize.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kustomize: Option<Kustomize>,
    /// Defines the helm charts used in the application. NOTE: Defines cherts in this section to
    /// render via helm but deployed via kubectl or kpt deployer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helm: Option<Helm>,
    /// Defines the kpt resources in the application.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kpt: Vec<String>,
    /// Describes a set of lifecycle hooks that are executed before and after every render.
    #[serde(default, skip_serializing_if = "is_default")]
    pub hooks: RenderHooks,
    /// Defines a set of transformation operations to run in series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform: Option<Vec<Transformer>>,
    /// Defines a set of validator operations to run in series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate: Option<Vec<Validator>>,
    /// Path to the hydrated directory.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub output: String,
}

/// Defines the paths to be modified with kustomize, along with extra flags to be passed to
/// kustomize.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemoteManifest {
    /// Specifies the Kubernetes manifest in the remote cluster.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub manifest: String,
    /// Kubernetes context that Skaffold should deploy to.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kube_context: String,
}

/// Defines the paths to be modified with kustomize, along with extra flags to be passed to
/// kustomize.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Kustomize {
    /// Path to Kustomization files. Defaults to `["."]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Additional args passed to `kustomize build`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub build_args: Vec<String>,
}

/// Defines the manifests from helm releases.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Helm {
    /// Additional option flags that are passed on the command line to `helm`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub flags: HelmDeployFlags,
    /// A list of Helm releases. Required.
    pub releases: Vec<HelmRelease>,
}

/// Describes the supported kpt transformers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Transformer {
    /// Transformer name. Can only accept skaffold whitelisted tools. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub name: String,
    /// Allows users to provide additional config data to the kpt function.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_map: Vec<String>,
}

/// Describes the supported kpt validators.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Validator {
    /// Validator name. Can only accept skaffold whitelisted tools. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub name: String,
    /// Allows users to provide additional config data to the kpt function.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_map: Vec<String>,
}

/// Describes the list of lifecycle hooks to execute before and after each render step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RenderHooks {
    /// Describes the list of lifecycle hooks to execute *before* each render step. Container hooks
    /// will only run if the container exists from a previous deployment step (for instance the
    /// successive iterations of a dev-loop during `skaffold dev`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<RenderHookItem>,
    /// Describes the list of lifecycle hooks to execute *after* each render step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<PostRenderHookItem>,
}

/// Describes a single lifecycle hook to execute before or after each deployer step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RenderHookItem {
    /// Describes a single lifecycle hook to run on the host machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<HostHook>,
}

/// Describes a single lifecycle hook to execute after each render step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PostRenderHookItem {
    /// Describes a single lifecycle hook to run on the host machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<PostRenderHostHook>,
}

/// Describes a post render hook definition to execute on the host machine.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PostRenderHostHook {
    /// Command to execute. Required.
    pub command: Vec<String>,
    /// An optional slice of operating system names. If the host machine OS is different, then it
    /// skips execution.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub os: Vec<String>,
    /// Specifies the working directory of the command. If empty, the command runs in the calling
    /// process's current directory.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dir: String,
    /// Preserves changes made on the manifests by the hook.
    #[serde(default, skip_serializing_if = "is_false")]
    pub with_change: bool,
}
