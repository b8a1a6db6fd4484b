//! `skiff inspect …`: the JSON views of the configuration that IDEs (Cloud Code) read.
//!
//! Every command prints one JSON object and a newline on stdout, encoded like Go's
//! `encoding/json` (compact, `<`, `>` and `&` escaped, map keys sorted), with Skaffold's field
//! names:
//!
//! | command | output |
//! |---|---|
//! | `modules list [-a]` | `{"modules":[{"name":…,"path":…,"isRemote":true,"isRoot":true}]}` |
//! | `profiles list [--build-env E]` | `{"profiles":[{"name":…,"path":…,"module":…}]}` |
//! | `build-env list` | `{"build_envs":[{"type":"local","path":…,"module":…}]}` |
//! | `tests list` | `{"tests":[{"testType":"custom-test","Command":…,…}, {"testType":"structure-test",…}]}` |
//! | `namespaces list MANIFEST` | `{"resourceToInfoMap":{"apps/v1, Kind=Deployment":[{"name":…,"namespace":…}]}}` |
//! | `executionModes list` | `{"verifyExecutionModes":{…},"customActionsExecutionModes":{…}}` |
//! | `jobManifestPaths list` | `{"verifyJobManifestPaths":{…},"customActionJobManifestPaths":{…}}` |
//! | `config-dependencies add FILE` | nothing; the `requires` entries are added to the file |
//!
//! `path` is the absolute path of the config file. On failure the command prints
//! `{"errorCode":"CONFIG_…","errorMessage":"…"}` on stdout instead (`INSPECT_UNKNOWN_ERR` for
//! errors without a Skaffold status code), nothing on stderr, and exits with code 1.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::Path;

use serde::Serialize;
use skiff_config::model::{
    BuildType, ConfigDependency, ConfigSource, CustomTest, CustomTestDependencySource, GitInfo,
    GoogleCloudBuildRepoV2Info, GoogleCloudStorageInfo, ProfileDependency,
};
use skiff_config::{ConfigError, ConfigErrors};

use crate::configs::{self, LoadRequest, LoadedConfig};

use crate::options::{InspectCommand, InspectOptions, SyncRemoteCache};

/// Serializes `value` the way Go's `json.Encoder` does: compact, `<`, `>`, `&`, U+2028 and
/// U+2029 escaped, followed by a newline.
pub(crate) fn to_go_json<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let json = serde_json::to_string(value)?;
    let mut out = String::with_capacity(json.len() + 1);
    // These characters only occur inside strings, where an escape means the same character.
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('\n');
    Ok(out)
}

/// Why an inspect command failed, with the status code IDEs read.
#[derive(Debug)]
pub enum InspectError {
    /// A config error (file, line, column, status code).
    Config(ConfigError),
    /// Several config errors; the first one's code is reported.
    Configs(ConfigErrors),
    /// Anything else (`INSPECT_UNKNOWN_ERR`).
    Other(anyhow::Error),
}

impl From<ConfigError> for InspectError {
    fn from(e: ConfigError) -> Self {
        InspectError::Config(e)
    }
}

impl From<ConfigErrors> for InspectError {
    fn from(e: ConfigErrors) -> Self {
        match <[ConfigError; 1]>::try_from(e.0) {
            Ok([one]) => InspectError::Config(one),
            Err(many) => InspectError::Configs(ConfigErrors(many)),
        }
    }
}

impl From<anyhow::Error> for InspectError {
    fn from(e: anyhow::Error) -> Self {
        InspectError::Other(e)
    }
}

impl From<std::io::Error> for InspectError {
    fn from(e: std::io::Error) -> Self {
        InspectError::Other(e.into())
    }
}

/// Skaffold's text of an error with suggestions: the message, then `. ` and the suggestions.
fn config_error_message(e: &ConfigError) -> String {
    let mut message = e.headline();
    if let Some(suggestion) = &e.suggestion {
        message.push_str(". ");
        message.push_str(&suggestion.action);
        message.push('.');
    }
    message
}

