//! The `portForward` entries of containers, which the docker target publishes on host ports
//! chosen by [`crate::ports::PortAllocator`].

use std::net::IpAddr;

use skiff_config::model::{IntOrString, PortForwardResource};
use skiff_proto::enums::StatusCode;

use crate::error::DeployError;
use crate::ports::LocalBinding;

/// The `resourceType` of the `portForward` entries the docker target publishes.
pub const CONTAINER_RESOURCE_TYPE: &str = "container";

/// A `portForward` entry of type `container`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PortRequest {
    /// `resourceName`: the image whose containers publish the port.
    pub resource_name: String,
    /// `port`: the container port.
    pub container_port: u16,
    /// `address` as configured (the default when empty): what events and output show.
    pub address: String,
    /// The IP the engine binds.
    pub bind_ip: IpAddr,
    /// `localPort` (0 when unset).
    pub local_port: u16,
}

impl PortRequest {
    /// The container entries of `resources`, checked; entries of other types are not the docker
    /// target's and are left out.
    pub fn from_config(resources: &[PortForwardResource]) -> Result<Vec<PortRequest>, DeployError> {
        resources
            .iter()
            .filter(|r| r.resource_type.normalized() == CONTAINER_RESOURCE_TYPE)
            .map(PortRequest::checked)
            .collect()
    }

    fn checked(resource: &PortForwardResource) -> Result<PortRequest, DeployError> {
        let invalid = |what: String| {
            DeployError::new(
                StatusCode::InitCreateDeployerError,
                format!(
                    "portForward entry for container {:?}: {what}",
                    resource.resource_name
                ),
            )
        };
        let container_port = match &resource.port {
            Some(IntOrString::Int(port)) => u16::try_from(*port)
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| invalid(format!("port {port} is not a port number")))?,
            Some(IntOrString::String(name)) => {
                return Err(invalid(format!(
                    "port {name:?} must be a number: containers have no named ports"
                )));
            }
            None => return Err(invalid("port is required".to_owned())),
        };
        let LocalBinding {
            address,
            bind_ip,
            local_port,
        } = LocalBinding::of(resource, invalid)?;
        Ok(PortRequest {
            resource_name: resource.resource_name.clone(),
            container_port,
            address,
            bind_ip,
            local_port,
        })
    }

    /// Whether this entry belongs to the containers of `image` (compared without regard to
    /// case, as Skaffold does).
    pub fn is_for(&self, image: &str) -> bool {
        self.resource_name.eq_ignore_ascii_case(image)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_config::model::ResourceType;

    fn resource(kind: &str, name: &str, port: IntOrString, local: i32) -> PortForwardResource {
        PortForwardResource {
            resource_type: ResourceType(kind.into()),
            resource_name: name.into(),
            port: Some(port),
            local_port: local,
            ..Default::default()
        }
    }

    #[test]
    fn only_container_entries_are_taken() {
        let requests = PortRequest::from_config(&[
            resource("Container", "App", IntOrString::Int(8080), 9000),
            resource("service", "app", IntOrString::Int(80), 0),
        ])
        .unwrap();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].address, "127.0.0.1");
        assert!(requests[0].is_for("app"));
        assert!(!requests[0].is_for("web"));
    }

    #[test]
    fn named_ports_and_host_names_are_refused() {
        let named = PortRequest::from_config(&[resource(
            "container",
            "app",
            IntOrString::String("http".into()),
            0,
        )])
        .unwrap_err();
        assert_eq!(named.code, StatusCode::InitCreateDeployerError);
        assert!(named.message.contains("\"http\""), "{}", named.message);
        let mut host = resource("container", "app", IntOrString::Int(80), 0);
        host.address = "example.com".into();
        let err = PortRequest::from_config(&[host]).unwrap_err();
        assert!(err.message.contains("example.com"), "{}", err.message);
    }
}
