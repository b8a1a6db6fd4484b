//! Connecting to the cluster: the kubeconfig (`--kubeconfig`, else the files `KUBECONFIG`
//! lists, else `.kube/config` in the home directory) and its context (`--kube-context`, else
//! `deploy.kubeContext`, else the kubeconfig's current context) become a [`kube::Client`], and
//! errors from talking to the API become [`DeployError`]s with Skaffold's codes.
//!
//! As in Skaffold (client-go's loading rules), files listed in `KUBECONFIG` that do not exist
//! are skipped, the first file to set a value wins, and with no kubeconfig at all and no
//! context asked for, the in-cluster configuration is tried.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use kube::config::{KubeConfigOptions, Kubeconfig};
use skiff_proto::enums::{StatusCode, SuggestionCode};

use super::cluster::{self, Context};
use crate::DeployError;

/// The suggestion Skaffold gives when the cluster cannot be reached.
pub const CHECK_CONNECTION_ACTION: &str = "Check your connection for the cluster";

/// Which kubeconfig and context to use (the flags and the config's `deploy.kubeContext`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectOptions {
    /// `--kubeconfig`: the one kubeconfig file to read.
    pub kubeconfig: Option<PathBuf>,
    /// `--kube-context`: the context to use; wins over `deploy.kubeContext`.
    pub kube_context: Option<String>,
    /// `deploy.kubeContext` of the skaffold.yaml.
    pub config_context: Option<String>,
}

/// Where kubeconfig files are found when `--kubeconfig` is not given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KubeconfigSearch {
    /// The value of `KUBECONFIG`: a list of files, separated as in `PATH`.
    pub kubeconfig_env: Option<OsString>,
    /// The user's home directory, holding `.kube/config`.
    pub home: Option<PathBuf>,
}

impl KubeconfigSearch {
    /// The search of this process: its `KUBECONFIG` and home directory.
    pub fn from_process() -> Self {
        Self {
            kubeconfig_env: std::env::var_os("KUBECONFIG"),
            home: std::env::home_dir(),
        }
    }

    /// The files to read: `explicit` alone if given (it must exist), else the existing files
    /// of `KUBECONFIG` if it names any, else the home directory's `.kube/config` if it exists.
    fn files(&self, explicit: Option<&Path>) -> Vec<PathBuf> {
        if let Some(path) = explicit {
            return vec![path.to_path_buf()];
        }
        let listed: Vec<PathBuf> = self
            .kubeconfig_env
            .as_deref()
            .map(|value| {
                std::env::split_paths(value)
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let candidates = if listed.is_empty() {
            self.default_file().into_iter().collect()
        } else {
            listed
        };
        candidates.into_iter().filter(|p| p.is_file()).collect()
    }

    /// The home directory's `.kube/config`.
    fn default_file(&self) -> Option<PathBuf> {
        self.home
            .as_ref()
            .map(|home| home.join(".kube").join("config"))
    }

    /// Where the search looked, for messages.
    fn describe(&self) -> String {
        match (&self.kubeconfig_env, self.default_file()) {
            (Some(value), _) if !value.is_empty() => {
                format!("KUBECONFIG={}", value.to_string_lossy())
            }
            (_, Some(file)) => file.display().to_string(),
            (_, None) => "KUBECONFIG (unset) and the home directory (unknown)".to_owned(),
        }
    }
}

/// A client for the chosen cluster and what the kubeconfig says about it.
#[derive(Clone)]
pub struct Connection {
    /// The API client.
    pub client: kube::Client,
    /// The context's name (empty for the in-cluster configuration).
    pub context: String,
    /// The cluster's server URL.
    pub server: String,
    /// The context's namespace, if it sets one.
    pub namespace: Option<String>,
    /// The cluster's certificate authority file, if the kubeconfig names one.
    pub certificate_authority: Option<PathBuf>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("context", &self.context)
            .field("server", &self.server)
            .field("namespace", &self.namespace)
            .field("certificate_authority", &self.certificate_authority)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Reads the kubeconfig and builds a client for the chosen context. Nothing is sent to the
    /// cluster yet (see [`Connection::check`]).
    pub async fn open(
        options: &ConnectOptions,
        search: &KubeconfigSearch,
    ) -> Result<Self, DeployError> {
        let files = search.files(options.kubeconfig.as_deref());
        let kubeconfig = read_kubeconfig(&files)?;
        let wanted = options
            .kube_context
            .clone()
            .or_else(|| options.config_context.clone())
            .filter(|c| !c.is_empty());
        if files.is_empty() && wanted.is_none() {
            return in_cluster(search);
        }
        let name = wanted
            .or_else(|| kubeconfig.current_context.clone())
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                connection_error(
                    "kubeconfig sets no current-context and no kube context was given".to_owned(),
                    "Pass --kube-context, set deploy.kubeContext, or run `kubectl config use-context <name>`",
                )
            })?;
        Self::for_context(kubeconfig, name).await
    }

