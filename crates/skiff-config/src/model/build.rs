//! The `build` section: build environments, tag policies, artifacts and their builders, sync and hooks.
//!
//! Generated from Skaffold's `v4beta14` Go structs and JSON schema, then edited by hand.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[allow(unused_imports)]
use super::*;

one_of_struct! {
    /// Contains all the configuration for the build steps.
    pub struct BuildConfig / BuildConfigRaw {
        /// Describes a set of lifecycle hooks that are executed before and after the build phase of
        /// the Pipeline, where the artifacts are built.
        #[serde(default, skip_serializing_if = "is_default")]
        pub hooks: BuildHooks,
        /// The images you're going to be building.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub artifacts: Vec<Artifact>,
        /// A list of registries declared by the user to be insecure. These registries will be
        /// connected to via HTTP instead of HTTPS.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub insecure_registries: Vec<String>,
        /// *beta* determines how images are tagged. A few strategies are provided here, although
        /// you most likely won't need to care! If not specified, it defaults to `gitCommit:
        /// {variant: Tags}`.
        #[serde(default, deserialize_with = "TagPolicy::deserialize_opt", skip_serializing_if = "Option::is_none")]
        pub tag_policy: Option<TagPolicy>,
        /// List of platforms to build all artifact images for. It can be overridden by the
        /// individual artifact's `platforms` property.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub platforms: Vec<String>,
    }
    one_of("build")
    /// Where the build runs (`local`, `googleCloudBuild` or `cluster`). `None` until defaults apply
    /// `local`.
    pub build_type: Option<BuildType> {
        local = "local" => Local(LocalBuild),
        google_cloud_build = "googleCloudBuild" => GoogleCloudBuild(GoogleCloudBuild),
        cluster = "cluster" => Cluster(ClusterDetails),
    }
    {
    }
}

/// Where artifacts are built (one-of group `build`).
#[derive(Debug, Clone, PartialEq)]
pub enum BuildType {
    /// *beta* describes how to do a build on the local docker daemon and optionally push to a
    /// repository. (`local`)
    Local(LocalBuild),
    /// *beta* describes how to do a remote build on [Google Cloud
    /// Build](https://cloud.google.com/cloud-build/). (`googleCloudBuild`)
    GoogleCloudBuild(GoogleCloudBuild),
    /// *beta* describes how to do an on-cluster build. (`cluster`)
    Cluster(ClusterDetails),
}

impl BuildType {
    /// The YAML key of this member.
    pub fn key(&self) -> &'static str {
        match self {
            BuildType::Local(_) => "local",
            BuildType::GoogleCloudBuild(_) => "googleCloudBuild",
            BuildType::Cluster(_) => "cluster",
        }
    }
}

/// *beta* describes how to do a build on the local docker daemon and optionally push to a
/// repository.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocalBuild {
    /// Should images be pushed to a registry. If not specified, images are pushed only if the
    /// current Kubernetes context connects to a remote cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push: Option<bool>,
    /// Whether to attempt to import artifacts from Docker (either a local or remote registry) if
    /// not in the cache.
    #[serde(default, skip_serializing_if = "is_false")]
    pub try_import_missing: bool,
    /// Use `docker` command-line interface instead of Docker Engine APIs.
    #[serde(rename = "useDockerCLI", default, skip_serializing_if = "is_false")]
    pub use_docker_cli: bool,
    /// Use BuildKit to build Docker images. If unspecified, uses the Docker default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_buildkit: Option<bool>,
    /// How many artifacts can be built concurrently. 0 means "no-limit". Defaults to `1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<i32>,
}

