//! Loading locally built images into a kind or k3d cluster before deploying, as Skaffold does:
//! such a cluster cannot pull from the local docker daemon, so each image its nodes do not
//! already have (by the `status.images` of its Nodes) is copied in with `kind load
//! docker-image` or `k3d image import`. Tags loaded once are remembered, so later iterations of
//! `dev` do not load them again.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ListParams};
use skiff_config::reference::{ReferenceError, parse_reference};
use skiff_events::duration::humanize;
use skiff_events::{Output, Phase};
use skiff_proto::enums::StatusCode;
use skiff_render::tools::{Tool, ToolCommand};

use super::client::api_error;
use super::cluster::{Cluster, is_k3d, is_kind, k3d_cluster_name, kind_cluster_name};
use crate::DEPLOYER_SUBTASK;
use crate::DeployError;

/// The code of every loading failure: Skaffold gives them none of their own, so they are
/// classified as an unknown deploy error.
const LOAD_FAILED: StatusCode = StatusCode::DeployUnknown;

/// The `kind` binary, which loads images into a kind cluster.
pub const KIND: Tool = Tool {
    binary: "kind",
    display: "kind",
    install_link: "https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
    missing_code: LOAD_FAILED,
    install_code: None,
};

/// The `k3d` binary, which imports images into a k3d cluster.
pub const K3D: Tool = Tool {
    binary: "k3d",
    display: "k3d",
    install_link: "https://k3d.io/#installation",
    missing_code: LOAD_FAILED,
    install_code: None,
};

/// The kind of local cluster images are loaded into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalCluster {
    /// A kind cluster (`kind load docker-image`).
    Kind,
    /// A k3d cluster (`k3d image import`).
    K3d,
}

impl LocalCluster {
    /// The tool that loads images into it.
    pub fn tool(self) -> Tool {
        match self {
            Self::Kind => KIND,
            Self::K3d => K3D,
        }
    }

    /// The arguments that load `tag` into the cluster named `cluster`.
    pub fn load_args(self, cluster: &str, tag: &str) -> Vec<String> {
        let args: [&str; 5] = match self {
            Self::Kind => ["load", "docker-image", "--name", cluster, tag],
            Self::K3d => ["image", "import", "--cluster", cluster, tag],
        };
        args.map(String::from).to_vec()
    }
}

/// Loads built images into the nodes of one kind or k3d cluster.
#[derive(Debug)]
pub struct ImageLoader {
    flavour: LocalCluster,
    cluster: String,
    /// Tags the cluster is known to have (loaded or found by an earlier call).
    present: Mutex<BTreeSet<String>>,
}

impl ImageLoader {
    /// The loader for the kube context `context`, or `None` unless images are loaded into its
    /// cluster (`cluster.load_images`: a kind or k3d context with loading not disabled).
    /// `kubeconfig_cluster` is the name of the context's cluster entry in the kubeconfig, from
    /// which Skaffold takes the cluster's name (`kind-dev` → `dev`); without it the context's
    /// name is used, which is the same for the kubeconfigs kind and k3d write.
    pub fn for_context(
        context: &str,
        kubeconfig_cluster: Option<&str>,
        cluster: &Cluster,
    ) -> Option<Self> {
        if !cluster.load_images {
            return None;
        }
        let entry = kubeconfig_cluster.unwrap_or(context);
        let (flavour, name) = if is_kind(context) {
            (LocalCluster::Kind, kind_cluster_name(entry))
        } else if is_k3d(context) {
            (LocalCluster::K3d, k3d_cluster_name(entry))
        } else {
            return None;
        };
        Some(Self {
            flavour,
            cluster: name.to_string(),
            present: Mutex::default(),
        })
    }

    /// The kind of cluster images are loaded into.
    pub fn flavour(&self) -> LocalCluster {
        self.flavour
    }

    /// The cluster's own name, as its tool knows it (`dev`).
    pub fn cluster_name(&self) -> &str {
        &self.cluster
    }

