//! What kind of cluster a kube context points at, as Skaffold decides it from the context's
//! name, its server URL and its certificate: the `clusterType` of the event metadata, and
//! whether the cluster is local (images are then loaded or used in place instead of pushed).

use std::path::{Path, PathBuf};

use serde_json::Value;
use skiff_proto::enums::ClusterType;

/// The kube context `minikube start` creates.
const MINIKUBE_CONTEXT: &str = "minikube";

/// The contexts of Docker Desktop's cluster (old and new name).
const DOCKER_DESKTOP_CONTEXTS: [&str; 2] = ["docker-for-desktop", "docker-desktop"];

/// The `clusterType` of the event metadata: `MINIKUBE` when the context's name contains
/// `minikube`, `GKE` when it starts with `gke`, else `OTHER`.
pub fn cluster_type(context: &str) -> ClusterType {
    if context.contains("minikube") {
        ClusterType::Minikube
    } else if context.starts_with("gke") {
        ClusterType::Gke
    } else {
        ClusterType::Other
    }
}

/// Whether the context is a kind cluster's: `kind-<name>`, or `<name>@kind` before kind 0.6.
pub fn is_kind(context: &str) -> bool {
    context.starts_with("kind-") || context.ends_with("@kind")
}

/// The kind cluster's own name (`kind-dev` → `dev`), for `kind load`.
pub fn kind_cluster_name(context: &str) -> &str {
    context
        .strip_suffix("@kind")
        .or_else(|| context.strip_prefix("kind-"))
        .unwrap_or(context)
}

/// Whether the context is a k3d cluster's: `k3d-<name>`.
pub fn is_k3d(context: &str) -> bool {
    context.starts_with("k3d-")
}

/// The k3d cluster's own name (`k3d-dev` → `dev`), for `k3d image import`.
pub fn k3d_cluster_name(context: &str) -> &str {
    context.strip_prefix("k3d-").unwrap_or(context)
}

/// What the kubeconfig says about the context.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// The context's name.
    pub name: &'a str,
    /// Its cluster's server URL (`https://192.168.49.2:8443`).
    pub server: Option<&'a str>,
    /// The path of its cluster's certificate authority file, if the kubeconfig names one.
    pub certificate_authority: Option<&'a Path>,
}

/// What the local minikube installation knows, when a `minikube` binary is on the PATH.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Minikube {
    /// Its home directory ([`minikube_home`]).
    pub home: PathBuf,
    /// The `ip:port` of each node of each valid profile ([`minikube_nodes`]).
    pub nodes: Vec<String>,
}

/// minikube's home directory: `$MINIKUBE_HOME` (with `.minikube` appended unless it already
/// ends so), else `.minikube` in the user's home directory.
pub fn minikube_home(minikube_home_env: Option<&str>, user_home: &Path) -> PathBuf {
    match minikube_home_env.filter(|v| !v.is_empty()).map(Path::new) {
        Some(dir) if dir.file_name().is_some_and(|n| n == ".minikube") => dir.to_path_buf(),
        Some(dir) => dir.join(".minikube"),
        None => user_home.join(".minikube"),
    }
}

/// The `ip:port` of each node of each valid profile in the output of
/// `minikube profile list -o json`.
pub fn minikube_nodes(profile_list_json: &str) -> Result<Vec<String>, serde_json::Error> {
    let list: Value = serde_json::from_str(profile_list_json)?;
    let profiles = list.get("valid").and_then(Value::as_array);
    Ok(profiles
        .into_iter()
        .flatten()
        .filter_map(|profile| profile.get("Config")?.get("Nodes")?.as_array())
        .flatten()
        .filter_map(|node| {
            let ip = node.get("IP")?.as_str()?;
            let port = node.get("Port")?.as_i64()?;
            Some(format!("{ip}:{port}"))
        })
        .collect())
}

/// Whether the context points at a minikube cluster: only when minikube is installed; then
/// when the context is `minikube`, its certificate lies inside minikube's home, or its server
/// is one of minikube's nodes.
pub fn is_minikube(context: &Context<'_>, minikube: Option<&Minikube>) -> bool {
    let Some(minikube) = minikube else {
        return false;
    };
    context.name == MINIKUBE_CONTEXT
        || context
            .certificate_authority
            .is_some_and(|ca| ca.starts_with(&minikube.home))
        || context
            .server
            .and_then(server_host)
            .is_some_and(|host| minikube.nodes.iter().any(|node| node == host))
}

