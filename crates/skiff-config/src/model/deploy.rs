//! The `deploy` section: docker, helm, kpt, kubectl and Cloud Run deployers, status check, logs, hooks.
//!
//! Generated from Skaffold's `v4beta14` Go structs and JSON schema, then edited by hand.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[allow(unused_imports)]
use super::*;

/// Contains all the configuration needed by the deploy steps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeployConfig {
    /// *alpha* uses the `docker` CLI to create application containers in Docker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker: Option<DockerDeploy>,
    /// *beta* uses the `helm` CLI to apply the charts to the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helm: Option<LegacyHelmDeploy>,
    /// *alpha* uses the `kpt` CLI to manage and deploy manifests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kpt: Option<KptDeploy>,
    /// *beta* uses a client side `kubectl apply` to deploy manifests. You'll need a `kubectl` CLI
    /// version installed that's compatible with your cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubectl: Option<KubectlDeploy>,
    /// *alpha* deploys to Google Cloud Run using the Cloud Run v1 API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudrun: Option<CloudRunDeploy>,
    /// *beta* enables waiting for deployments to stabilize.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_check: Option<bool>,
    /// *beta* deadline for deployments to stabilize in seconds.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub status_check_deadline_seconds: i32,
    /// Configures the Skaffold "status-check" to tolerate failures (flapping deployments, etc.)
    /// until the statusCheckDeadlineSeconds duration or k8s object timeouts such as
    /// progressDeadlineSeconds, etc.
    #[serde(default, skip_serializing_if = "is_false")]
    pub tolerate_failures_until_deadline: bool,
    /// Kubernetes context that Skaffold should deploy to.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kube_context: String,
    /// Configures how container logs are printed as a result of a deployment.
    #[serde(default, skip_serializing_if = "is_default")]
    pub logs: LogsConfig,
}

/// Uses the `docker` CLI to create application containers in Docker.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DockerDeploy {
    /// Tells skaffold whether or not to deploy using `docker-compose`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub use_compose: bool,
    /// Container images to run in Docker. Required.
    pub images: Vec<String>,
}

/// *beta* uses the `helm` CLI to apply the charts to the cluster.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LegacyHelmDeploy {
    /// How many packages can be installed concurrently. 0 means "no-limit". Defaults to `1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<i32>,
    /// A list of Helm releases.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub releases: Vec<HelmRelease>,
    /// Additional option flags that are passed on the command line to `helm`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub flags: HelmDeployFlags,
    /// Describes a set of lifecycle hooks that are executed before and after every deploy.
    #[serde(default, skip_serializing_if = "is_default")]
    pub hooks: DeployHooks,
}

/// Additional option flags that are passed on the command line to `helm`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HelmDeployFlags {
    /// Additional flags passed on every command.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub global: Vec<String>,
    /// Additional flags passed to (`helm install`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub install: Vec<String>,
    /// Additional flags passed to (`helm upgrade`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upgrade: Vec<String>,
    /// Additional flags passed to (`helm dep build`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dep_build: Vec<String>,
    /// Additional flags passed to (`helm template`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub template: Vec<String>,
}