    /// Loads each of `tags` (locally built images the deploy uses) that the cluster's nodes
    /// do not have, with the tool found on the `PATH` of `env` and run with exactly `env` as
    /// its environment, reporting each image to `output` as Skaffold does (`Found`, `Loaded`
    /// or `Failed`) and how long it all took. The first failure ends the load.
    pub async fn load(
        &self,
        client: &kube::Client,
        tags: &[String],
        env: &BTreeMap<String, String>,
        output: &Output,
    ) -> Result<(), DeployError> {
        let start = Instant::now();
        let say = |text: &str| output.write(Phase::Deploy, DEPLOYER_SUBTASK, text);
        let name = self.flavour.tool().binary;
        say(&format!("Loading images into {name} cluster nodes...\n"));
        let context = format!("loading images into {name} nodes");
        let mut on_nodes: Option<BTreeSet<String>> = None;
        for tag in tags {
            say(&format!(" - {tag} -> "));
            if self.has(tag) {
                say("Found\n");
                continue;
            }
            let on_nodes = match &mut on_nodes {
                Some(images) => images,
                None => on_nodes.insert(node_images(client, &context).await?),
            };
            let reference = normalized_reference(tag).map_err(|err| {
                DeployError::new(LOAD_FAILED, format!("{context}: image {tag:?}: {err}"))
            })?;
            if !on_nodes.contains(&reference) {
                if let Err(err) = self.load_one(tag, env).await {
                    say("Failed\n");
                    return Err(DeployError {
                        message: format!("{context}: {}", err.message),
                        ..err
                    });
                }
                say("Loaded\n");
            } else {
                say("Found\n");
            }
            self.remember(tag);
        }
        say(&format!("Images loaded in {}\n", humanize(start.elapsed())));
        Ok(())
    }

    /// Runs the tool that loads `tag` into the cluster.
    async fn load_one(&self, tag: &str, env: &BTreeMap<String, String>) -> Result<(), DeployError> {
        let program = self.flavour.tool().locate(env)?;
        let args = self.flavour.load_args(&self.cluster, tag);
        let command = ToolCommand::new(program, args, env);
        let unable = format!("unable to load image {tag:?} into cluster");
        let ran = command.output().await.map_err(|err| {
            DeployError::new(
                LOAD_FAILED,
                format!("{unable}: running {}: {err}", command.command_line()),
            )
        })?;
        if ran.success {
            return Ok(());
        }
        let said: Vec<&str> = [ran.stderr.trim(), ran.stdout.trim()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        let message = match said.as_slice() {
            [] => format!("{unable}: {}", ran.status),
            said => format!("{unable}: {}, {}", ran.status, said.join("\n")),
        };
        Err(DeployError::new(LOAD_FAILED, message))
    }

    fn has(&self, tag: &str) -> bool {
        self.present
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(tag)
    }

    fn remember(&self, tag: &str) {
        self.present
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(tag.to_string());
    }
}

/// Every image name the cluster's Nodes report having (`status.images[].names`).
async fn node_images(
    client: &kube::Client,
    context: &str,
) -> Result<BTreeSet<String>, DeployError> {
    let nodes = Api::<Node>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(|err| {
            api_error(
                &format!("{context}: unable to retrieve node's images"),
                &err,
                LOAD_FAILED,
            )
        })?;
    Ok(nodes
        .items
        .into_iter()
        .filter_map(|node| node.status?.images)
        .flatten()
        .filter_map(|image| image.names)
        .flatten()
        .collect())
}

/// The registry Docker assumes for names without one.
const DEFAULT_DOMAIN: &str = "docker.io";

/// Docker's normalized form of an image reference, as nodes report their images: with the
/// default registry and its `library/` namespace spelled out (`app:v1` →
/// `docker.io/library/app:v1`, `me/app` → `docker.io/me/app`, `index.docker.io/app` →
/// `docker.io/library/app`); a first component with a `.`, a `:` or upper case, or
/// `localhost`, is a registry and is kept. Like Docker, a repository name with upper case is
/// refused.
pub fn normalized_reference(image: &str) -> Result<String, ReferenceError> {
    let (domain, remainder) = match image.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first != first.to_lowercase() =>
        {
            (first, rest)
        }
        _ => (DEFAULT_DOMAIN, image),
    };
    let repository = remainder.split(':').next().unwrap_or_default();
    if repository != repository.to_lowercase() {
        return Err(ReferenceError::NameContainsUppercase);
    }
    let domain = if domain == "index.docker.io" {
        DEFAULT_DOMAIN
    } else {
        domain
    };
    let library = if domain == DEFAULT_DOMAIN && !remainder.contains('/') {
        "library/"
    } else {
        ""
    };
    let normalized = format!("{domain}/{library}{remainder}");
    parse_reference(&normalized)?;
    Ok(normalized)
}