/// *beta* describes how to do a remote build on [Google Cloud
/// Build](https://cloud.google.com/cloud-build/docs/). Docker and Jib artifacts can be built on
/// Cloud Build. The `projectId` needs to be provided and the currently logged in user should be
/// given permissions to trigger new builds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GoogleCloudBuild {
    /// ID of your Cloud Platform Project. If it is not provided, Skaffold will guess it from the
    /// image name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub project_id: String,
    /// Disk size of the VM that runs the build. See [Cloud Build
    /// Reference](https://cloud.google.com/cloud-build/docs/api/reference/rest/v1/projects.builds#buildoptions).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub disk_size_gb: i64,
    /// Type of the VM that runs the build. See [Cloud Build
    /// Reference](https://cloud.google.com/cloud-build/docs/api/reference/rest/v1/projects.builds#buildoptions).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub machine_type: String,
    /// Amount of time (in seconds) that this build should be allowed to run. See [Cloud Build
    /// Reference](https://cloud.google.com/cloud-build/docs/api/reference/rest/v1/projects.builds#resource-build).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub timeout: String,
    /// Specifies the logging mode. Valid modes are: `LOGGING_UNSPECIFIED`: The service determines
    /// the logging mode. One of: `LOGGING_UNSPECIFIED`, `LEGACY`, `GCS_ONLY`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub logging: String,
    /// Specifies the behavior when writing build logs to Google Cloud Storage. Valid options are:
    /// `STREAM_DEFAULT`: Service may automatically determine build log streaming behavior. One of:
    /// `STREAM_DEFAULT`, `STREAM_ON`, `STREAM_OFF`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub log_streaming_option: String,
    /// Image that runs a Docker build. See [Cloud
    /// Builders](https://cloud.google.com/cloud-build/docs/cloud-builders). Defaults to
    /// `gcr.io/cloud-builders/docker`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub docker_image: String,
    /// Image that runs a Kaniko build. See [Cloud
    /// Builders](https://cloud.google.com/cloud-build/docs/cloud-builders). Defaults to
    /// `gcr.io/kaniko-project/executor`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kaniko_image: String,
    /// Image that runs a Maven build. See [Cloud
    /// Builders](https://cloud.google.com/cloud-build/docs/cloud-builders). Defaults to
    /// `gcr.io/cloud-builders/mvn`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub maven_image: String,
    /// Image that runs a Gradle build. See [Cloud
    /// Builders](https://cloud.google.com/cloud-build/docs/cloud-builders). Defaults to
    /// `gcr.io/cloud-builders/gradle`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub gradle_image: String,
    /// Image that runs a Cloud Native Buildpacks build. See [Cloud
    /// Builders](https://cloud.google.com/cloud-build/docs/cloud-builders). Defaults to
    /// `gcr.io/k8s-skaffold/pack`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pack_image: String,
    /// Image that runs a ko build. The image must contain Skaffold, Go, and a shell (runnable as
    /// `sh`) that supports here documents. Defaults to `gcr.io/k8s-skaffold/skaffold`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ko_image: String,
    /// Specifies the Cloud Storage bucket to store the staged build sources.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub bucket: String,
    /// How many artifacts can be built concurrently. 0 means "no-limit". Defaults to `0`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub concurrency: i32,
    /// Configures a pool of workers to run the build.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub worker_pool: String,
    /// Configures the region to run the build. If WorkerPool is configured, the region will be
    /// deduced from the WorkerPool configuration.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub region: String,
    /// Specifies a pre-build step to install the required tooling for QEMU emulation on the
    /// GoogleCloudBuild containers. This enables performing cross-platform builds on
    /// GoogleCloudBuild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_emulator_install_step: Option<PlatformEmulatorInstallStep>,
    /// Google Cloud platform service account used by Cloud Build. If unspecified, it defaults to
    /// the Cloud Build service account generated when the Cloud Build API is enabled.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub service_account: String,
}

/// Specifies a pre-build step to install the required tooling for QEMU emulation on the
/// GoogleCloudBuild containers. This enables performing cross-platform builds on GoogleCloudBuild.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlatformEmulatorInstallStep {
    /// Specifies the image that will install the required tooling for QEMU emulation on the
    /// GoogleCloudBuild containers. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub image: String,
    /// Specifies arguments passed to the emulator installer image.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Specifies the ENTRYPOINT argument to the emulator installer image.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub entrypoint: String,
}

/// *beta* describes how to do an on-cluster build.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterDetails {
    /// For kaniko pod.
    #[serde(
        rename = "HTTP_PROXY",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub http_proxy: String,
    /// For kaniko pod.
    #[serde(
        rename = "HTTPS_PROXY",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub https_proxy: String,
    /// Path to the Google Cloud service account secret key file.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pull_secret_path: String,
    /// Name of the Kubernetes secret for pulling base images and pushing the final image. If given,
    /// the secret needs to contain the Google Cloud service account secret key under the key
    /// `kaniko-secret`. Defaults to `kaniko-secret`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pull_secret_name: String,
    /// Path the pull secret will be mounted at within the running container.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pull_secret_mount_path: String,
    /// Kubernetes namespace. Defaults to current namespace in Kubernetes configuration.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Amount of time (in seconds) that this build is allowed to run. Defaults to 20 minutes
    /// (`20m`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub timeout: String,
    /// Describes how to mount the local Docker configuration into a pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_config: Option<DockerConfig>,
    /// Describes the Kubernetes service account to use for the pod. Defaults to 'default'.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub service_account: String,
    /// Describes the Kubernetes tolerations for the pod.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<serde_json::Value>")]
    pub tolerations: Vec<YamlValue>,
    /// Describes the Kubernetes node selector for the pod.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Describes the Kubernetes annotations for the pod.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Describes the Kubernetes labels for the pod.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Defines the UID to request for running the container. If omitted, no SecurityContext will be
    /// specified for the pod and will therefore be inherited from the service account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_user: Option<i64>,
    /// Define the resource requirements for the kaniko pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// How many artifacts can be built concurrently. 0 means "no-limit". Defaults to `0`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub concurrency: i32,
    /// Defines container mounts for ConfigMap and Secret resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<serde_json::Value>")]
    pub volumes: Vec<YamlValue>,
    /// Adds a random UUID postfix to the default name of the pull secret to facilitate parallel
    /// builds, e.g. kaniko-secretdocker-cfgfd154022-c761-416f-8eb3-cf8258450b85.
    #[serde(default, skip_serializing_if = "is_false")]
    pub random_pull_secret: bool,
    /// Adds a random UUID postfix to the default name of the docker secret to facilitate parallel
    /// builds, e.g. docker-cfgfd154022-c761-416f-8eb3-cf8258450b85.
    #[serde(default, skip_serializing_if = "is_false")]
    pub random_docker_config_secret: bool,
}