one_of_struct! {
    /// Describes a helm release to be deployed.
    pub struct HelmRelease / HelmReleaseRaw {
        /// Name of the Helm release. It accepts environment variables via the go template syntax.
        /// Required.
        #[serde(deserialize_with = "crate::yaml::de::required_string")]
        pub name: String,
    }
    one_of("chartSource")
    /// The chart to deploy: a local `chartPath` or a `remoteChart`.
    pub chart: Option<ChartSource> {
        chart_path = "chartPath" => ChartPath(String),
        remote_chart = "remoteChart" => RemoteChart(String),
    }
    {
        /// Paths to the Helm `values` files.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub values_files: Vec<String>,
        /// Kubernetes namespace.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        pub namespace: String,
        /// Version of the chart.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        pub version: String,
        /// Key-value pairs. If present, Skaffold will send `--set` flag to Helm CLI and append all
        /// pairs after the flag.
        #[serde(default, skip_serializing_if = "FlatMap::is_empty")]
        pub set_values: FlatMap,
        /// Key-value pairs. If present, Skaffold will try to parse the value part of each key-value
        /// pair using environment variables in the system, then send `--set` flag to Helm CLI and
        /// append all parsed pairs after the flag.
        #[serde(default, skip_serializing_if = "FlatMap::is_empty")]
        pub set_value_templates: FlatMap,
        /// Key-value pairs. If present, Skaffold will send `--set-file` flag to Helm CLI and append
        /// all pairs after the flag.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        pub set_files: BTreeMap<String, String>,
        /// If `true`, Skaffold will send `--create-namespace` flag to Helm CLI.
        /// `--create-namespace` flag is available in Helm since version 3.2.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub create_namespace: Option<bool>,
        /// If `true`, Skaffold will send `--wait` flag to Helm CLI.
        #[serde(default, skip_serializing_if = "is_false")]
        pub wait: bool,
        /// If `true`, Skaffold will send `--recreate-pods` flag to Helm CLI when upgrading a new
        /// version of a chart in subsequent dev loop deploy.
        #[serde(default, skip_serializing_if = "is_false")]
        pub recreate_pods: bool,
        /// Should build dependencies be skipped. Ignored for `remoteChart`.
        #[serde(default, skip_serializing_if = "is_false")]
        pub skip_build_dependencies: bool,
        /// Should ignore helm test during manifests generation.
        #[serde(default, skip_serializing_if = "is_false")]
        pub skip_tests: bool,
        /// Instructs skaffold to use secrets plugin on deployment.
        #[serde(default, skip_serializing_if = "is_false")]
        pub use_helm_secrets: bool,
        /// Specifies the helm repository for remote charts. If present, Skaffold will send `--repo`
        /// Helm CLI flag or flags.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        pub repo: String,
        /// Specifies whether to upgrade helm chart on code changes. Default is `true` when helm
        /// chart is local (has `chartPath`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub upgrade_on_change: Option<bool>,
        /// Key-value pairs. If present, Skaffold will build a Helm `values` file that overrides the
        /// original and use it to call Helm CLI (`--f` flag).
        #[serde(default, skip_serializing_if = "HelmOverrides::is_empty")]
        pub overrides: HelmOverrides,
        /// Parameters for packaging helm chart (`helm package`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub packaged: Option<HelmPackaged>,
        /// A list of Helm release names that this deploy depends on.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub depends_on: Vec<String>,
    }
}

/// The chart of a Helm release (one-of group `chartSource`).
#[derive(Debug, Clone, PartialEq)]
pub enum ChartSource {
    /// Local path to a packaged Helm chart or an unpacked Helm chart directory. (`chartPath`)
    ChartPath(String),
    /// Refers to a remote Helm chart reference or URL. (`remoteChart`)
    RemoteChart(String),
}

impl ChartSource {
    /// The YAML key of this member.
    pub fn key(&self) -> &'static str {
        match self {
            ChartSource::ChartPath(_) => "chartPath",
            ChartSource::RemoteChart(_) => "remoteChart",
        }
    }
}

/// Parameters for packaging helm chart (`helm package`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HelmPackaged {
    /// Sets the `version` on the chart to this semver version.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Sets the `appVersion` on the chart to this version.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub app_version: String,
}

/// *alpha* uses the `kpt` CLI to manage and deploy manifests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KptDeploy {
    /// Equivalent to the dir in `kpt live apply <dir>`. If not provided, skaffold deploys from the
    /// default hydrated path `<WORKDIR>/.kpt-pipeline`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dir: String,
    /// Additional flags passed to `kpt live apply`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apply_flags: Vec<String>,
    /// Kpt global flags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// *alpha* inventory object name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// *alpha* inventory ID which annotates the resources being lively applied by kpt.
    #[serde(
        rename = "inventoryID",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub inventory_id: String,
    /// *alpha* sets the inventory namespace.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Used in `kpt live init`, which forces the inventory values to be updated, even if they are
    /// already set.
    #[serde(default, skip_serializing_if = "is_false")]
    pub force: bool,
    /// Default namespace passed to kpt on deployment if no other override is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_namespace: Option<String>,
}

