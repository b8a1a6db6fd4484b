//! Host ports for the `portForward` entries of containers, chosen as Skaffold chooses them
//! (`util.GetAvailablePort` through the docker port manager).
//!
//! A requested port is used when it is free; otherwise the next ten ports after it, then
//! 4503–4533, then a port the system picks. A port is free when nothing listens on it on any
//! address nor on the entry's own address; every port tried is remembered for the rest of the
//! run, so no port is handed out twice (a container that is replaced gives its ports back).
//! The check is made on this machine, so, as with Skaffold, it says nothing about ports on a
//! remote engine's host.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, TcpListener};

use skiff_config::model::{IntOrString, PortForwardResource};
use skiff_proto::enums::StatusCode;

use crate::error::DeployError;

/// The address a forward binds when its entry names none (Skaffold's loopback default).
pub const DEFAULT_ADDRESS: &str = "127.0.0.1";

/// The `resourceType` of the `portForward` entries the docker target publishes.
pub const CONTAINER_RESOURCE_TYPE: &str = "container";

/// The first port of the fallback range Skaffold tries when the wanted one is taken.
const FALLBACK_FIRST: u16 = 4503;
/// The last port of the fallback range.
const FALLBACK_LAST: u16 = 4533;
/// How many ports after a taken one are tried before the fallback range.
const NEXT_PORTS: u16 = 10;

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
        let local_port = u16::try_from(resource.local_port).map_err(|_| {
            invalid(format!(
                "localPort {} is not a port number",
                resource.local_port
            ))
        })?;
        let address = if resource.address.is_empty() {
            DEFAULT_ADDRESS.to_owned()
        } else {
            resource.address.clone()
        };
        let bind_ip = if address == "localhost" {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            address.parse().map_err(|_| {
                invalid(format!(
                    "address {address:?} is not an IP address the engine can bind"
                ))
            })?
        };
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

/// The ports handed out in a run and which image holds them.
#[derive(Debug, Default)]
pub(crate) struct PortAllocator {
    tried: BTreeSet<u16>,
    held: BTreeMap<String, Vec<u16>>,
}

impl PortAllocator {
    /// A free port for `request` near its `localPort`, held by `image` until it is relinquished;
    /// `None` when not even the system can give one on that address.
    pub fn allocate(&mut self, image: &str, request: &PortRequest) -> Option<u16> {
        let port = self.available(&request.bind_ip, request.local_port)?;
        self.held.entry(image.to_owned()).or_default().push(port);
        Some(port)
    }

    /// Gives back the ports `image` holds (its container is gone).
    pub fn relinquish(&mut self, image: &str) {
        for port in self.held.remove(image).unwrap_or_default() {
            self.tried.remove(&port);
        }
    }

    /// Skaffold's `GetAvailablePort`.
    fn available(&mut self, address: &IpAddr, wanted: u16) -> Option<u16> {
        if wanted > 0 {
            let candidates = (0..=NEXT_PORTS).filter_map(|i| wanted.checked_add(i));
            for port in candidates {
                if self.take_if_free(address, port) {
                    return Some(port);
                }
            }
        }
        for port in FALLBACK_FIRST..=FALLBACK_LAST {
            if self.take_if_free(address, port) {
                return Some(port);
            }
        }
        let port = TcpListener::bind((*address, 0))
            .ok()?
            .local_addr()
            .ok()?
            .port();
        self.tried.insert(port);
        Some(port)
    }

    /// Records `port` as tried and says whether it was both new to this run and free.
    fn take_if_free(&mut self, address: &IpAddr, port: u16) -> bool {
        self.tried.insert(port) && is_free(address, port)
    }
}

/// Whether nothing listens on `port`, on any address nor on `address`.
fn is_free(address: &IpAddr, port: u16) -> bool {
    let any = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    TcpListener::bind((any, port)).is_ok() && TcpListener::bind((*address, port)).is_ok()
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

    fn request(local_port: u16) -> PortRequest {
        PortRequest {
            resource_name: "app".into(),
            container_port: 8080,
            address: DEFAULT_ADDRESS.into(),
            bind_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            local_port,
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

    #[test]
    fn a_taken_port_moves_to_the_next_free_one() {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let mut ports = PortAllocator::default();
        let got = ports.allocate("app", &request(port)).unwrap();
        assert_ne!(got, port);
        assert!(
            got > port && got <= port + NEXT_PORTS
                || (FALLBACK_FIRST..=FALLBACK_LAST).contains(&got)
        );
    }

    #[test]
    fn handed_out_ports_are_not_reused_until_relinquished() {
        let probe = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        let mut ports = PortAllocator::default();
        assert_eq!(ports.allocate("app", &request(port)), Some(port));
        let second = ports.allocate("web", &request(port)).unwrap();
        assert_ne!(second, port);
        ports.relinquish("app");
        assert_eq!(ports.allocate("app", &request(port)), Some(port));
    }

    #[test]
    fn no_local_port_uses_the_fallback_range_or_a_system_port() {
        let mut ports = PortAllocator::default();
        let got = ports.allocate("app", &request(0)).unwrap();
        assert!(got > 0);
    }
}