/// Contains information about the docker `config.json` to mount.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DockerConfig {
    /// Path to the docker `config.json`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Kubernetes secret that contains the `config.json` Docker configuration. Note that the
    /// expected secret type is not 'kubernetes.io/dockerconfigjson' but 'Opaque'.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub secret_name: String,
}

/// Describes the resource requirements for the kaniko pod.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceRequirements {
    /// [resource
    /// requests](https://kubernetes.io/docs/concepts/configuration/manage-compute-resources-container/#resource-requests-and-limits-of-pod-and-container)
    /// for the Kaniko pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<ResourceRequirement>,
    /// [resource
    /// limits](https://kubernetes.io/docs/concepts/configuration/manage-compute-resources-container/#resource-requests-and-limits-of-pod-and-container)
    /// for the Kaniko pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<ResourceRequirement>,
}

/// Stores the CPU/Memory requirements for the pod.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceRequirement {
    /// The number cores to be used.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cpu: String,
    /// The amount of memory to allocate to the pod.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub memory: String,
    /// The amount of Ephemeral storage to allocate to the pod.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ephemeral_storage: String,
    /// The amount of resource storage to allocate to the pod.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resource_storage: String,
}

one_of_enum! {
    /// Contains all the configuration for the tagging step.
    pub enum TagPolicy / TagPolicyRaw ("tag") {
        /// *beta* tags images with the git tag or commit of the artifact's workspace.
        git_commit = "gitCommit" => GitCommit(GitTagger),
        /// *beta* tags images with their sha256 digest.
        sha256 = "sha256" => Sha256(ShaTagger),
        /// *beta* tags images with a configurable template string.
        env_template = "envTemplate" => EnvTemplate(EnvTemplateTagger),
        /// *beta* tags images with the build timestamp.
        date_time = "dateTime" => DateTime(DateTimeTagger),
        /// *beta* tags images with a configurable template string *composed of other taggers*.
        custom_template = "customTemplate" => CustomTemplate(CustomTemplateTagger),
        /// *beta* tags images with their sha256 digest of their content.
        input_digest = "inputDigest" => InputDigest(InputDigest),
    }
}

/// *beta* tags images with the git tag or commit of the artifact's workspace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitTagger {
    /// Determines the behavior of the git tagger. Valid variants are: `Tags` (default): use git
    /// tags or fall back to abbreviated commit hash. One of: `Tags`, `CommitSha`,
    /// `AbbrevCommitSha`, `TreeSha`, `AbbrevTreeSha`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub variant: String,
    /// Adds a fixed prefix to the tag.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub prefix: String,
    /// Specifies whether to omit the `-dirty` postfix if there are uncommitted changes.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ignore_changes: bool,
}

/// *beta* tags images with their sha256 digest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShaTagger {}

/// *beta* tags images with a configurable template string.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvTemplateTagger {
    /// Used to produce the image name and tag. See golang
    /// [text/template](https://golang.org/pkg/text/template/). Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub template: String,
}

/// *beta* tags images with the build timestamp.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DateTimeTagger {
    /// Formats the date and time. See [#Time.Format](https://golang.org/pkg/time/#Time.Format).
    /// Defaults to `2006-01-02_15-04-05.999_MST`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub format: String,
    /// Sets the timezone for the date and time. See
    /// [Time.LoadLocation](https://golang.org/pkg/time/#Time.LoadLocation).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub timezone: String,
}

/// *beta* tags images with a configurable template string.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomTemplateTagger {
    /// Used to produce the image name and tag. See golang
    /// [text/template](https://golang.org/pkg/text/template/). Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub template: String,
    /// TaggerComponents that the template (see field above) can be executed against.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<TaggerComponent>,
}

