//! What tests scripted: per-image and per-pod behaviours, exec handlers and port-forward targets.

use crate::behaviour::PodBehaviour;
use crate::exec::ExecHandler;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;

/// Which pods (and containers) an exec handler or port-forward target serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodTarget {
    namespace: String,
    pod: Option<String>,
    container: Option<String>,
}

impl PodTarget {
    /// Every pod in `namespace`, including pods created later (replacements).
    pub fn namespace(namespace: &str) -> Self {
        Self {
            namespace: namespace.into(),
            pod: None,
            container: None,
        }
    }

    /// One pod by name.
    pub fn pod(namespace: &str, pod: &str) -> Self {
        Self {
            namespace: namespace.into(),
            pod: Some(pod.into()),
            container: None,
        }
    }

    /// Narrows the target to one container (exec only; port-forward ignores containers).
    pub fn container(mut self, container: &str) -> Self {
        self.container = Some(container.into());
        self
    }

    fn matches(&self, namespace: &str, pod: &str, container: Option<&str>) -> bool {
        self.namespace == namespace
            && self.pod.as_deref().is_none_or(|p| p == pod)
            && match (&self.container, container) {
                (Some(want), Some(got)) => want == got,
                (Some(_), None) => false,
                (None, _) => true,
            }
    }
}

/// How the kubelet simulation treats one pod.
#[derive(Debug, Clone, PartialEq)]
pub enum PodOverride {
    /// Every container behaves like this.
    Behaviour(PodBehaviour),
    /// The test owns the status; the kubelet leaves it alone.
    Manual,
}

/// The scripted state, behind one lock.
#[derive(Default)]
pub struct Script {
    image_rules: Vec<(String, PodBehaviour)>,
    overrides: HashMap<String, PodOverride>,
    first_seen: HashMap<String, (Instant, String)>,
    exec: Vec<(PodTarget, ExecHandler)>,
    forwards: Vec<(PodTarget, u16, SocketAddr)>,
}

impl Script {
    /// New pods whose container image is `image` behave like `behaviour` (latest rule wins).
    pub fn on_image(&mut self, image: &str, behaviour: PodBehaviour) {
        self.image_rules.push((image.into(), behaviour));
    }

    /// The behaviour of a container of pod `uid` running `image`.
    pub fn behaviour(&self, uid: &str, image: &str) -> Option<PodBehaviour> {
        match self.overrides.get(uid) {
            Some(PodOverride::Behaviour(b)) => Some(b.clone()),
            Some(PodOverride::Manual) => None,
            None => Some(
                self.image_rules
                    .iter()
                    .rev()
                    .find(|(i, _)| i == image)
                    .map(|(_, b)| b.clone())
                    .unwrap_or(PodBehaviour::Ready),
            ),
        }
    }

    /// Overrides how pod `uid` behaves.
    pub fn set_override(&mut self, uid: &str, value: PodOverride) {
        self.overrides.insert(uid.into(), value);
    }

    /// When the kubelet first saw pod `uid` (as an instant and an RFC 3339 timestamp).
    pub fn first_seen(&mut self, uid: &str) -> (Instant, String) {
        self.first_seen
            .entry(uid.into())
            .or_insert_with(|| (Instant::now(), crate::names::now_rfc3339()))
            .clone()
    }

    /// Registers an exec handler (the latest matching registration wins).
    pub fn on_exec(&mut self, target: PodTarget, handler: ExecHandler) {
        self.exec.push((target, handler));
    }

    /// The exec handler for a container.
    pub fn exec_handler(&self, namespace: &str, pod: &str, container: &str) -> Option<ExecHandler> {
        self.exec
            .iter()
            .rev()
            .find(|(t, _)| t.matches(namespace, pod, Some(container)))
            .map(|(_, h)| h.clone())
    }

    /// Registers the address a pod port forwards to (the latest matching registration wins).
    pub fn forward_port(&mut self, target: PodTarget, port: u16, address: SocketAddr) {
        self.forwards.push((target, port, address));
    }

    /// Where a forwarded pod port goes.
    pub fn forward_target(&self, namespace: &str, pod: &str, port: u16) -> Option<SocketAddr> {
        self.forwards
            .iter()
            .rev()
            .find(|(t, p, _)| *p == port && t.matches(namespace, pod, None))
            .map(|(_, _, a)| *a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_rules_and_overrides() {
        let mut s = Script::default();
        assert_eq!(s.behaviour("u1", "img:1"), Some(PodBehaviour::Ready));
        s.on_image("img:1", PodBehaviour::ImagePullBackOff);
        s.on_image("img:1", PodBehaviour::NotReady);
        assert_eq!(s.behaviour("u1", "img:1"), Some(PodBehaviour::NotReady));
        s.set_override("u1", PodOverride::Manual);
        assert_eq!(s.behaviour("u1", "img:1"), None);
    }

    #[test]
    fn targets_match_namespace_pod_and_container() {
        let mut s = Script::default();
        let a: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:2".parse().unwrap();
        s.forward_port(PodTarget::namespace("ns"), 80, a);
        s.forward_port(PodTarget::pod("ns", "p2"), 80, b);
        assert_eq!(s.forward_target("ns", "p1", 80), Some(a));
        assert_eq!(s.forward_target("ns", "p2", 80), Some(b));
        assert_eq!(s.forward_target("other", "p1", 80), None);
        assert!(
            PodTarget::pod("ns", "p")
                .container("c")
                .matches("ns", "p", Some("c"))
        );
        assert!(
            !PodTarget::pod("ns", "p")
                .container("c")
                .matches("ns", "p", Some("d"))
        );
    }
}
