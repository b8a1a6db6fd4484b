//! Which pod and pod port a forward reaches right now: a pod by name, a Service's selected pods
//! (its `targetPort`, by number or by container port name), a workload's pods (its
//! `spec.selector`). Resolved again for every connection, so a replaced pod is found without
//! anyone asking.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString as KubeIntOrString;
use kube::api::{ApiResource, DynamicObject, ListParams};
use kube::core::Selector;
use kube::{Api, Client, Resource, ResourceExt};
use skiff_config::model::IntOrString;

use super::entry::ForwardEntry;

/// A running pod's port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    /// The pod's name.
    pub(super) pod: String,
    /// The pod's port.
    pub(super) port: u16,
}

/// The pod and port `entry` reaches now, or why there is none.
pub(super) async fn resolve(client: &Client, entry: &ForwardEntry) -> Result<Target, String> {
    let ns = &entry.namespace;
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let name = &entry.resource_name;
    let (pod, port) = match entry.resource_type.as_str() {
        "pod" => {
            let pod = pods.get(name).await.map_err(|e| e.to_string())?;
            if !is_running(&pod) {
                return Err(format!("pod {name} is not running"));
            }
            (pod, entry.port.clone())
        }
        "service" => {
            let services: Api<Service> = Api::namespaced(client.clone(), ns);
            let service = services.get(name).await.map_err(|e| e.to_string())?;
            let (selector, target) = service_target(&service, &entry.port)?;
            (pick(&pods, &selector, entry).await?, target)
        }
        kind => {
            let selector = workload_selector(client, kind, ns, name).await?;
            (pick(&pods, &selector, entry).await?, entry.port.clone())
        }
    };
    let port = container_port(&pod, &port)?;
    Ok(Target {
        pod: pod.name_any(),
        port,
    })
}

/// The selector of a Service and the pod port its `port` (a number or a port name) targets.
fn service_target(
    service: &Service,
    port: &IntOrString,
) -> Result<(Selector, IntOrString), String> {
    let name = service.name_any();
    let spec = service
        .spec
        .as_ref()
        .ok_or_else(|| format!("service {name} has no spec"))?;
    let ports = spec.ports.iter().flatten();
    let found = ports
        .clone()
        .find(|p| match port {
            IntOrString::Int(n) => i64::from(p.port) == *n,
            IntOrString::String(s) => p.name.as_deref() == Some(s.as_str()),
        })
        .ok_or_else(|| format!("service {name} has no port {}", show(port)))?;
    let target = match &found.target_port {
        Some(KubeIntOrString::Int(n)) => IntOrString::Int(i64::from(*n)),
        Some(KubeIntOrString::String(s)) => IntOrString::String(s.clone()),
        None => IntOrString::Int(i64::from(found.port)),
    };
    let labels = spec.selector.clone().unwrap_or_default();
    if labels.is_empty() {
        return Err(format!("service {name} selects no pods"));
    }
    Ok((labels.into_iter().collect(), target))
}

/// The pod selector of a workload (`spec.selector`).
async fn workload_selector(
    client: &Client,
    kind: &str,
    ns: &str,
    name: &str,
) -> Result<Selector, String> {
    let resource = match kind {
        "deployment" => ApiResource::erase::<Deployment>(&()),
        "statefulset" => ApiResource::erase::<StatefulSet>(&()),
        "replicaset" => ApiResource::erase::<ReplicaSet>(&()),
        "daemonset" => ApiResource::erase::<DaemonSet>(&()),
        "job" => ApiResource::erase::<Job>(&()),
        other => {
            return Err(format!(
                "port forwarding to resources of type {other:?} is not supported"
            ));
        }
    };
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &resource);
    let object = api.get(name).await.map_err(|e| e.to_string())?;
    let selector = object
        .data
        .pointer("/spec/selector")
        .cloned()
        .ok_or_else(|| format!("{kind} {name} has no spec.selector"))?;
    let selector: LabelSelector = serde_json::from_value(selector)
        .map_err(|e| format!("the spec.selector of {kind} {name}: {e}"))?;
    Selector::try_from(selector).map_err(|e| format!("the spec.selector of {kind} {name}: {e}"))
}

/// A running pod the selector matches: a ready one if any, the newest first.
async fn pick(pods: &Api<Pod>, selector: &Selector, entry: &ForwardEntry) -> Result<Pod, String> {
    let list = pods
        .list(&ListParams::default().labels_from(selector))
        .await
        .map_err(|e| e.to_string())?;
    list.items
        .into_iter()
        .filter(is_running)
        .max_by_key(|p| (is_ready(p), p.creation_timestamp().map(|t| t.0)))
        .ok_or_else(|| format!("no running pod of {}", entry.key()))
}

/// Running and not being deleted.
fn is_running(pod: &Pod) -> bool {
    pod.meta().deletion_timestamp.is_none()
        && pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
}

fn is_ready(pod: &Pod) -> bool {
    let conditions = pod
        .status
        .iter()
        .flat_map(|s| s.conditions.iter().flatten());
    conditions
        .into_iter()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

/// A pod port by number, or the container port with this name.
fn container_port(pod: &Pod, port: &IntOrString) -> Result<u16, String> {
    let number = match port {
        IntOrString::Int(n) => *n,
        IntOrString::String(name) => {
            let containers = pod.spec.iter().flat_map(|s| s.containers.iter());
            let ports = containers.flat_map(|c| c.ports.iter().flatten());
            let found = ports
                .into_iter()
                .find(|p| p.name.as_deref() == Some(name.as_str()))
                .ok_or_else(|| format!("pod {} has no port named {name:?}", pod.name_any()))?;
            i64::from(found.container_port)
        }
    };
    u16::try_from(number).map_err(|_| format!("{number} is not a port number"))
}

/// A port as Skaffold prints it.
pub(super) fn show(port: &IntOrString) -> String {
    match port {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service() -> Service {
        serde_json::from_value(json!({
            "metadata": {"name": "web"},
            "spec": {
                "selector": {"app": "web"},
                "ports": [
                    {"name": "http", "port": 80, "targetPort": "web"},
                    {"port": 9000},
                ],
            },
        }))
        .unwrap()
    }

    #[test]
    fn service_ports_map_to_their_target_ports() {
        let (selector, target) = service_target(&service(), &IntOrString::Int(80)).unwrap();
        assert_eq!(target, IntOrString::String("web".into()));
        assert_eq!(selector.to_string(), "app=web");
        let (_, by_name) = service_target(&service(), &IntOrString::String("http".into())).unwrap();
        assert_eq!(by_name, IntOrString::String("web".into()));
        let (_, default) = service_target(&service(), &IntOrString::Int(9000)).unwrap();
        assert_eq!(default, IntOrString::Int(9000));
        let err = service_target(&service(), &IntOrString::Int(81)).unwrap_err();
        assert!(err.contains("no port 81"), "{err}");
    }

    #[test]
    fn named_ports_are_found_in_the_containers() {
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "web-1"},
            "spec": {"containers": [{"name": "app", "ports": [{"name": "web", "containerPort": 8080}]}]},
        }))
        .unwrap();
        assert_eq!(
            container_port(&pod, &IntOrString::String("web".into())),
            Ok(8080)
        );
        assert_eq!(container_port(&pod, &IntOrString::Int(9090)), Ok(9090));
        assert!(container_port(&pod, &IntOrString::String("db".into())).is_err());
    }
}