one_of_struct! {
    /// *beta* a component of CustomTemplateTagger.
    pub struct TaggerComponent / TaggerComponentRaw {
        /// An identifier for the component.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        pub name: String,
    }
    one_of("tag", required)
    /// The tagger that produces this component (exactly one of the tag policies). Required.
    pub tag_policy: Option<TagPolicy> {
        git_commit = "gitCommit" => GitCommit(GitTagger),
        sha256 = "sha256" => Sha256(ShaTagger),
        env_template = "envTemplate" => EnvTemplate(EnvTemplateTagger),
        date_time = "dateTime" => DateTime(DateTimeTagger),
        custom_template = "customTemplate" => CustomTemplate(CustomTemplateTagger),
        input_digest = "inputDigest" => InputDigest(InputDigest),
    }
    {
    }
}

/// *beta* tags hashes the image content.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InputDigest {}

one_of_struct! {
    /// Items that need to be built, along with the context in which they should be built.
    pub struct Artifact / ArtifactRaw {
        /// Name of the image to be built. Required.
        #[serde(deserialize_with = "crate::yaml::de::required_string")]
        pub image: String,
        /// Directory containing the artifact's sources. Defaults to `.`.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        pub context: String,
        /// *beta* local files synced to pods instead of triggering an image build when modified. If
        /// no files are listed, sync all the files and infer the destination. Defaults to `infer:
        /// ["**/*"]`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sync: Option<Sync>,
    }
    one_of("artifact")
    /// The builder for this artifact. `None` until defaults apply `docker` (or `kaniko` with a
    /// `cluster` build).
    pub artifact_type: Option<ArtifactType> {
        docker = "docker" => Docker(DockerArtifact),
        bazel = "bazel" => Bazel(BazelArtifact),
        ko = "ko" => Ko(KoArtifact),
        jib = "jib" => Jib(JibArtifact),
        kaniko = "kaniko" => Kaniko(KanikoArtifact),
        buildpacks = "buildpacks" => Buildpacks(BuildpackArtifact),
        custom = "custom" => Custom(CustomArtifact),
    }
    {
        /// Describes build artifacts that this artifact depends on.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub requires: Vec<ArtifactDependency>,
        /// Describes a set of lifecycle hooks that are executed before and after each build of the
        /// target artifact.
        #[serde(default, skip_serializing_if = "is_default")]
        pub hooks: BuildHooks,
        /// List of platforms to build this artifact image for. It overrides the values inferred
        /// through heuristics or provided in the top level `platforms` property or in the global
        /// config.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub platforms: Vec<String>,
        /// Specifies the target language runtime for this artifact that is used to configure debug
        /// support. Should be one of `go`, `nodejs`, `jvm`, `python` or `netcore`.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        pub runtime_type: String,
    }
}

/// The builder of an artifact (one-of group `artifact`).
// Kaniko's many options make its variant large; configs are few and not moved in hot loops.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum ArtifactType {
    /// *beta* describes an artifact built from a Dockerfile. (`docker`)
    Docker(DockerArtifact),
    /// *beta* requires bazel CLI to be installed and the sources to contain
    /// [Bazel](https://bazel.build/) configuration files. (`bazel`)
    Bazel(BazelArtifact),
    /// Builds images using [ko](https://github.com/google/ko). (`ko`)
    Ko(KoArtifact),
    /// Builds images using the [Jib plugins for Maven or
    /// Gradle](https://github.com/GoogleContainerTools/jib/). (`jib`)
    Jib(JibArtifact),
    /// Builds images using [kaniko](https://github.com/GoogleContainerTools/kaniko). (`kaniko`)
    Kaniko(KanikoArtifact),
    /// Builds images using [Cloud Native Buildpacks](https://buildpacks.io/). (`buildpacks`)
    Buildpacks(BuildpackArtifact),
    /// *beta* builds images using a custom build script written by the user. (`custom`)
    Custom(CustomArtifact),
}

impl ArtifactType {
    /// The YAML key of this member.
    pub fn key(&self) -> &'static str {
        match self {
            ArtifactType::Docker(_) => "docker",
            ArtifactType::Bazel(_) => "bazel",
            ArtifactType::Ko(_) => "ko",
            ArtifactType::Jib(_) => "jib",
            ArtifactType::Kaniko(_) => "kaniko",
            ArtifactType::Buildpacks(_) => "buildpacks",
            ArtifactType::Custom(_) => "custom",
        }
    }
}

/// Describes a specific build dependency for an artifact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArtifactDependency {
    /// A reference to an artifact's image name. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub image: String,
    /// A token that is replaced with the image reference in the builder definition files. For
    /// example, the `docker` builder will use the alias as a build-arg key.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alias: String,
}