impl InspectError {
    /// The status code name (`CONFIG_FILE_NOT_FOUND_ERR`, `INSPECT_UNKNOWN_ERR`, …).
    pub fn error_code(&self) -> &'static str {
        match self {
            InspectError::Config(e) => e.code.as_str_name(),
            InspectError::Configs(e) => e
                .iter()
                .next()
                .map_or("INSPECT_UNKNOWN_ERR", |e| e.code.as_str_name()),
            InspectError::Other(_) => "INSPECT_UNKNOWN_ERR",
        }
    }

    /// The message IDEs show.
    pub fn error_message(&self) -> String {
        match self {
            InspectError::Config(e) => config_error_message(e),
            InspectError::Configs(e) => e
                .iter()
                .map(config_error_message)
                .collect::<Vec<_>>()
                .join("\n"),
            InspectError::Other(e) => format!("{e:#}"),
        }
    }

    /// The JSON error object and a newline.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct JsonError<'a> {
            error_code: &'a str,
            error_message: String,
        }
        to_go_json(&JsonError {
            error_code: self.error_code(),
            error_message: self.error_message(),
        })
        .expect("strings serialize")
    }
}

impl fmt::Display for InspectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InspectError::Config(e) => write!(f, "{e}"),
            InspectError::Configs(e) => write!(f, "{e}"),
            InspectError::Other(e) => write!(f, "{e:#}"),
        }
    }
}

impl std::error::Error for InspectError {}

/// Runs an inspect command. On failure the JSON error object is printed on stdout and the
/// process exits with code 1 without printing anything on stderr, as Skaffold does.
pub fn run(opts: InspectOptions) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match inspect(&opts, &mut out) {
        Ok(()) => {
            out.flush()?;
            Ok(())
        }
        Err(err) => {
            tracing::debug!("inspect failed: {err}");
            // The JSON object is the report; a closed stdout leaves only the exit code.
            let _ = out.write_all(err.to_json().as_bytes());
            let _ = out.flush();
            Err(crate::exit::Reported.into())
        }
    }
}

/// Runs the inspect command of `opts`, writing its JSON to `out`. The caller prints the error.
pub fn inspect(opts: &InspectOptions, out: &mut dyn Write) -> Result<(), InspectError> {
    let json = match &opts.command {
        InspectCommand::ModulesList { include_all } => {
            let cfgs = load(opts)?;
            to_go_json(&modules_list(&cfgs, *include_all))
        }
        InspectCommand::ProfilesList { build_env } => {
            let cfgs = load(opts)?;
            to_go_json(&profiles_list(&cfgs, build_env.as_deref()))
        }
        InspectCommand::BuildEnvList => {
            let cfgs = load(opts)?;
            to_go_json(&build_env_list(&cfgs))
        }
        InspectCommand::TestsList => {
            let cfgs = load(opts)?;
            to_go_json(&tests_list(&cfgs))
        }
        InspectCommand::NamespacesList { manifest } => {
            let deployments = manifest_deployments(manifest)?;
            let cfgs = load(opts)?;
            to_go_json(&namespaces_list(&cfgs, deployments))
        }
        InspectCommand::ExecutionModesList => {
            let cfgs = load(opts)?;
            to_go_json(&execution_modes_list(&cfgs))
        }
        InspectCommand::JobManifestPathsList => {
            let cfgs = load(opts)?;
            to_go_json(&job_manifest_paths_list(&cfgs))
        }
        InspectCommand::ConfigDependenciesAdd { input } => {
            return config_dependencies_add(opts, input);
        }
    }
    .map_err(anyhow::Error::from)?;
    out.write_all(json.as_bytes())?;
    Ok(())
}

