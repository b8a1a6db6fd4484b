//! Local ports for `portForward` entries, for both targets: the address an entry binds, and
//! the port chosen as Skaffold chooses it (`util.GetAvailablePort`).
//!
//! A requested port is used when it is free; otherwise the next ten ports after it, then
//! 4503–4533, then a port the system picks. A port is free when nothing listens on it on any
//! address nor on the entry's own address; every port tried is remembered for the rest of the
//! run, so no port is handed out twice (a holder that goes gives its ports back). The check is
//! made on this machine, so, as with Skaffold, it says nothing about ports on a remote engine's
//! host.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, TcpListener};

use skiff_config::model::PortForwardResource;

use crate::error::DeployError;

/// The address a forward binds when its entry names none (Skaffold's loopback default).
pub const DEFAULT_ADDRESS: &str = "127.0.0.1";

/// The first port of the fallback range Skaffold tries when the wanted one is taken.
const FALLBACK_FIRST: u16 = 4503;
/// The last port of the fallback range.
const FALLBACK_LAST: u16 = 4533;
/// How many ports after a taken one are tried before the fallback range.
const NEXT_PORTS: u16 = 10;

/// Where an entry listens: its `address` and `localPort`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LocalBinding {
    /// `address` as configured (the default when empty): what events and output show.
    pub address: String,
    /// The IP to bind.
    pub bind_ip: IpAddr,
    /// `localPort` (0 when unset).
    pub local_port: u16,
}

impl LocalBinding {
    /// The binding of `resource`; an invalid `localPort` or an `address` that is not an IP
    /// (or `localhost`) is reported through `invalid`.
    pub fn of(
        resource: &PortForwardResource,
        invalid: impl Fn(String) -> DeployError,
    ) -> Result<LocalBinding, DeployError> {
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
            address
                .parse()
                .map_err(|_| invalid(format!("address {address:?} is not an IP address")))?
        };
        Ok(LocalBinding {
            address,
            bind_ip,
            local_port,
        })
    }
}

/// The ports handed out in a run and who holds them (an image, a forward).
#[derive(Debug, Default)]
pub(crate) struct PortAllocator {
    tried: BTreeSet<u16>,
    held: BTreeMap<String, Vec<u16>>,
}

impl PortAllocator {
    /// A free port on `bind_ip` near `wanted` (0: none wanted), held by `holder` until it is
    /// relinquished; `None` when not even the system can give one on that address.
    pub fn allocate(&mut self, holder: &str, bind_ip: &IpAddr, wanted: u16) -> Option<u16> {
        let port = self.available(bind_ip, wanted)?;
        self.held.entry(holder.to_owned()).or_default().push(port);
        Some(port)
    }

    /// Gives back the ports `holder` holds (its container is gone).
    pub fn relinquish(&mut self, holder: &str) {
        for port in self.held.remove(holder).unwrap_or_default() {
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

    const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    #[test]
    fn a_taken_port_moves_to_the_next_free_one() {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let mut ports = PortAllocator::default();
        let got = ports.allocate("app", &LOOPBACK, port).unwrap();
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
        assert_eq!(ports.allocate("app", &LOOPBACK, port), Some(port));
        let second = ports.allocate("web", &LOOPBACK, port).unwrap();
        assert_ne!(second, port);
        ports.relinquish("app");
        assert_eq!(ports.allocate("app", &LOOPBACK, port), Some(port));
    }

    #[test]
    fn no_local_port_uses_the_fallback_range_or_a_system_port() {
        let mut ports = PortAllocator::default();
        let got = ports.allocate("app", &LOOPBACK, 0).unwrap();
        assert!(got > 0);
    }
}