/// Describes an artifact built from a Dockerfile, usually using `docker build`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DockerArtifact {
    /// Locates the Dockerfile relative to workspace. Defaults to `Dockerfile`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dockerfile: String,
    /// Dockerfile target name to build.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target: String,
    /// Arguments passed to the docker build.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub build_args: BTreeMap<String, Option<String>>,
    /// Passed through to docker and overrides the network configuration of docker builder. If
    /// unset, use whatever is configured in the underlying docker daemon.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub network: String,
    /// Add host.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_host: Vec<String>,
    /// The Docker images used as cache sources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cache_from: Vec<String>,
    /// Any additional flags to pass to the local daemon during a build. These flags are only used
    /// during a build through the Docker CLI.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cli_flags: Vec<String>,
    /// Used to attempt pulling the parent image even if an older image exists locally.
    #[serde(default, skip_serializing_if = "is_false")]
    pub pull_parent: bool,
    /// Set to true to pass in --no-cache to docker build, which will prevent caching.
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_cache: bool,
    /// Used to pass in --squash to docker build to squash docker image layers into single layer.
    #[serde(default, skip_serializing_if = "is_false")]
    pub squash: bool,
    /// Used to pass in --secret to docker build, `useBuildKit: true` is required.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<DockerSecret>,
    /// Used to pass in --ssh to docker build to use SSH agent. Format is
    /// `default|<id>[=<socket>|<key>[,<key>]]`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ssh: String,
}

one_of_struct! {
    /// Used to pass in --secret to docker build, `useBuildKit: true` is required.
    pub struct DockerSecret / DockerSecretRaw {
        /// Id of the secret. Required.
        #[serde(deserialize_with = "crate::yaml::de::required_string")]
        pub id: String,
    }
    one_of("secretSource")
    /// Where the secret comes from: a file (`src`) or an environment variable (`env`).
    pub source: Option<SecretSource> {
        src = "src" => Src(String),
        env = "env" => Env(String),
    }
    {
    }
}

/// Where a Docker build secret comes from (one-of group `secretSource`).
#[derive(Debug, Clone, PartialEq)]
pub enum SecretSource {
    /// Path to the secret on the host machine. (`src`)
    Src(String),
    /// Environment variable name containing the secret value. (`env`)
    Env(String),
}

impl SecretSource {
    /// The YAML key of this member.
    pub fn key(&self) -> &'static str {
        match self {
            SecretSource::Src(_) => "src",
            SecretSource::Env(_) => "env",
        }
    }
}

/// Describes an artifact built with [Bazel](https://bazel.build/).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BazelArtifact {
    /// `bazel build` target to run. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub target: String,
    /// Additional args to pass to `bazel build`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Configure the --platforms flag for `bazel build` based on the configured skaffold target
    /// platform.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<BazelPlatformMapping>,
}

/// Relates a skaffold platform (like 'linux/amd64') to a workspace-specific bazel platform target
/// (e.g. '//platforms:linux_amd64').
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BazelPlatformMapping {
    /// Skaffold platform. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub platform: String,
    /// Bazel platform target to be passed to bazel's `--platforms` flag. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub target: String,
}

/// Builds images using [ko](https://github.com/google/ko).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KoArtifact {
    /// Overrides the default ko base image (`gcr.io/distroless/static:nonroot`). Corresponds to,
    /// and overrides, the `defaultBaseImage` in `.ko.yaml`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub from_image: String,
    /// File dependencies that Skaffold should watch for both rebuilding and file syncing for this
    /// artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<KoDependencies>,
    /// Directory where the `go` tool will be run. The value is a directory path relative to the
    /// `context` directory.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dir: String,
    /// Environment variables, in the `key=value` form, passed to the build. These environment
    /// variables are only used at build time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// Additional build flags passed to `go build`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// Key-value string pairs to add to the image config.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Linker flags passed to the builder.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ldflags: Vec<String>,
    /// Location of the main package. It is the pattern passed to `go build`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub main: String,
}

/// Used to specify dependencies for an artifact built by ko.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KoDependencies {
    /// Should be set to the file dependencies for this artifact, so that the Skaffold file watcher
    /// knows when to rebuild and perform file synchronization. Defaults to `["**/*.go"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Specifies the paths that should be ignored by Skaffold's file watcher. If a file exists in
    /// both `paths` and in `ignore`, it will be ignored, and will be excluded from both rebuilds
    /// and file synchronization.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
}

/// Builds images using the [Jib plugins for Maven and
/// Gradle](https://github.com/GoogleContainerTools/jib/).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JibArtifact {
    /// Selects which sub-project to build for multi-module builds.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub project: String,
    /// Additional build flags passed to the builder.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// The Jib builder type; normally determined automatically. Valid types are `maven`: for Maven.
    /// One of: `maven`, `gradle`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub r#type: String,
    /// Overrides the configured jib base image.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub from_image: String,
}

