//! Skaffold's defaults, applied to the typed model (`pkg/skaffold/schema/defaults/defaults.go`).
//!
//! Skaffold applies them after profiles, to the pipeline of each config ([`set_defaults`]); the
//! default renderer (`rawYaml: [k8s/*.yaml]`) and deployer (`kubectl: {}`) are added only when
//! the run has a single config ([`apply`] does both). Builders apply a few more defaults
//! themselves at run time; their values are here as constants ([`KO_DEPENDENCY_PATHS`],
//! [`KUSTOMIZE_PATHS`]) but are not written into the config, so that the defaulted config prints
//! as Skaffold's does.

use std::path::PathBuf;

use crate::error::{ConfigError, StatusCode};
use crate::load::ConfigSet;
use crate::model::*;
use crate::yaml::Segment;

/// Default `dockerfile` of docker and kaniko artifacts.
pub const DOCKERFILE: &str = "Dockerfile";
/// Default artifact and test `context`.
pub const CONTEXT: &str = ".";
/// Default `sync.infer` when `sync: {}` is given.
pub const SYNC_INFER: &str = "**/*";
/// Default `build.local.concurrency` when there are artifacts.
pub const LOCAL_CONCURRENCY: i32 = 1;
/// Default `deploy.helm.concurrency`.
pub const HELM_CONCURRENCY: i32 = 1;
/// Default `deploy.logs.prefix`.
pub const LOG_PREFIX: &str = "container";
/// Default `portForward[].address`.
pub const PORT_FORWARD_ADDRESS: &str = "127.0.0.1";
/// Default `manifests.rawYaml` when no renderer or deployer is configured.
pub const KUBECTL_MANIFESTS: &str = "k8s/*.yaml";
/// Default `buildpacks.builder` (with `trustBuilder: true`) when neither a builder nor buildpacks
/// are given.
pub const BUILDPACKS_BUILDER: &str = "gcr.io/buildpacks/builder:v1";
/// Default `buildpacks.projectDescriptor`.
pub const PROJECT_DESCRIPTOR: &str = "project.toml";
/// Default `dependencies.paths` of custom and buildpacks artifacts.
pub const DEPENDENCY_PATHS: &str = ".";
/// Default `ko.dependencies.paths` (applied by the ko builder, not written into the config).
pub const KO_DEPENDENCY_PATHS: &str = "**/*.go";
/// Default `manifests.kustomize.paths` (applied by the renderer, not written into the config).
pub const KUSTOMIZE_PATHS: &str = ".";
/// Default kaniko executor image.
pub const KANIKO_IMAGE: &str = "gcr.io/kaniko-project/executor:latest";
/// Default kaniko init image.
pub const BUSYBOX_IMAGE: &str = "gcr.io/k8s-skaffold/skaffold-helpers/busybox";
/// Default kaniko digest file.
pub const KANIKO_DIGEST_FILE: &str = "/dev/termination-log";
/// Default kaniko `copyMaxRetries`.
pub const KANIKO_COPY_MAX_RETRIES: i32 = 3;
/// Default kaniko `copyTimeout`.
pub const KANIKO_COPY_TIMEOUT: &str = "5m";
/// Default kaniko `buildContextCompressionLevel`.
pub const KANIKO_COMPRESSION_LEVEL: i32 = 1;
/// Default `cluster.timeout`.
pub const CLUSTER_TIMEOUT: &str = "20m";
/// Default `cluster.pullSecretMountPath`.
pub const CLUSTER_PULL_SECRET_MOUNT_PATH: &str = "/secret";
/// Default `cluster.pullSecretName` (when `pullSecretPath` is set).
pub const CLUSTER_PULL_SECRET_NAME: &str = "kaniko-secret";
/// Default `cluster.dockerConfig.secretName`.
pub const CLUSTER_DOCKER_CONFIG_SECRET_NAME: &str = "docker-cfg";
/// Default Cloud Build images.
pub const GCB_DOCKER_IMAGE: &str = "gcr.io/cloud-builders/docker";
/// Default Cloud Build Maven image.
pub const GCB_MAVEN_IMAGE: &str = "gcr.io/cloud-builders/mvn";
/// Default Cloud Build Gradle image.
pub const GCB_GRADLE_IMAGE: &str = "gcr.io/cloud-builders/gradle";
/// Default Cloud Build pack image.
pub const GCB_PACK_IMAGE: &str = "gcr.io/k8s-skaffold/pack";
/// Default Cloud Build ko image.
pub const GCB_KO_IMAGE: &str = "gcr.io/k8s-skaffold/skaffold";