/// The host (with port, if any) of a server URL: `https://10.0.0.1:8443/x` → `10.0.0.1:8443`.
fn server_host(server: &str) -> Option<&str> {
    let (_, rest) = server.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    Some(
        authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host),
    )
}

/// How the user configured local-cluster handling (flags and global config).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocalSettings {
    /// `--minikube-profile` was given: the cluster is local.
    pub minikube_profile: bool,
    /// `local-cluster` from the global config, which decides when set.
    pub local_cluster: Option<bool>,
    /// `--detect-minikube` (on by default): ask minikube when the name does not tell.
    pub detect_minikube: bool,
    /// `kind-disable-load` from the global config: push to a registry instead of `kind load`.
    pub kind_disable_load: bool,
    /// `k3d-disable-load` from the global config: push instead of `k3d image import`.
    pub k3d_disable_load: bool,
}

/// What skiff does with images for a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cluster {
    /// The event metadata's `clusterType`.
    pub cluster_type: ClusterType,
    /// Whether the cluster runs on this machine.
    pub local: bool,
    /// Whether built images are loaded into the cluster (kind, k3d).
    pub load_images: bool,
    /// Whether built images are pushed to a registry.
    pub push_images: bool,
}

/// Skaffold's decision about the context's cluster. It is local when a minikube profile was
/// given, else as the global config's `local-cluster` says, else when the context is
/// minikube's, Docker Desktop's, kind's or k3d's, else (with minikube detection on) when it
/// is a minikube cluster. Images are loaded into local kind and k3d clusters unless loading
/// is disabled, and pushed for remote clusters and for kind or k3d with loading disabled.
///
/// Skaffold also reads a local cluster's `kube-public/local-registry-hosting` ConfigMap, and
/// pushes to the registry it names; that needs the API, so the target does it.
pub fn detect(
    context: &Context<'_>,
    settings: &LocalSettings,
    minikube: Option<&Minikube>,
) -> Cluster {
    let name = context.name;
    let (kind, k3d) = (is_kind(name), is_k3d(name));
    let local = if settings.minikube_profile {
        true
    } else if let Some(local) = settings.local_cluster {
        local
    } else if name == MINIKUBE_CONTEXT || DOCKER_DESKTOP_CONTEXTS.contains(&name) || kind || k3d {
        true
    } else {
        settings.detect_minikube && is_minikube(context, minikube)
    };
    let loads = (kind && !settings.kind_disable_load) || (k3d && !settings.k3d_disable_load);
    let load_disabled = (kind && settings.kind_disable_load) || (k3d && settings.k3d_disable_load);
    Cluster {
        cluster_type: cluster_type(name),
        local,
        load_images: local && loads,
        push_images: !local || load_disabled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DETECT: LocalSettings = LocalSettings {
        minikube_profile: false,
        local_cluster: None,
        detect_minikube: true,
        kind_disable_load: false,
        k3d_disable_load: false,
    };

    fn context(name: &str) -> Context<'_> {
        Context {
            name,
            ..Context::default()
        }
    }

    #[test]
    fn the_cluster_type_comes_from_the_context_name() {
        assert_eq!(cluster_type("minikube"), ClusterType::Minikube);
        assert_eq!(cluster_type("my-minikube-2"), ClusterType::Minikube);
        assert_eq!(cluster_type("gke_project_zone_dev"), ClusterType::Gke);
        assert_eq!(cluster_type("kind-kind"), ClusterType::Other);
        assert_eq!(cluster_type("prod-gke"), ClusterType::Other);
    }

    #[test]
    fn kind_and_k3d_contexts_are_recognised_with_their_cluster_names() {
        assert!(is_kind("kind-dev") && is_kind("dev@kind"));
        assert!(!is_kind("mykind"));
        assert_eq!(kind_cluster_name("kind-dev"), "dev");
        assert_eq!(kind_cluster_name("dev@kind"), "dev");
        assert_eq!(kind_cluster_name("other"), "other");
        assert!(is_k3d("k3d-dev") && !is_k3d("k3s"));
        assert_eq!(k3d_cluster_name("k3d-dev"), "dev");
    }

    #[test]
    fn local_clusters_by_name_load_or_use_images_in_place() {
        let kind = detect(&context("kind-dev"), &DETECT, None);
        assert_eq!(
            kind,
            Cluster {
                cluster_type: ClusterType::Other,
                local: true,
                load_images: true,
                push_images: false
            }
        );
        for name in ["minikube", "docker-desktop", "docker-for-desktop"] {
            let cluster = detect(&context(name), &DETECT, None);
            assert!(
                cluster.local && !cluster.load_images && !cluster.push_images,
                "{name}"
            );
        }
        let remote = detect(&context("gke_p_z_prod"), &DETECT, None);
        assert_eq!(remote.cluster_type, ClusterType::Gke);
        assert!(!remote.local && remote.push_images && !remote.load_images);
    }

    #[test]
    fn disabled_loading_pushes_to_a_registry() {
        let settings = LocalSettings {
            kind_disable_load: true,
            ..DETECT
        };
        let cluster = detect(&context("kind-dev"), &settings, None);
        assert!(cluster.local && cluster.push_images && !cluster.load_images);
    }

    #[test]
    fn the_global_config_and_a_minikube_profile_decide_first() {
        let remote = LocalSettings {
            local_cluster: Some(false),
            ..DETECT
        };
        let cluster = detect(&context("kind-dev"), &remote, None);
        assert!(!cluster.local && cluster.push_images && !cluster.load_images);
        let local = LocalSettings {
            local_cluster: Some(true),
            ..DETECT
        };
        assert!(detect(&context("prod"), &local, None).local);
        let profile = LocalSettings {
            minikube_profile: true,
            local_cluster: Some(false),
            ..DETECT
        };
        assert!(detect(&context("prod"), &profile, None).local);
    }

    #[test]
    fn minikube_is_found_by_certificate_or_node_address() {
        let minikube = Minikube {
            home: PathBuf::from("/home/u/.minikube"),
            nodes: vec!["192.168.49.2:8443".into()],
        };
        let by_server = Context {
            name: "dev",
            server: Some("https://192.168.49.2:8443"),
            certificate_authority: None,
        };
        assert!(is_minikube(&by_server, Some(&minikube)));
        assert!(detect(&by_server, &DETECT, Some(&minikube)).local);
        let no_detection = LocalSettings {
            detect_minikube: false,
            ..DETECT
        };
        assert!(!detect(&by_server, &no_detection, Some(&minikube)).local);
        assert!(!is_minikube(&by_server, None));

        let by_certificate = Context {
            name: "dev",
            server: Some("https://10.0.0.1:443"),
            certificate_authority: Some(Path::new("/home/u/.minikube/ca.crt")),
        };
        assert!(is_minikube(&by_certificate, Some(&minikube)));
        let elsewhere = Context {
            certificate_authority: Some(Path::new("/etc/ca.crt")),
            ..by_certificate
        };
        assert!(!is_minikube(&elsewhere, Some(&minikube)));
        assert!(is_minikube(&context("minikube"), Some(&minikube)));
    }

    #[test]
    fn minikube_s_home_and_nodes_are_read_as_minikube_writes_them() {
        let home = Path::new("/home/u");
        assert_eq!(minikube_home(None, home), home.join(".minikube"));
        assert_eq!(minikube_home(Some(""), home), home.join(".minikube"));
        assert_eq!(
            minikube_home(Some("/data/.minikube"), home),
            PathBuf::from("/data/.minikube")
        );
        assert_eq!(
            minikube_home(Some("/data"), home),
            PathBuf::from("/data/.minikube")
        );
        let list = r#"{"invalid":[],"valid":[
            {"Name":"minikube","Status":"Running","Config":{"Name":"minikube","Driver":"docker",
             "Nodes":[{"Name":"","IP":"192.168.49.2","Port":8443,"ControlPlane":true}]}},
            {"Name":"other","Config":{"Nodes":[{"IP":"192.168.58.2","Port":8443},{"IP":"192.168.58.3","Port":0}]}}]}"#;
        assert_eq!(
            minikube_nodes(list).unwrap(),
            ["192.168.49.2:8443", "192.168.58.2:8443", "192.168.58.3:0"]
        );
        assert!(minikube_nodes("not json").is_err());
    }

    #[test]
    fn server_hosts_keep_their_port() {
        assert_eq!(
            server_host("https://10.0.0.1:8443/api"),
            Some("10.0.0.1:8443")
        );
        assert_eq!(server_host("https://example.com"), Some("example.com"));
        assert_eq!(server_host("no-scheme"), None);
    }
}