/// Describes an artifact built from a Dockerfile, with kaniko.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KanikoArtifact {
    /// To clean the filesystem at the end of the build.
    #[serde(default, skip_serializing_if = "is_false")]
    pub cleanup: bool,
    /// If you want to push images to a plain HTTP registry.
    #[serde(default, skip_serializing_if = "is_false")]
    pub insecure: bool,
    /// If you want to pull images from a plain HTTP registry.
    #[serde(default, skip_serializing_if = "is_false")]
    pub insecure_pull: bool,
    /// Building outside of a container.
    #[serde(default, skip_serializing_if = "is_false")]
    pub force: bool,
    /// To add timestamps to log format.
    #[serde(default, skip_serializing_if = "is_false")]
    pub log_timestamp: bool,
    /// Used to strip timestamps out of the built image.
    #[serde(default, skip_serializing_if = "is_false")]
    pub reproducible: bool,
    /// Takes a single snapshot of the filesystem at the end of the build. So only one layer will be
    /// appended to the base image.
    #[serde(default, skip_serializing_if = "is_false")]
    pub single_snapshot: bool,
    /// Skips TLS certificate validation when pushing to a registry.
    #[serde(rename = "skipTLS", default, skip_serializing_if = "is_false")]
    pub skip_tls: bool,
    /// Skips TLS certificate validation when pulling from a registry.
    #[serde(
        rename = "skipTLSVerifyPull",
        default,
        skip_serializing_if = "is_false"
    )]
    pub skip_tls_verify_pull: bool,
    /// Builds only used stages if defined to true. Otherwise it builds by default all stages, even
    /// the unnecessaries ones until it reaches the target stage / end of Dockerfile.
    #[serde(default, skip_serializing_if = "is_false")]
    pub skip_unused_stages: bool,
    /// To Use the experimental run implementation for detecting changes without requiring file
    /// system snapshots. In some cases, this may improve build performance by 75%.
    #[serde(default, skip_serializing_if = "is_false")]
    pub use_new_run: bool,
    /// Used to ignore `/var/run` when taking image snapshot. Set it to false to preserve /var/run/*
    /// in destination image.
    #[serde(default, skip_serializing_if = "is_false")]
    pub whitelist_var_run: bool,
    /// Locates the Dockerfile relative to workspace. Defaults to `Dockerfile`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dockerfile: String,
    /// To indicate which build stage is the target build stage.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target: String,
    /// Image used to run init container which mounts kaniko context.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub init_image: String,
    /// Docker image used by the Kaniko pod. Defaults to the latest released version of
    /// `gcr.io/kaniko-project/executor`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image: String,
    /// Name of the Kubernetes secret for pulling kaniko image and kaniko init image from a private
    /// registry.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image_pull_secret: String,
    /// Additional tags to push.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub destination: Vec<String>,
    /// To specify a file in the container. This file will receive the digest of a built image.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub digest_file: String,
    /// Number of retries that should happen for extracting an image filesystem.
    #[serde(
        rename = "imageFSExtractRetry",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub image_fs_extract_retry: String,
    /// Specify a file to save the image name with digest of the built image to.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image_name_with_digest_file: String,
    /// <text|color|json> to set the log format.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub log_format: String,
    /// To specify a directory in the container where the OCI image layout of a built image will be
    /// placed. This can be used to automatically track the exact image built by kaniko.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub oci_layout_path: String,
    /// If you want to use a registry mirror instead of default `index.docker.io`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub registry_mirror: String,
    /// How Kaniko will snapshot the filesystem.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub snapshot_mode: String,
    /// Set this flag to the number of retries that should happen for the push of an image to a
    /// remote destination.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub push_retry: String,
    /// Path to save the image as a tarball at path instead of pushing the image.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tar_path: String,
    /// <panic|fatal|error|warn|info|debug|trace> to set the logging level.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub verbosity: String,
    /// To use plain HTTP requests when accessing a registry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub insecure_registry: Vec<String>,
    /// Skips TLS certificate validation when accessing a registry.
    #[serde(
        rename = "skipTLSVerifyRegistry",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub skip_tls_verify_registry: Vec<String>,
    /// Environment variables passed to the kaniko pod. It also accepts environment variables via
    /// the go template syntax.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<serde_json::Value>")]
    pub env: Vec<YamlValue>,
    /// Configures Kaniko caching. If a cache is specified, Kaniko will use a remote cache which
    /// will speed up builds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<KanikoCache>,
    /// To provide a certificate for TLS communication with a given registry. my.registry.url:
    /// /path/to/the/certificate.cert is the expected format.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub registry_certificate: BTreeMap<String, Option<String>>,
    /// Key: value to set some metadata to the final image. This is equivalent as using the LABEL
    /// within the Dockerfile.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub label: BTreeMap<String, Option<String>>,
    /// Arguments passed to the docker build. It also accepts environment variables and generated
    /// values via the go template syntax.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub build_args: BTreeMap<String, Option<String>>,
    /// Volume mounts passed to kaniko pod.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<serde_json::Value>")]
    pub volume_mounts: Vec<YamlValue>,
    /// To specify a sub path within the context.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub context_sub_path: String,
    /// A list of ignored paths when making an image snapshot.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_paths: Vec<String>,
    /// Number of times to retry copy build contexts to a cluster if it fails. Defaults to `3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy_max_retries: Option<i32>,
    /// Timeout for copying build contexts to a cluster. Defaults to 5 minutes (`5m`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub copy_timeout: String,
    /// Gzip compression level(0-9) for the build context. 0: NoCompression. 1: BestSpeed. 9:
    /// BestCompression. -1: DefaultCompression. -2: HuffmanOnly. Defaults to `1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_context_compression_level: Option<i32>,
}