    /// Builds the client for context `name` of `kubeconfig`.
    async fn for_context(kubeconfig: Kubeconfig, name: String) -> Result<Self, DeployError> {
        let context = kubeconfig
            .contexts
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.context.clone())
            .ok_or_else(|| {
                let known: Vec<&str> = kubeconfig.contexts.iter().map(|c| c.name.as_str()).collect();
                connection_error(
                    format!(
                        "kube context {name:?} is not in the kubeconfig (its contexts: {})",
                        if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                    ),
                    "Pass an existing context to --kube-context (see `kubectl config get-contexts`)",
                )
            })?;
        let cluster = kubeconfig
            .clusters
            .iter()
            .find(|c| c.name == context.cluster)
            .and_then(|c| c.cluster.clone())
            .unwrap_or_default();
        let server = cluster.server.clone().ok_or_else(|| {
            connection_error(
                format!(
                    "kube context {name:?}: its cluster {:?} has no server in the kubeconfig",
                    context.cluster
                ),
                "Fix the cluster's `server` in the kubeconfig",
            )
        })?;
        let kube_options = KubeConfigOptions {
            context: Some(name.clone()),
            ..KubeConfigOptions::default()
        };
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &kube_options)
            .await
            .map_err(|err| {
                connection_error(
                    format!("kube context {name:?}: {err}"),
                    "Fix the context's cluster and user in the kubeconfig",
                )
            })?;
        let client = kube::Client::try_from(config).map_err(|err| {
            connection_error(
                format!("creating the Kubernetes client for context {name:?}: {err}"),
                CHECK_CONNECTION_ACTION,
            )
        })?;
        Ok(Self {
            client,
            context: name,
            server,
            namespace: context.namespace,
            certificate_authority: cluster.certificate_authority.map(PathBuf::from),
        })
    }

    /// Asks the cluster for its version: a cluster that does not answer gives
    /// `DEPLOY_CLUSTER_CONNECTION_ERR`.
    pub async fn check(&self) -> Result<(), DeployError> {
        self.client
            .apiserver_version()
            .await
            .map(drop)
            .map_err(|err| {
                let failure = DeployError::new(
                    StatusCode::DeployClusterConnectionErr,
                    format!(
                        "Deploy Failed. Could not connect to cluster {:?} at {}: {err}",
                        self.context, self.server
                    ),
                );
                if cluster::cluster_type(&self.context) == skiff_proto::enums::ClusterType::Minikube
                {
                    failure.suggest(
                        SuggestionCode::CheckMinikubeStatus,
                        minikube_status_action(&self.context),
                    )
                } else {
                    failure.suggest(
                        SuggestionCode::CheckClusterConnection,
                        CHECK_CONNECTION_ACTION,
                    )
                }
            })
    }

    /// What cluster detection ([`cluster`]) needs to know about the context.
    pub fn cluster_context(&self) -> Context<'_> {
        Context {
            name: &self.context,
            server: Some(&self.server),
            certificate_authority: self.certificate_authority.as_deref(),
        }
    }
}

/// Skaffold's advice for a minikube cluster that does not answer.
fn minikube_status_action(profile: &str) -> String {
    let command = if profile == "minikube" {
        "minikube status".to_owned()
    } else {
        format!("minikube status -p {profile}")
    };
    format!("Check if minikube is running using {command:?} command and try again")
}