/// What defaulting needs from the environment.
#[derive(Debug, Clone, Default)]
pub struct DefaultsOptions {
    /// The namespace of the current kube context, for `build.cluster.namespace` (`default` when
    /// `None`).
    pub kube_namespace: Option<String>,
    /// The home directory for expanding `~` in `pullSecretPath` and `dockerConfig.path` (`$HOME`
    /// when `None`).
    pub home_dir: Option<PathBuf>,
}

/// A field whose value prevents defaulting (only helm releases can cause one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultsError {
    /// The field.
    pub path: Vec<Segment>,
    /// What is wrong.
    pub message: String,
}

fn key(k: &str) -> Segment {
    Segment::Key(k.to_string())
}

/// Apply Skaffold's defaults to every config of `set`, then the default renderer and deployer
/// when there is exactly one config (as Skaffold's runner does).
pub fn apply(set: &mut ConfigSet, opts: &DefaultsOptions) -> Result<(), ConfigError> {
    for entry in &mut set.entries {
        set_defaults(&mut entry.config, opts).map_err(|e| {
            let name = &entry.config.metadata.name;
            entry.source.error(
                &e.path,
                StatusCode::ConfigDefaultValuesErr,
                if name.is_empty() {
                    format!("failed to set default values: {}", e.message)
                } else {
                    format!(
                        "failed to set default values for config {name:?}: {}",
                        e.message
                    )
                },
            )
        })?;
    }
    if let [entry] = set.entries.as_mut_slice() {
        set_default_renderer(&mut entry.config);
        set_default_deployer(&mut entry.config);
    }
    Ok(())
}

/// Skaffold's `defaults.Set` on one config's pipeline.
pub fn set_defaults(
    config: &mut SkaffoldConfig,
    opts: &DefaultsOptions,
) -> Result<(), DefaultsError> {
    let p = &mut config.pipeline;
    if p.build.build_type.is_none() {
        p.build.build_type = Some(BuildType::Local(LocalBuild::default()));
    }
    if p.build.tag_policy.is_none() {
        p.build.tag_policy = Some(TagPolicy::GitCommit(GitTagger::default()));
    }
    if p.deploy.logs.prefix.is_empty() {
        p.deploy.logs.prefix = LOG_PREFIX.to_string();
    }
    if let Some(helm) = &mut p.deploy.helm {
        helm.concurrency.get_or_insert(HELM_CONCURRENCY);
        if helm.releases.len() > 1 {
            check_helm_dependencies(&helm.releases).map_err(|(i, message)| {
                let mut path = vec![key("deploy"), key("helm"), key("releases")];
                if let Some(i) = i {
                    path.push(Segment::Index(i));
                }
                DefaultsError { path, message }
            })?;
        }
    }

    let cluster_build = matches!(p.build.build_type, Some(BuildType::Cluster(_)));
    for a in &mut p.build.artifacts {
        if a.context.is_empty() {
            a.context = CONTEXT.to_string();
        }
        set_default_sync(a);
        let custom_or_buildpacks = matches!(
            a.artifact_type,
            Some(ArtifactType::Custom(_) | ArtifactType::Buildpacks(_))
        );
        if a.artifact_type.is_none() {
            a.artifact_type = Some(if cluster_build && !custom_or_buildpacks {
                ArtifactType::Kaniko(KanikoArtifact::default())
            } else {
                ArtifactType::Docker(DockerArtifact::default())
            });
        }
        match &mut a.artifact_type {
            Some(ArtifactType::Docker(d)) if d.dockerfile.is_empty() => {
                d.dockerfile = DOCKERFILE.to_string();
            }
            Some(ArtifactType::Kaniko(k)) => set_kaniko_defaults(k),
            Some(ArtifactType::Custom(c)) if c.dependencies.is_none() => {
                c.dependencies = Some(CustomDependencies {
                    source: Some(CustomDependencySource::Paths(vec![
                        DEPENDENCY_PATHS.to_string(),
                    ])),
                    ..Default::default()
                });
            }
            Some(ArtifactType::Buildpacks(b)) => {
                if b.project_descriptor.is_empty() {
                    b.project_descriptor = PROJECT_DESCRIPTOR.to_string();
                }
                if b.dependencies.is_none() {
                    b.dependencies = Some(BuildpackDependencies {
                        paths: vec![DEPENDENCY_PATHS.to_string()],
                        ignore: Vec::new(),
                    });
                }
                if b.builder.is_empty() && b.buildpacks.is_empty() {
                    b.builder = BUILDPACKS_BUILDER.to_string();
                    b.trust_builder = true;
                }
            }
            _ => {}
        }
        for d in &mut a.requires {
            if d.alias.is_empty() {
                d.alias = d.image.clone();
            }
        }
    }

    let has_artifacts = !p.build.artifacts.is_empty();
    match &mut p.build.build_type {
        Some(BuildType::Local(local)) if has_artifacts => {
            local.concurrency.get_or_insert(LOCAL_CONCURRENCY);
        }
        Some(BuildType::GoogleCloudBuild(gcb)) => {
            for (field, default) in [
                (&mut gcb.docker_image, GCB_DOCKER_IMAGE),
                (&mut gcb.maven_image, GCB_MAVEN_IMAGE),
                (&mut gcb.gradle_image, GCB_GRADLE_IMAGE),
                (&mut gcb.kaniko_image, KANIKO_IMAGE),
                (&mut gcb.pack_image, GCB_PACK_IMAGE),
                (&mut gcb.ko_image, GCB_KO_IMAGE),
            ] {
                if field.is_empty() {
                    *field = default.to_string();
                }
            }
        }
        Some(BuildType::Cluster(cluster)) => set_cluster_defaults(cluster, opts),
        Some(BuildType::Local(_)) | None => {}
    }

    for pf in &mut p.port_forward {
        if pf.local_port == 0
            && let Some(IntOrString::Int(port)) = pf.port
        {
            pf.local_port = i32::try_from(port).unwrap_or(0);
        }
        if pf.address.is_empty() {
            pf.address = PORT_FORWARD_ADDRESS.to_string();
        }
    }
    for t in &mut p.test {
        if t.context.is_empty() {
            t.context = CONTEXT.to_string();
        }
    }
    Ok(())
}