/// Configures Kaniko caching. If a cache is specified, Kaniko will use a remote cache which will
/// speed up builds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KanikoCache {
    /// A remote repository to store cached layers. If none is specified, one will be inferred from
    /// the image name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub repo: String,
    /// Specifies a path on the host that is mounted to each pod as read only cache volume
    /// containing base images. If set, must exist on each node and prepopulated with kaniko-warmer.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host_path: String,
    /// Cache timeout in hours.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ttl: String,
    /// Enables caching of copy layers.
    #[serde(default, skip_serializing_if = "is_false")]
    pub cache_copy_layers: bool,
    /// Enables caching of run layers (default=true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_run_layers: Option<bool>,
}

/// *alpha* describes an artifact built using [Cloud Native Buildpacks](https://buildpacks.io/). It
/// can be used to build images out of project's sources without any additional configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BuildpackArtifact {
    /// Builder image used.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub builder: String,
    /// Overrides the stack's default run image.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub run_image: String,
    /// Environment variables, in the `key=value` form,  passed to the build. Values can use the go
    /// template syntax.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// A list of strings, where each string is a specific buildpack to use with the builder. If you
    /// specify buildpacks the builder image automatic detection will be ignored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buildpacks: Vec<String>,
    /// Indicates that the builder should be trusted.
    #[serde(default, skip_serializing_if = "is_false")]
    pub trust_builder: bool,
    /// Removes old cache volume associated with the specific image and supplies a clean cache
    /// volume for build.
    #[serde(default, skip_serializing_if = "is_false")]
    pub clear_cache: bool,
    /// Path to the project descriptor file. Defaults to `project.toml`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub project_descriptor: String,
    /// File dependencies that skaffold should watch for both rebuilding and file syncing for this
    /// artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<BuildpackDependencies>,
    /// Support mounting host volumes into the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<BuildpackVolume>,
    /// Additional args passed to the `pack` build command.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub build_args: Vec<String>,
}

/// *alpha* used to specify dependencies for an artifact built by buildpacks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BuildpackDependencies {
    /// Should be set to the file dependencies for this artifact, so that the skaffold file watcher
    /// knows when to rebuild and perform file synchronization.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Specifies the paths that should be ignored by skaffold's file watcher. If a file exists in
    /// both `paths` and in `ignore`, it will be ignored, and will be excluded from both rebuilds
    /// and file synchronization.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
}

/// *alpha* used to mount host volumes or directories in the build container.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BuildpackVolume {
    /// Local volume or absolute directory of the path to mount. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub host: String,
    /// Path where the file or directory is available in the container. It is strongly recommended
    /// to not specify locations under `/cnb` or `/layers`. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub target: String,
    /// Specify a list of comma-separated mount options. Valid options are: `ro` (default): volume
    /// contents are read-only. One of: `ro`, `rw`, `volume-opt=<key>=<value>`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub options: String,
}

/// *beta* describes an artifact built from a custom build script written by the user. It can be
/// used to build images with builders that aren't directly integrated with skaffold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomArtifact {
    /// Command executed to build the image.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub build_command: String,
    /// File dependencies that skaffold should watch for both rebuilding and file syncing for this
    /// artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<CustomDependencies>,
}

one_of_struct! {
    /// *beta* used to specify dependencies for an artifact built by a custom build script. Either
    /// `dockerfile` or `paths` should be specified for file watching to work as expected.
    pub struct CustomDependencies / CustomDependenciesRaw {
    }
    one_of("dependency")
    /// How the dependencies are found: from a `dockerfile`, a `command`, or `paths` globs.
    pub source: Option<CustomDependencySource> {
        dockerfile = "dockerfile" => Dockerfile(DockerfileDependency),
        command = "command" => Command(String),
        paths = "paths" => Paths(Vec<String>),
    }
    {
        /// Specifies the paths that should be ignored by skaffold's file watcher. If a file exists
        /// in both `paths` and in `ignore`, it will be ignored, and will be excluded from both
        /// rebuilds and file synchronization.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub ignore: Vec<String>,
    }
}

