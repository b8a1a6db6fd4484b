//! What is forwarded: a `portForward` entry checked, or one found for the `services` and
//! `pods` modes among the run's resources.

use std::net::{IpAddr, Ipv4Addr};

use k8s_openapi::api::core::v1::{Pod, Service};
use kube::api::ListParams;
use kube::{Api, Client, ResourceExt};
use skiff_config::model::{IntOrString, PortForwardResource};
use skiff_proto::enums::StatusCode;

use crate::error::DeployError;
use crate::ports::{DEFAULT_ADDRESS, LocalBinding};

/// A resource port to forward, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardEntry {
    /// `resourceType`, lower-cased: `service`, `pod`, `deployment`, …
    pub resource_type: String,
    /// `resourceName`.
    pub resource_name: String,
    /// `namespace` (the run's namespace when the entry names none).
    pub namespace: String,
    /// `port`: a number or a port name.
    pub port: IntOrString,
    /// `address` (default 127.0.0.1), as configured.
    pub address: String,
    /// The IP the local listener binds.
    pub bind_ip: IpAddr,
    /// `localPort` (0 when unset).
    pub local_port: u16,
    /// For entries of the `pods` mode: the container whose port this is.
    pub container: String,
}

impl ForwardEntry {
    /// The `portForward` entries of a Kubernetes deploy, checked: entries of type `container`
    /// belong to the docker target and are left out; `default_namespace` fills a missing
    /// namespace.
    pub fn from_config(
        resources: &[PortForwardResource],
        default_namespace: &str,
    ) -> Result<Vec<ForwardEntry>, DeployError> {
        resources
            .iter()
            .filter(|r| r.resource_type.normalized() != crate::docker::CONTAINER_RESOURCE_TYPE)
            .map(|r| checked(r, default_namespace))
            .collect()
    }

    /// `<type>/<name>`: how Skaffold names the forward in output.
    pub fn key(&self) -> String {
        format!("{}/{}", self.resource_type, self.resource_name)
    }

    /// The local port Skaffold asks for first: `localPort`, else the resource port when it is a
    /// number of at least 1024, else none.
    pub fn wanted_local_port(&self) -> u16 {
        match (&self.port, self.local_port) {
            (_, local) if local > 0 => local,
            (IntOrString::Int(port), _) if *port >= 1024 => u16::try_from(*port).unwrap_or(0),
            _ => 0,
        }
    }

    fn discovered(kind: &str, name: &str, namespace: &str, port: i32, container: &str) -> Self {
        ForwardEntry {
            resource_type: kind.to_owned(),
            resource_name: name.to_owned(),
            namespace: namespace.to_owned(),
            port: IntOrString::Int(i64::from(port)),
            address: DEFAULT_ADDRESS.to_owned(),
            bind_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            local_port: 0,
            container: container.to_owned(),
        }
    }
}

fn checked(
    resource: &PortForwardResource,
    default_namespace: &str,
) -> Result<ForwardEntry, DeployError> {
    let invalid = |what: String| {
        DeployError::new(
            StatusCode::InitCreateDeployerError,
            format!(
                "portForward entry for {}/{}: {what}",
                resource.resource_type, resource.resource_name
            ),
        )
    };
    if resource.resource_name.is_empty() {
        return Err(invalid("resourceName is required".to_owned()));
    }
    let port = match &resource.port {
        Some(IntOrString::Int(port)) if !(1..=65535).contains(port) => {
            return Err(invalid(format!("port {port} is not a port number")));
        }
        Some(port) => port.clone(),
        None => return Err(invalid("port is required".to_owned())),
    };
    let LocalBinding {
        address,
        bind_ip,
        local_port,
    } = LocalBinding::of(resource, invalid)?;
    let namespace = if resource.namespace.is_empty() {
        default_namespace.to_owned()
    } else {
        resource.namespace.clone()
    };
    Ok(ForwardEntry {
        resource_type: resource.resource_type.normalized(),
        resource_name: resource.resource_name.clone(),
        namespace,
        port,
        address,
        bind_ip,
        local_port,
        container: String::new(),
    })
}

/// For the `services` mode: every port of every Service labelled `label` in `namespaces`.
pub(super) async fn services(
    client: &Client,
    namespaces: &[String],
    label: &str,
) -> Result<Vec<ForwardEntry>, kube::Error> {
    let mut entries = Vec::new();
    for namespace in namespaces {
        let api: Api<Service> = Api::namespaced(client.clone(), namespace);
        for service in api.list(&ListParams::default().labels(label)).await? {
            let ports = service.spec.iter().flat_map(|s| s.ports.iter().flatten());
            for port in ports {
                let name = service.name_any();
                entries.push(ForwardEntry::discovered(
                    "service", &name, namespace, port.port, "",
                ));
            }
        }
    }
    Ok(entries)
}

/// For the `pods` mode: every container port of every pod labelled `label` in `namespaces`.
pub(super) async fn pod_ports(
    client: &Client,
    namespaces: &[String],
    label: &str,
) -> Result<Vec<ForwardEntry>, kube::Error> {
    let mut entries = Vec::new();
    for namespace in namespaces {
        let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
        for pod in api.list(&ListParams::default().labels(label)).await? {
            let containers = pod.spec.iter().flat_map(|s| s.containers.iter());
            for container in containers {
                for port in container.ports.iter().flatten() {
                    let name = pod.name_any();
                    entries.push(ForwardEntry::discovered(
                        "pod",
                        &name,
                        namespace,
                        port.container_port,
                        &container.name,
                    ));
                }
            }
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_config::model::ResourceType;

    fn resource(kind: &str, port: IntOrString, local: i32) -> PortForwardResource {
        PortForwardResource {
            resource_type: ResourceType(kind.into()),
            resource_name: "web".into(),
            port: Some(port),
            local_port: local,
            ..Default::default()
        }
    }

    #[test]
    fn entries_are_checked_and_defaulted() {
        let entries = ForwardEntry::from_config(
            &[
                resource("Deployment", IntOrString::Int(8080), 0),
                resource("container", IntOrString::Int(80), 0),
                resource("service", IntOrString::String("http".into()), 9000),
            ],
            "dev",
        )
        .unwrap();
        assert_eq!(
            entries.len(),
            2,
            "container entries are the docker target's"
        );
        assert_eq!(entries[0].key(), "deployment/web");
        assert_eq!(entries[0].namespace, "dev");
        assert_eq!(entries[0].address, "127.0.0.1");
        assert_eq!(entries[0].wanted_local_port(), 8080);
        assert_eq!(entries[1].wanted_local_port(), 9000);
    }

    #[test]
    fn low_ports_ask_for_no_particular_local_port() {
        let entries =
            ForwardEntry::from_config(&[resource("pod", IntOrString::Int(80), 0)], "dev").unwrap();
        assert_eq!(entries[0].wanted_local_port(), 0);
    }

    #[test]
    fn bad_entries_name_the_resource() {
        let err = ForwardEntry::from_config(&[resource("pod", IntOrString::Int(70000), 0)], "d")
            .unwrap_err();
        assert_eq!(err.code, StatusCode::InitCreateDeployerError);
        assert!(err.message.contains("pod/web"), "{}", err.message);
        let mut host = resource("pod", IntOrString::Int(80), 0);
        host.address = "example.com".into();
        assert!(ForwardEntry::from_config(&[host], "d").is_err());
    }
}