#[cfg(test)]
mod tests {
    use skiff_proto::enums::ClusterType;

    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn references_are_normalized_as_docker_does() {
        for (image, normalized) in [
            ("app:v1", "docker.io/library/app:v1".to_string()),
            ("app", "docker.io/library/app".to_string()),
            ("me/app:v1", "docker.io/me/app:v1".to_string()),
            ("docker.io/app:v1", "docker.io/library/app:v1".to_string()),
            ("index.docker.io/me/app", "docker.io/me/app".to_string()),
            ("gcr.io/p/app:v1", "gcr.io/p/app:v1".to_string()),
            ("localhost/app:v1", "localhost/app:v1".to_string()),
            ("localhost:5000/app:v1", "localhost:5000/app:v1".to_string()),
            ("a/b/c:t", "docker.io/a/b/c:t".to_string()),
            (
                &format!("app:v1@{DIGEST}"),
                format!("docker.io/library/app:v1@{DIGEST}"),
            ),
        ] {
            assert_eq!(normalized_reference(image).unwrap(), normalized, "{image}");
        }
    }

    #[test]
    fn malformed_and_upper_case_references_are_refused() {
        assert_eq!(
            normalized_reference("App:v1"),
            Err(ReferenceError::NameContainsUppercase)
        );
        assert_eq!(
            normalized_reference("gcr.io/p/App"),
            Err(ReferenceError::NameContainsUppercase)
        );
        assert_eq!(
            normalized_reference("app:V1").unwrap(),
            "docker.io/library/app:V1",
            "a tag may have upper case"
        );
        assert_eq!(
            normalized_reference("Reg/app").unwrap(),
            "Reg/app",
            "a first component with upper case is a registry"
        );
        assert!(normalized_reference("app:bad tag").is_err());
        assert!(normalized_reference("").is_err());
    }

    fn cluster(load_images: bool) -> Cluster {
        Cluster {
            cluster_type: ClusterType::Other,
            local: true,
            load_images,
            push_images: !load_images,
        }
    }

    #[test]
    fn only_kind_and_k3d_clusters_that_load_images_get_a_loader() {
        let kind = ImageLoader::for_context("kind-dev", None, &cluster(true)).unwrap();
        assert_eq!(
            (kind.flavour(), kind.cluster_name()),
            (LocalCluster::Kind, "dev")
        );
        let old = ImageLoader::for_context("dev@kind", None, &cluster(true)).unwrap();
        assert_eq!(old.cluster_name(), "dev");
        let k3d = ImageLoader::for_context("k3d-lab", None, &cluster(true)).unwrap();
        assert_eq!(
            (k3d.flavour(), k3d.cluster_name()),
            (LocalCluster::K3d, "lab")
        );
        let renamed =
            ImageLoader::for_context("kind-dev", Some("kind-other"), &cluster(true)).unwrap();
        assert_eq!(renamed.cluster_name(), "other");
        assert!(ImageLoader::for_context("kind-dev", None, &cluster(false)).is_none());
        assert!(ImageLoader::for_context("minikube", None, &cluster(true)).is_none());
    }

    #[test]
    fn each_tool_gets_its_own_command_line() {
        assert_eq!(
            LocalCluster::Kind.load_args("dev", "app:v1"),
            ["load", "docker-image", "--name", "dev", "app:v1"]
        );
        assert_eq!(
            LocalCluster::K3d.load_args("lab", "app:v1"),
            ["image", "import", "--cluster", "lab", "app:v1"]
        );
    }

    #[test]
    fn a_missing_tool_says_how_to_install_it() {
        let err = KIND.locate(&BTreeMap::new()).unwrap_err();
        assert_eq!(err.code, StatusCode::DeployUnknown);
        assert!(
            err.message.starts_with("kind not found")
                && err
                    .message
                    .contains("https://kind.sigs.k8s.io/docs/user/quick-start/#installation"),
            "{}",
            err.message
        );
        assert!(
            K3D.missing()
                .message
                .contains("https://k3d.io/#installation")
        );
    }
}
