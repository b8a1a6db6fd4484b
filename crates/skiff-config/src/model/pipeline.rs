//! `test`, `portForward`, `resourceSelector`, `verify` and `customActions`.
//!
//! Generated from Skaffold's `v4beta14` Go structs and JSON schema, then edited by hand.

use serde::{Deserialize, Serialize};

#[allow(unused_imports)]
use super::*;

/// A list of tests to run on images that Skaffold builds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TestCase {
    /// Artifact on which to run those tests. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub image: String,
    /// Directory containing the test sources. Defaults to `.`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub context: String,
    /// The set of custom tests to run after an artifact is built.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom: Vec<CustomTest>,
    /// The [Container Structure
    /// Tests](https://github.com/GoogleContainerTools/container-structure-test) to run on that
    /// artifact.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub structure_tests: Vec<String>,
    /// Additional configuration arguments passed to `container-structure-test` binary.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub structure_tests_args: Vec<String>,
}

/// Describes the custom test command provided by the user. Custom tests are run after an image
/// build whenever build or test dependencies are changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomTest {
    /// Custom command to be executed. If the command exits with a non-zero return code, the test
    /// will be considered to have failed. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub command: String,
    /// Sets the wait time for skaffold for the command to complete. If unset or 0, Skaffold will
    /// wait until the command completes.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub timeout_seconds: i32,
    /// Additional test-specific file dependencies; changes to these files will re-run this test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<CustomTestDependencies>,
}

one_of_struct! {
    /// Used to specify dependencies for custom test command. `paths` should be specified for file
    /// watching to work as expected.
    pub struct CustomTestDependencies / CustomTestDependenciesRaw {
    }
    one_of("dependency")
    /// How the dependencies are found: a `command` or `paths` globs.
    pub source: Option<CustomTestDependencySource> {
        command = "command" => Command(String),
        paths = "paths" => Paths(Vec<String>),
    }
    {
        /// Specifies the paths that should be ignored by skaffold's file watcher. If a file exists
        /// in both `paths` and in `ignore`, it will be ignored, and will be excluded from both
        /// retest and file synchronization.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub ignore: Vec<String>,
    }
}

/// How a custom test finds its dependencies (one-of group `dependency`).
#[derive(Debug, Clone, PartialEq)]
pub enum CustomTestDependencySource {
    /// Represents a command that skaffold executes to obtain dependencies. The output of this
    /// command *must* be a valid JSON array. (`command`)
    Command(String),
    /// Locates the file dependencies for the command relative to workspace. Paths should be set to
    /// the file dependencies for this command, so that the skaffold file watcher knows when to
    /// retest and perform file synchronization. (`paths`)
    Paths(Vec<String>),
}

impl CustomTestDependencySource {
    /// The YAML key of this member.
    pub fn key(&self) -> &'static str {
        match self {
            CustomTestDependencySource::Command(_) => "command",
            CustomTestDependencySource::Paths(_) => "paths",
        }
    }
}

/// Describes a resource to port forward.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortForwardResource {
    /// Resource type that should be port forwarded. Acceptable resource types include kubernetes
    /// types: `Service`, `Pod` and Controller resource type that has a pod spec: `ReplicaSet`,
    /// `ReplicationController`, `Deployment`, `StatefulSet`, `DaemonSet`, `Job`, `CronJob`.
    #[serde(default, skip_serializing_if = "ResourceType::is_empty")]
    pub resource_type: ResourceType,
    /// Name of the Kubernetes resource or local container to port forward.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resource_name: String,
    /// Namespace of the resource to port forward. Does not apply to local containers.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Resource port that will be forwarded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<IntOrString>,
    /// Local address to bind to. Defaults to the loopback address 127.0.0.1.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub address: String,
    /// Local port to forward to. If the port is unavailable, Skaffold will choose a random open
    /// port to forward to.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub local_port: i32,
}

/// Which Kubernetes resources and fields Skaffold may transform while rendering: `allow` and
/// `deny` filters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceSelectorConfig {
    /// Configures an allowlist for transforming manifests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<ResourceFilter>,
    /// Configures an allowlist for transforming manifests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<ResourceFilter>,
}

/// Contains definition to filter which resource to transform.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceFilter {
    /// Compact format of a resource type. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub group_kind: String,
    /// An optional slice of JSON-path-like paths of where to rewrite images.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image: Vec<String>,
    /// An optional slice of JSON-path-like paths of where to add a labels block if missing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// An optional slice of JSON-path-like paths of where pod spec properties can be overwritten.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pod_spec: Vec<String>,
}

/// A verification test: a container run after deployment (`skaffold verify`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerifyTestCase {
    /// Name descriptor for the verify test. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub name: String,
    /// Indicates the max time (in seconds) that the verify test is allowed to run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i32>,
    /// Container information for the verify test. Required.
    pub container: VerifyContainer,
    /// Execution mode used to execute the verify test case.
    #[serde(default, skip_serializing_if = "is_default")]
    pub execution_mode: VerifyExecutionModeConfig,
}

/// The container a verification test or custom action runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerifyContainer {
    /// Name of the container. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub name: String,
    /// Container image name. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub image: String,
    /// Entrypoint array. Not executed within a shell.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Arguments to the entrypoint. The container image's CMD is used if this is not provided.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// List of environment variables to set in the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<VerifyEnvVar>,
}

/// Represents an environment variable present in a Container.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerifyEnvVar {
    /// Of the environment variable. Must be a C_IDENTIFIER. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub name: String,
    /// Of the environment variable.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
}

/// Contains all the configuration needed by the verify execution modes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerifyExecutionModeConfig {
    /// Uses the `docker` CLI to create verify test case containers on the host machine in Docker.
    /// This is the default execution mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalVerifier>,
    /// Uses the `kubectl` CLI to create veriy test case container in a kubernetes cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_cluster: Option<KubernetesClusterVerifier>,
}

/// Uses the `docker` CLI to create verify test case containers on the host machine in Docker.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocalVerifier {
    /// If true, will first check if the containers images exist locally before triggering a pull.
    /// Defaults to false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub use_local_images: bool,
}

/// Uses the `kubectl` CLI to create veriy test case container in a kubernetes cluster.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KubernetesClusterVerifier {
    /// Inline JSON override to use for the generated kubernetes Job. If this is non-empty, it is
    /// used to override the generated object.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub overrides: String,
    /// Path to the kubernetes Job manifest to use for the verify test This manifest will be
    /// deployed into the cluster with the Container information replaced by the information in the
    /// Container field.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub job_manifest_path: String,
}

/// Describes a user defined action defined by a list of container to execute.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Action {
    /// Unique name assigned to the action. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub name: String,
    /// Indicates if the action should be executed with a fail-fast strategy or not (fail-safe).
    /// Defaults to true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_fast: Option<bool>,
    /// Indicates the max time (in seconds) that the action is allowed to run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i32>,
    /// Describes the execution mode used to execute the custom action.
    #[serde(default, skip_serializing_if = "is_default")]
    pub execution_mode: ActionExecutionModeConfig,
    /// Containers list to execute as part of the custom action. Required.
    pub containers: Vec<VerifyContainer>,
}

/// Describes the configuration to use to execute an action.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActionExecutionModeConfig {
    /// Uses the `docker` CLI to create verify test case containers on the host machine in Docker.
    /// This is the default execution mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalVerifier>,
    /// Uses the `kubectl` CLI to create veriy test case container in a kubernetes cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_cluster: Option<KubernetesClusterVerifier>,
}
