//! One poll of one resource: the workload as the API server has it now, its ReplicaSets and
//! pods, and each pod diagnosed with its events and, where the diagnosis asks, its logs.

use futures_util::future::join_all;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::Client;
use kube::api::{Api, ListParams, LogParams};
use skiff_proto::enums::StatusCode;

use crate::kubernetes::status::{PodStatus, Workload, diagnose};

/// How many of a failing container's last log lines a poll reads (Skaffold reads them all,
/// which floods the terminal for a chatty program).
pub const LOG_TAIL_LINES: i64 = 20;

/// A resource whose status is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    /// A Deployment.
    Deployment {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// A StatefulSet.
    StatefulSet {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// The pods of a namespace that no controller owns.
    StandalonePods {
        /// The namespace.
        namespace: String,
    },
}

impl Target {
    /// The namespace the resource lives in.
    pub(super) fn namespace(&self) -> &str {
        match self {
            Self::Deployment { namespace, .. }
            | Self::StatefulSet { namespace, .. }
            | Self::StandalonePods { namespace } => namespace,
        }
    }

    /// The code of the resource while it is not stable yet.
    pub(super) fn pending_code(&self) -> StatusCode {
        match self {
            Self::StandalonePods { .. } => StatusCode::StatuscheckStandalonePodsPending,
            _ => StatusCode::StatuscheckDeploymentRolloutPending,
        }
    }
}

/// The workload object a poll read.
#[derive(Debug, Clone)]
enum Object {
    Deployment {
        deployment: Box<Deployment>,
        replica_sets: Vec<ReplicaSet>,
    },
    StatefulSet(Box<StatefulSet>),
    StandalonePods,
}

/// What one poll read about a resource.
#[derive(Debug, Clone)]
pub(super) struct Snapshot {
    object: Object,
    /// The workload's pods, diagnosed.
    pub(super) pods: Vec<PodStatus>,
}

impl Snapshot {
    /// The workload as the status check takes it.
    pub(super) fn workload(&self) -> Workload<'_> {
        workload(&self.object)
    }
}

fn workload(object: &Object) -> Workload<'_> {
    match object {
        Object::Deployment {
            deployment,
            replica_sets,
        } => Workload::Deployment {
            deployment,
            replica_sets,
        },
        Object::StatefulSet(set) => Workload::StatefulSet(set),
        Object::StandalonePods => Workload::StandalonePods,
    }
}

/// Reads `target` and the pods labelled `selector` in its namespace, and diagnoses the pods
/// that belong to it.
pub(super) async fn read(
    client: Client,
    target: &Target,
    selector: &str,
) -> Result<Snapshot, kube::Error> {
    let namespace = target.namespace();
    let labelled = ListParams::default().labels(selector);
    let pods_api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let object = async {
        Ok::<_, kube::Error>(match target {
            Target::Deployment { name, .. } => {
                let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
                let sets: Api<ReplicaSet> = Api::namespaced(client.clone(), namespace);
                let (deployment, replica_sets) =
                    tokio::try_join!(deployments.get(name), sets.list(&labelled))?;
                Object::Deployment {
                    deployment: Box::new(deployment),
                    replica_sets: replica_sets.items,
                }
            }
            Target::StatefulSet { name, .. } => {
                let sets: Api<StatefulSet> = Api::namespaced(client.clone(), namespace);
                Object::StatefulSet(Box::new(sets.get(name).await?))
            }
            Target::StandalonePods { .. } => Object::StandalonePods,
        })
    };
    let (object, pods) = tokio::try_join!(object, pods_api.list(&labelled))?;
    let chosen = workload(&object).pods(&pods.items);
    let events: Api<Event> = Api::namespaced(client, namespace);
    let pods = diagnosed(&pods_api, &events, &chosen).await;
    Ok(Snapshot { object, pods })
}

/// `pods` diagnosed with their events and the logs each diagnosis asks for.
async fn diagnosed(pods_api: &Api<Pod>, events: &Api<Event>, pods: &[&Pod]) -> Vec<PodStatus> {
    if pods.is_empty() {
        return Vec::new();
    }
    let diagnoses: Vec<_> = pods.iter().map(|pod| diagnose(pod)).collect();
    let logs = join_all(pods.iter().zip(&diagnoses).map(|(pod, diagnosis)| {
        let name = pod.metadata.name.as_deref().unwrap_or_default();
        let container = diagnosis.logs_wanted().map(str::to_owned);
        async move {
            match container {
                Some(container) => Some(logs(pods_api, name, container).await),
                None => None,
            }
        }
    }));
    let about_pods = ListParams::default().fields("involvedObject.kind=Pod");
    let (logs, events) = tokio::join!(logs, events.list(&about_pods));
    // As in Skaffold, events that cannot be read leave the diagnosis as it is.
    let events = events.map(|list| list.items).unwrap_or_else(|err| {
        tracing::debug!("could not read the pods' events: {err}");
        Vec::new()
    });
    diagnoses
        .into_iter()
        .zip(logs)
        .map(|(diagnosis, logs)| diagnosis.finish(logs, &events))
        .collect()
}

/// The last lines of `container`'s log in pod `name`, or why they could not be read.
async fn logs(pods_api: &Api<Pod>, name: &str, container: String) -> Result<String, String> {
    let params = LogParams {
        container: Some(container),
        tail_lines: Some(LOG_TAIL_LINES),
        ..LogParams::default()
    };
    pods_api
        .logs(name, &params)
        .await
        .map_err(|err| describe(&err))
}

/// An API error as a user reads it: the API server's own message when it answered.
pub(super) fn describe(err: &kube::Error) -> String {
    match err {
        kube::Error::Api(status) if !status.message.is_empty() => status.message.clone(),
        other => other.to_string(),
    }
}