fn set_default_sync(a: &mut Artifact) {
    let jib_or_buildpacks = matches!(
        a.artifact_type,
        Some(ArtifactType::Jib(_) | ArtifactType::Buildpacks(_))
    );
    match &mut a.sync {
        Some(sync) if sync.mode.is_none() => {
            sync.mode = Some(if jib_or_buildpacks {
                SyncMode::Auto(true)
            } else {
                SyncMode::Infer(vec![SYNC_INFER.to_string()])
            });
        }
        Some(_) => {}
        None => {
            if matches!(a.artifact_type, Some(ArtifactType::Buildpacks(_))) {
                a.sync = Some(Sync {
                    mode: Some(SyncMode::Auto(true)),
                    ..Default::default()
                });
            }
        }
    }
}

fn set_kaniko_defaults(k: &mut KanikoArtifact) {
    for (field, default) in [
        (&mut k.image, KANIKO_IMAGE),
        (&mut k.dockerfile, DOCKERFILE),
        (&mut k.init_image, BUSYBOX_IMAGE),
        (&mut k.digest_file, KANIKO_DIGEST_FILE),
        (&mut k.copy_timeout, KANIKO_COPY_TIMEOUT),
    ] {
        if field.is_empty() {
            *field = default.to_string();
        }
    }
    if let Some(cache) = &mut k.cache {
        cache.cache_run_layers.get_or_insert(true);
    }
    k.copy_max_retries.get_or_insert(KANIKO_COPY_MAX_RETRIES);
    k.build_context_compression_level
        .get_or_insert(KANIKO_COMPRESSION_LEVEL);
}

fn set_cluster_defaults(cluster: &mut ClusterDetails, opts: &DefaultsOptions) {
    if cluster.namespace.is_empty() {
        cluster.namespace = opts
            .kube_namespace
            .clone()
            .unwrap_or_else(|| "default".to_string());
    }
    if cluster.timeout.is_empty() {
        cluster.timeout = CLUSTER_TIMEOUT.to_string();
    }
    if cluster.pull_secret_mount_path.is_empty() {
        cluster.pull_secret_mount_path = CLUSTER_PULL_SECRET_MOUNT_PATH.to_string();
    }
    if !cluster.pull_secret_path.is_empty() {
        cluster.pull_secret_path = expand_home(&cluster.pull_secret_path, opts);
        if cluster.pull_secret_name.is_empty() {
            let random = if cluster.random_pull_secret {
                random_uuid()
            } else {
                String::new()
            };
            cluster.pull_secret_name = format!("{CLUSTER_PULL_SECRET_NAME}{random}");
        }
    }
    if let Some(dc) = &mut cluster.docker_config {
        if dc.secret_name.is_empty() {
            let random = if cluster.random_docker_config_secret {
                random_uuid()
            } else {
                String::new()
            };
            dc.secret_name = format!("{CLUSTER_DOCKER_CONFIG_SECRET_NAME}{random}");
        }
        if !dc.path.is_empty() {
            dc.path = expand_home(&dc.path, opts);
        }
    }
}