/// Loads the configs as Skaffold's inspect commands do: no profile auto-activation, profiles
/// kept in the configs, defaults applied, the `-m` and `-p` of the commands that have them.
fn load(opts: &InspectOptions) -> Result<Vec<LoadedConfig>, InspectError> {
    let request = LoadRequest {
        file: opts.filename.clone(),
        modules: opts.modules.clone(),
        profiles: opts.profiles.clone(),
        propagate_profiles: opts.propagate_profiles,
        // Skaffold's inspect commands never auto-activate profiles, and keep the `profiles`
        // sections in the configs.
        profile_auto_activation: false,
        command: "inspect".to_owned(),
        kube_context: None,
        remote_cache_dir: opts.remote_cache_dir.clone(),
        sync_remote_cache: SyncRemoteCache::Missing,
        apply_defaults: true,
        absolute_paths: None,
        validate: false,
    };
    Ok(configs::load(&request)?)
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[derive(Serialize)]
struct ModuleList {
    modules: Vec<ModuleEntry>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ModuleEntry {
    name: String,
    path: String,
    #[serde(skip_serializing_if = "is_false")]
    is_remote: bool,
    #[serde(skip_serializing_if = "is_false")]
    is_root: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn modules_list(cfgs: &[LoadedConfig], include_all: bool) -> ModuleList {
    let modules = cfgs
        .iter()
        .filter_map(|c| {
            let name = &c.config.metadata.name;
            let name = if !name.is_empty() {
                name.clone()
            } else if include_all {
                // A generated name to tell apart several unnamed configs of one file.
                format!("__config_{}", c.index)
            } else {
                return None;
            };
            Some(ModuleEntry {
                name,
                path: display(&c.file),
                is_remote: c.is_remote,
                is_root: c.is_root,
            })
        })
        .collect();
    ModuleList { modules }
}

#[derive(Serialize)]
struct ProfileList {
    profiles: Vec<ProfileEntry>,
}

#[derive(Serialize)]
struct ProfileEntry {
    name: String,
    path: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    module: String,
}

/// Skaffold's name of a build environment: `cluster`, `googleCloudBuild`, or `local` (also
/// when unset).
fn build_env_name(build_type: Option<&BuildType>) -> &'static str {
    match build_type {
        Some(BuildType::Cluster(_)) => "cluster",
        Some(BuildType::GoogleCloudBuild(_)) => "googleCloudBuild",
        _ => "local",
    }
}

fn profiles_list(cfgs: &[LoadedConfig], build_env: Option<&str>) -> ProfileList {
    let build_env = build_env.filter(|e| !e.is_empty());
    let profiles = cfgs
        .iter()
        .flat_map(|c| {
            c.config.profiles.iter().filter_map(move |p| {
                if let Some(env) = build_env
                    && build_env_name(p.pipeline.build.build_type.as_ref()) != env
                {
                    return None;
                }
                Some(ProfileEntry {
                    name: p.name.clone(),
                    path: display(&c.file),
                    module: c.config.metadata.name.clone(),
                })
            })
        })
        .collect();
    ProfileList { profiles }
}

#[derive(Serialize)]
struct BuildEnvList {
    build_envs: Vec<BuildEnvEntry>,
}

#[derive(Serialize)]
struct BuildEnvEntry {
    #[serde(rename = "type")]
    kind: &'static str,
    path: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    module: String,
}

fn build_env_list(cfgs: &[LoadedConfig]) -> BuildEnvList {
    BuildEnvList {
        build_envs: cfgs
            .iter()
            .map(|c| BuildEnvEntry {
                kind: build_env_name(c.config.pipeline.build.build_type.as_ref()),
                path: display(&c.file),
                module: c.config.metadata.name.clone(),
            })
            .collect(),
    }
}

#[derive(Serialize)]
struct TestList {
    tests: Vec<TestEntry>,
}

/// Skaffold embeds its Go `CustomTest` struct, which has no JSON tags: its fields keep their Go
/// names (`Command`, `TimeoutSeconds`, `Dependencies`) and nothing is omitted.
#[derive(Serialize)]
#[serde(untagged)]
enum TestEntry {
    Custom {
        #[serde(rename = "testType")]
        test_type: &'static str,
        #[serde(rename = "Command")]
        command: String,
        #[serde(rename = "TimeoutSeconds")]
        timeout_seconds: i32,
        #[serde(rename = "Dependencies")]
        dependencies: Option<GoCustomTestDependencies>,
    },
    Structure {
        #[serde(rename = "testType")]
        test_type: &'static str,
        #[serde(rename = "structureTest")]
        structure_test: String,
        #[serde(rename = "structureTestArgs")]
        structure_test_args: Option<Vec<String>>,
    },
}

#[derive(Serialize)]
struct GoCustomTestDependencies {
    #[serde(rename = "Command")]
    command: String,
    #[serde(rename = "Paths")]
    paths: Option<Vec<String>>,
    #[serde(rename = "Ignore")]
    ignore: Option<Vec<String>>,
}

/// Go marshals an empty (nil) slice as `null`.
fn go_slice(v: &[String]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.to_vec())
}

fn custom_test_entry(t: &CustomTest) -> TestEntry {
    TestEntry::Custom {
        test_type: "custom-test",
        command: t.command.clone(),
        timeout_seconds: t.timeout_seconds,
        dependencies: t.dependencies.as_ref().map(|d| {
            let (command, paths) = match &d.source {
                Some(CustomTestDependencySource::Command(c)) => (c.clone(), None),
                Some(CustomTestDependencySource::Paths(p)) => (String::new(), go_slice(p)),
                None => (String::new(), None),
            };
            GoCustomTestDependencies {
                command,
                paths,
                ignore: go_slice(&d.ignore),
            }
        }),
    }
}

fn tests_list(cfgs: &[LoadedConfig]) -> TestList {
    let mut tests = Vec::new();
    for c in cfgs {
        for t in &c.config.pipeline.test {
            tests.extend(t.custom.iter().map(custom_test_entry));
            tests.extend(t.structure_tests.iter().map(|st| TestEntry::Structure {
                test_type: "structure-test",
                structure_test: st.clone(),
                structure_test_args: go_slice(&t.structure_tests_args),
            }));
        }
    }
    TestList { tests }
}

/// Skaffold's key for Deployments in `resourceToInfoMap` (Go's `GroupVersionKind.String()`).
const DEPLOYMENT_GVK: &str = "apps/v1, Kind=Deployment";

/// The namespace of resources that name none and get none from the config.
const DEFAULT_NAMESPACE: &str = "default";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NamespaceList {
    resource_to_info_map: BTreeMap<String, Vec<ResourceInfo>>,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
struct ResourceInfo {
    name: String,
    namespace: String,
}

/// The `apps/v1` Deployments of a manifest file (name and namespace as written), in order.
/// Documents that are not Deployments, or not Kubernetes objects at all, are skipped.
fn manifest_deployments(manifest: &Path) -> Result<Vec<ResourceInfo>, InspectError> {
    use serde::Deserialize;
    use serde_yaml_ng::Value;
    let text = std::fs::read_to_string(manifest)
        .map_err(|e| anyhow::anyhow!("reading manifest file {}: {e}", manifest.display()))?;
    let mut found = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(&text) {
        let value = Value::deserialize(doc)
            .map_err(|e| anyhow::anyhow!("parsing manifest file {}: {e}", manifest.display()))?;
        let field = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        if field(&value, "apiVersion").as_deref() != Some("apps/v1")
            || field(&value, "kind").as_deref() != Some("Deployment")
        {
            continue;
        }
        let metadata = value.get("metadata").cloned().unwrap_or(Value::Null);
        found.push(ResourceInfo {
            name: field(&metadata, "name").unwrap_or_default(),
            namespace: field(&metadata, "namespace").unwrap_or_default(),
        });
    }
    Ok(found)
}

/// The namespace kubectl gets from `-n NS`, `-n=NS`, `--namespace NS` or `--namespace=NS`.
fn namespace_from_flags(flags: &[String]) -> Option<String> {
    for (i, flag) in flags.iter().enumerate() {
        let next = flags.get(i + 1);
        if (flag == "-n" || flag == "--namespace") && next.is_some() {
            return next.cloned();
        }
        for prefix in ["-n=", "--namespace="] {
            if let Some(ns) = flag.strip_prefix(prefix)
                && !ns.contains('=')
            {
                return Some(ns.to_owned());
            }
        }
    }
    None
}

fn namespaces_list(cfgs: &[LoadedConfig], deployments: Vec<ResourceInfo>) -> NamespaceList {
    let mut default_namespace = DEFAULT_NAMESPACE.to_owned();
    let mut flag_namespace: Option<String> = None;
    // Cloud Deploy runs `skaffold apply`, which always deploys with kubectl: only its settings
    // count. The last config that sets one wins.
    for c in cfgs {
        if let Some(kubectl) = &c.config.pipeline.deploy.kubectl {
            if let Some(ns) = kubectl
                .default_namespace
                .as_ref()
                .filter(|ns| !ns.is_empty())
            {
                default_namespace = ns.clone();
            }
            if let Some(ns) = namespace_from_flags(&kubectl.flags.global) {
                flag_namespace = Some(ns);
            }
            if let Some(ns) = namespace_from_flags(&kubectl.flags.apply) {
                flag_namespace = Some(ns);
            }
        }
    }
    let mut map = BTreeMap::new();
    if !deployments.is_empty() {
        let resolved = deployments
            .into_iter()
            .map(|mut d| {
                if d.namespace.is_empty() {
                    d.namespace = flag_namespace.clone().unwrap_or(default_namespace.clone());
                }
                d
            })
            .collect();
        map.insert(DEPLOYMENT_GVK.to_owned(), resolved);
    }
    NamespaceList {
        resource_to_info_map: map,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExecutionModeList {
    verify_execution_modes: BTreeMap<String, &'static str>,
    custom_actions_execution_modes: BTreeMap<String, &'static str>,
}

fn execution_modes_list(cfgs: &[LoadedConfig]) -> ExecutionModeList {
    let mode = |cluster: bool| {
        if cluster {
            "kubernetesCluster"
        } else {
            "local"
        }
    };
    let mut list = ExecutionModeList {
        verify_execution_modes: BTreeMap::new(),
        custom_actions_execution_modes: BTreeMap::new(),
    };
    for c in cfgs {
        for t in &c.config.pipeline.verify {
            list.verify_execution_modes.insert(
                t.name.clone(),
                mode(t.execution_mode.kubernetes_cluster.is_some()),
            );
        }
        for a in &c.config.pipeline.custom_actions {
            list.custom_actions_execution_modes.insert(
                a.name.clone(),
                mode(a.execution_mode.kubernetes_cluster.is_some()),
            );
        }
    }
    list
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JobManifestPathList {
    verify_job_manifest_paths: BTreeMap<String, String>,
    custom_action_job_manifest_paths: BTreeMap<String, String>,
}

fn job_manifest_paths_list(cfgs: &[LoadedConfig]) -> JobManifestPathList {
    let mut list = JobManifestPathList {
        verify_job_manifest_paths: BTreeMap::new(),
        custom_action_job_manifest_paths: BTreeMap::new(),
    };
    for c in cfgs {
        for t in &c.config.pipeline.verify {
            if let Some(k) = &t.execution_mode.kubernetes_cluster
                && !k.job_manifest_path.is_empty()
            {
                list.verify_job_manifest_paths
                    .insert(t.name.clone(), k.job_manifest_path.clone());
            }
        }
        for a in &c.config.pipeline.custom_actions {
            if let Some(k) = &a.execution_mode.kubernetes_cluster
                && !k.job_manifest_path.is_empty()
            {
                list.custom_action_job_manifest_paths
                    .insert(a.name.clone(), k.job_manifest_path.clone());
            }
        }
    }
    list
}

/// The input of `config-dependencies add`: Skaffold's JSON shape of `requires` entries.
#[derive(serde::Deserialize)]
struct DependencyList {
    #[serde(default, alias = "Dependencies")]
    dependencies: Vec<DependencyEntry>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct DependencyEntry {
    #[serde(default)]
    configs: Vec<String>,
    #[serde(default)]
    path: String,
    git: Option<JsonGit>,
    google_cloud_storage: Option<JsonGcs>,
    #[serde(rename = "googleCloudBuildRepoV2")]
    google_cloud_build_repo_v2: Option<JsonGcbRepo>,
    #[serde(default)]
    active_profiles: Vec<JsonActiveProfile>,
}

#[derive(serde::Deserialize)]
struct JsonGit {
    repo: String,
    #[serde(default)]
    path: String,
    #[serde(default, rename = "ref")]
    reference: String,
    #[serde(default)]
    sync: bool,
}

#[derive(serde::Deserialize)]
struct JsonGcs {
    source: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    sync: bool,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonGcbRepo {
    #[serde(rename = "projectID")]
    project_id: String,
    region: String,
    connection: String,
    repo: String,
    #[serde(default)]
    path: String,
    #[serde(default, rename = "ref")]
    reference: String,
    #[serde(default)]
    sync: bool,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonActiveProfile {
    name: String,
    #[serde(default)]
    activated_by: Vec<String>,
}

impl DependencyEntry {
    /// The `requires` entry. Skaffold sets `source` from whichever fields are present; when
    /// several are, the remote one wins here (the config would not validate otherwise).
    fn into_config_dependency(self) -> ConfigDependency {
        let source = if let Some(g) = self.git {
            Some(ConfigSource::Git(GitInfo {
                repo: g.repo,
                path: g.path,
                r#ref: g.reference,
                sync: Some(g.sync),
            }))
        } else if let Some(g) = self.google_cloud_storage {
            Some(ConfigSource::GoogleCloudStorage(GoogleCloudStorageInfo {
                source: g.source,
                path: g.path,
                sync: Some(g.sync),
            }))
        } else if let Some(g) = self.google_cloud_build_repo_v2 {
            Some(ConfigSource::GoogleCloudBuildRepoV2(
                GoogleCloudBuildRepoV2Info {
                    project_id: g.project_id,
                    region: g.region,
                    connection: g.connection,
                    repo: g.repo,
                    path: g.path,
                    r#ref: g.reference,
                    sync: Some(g.sync),
                },
            ))
        } else if !self.path.is_empty() {
            Some(ConfigSource::Path(self.path))
        } else {
            None
        };
        ConfigDependency {
            configs: self.configs,
            source,
            active_profiles: self
                .active_profiles
                .into_iter()
                .map(|p| ProfileDependency {
                    name: p.name,
                    activated_by: p.activated_by,
                })
                .collect(),
        }
    }
}

/// `config-dependencies add FILE`: appends the `requires` entries of `input` to every selected
/// config of the config file and writes the file back. The modified documents are written in
/// the latest schema version; the other documents are written back unchanged in content.
fn config_dependencies_add(opts: &InspectOptions, input: &Path) -> Result<(), InspectError> {
    let text = std::fs::read_to_string(input)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", input.display()))?;
    let list: DependencyList = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("parsing {}: {e}", input.display()))?;
    let deps: Vec<ConfigDependency> = list
        .dependencies
        .into_iter()
        .map(DependencyEntry::into_config_dependency)
        .collect();
    configs::add_requires(
        &opts.filename,
        &opts.modules,
        opts.remote_cache_dir.clone(),
        &deps,
    )?;
    Ok(())
}