/// Reads and merges `files` (an empty kubeconfig when there are none).
fn read_kubeconfig(files: &[PathBuf]) -> Result<Kubeconfig, DeployError> {
    files
        .iter()
        .try_fold(Kubeconfig::default(), |merged, file| {
            Kubeconfig::read_from(file)
                .and_then(|next| merged.merge(next))
                .map_err(|err| {
                    connection_error(
                        format!("reading kubeconfig {}: {err}", file.display()),
                        "Pass --kubeconfig or set KUBECONFIG to a readable kubeconfig file",
                    )
                })
        })
}

/// The in-cluster configuration, tried when there is no kubeconfig at all.
fn in_cluster(search: &KubeconfigSearch) -> Result<Connection, DeployError> {
    let no_config = || {
        connection_error(
            format!(
                "no kubeconfig found (looked in {}) and not running inside a cluster",
                search.describe()
            ),
            "Pass --kubeconfig or set KUBECONFIG to your cluster's kubeconfig, or create one with your cluster's tooling",
        )
    };
    let config = kube::Config::incluster().map_err(|_| no_config())?;
    let server = config.cluster_url.to_string();
    let namespace = Some(config.default_namespace.clone());
    let client = kube::Client::try_from(config).map_err(|_| no_config())?;
    Ok(Connection {
        client,
        context: String::new(),
        server,
        namespace,
        certificate_authority: None,
    })
}

/// A `DEPLOY_CLUSTER_CONNECTION_ERR` with the check-cluster-connection suggestion `action`.
fn connection_error(message: String, action: &str) -> DeployError {
    DeployError::new(StatusCode::DeployClusterConnectionErr, message)
        .suggest(SuggestionCode::CheckClusterConnection, action)
}

/// A failed API call while doing `what` (`applying Deployment "web" in namespace "dev"`):
/// a cluster that cannot be reached gives `DEPLOY_CLUSTER_CONNECTION_ERR`, a cluster's internal
/// error `DEPLOY_CLUSTER_INTERNAL_SYSTEM_ERR`, and any other refusal `otherwise`, each with the
/// API's own message.
pub fn api_error(what: &str, err: &kube::Error, otherwise: StatusCode) -> DeployError {
    match err {
        kube::Error::Api(status) if status.code >= 500 => DeployError::new(
            StatusCode::DeployClusterInternalSystemErr,
            format!("Deploy Failed. {what}: {}", status.message),
        ),
        kube::Error::Api(status) => {
            DeployError::new(otherwise, format!("{what}: {}", status.message))
        }
        kube::Error::HyperError(_) | kube::Error::Service(_) => DeployError::new(
            StatusCode::DeployClusterConnectionErr,
            format!("Deploy Failed. Could not connect to cluster: {what}: {err}"),
        )
        .suggest(
            SuggestionCode::CheckClusterConnection,
            CHECK_CONNECTION_ACTION,
        ),
        other => DeployError::new(otherwise, format!("{what}: {other}")),
    }
}

/// Whether the API answered `404 Not Found`.
pub fn is_not_found(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(status) if status.code == 404)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeconfig_env_lists_files_and_missing_ones_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, missing) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("missing"),
        );
        std::fs::write(&a, "").unwrap();
        std::fs::write(&b, "").unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(home.join(".kube")).unwrap();
        std::fs::write(home.join(".kube/config"), "").unwrap();

        let env = std::env::join_paths([&missing, &b, &a]).unwrap();
        let search = KubeconfigSearch {
            kubeconfig_env: Some(env),
            home: Some(home.clone()),
        };
        assert_eq!(search.files(None), [b.clone(), a.clone()]);
        assert_eq!(search.files(Some(&missing)), vec![missing.clone()]);

        let search = KubeconfigSearch {
            kubeconfig_env: None,
            home: Some(home.clone()),
        };
        assert_eq!(search.files(None), [home.join(".kube/config")]);
        let search = KubeconfigSearch {
            kubeconfig_env: Some(OsString::new()),
            home: Some(dir.path().to_path_buf()),
        };
        assert!(search.files(None).is_empty());
    }

    #[test]
    fn minikube_advice_names_the_profile() {
        assert_eq!(
            minikube_status_action("minikube"),
            "Check if minikube is running using \"minikube status\" command and try again"
        );
        assert!(minikube_status_action("dev").contains("\"minikube status -p dev\""));
    }
}
