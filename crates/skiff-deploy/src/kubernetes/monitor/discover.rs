//! Which resources a status check looks at: the Deployments and StatefulSets labelled with the
//! run's id in each namespace deployed to, and that namespace's standalone pods if it has any.

use std::time::Instant;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::{Api, ListParams};
use skiff_proto::enums::{StatusCode, SuggestionCode};

use super::read::{Target, describe};
use crate::DeployError;
use crate::kubernetes::status::{CheckSettings, ResourceCheck, Workload};
use skiff_render::labels::run_id_selector;

/// The suggestion when the cluster could not be asked for the run's resources.
const CHECK_CONNECTION_ACTION: &str = "Check your connection for the cluster";

/// The resources of a run: those labelled `label_selector` in `namespaces`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The namespaces the run deployed to (duplicates are looked at once).
    pub namespaces: Vec<String>,
    /// The label selector of the run's resources, `skaffold.dev/run-id=<id>`.
    pub label_selector: String,
}

impl Selection {
    /// The resources labelled with run id `run_id` in `namespaces`.
    pub fn run<S: Into<String>>(run_id: &str, namespaces: impl IntoIterator<Item = S>) -> Self {
        Self {
            namespaces: namespaces.into_iter().map(Into::into).collect(),
            label_selector: run_id_selector(run_id),
        }
    }
}

/// The resources of `selection`, each with its check started at `started`.
pub(super) async fn discover(
    client: &Client,
    selection: &Selection,
    settings: CheckSettings,
    started: Instant,
) -> Result<Vec<(Target, ResourceCheck)>, DeployError> {
    let labelled = ListParams::default().labels(&selection.label_selector);
    let mut found = Vec::new();
    let mut seen = Vec::new();
    for namespace in &selection.namespaces {
        if seen.contains(&namespace) {
            continue;
        }
        seen.push(namespace);
        let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
        let sets: Api<StatefulSet> = Api::namespaced(client.clone(), namespace);
        let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
        let (deployments, sets, pods) = tokio::join!(
            deployments.list(&labelled),
            sets.list(&labelled),
            pods.list(&labelled)
        );
        let deployments = deployments.map_err(|err| {
            fetch_error(
                StatusCode::StatuscheckDeploymentFetchErr,
                "deployments",
                namespace,
                &err,
            )
        })?;
        let sets = sets.map_err(|err| {
            fetch_error(
                StatusCode::StatuscheckStatefulsetFetchErr,
                "stateful sets",
                namespace,
                &err,
            )
        })?;
        let pods = pods.map_err(|err| {
            fetch_error(
                StatusCode::StatuscheckStandalonePodsFetchErr,
                "standalone pods",
                namespace,
                &err,
            )
        })?;
        for deployment in &deployments.items {
            let target = Target::Deployment {
                namespace: namespace.clone(),
                name: deployment.metadata.name.clone().unwrap_or_default(),
            };
            found.push((
                target,
                ResourceCheck::deployment(deployment, settings, started),
            ));
        }
        for set in &sets.items {
            let target = Target::StatefulSet {
                namespace: namespace.clone(),
                name: set.metadata.name.clone().unwrap_or_default(),
            };
            found.push((target, ResourceCheck::stateful_set(set, settings, started)));
        }
        if !Workload::StandalonePods.pods(&pods.items).is_empty() {
            let target = Target::StandalonePods {
                namespace: namespace.clone(),
            };
            found.push((
                target,
                ResourceCheck::standalone_pods(namespace, settings, started),
            ));
        }
    }
    Ok(found)
}

/// Listing `what` in `namespace` failed: Skaffold's fetch error `code`, with the connection
/// suggestion when the cluster did not answer.
fn fetch_error(code: StatusCode, what: &str, namespace: &str, err: &kube::Error) -> DeployError {
    let error = DeployError::new(
        code,
        format!(
            "could not fetch {what} in namespace {namespace:?}: {}",
            describe(err)
        ),
    );
    match err {
        kube::Error::Api(_) => error,
        _ => error.suggest(
            SuggestionCode::CheckClusterConnection,
            CHECK_CONNECTION_ACTION,
        ),
    }
}