/// *beta* uses a client side `kubectl apply` to deploy manifests. You'll need a `kubectl` CLI
/// version installed that's compatible with your cluster.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KubectlDeploy {
    /// Additional flags passed to `kubectl`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub flags: KubectlFlags,
    /// Kubernetes manifests in remote clusters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remote_manifests: Vec<String>,
    /// Default namespace passed to kubectl on deployment if no other override is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_namespace: Option<String>,
    /// Describes a set of lifecycle hooks that are executed before and after every deploy.
    #[serde(default, skip_serializing_if = "is_default")]
    pub hooks: DeployHooks,
}

/// Additional flags passed on the command line to kubectl either on every command (Global), on
/// creations (Apply) or deletions (Delete).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KubectlFlags {
    /// Additional flags passed on every command.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub global: Vec<String>,
    /// Additional flags passed on creations (`kubectl apply`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apply: Vec<String>,
    /// Additional flags passed on deletions (`kubectl delete`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delete: Vec<String>,
    /// Passes the `--validate=false` flag to supported `kubectl` commands when enabled.
    #[serde(default, skip_serializing_if = "is_false")]
    pub disable_validation: bool,
}

/// *alpha* deploys the container to Google Cloud Run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CloudRunDeploy {
    /// The GCP Project to use for Cloud Run. If specified, all Services will be deployed to this
    /// project.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub projectid: String,
    /// GCP location to use for the Cloud Run Deploy. Must be one of the regions listed in
    /// <https://cloud.google.com/run/docs/locations>.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub region: String,
    /// Describes a set of lifecycle host hooks that are executed before and after the Cloud Run
    /// deployer.
    #[serde(default, skip_serializing_if = "is_default")]
    pub hooks: CloudRunDeployHooks,
}

/// Describes the list of lifecycle hooks to execute in the host before and after the Cloud Run
/// deployer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CloudRunDeployHooks {
    /// Describes the list of lifecycle hooks to execute *before* the Cloud Run deployer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<HostHook>,
    /// Describes the list of lifecycle hooks to execute *after* the Cloud Run deployer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<HostHook>,
}

/// Describes the list of lifecycle hooks to execute before and after each deployer step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeployHooks {
    /// Describes the list of lifecycle hooks to execute *before* each deployer step. Container
    /// hooks will only run if the container exists from a previous deployment step (for instance
    /// the successive iterations of a dev-loop during `skaffold dev`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<DeployHookItem>,
    /// Describes the list of lifecycle hooks to execute *after* each deployer step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<DeployHookItem>,
}

one_of_enum! {
    /// Describes a single lifecycle hook to execute before or after each deployer step.
    pub enum DeployHookItem / DeployHookItemRaw ("deploy_hook") {
        /// Describes a single lifecycle hook to run on the host machine.
        host = "host" => Host(HostHook),
        /// Describes a single lifecycle hook to run on a container.
        container = "container" => Container(NamedContainerHook),
    }
}

/// Describes a lifecycle hook definition to execute on a named container.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NamedContainerHook {
    /// Command to execute. Required.
    pub command: Vec<String>,
    /// Name of the pod to execute the command in. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub pod_name: String,
    /// Name of the container to execute the command in.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub container_name: String,
}

/// Configures how container logs are printed as a result of a deployment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogsConfig {
    /// Defines the prefix shown on each log line. Valid values are `container`: prefix logs lines
    /// with the name of the container. Defaults to `auto`. One of: `container`, `podAndContainer`,
    /// `auto`, `none`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub prefix: String,
    /// Defines the rules for parsing/outputting json logs.
    #[serde(default, skip_serializing_if = "is_default")]
    pub json_parse: JsonParseConfig,
}

/// Defines the rules for parsing/outputting json logs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JsonParseConfig {
    /// Specifies which top level fields should be printed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}