/// How a custom artifact finds its dependencies (one-of group `dependency`).
#[derive(Debug, Clone, PartialEq)]
pub enum CustomDependencySource {
    /// Should be set if the artifact is built from a Dockerfile, from which skaffold can determine
    /// dependencies. (`dockerfile`)
    Dockerfile(DockerfileDependency),
    /// Represents a custom command that skaffold executes to obtain dependencies. The output of
    /// this command *must* be a valid JSON array. (`command`)
    Command(String),
    /// Should be set to the file dependencies for this artifact, so that the skaffold file watcher
    /// knows when to rebuild and perform file synchronization. (`paths`)
    Paths(Vec<String>),
}

impl CustomDependencySource {
    /// The YAML key of this member.
    pub fn key(&self) -> &'static str {
        match self {
            CustomDependencySource::Dockerfile(_) => "dockerfile",
            CustomDependencySource::Command(_) => "command",
            CustomDependencySource::Paths(_) => "paths",
        }
    }
}

/// *beta* used to specify a custom build artifact that is built from a Dockerfile. This allows
/// skaffold to determine dependencies from the Dockerfile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DockerfileDependency {
    /// Locates the Dockerfile relative to workspace.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Key/value pairs used to resolve values of `ARG` instructions in a Dockerfile. Values can be
    /// constants or environment variables via the go template syntax.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub build_args: BTreeMap<String, Option<String>>,
}

one_of_struct! {
    /// *beta* specifies what files to sync into the container. This is a list of sync rules
    /// indicating the intent to sync for source files. If no files are listed, sync all the files
    /// and infer the destination.
    pub struct Sync / SyncRaw {
    }
    one_of("sync")
    /// How files are synced: `manual` rules, `infer`red from the Dockerfile, or `auto`. `None` (as
    /// in `sync: {}`) until defaults apply.
    pub mode: Option<SyncMode> {
        manual = "manual" => Manual(Vec<SyncRule>),
        infer = "infer" => Infer(Vec<String>),
        auto = "auto" => Auto(bool),
    }
    {
        /// Describes a set of lifecycle hooks that are executed before and after each file sync
        /// action on the target artifact's containers.
        #[serde(default, skip_serializing_if = "is_default")]
        pub hooks: SyncHooks,
    }
}

/// How local files are synced into running containers (one-of group `sync`).
#[derive(Debug, Clone, PartialEq)]
pub enum SyncMode {
    /// Manual sync rules indicating the source and destination. (`manual`)
    Manual(Vec<SyncRule>),
    /// File patterns which may be synced into the container The container destination is inferred
    /// by the builder based on the instructions of a Dockerfile. Available for docker and kaniko
    /// artifacts and custom artifacts that declare dependencies on a dockerfile. (`infer`)
    Infer(Vec<String>),
    /// Delegates discovery of sync rules to the build system. Only available for jib and
    /// buildpacks. (`auto`)
    Auto(bool),
}

impl SyncMode {
    /// The YAML key of this member.
    pub fn key(&self) -> &'static str {
        match self {
            SyncMode::Manual(_) => "manual",
            SyncMode::Infer(_) => "infer",
            SyncMode::Auto(_) => "auto",
        }
    }
}

/// Specifies which local files to sync to remote folders.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncRule {
    /// A glob pattern to match local paths against. Directories should be delimited by `/` on all
    /// platforms. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub src: String,
    /// Destination path in the container where the files should be synced to. Required.
    #[serde(deserialize_with = "crate::yaml::de::required_string")]
    pub dest: String,
    /// Specifies the path prefix to remove from the source path when transplanting the files into
    /// the destination folder.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub strip: String,
}

/// Describes the list of lifecycle hooks to execute before and after each artifact sync step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncHooks {
    /// Describes the list of lifecycle hooks to execute *before* each artifact sync step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<SyncHookItem>,
    /// Describes the list of lifecycle hooks to execute *after* each artifact sync step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<SyncHookItem>,
}

one_of_enum! {
    /// Describes a single lifecycle hook to execute before or after each artifact sync step.
    pub enum SyncHookItem / SyncHookItemRaw ("sync_hook") {
        /// Describes a single lifecycle hook to run on the host machine.
        host = "host" => Host(HostHook),
        /// Describes a single lifecycle hook to run on a container.
        container = "container" => Container(ContainerHook),
    }
}

/// Describes the list of lifecycle hooks to execute before and after each artifact build step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BuildHooks {
    /// Describes the list of lifecycle hooks to execute *before* each artifact build step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<HostHook>,
    /// Describes the list of lifecycle hooks to execute *after* each artifact build step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<HostHook>,
}

/// Describes a lifecycle hook definition to execute on the host machine.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HostHook {
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
}

/// Describes a lifecycle hook definition to execute on a container. The container name is inferred
/// from the scope in which this hook is defined.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerHook {
    /// Command to execute. Required.
    pub command: Vec<String>,
}