/// Expand a leading `~` as go-homedir does.
fn expand_home(path: &str, opts: &DefaultsOptions) -> String {
    let Some(rest) = path.strip_prefix('~') else {
        return path.to_string();
    };
    if !(rest.is_empty() || rest.starts_with('/') || rest.starts_with('\\')) {
        return path.to_string();
    }
    let home = opts
        .home_dir
        .clone()
        .or_else(|| std::env::var_os("HOME").map(PathBuf::from));
    match home {
        Some(h) => format!("{}{rest}", h.display()),
        None => path.to_string(),
    }
}

/// A random version-4-style UUID, for Skaffold's randomised secret names.
fn random_uuid() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut bytes = [0u8; 16];
    for chunk in bytes.chunks_mut(8) {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Skaffold's helm dependency graph check: unique names, known `dependsOn`, no cycles. Returns
/// the index of the offending release with the message.
fn check_helm_dependencies(releases: &[HelmRelease]) -> Result<(), (Option<usize>, String)> {
    let mut names = std::collections::HashMap::new();
    for (i, r) in releases.iter().enumerate() {
        if names.insert(r.name.as_str(), i).is_some() {
            return Err((Some(i), format!("duplicate release name {}", r.name)));
        }
    }
    for (i, r) in releases.iter().enumerate() {
        for dep in &r.depends_on {
            if !names.contains_key(dep.as_str()) {
                return Err((
                    Some(i),
                    format!("release {} depends on non-existent release {dep}", r.name),
                ));
            }
        }
    }
    // Depth-first search with a recursion stack.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    fn visit(
        i: usize,
        releases: &[HelmRelease],
        names: &std::collections::HashMap<&str, usize>,
        marks: &mut [Mark],
    ) -> Option<usize> {
        marks[i] = Mark::Active;
        for dep in &releases[i].depends_on {
            let j = names[dep.as_str()];
            match marks[j] {
                Mark::Active => return Some(i),
                Mark::New => {
                    if let Some(c) = visit(j, releases, names, marks) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        marks[i] = Mark::Done;
        None
    }
    let mut marks = vec![Mark::New; releases.len()];
    for i in 0..releases.len() {
        if marks[i] == Mark::New
            && let Some(c) = visit(i, releases, &names, &mut marks)
        {
            return Err((
                Some(c),
                format!("cycle detected involving release {:?}", releases[c].name),
            ));
        }
    }
    Ok(())
}

/// Skaffold's `SetDefaultRenderer`: `rawYaml: [k8s/*.yaml]` when nothing renders or deploys, and
/// a `kubectl` deployer for raw manifests without one.
pub fn set_default_renderer(config: &mut SkaffoldConfig) {
    let p = &mut config.pipeline;
    let m = &p.manifests;
    if !m.kpt.is_empty() {
        return;
    }
    if !m.raw_yaml.is_empty() {
        if p.deploy.kubectl.is_none() && p.deploy.cloudrun.is_none() {
            p.deploy.kubectl = Some(KubectlDeploy::default());
        }
        return;
    }
    if m.kustomize.is_some()
        || m.helm.is_some()
        || p.deploy.helm.is_some()
        || p.deploy.docker.is_some()
        || p.deploy.cloudrun.is_some()
    {
        return;
    }
    p.manifests.raw_yaml = vec![KUBECTL_MANIFESTS.to_string()];
}

/// Skaffold's `SetDefaultDeployer`: `kubectl: {}` when no deployer is configured.
pub fn set_default_deployer(config: &mut SkaffoldConfig) {
    let d = &mut config.pipeline.deploy;
    if d.docker.is_none()
        && d.helm.is_none()
        && d.kpt.is_none()
        && d.kubectl.is_none()
        && d.cloudrun.is_none()
    {
        d.kubectl = Some(KubectlDeploy::default());
    }
}

#[cfg(test)]
mod tests;
