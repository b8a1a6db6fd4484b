//! `container` deploy hooks: the command exec'd (no shell) through the API in every running
//! container whose pod and container names match the hook's `podName` and `containerName`
//! globs (Go's `path.Match`; an empty pattern matches everything, a malformed one nothing), in
//! the run's pods (`skaffold.dev/run-id=<id>`) of the given namespaces. All matching containers
//! run the command at once; its lines are shown as the container's logs are (same prefix,
//! an `ApplicationLogEvent` each).

use futures_util::future::try_join_all;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use skiff_config::model::NamedContainerHook;
use skiff_config::template::go_quote;
use skiff_config::validate::wildcard_match;
use skiff_proto::enums::StatusCode;

use crate::DeployError;
use crate::kubernetes::client::api_error;
use crate::kubernetes::exec;
use crate::logs::LogPrefix;
use crate::logs::format::LineSink;
use skiff_render::labels::run_id_selector;

/// One container a hook runs in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Target {
    /// The pod's namespace.
    pub(super) namespace: String,
    /// The pod.
    pub(super) pod: String,
    /// The container.
    pub(super) container: String,
}

/// Where a hook runs and how its lines are shown.
pub(super) struct Exec<'a> {
    /// The cluster.
    pub(super) client: &'a kube::Client,
    /// The run whose pods are searched.
    pub(super) run_id: &'a str,
    /// The prefix of the lines.
    pub(super) prefix: LogPrefix,
    /// Where the lines go.
    pub(super) sink: &'a LineSink,
}

impl Exec<'_> {
    /// The running containers of the run's pods in `namespaces` that `hook` selects.
    pub(super) async fn targets(
        &self,
        hook: &NamedContainerHook,
        namespaces: &[String],
    ) -> Result<Vec<Target>, DeployError> {
        let params = ListParams::default().labels(&run_id_selector(self.run_id));
        let mut targets = Vec::new();
        for namespace in namespaces {
            let pods = Api::<Pod>::namespaced(self.client.clone(), namespace)
                .list(&params)
                .await
                .map_err(|err| {
                    api_error(
                        &format!("getting pods for namespace {}", go_quote(namespace)),
                        &err,
                        StatusCode::DeployUnknown,
                    )
                })?;
            for pod in &pods.items {
                targets.extend(selected(pod, hook));
            }
        }
        Ok(targets)
    }

    /// Runs `command` in every target at once; the first failure is the error.
    pub(super) async fn run_all(
        &self,
        command: &[String],
        targets: &[Target],
    ) -> Result<(), DeployError> {
        try_join_all(targets.iter().map(|target| self.run(command, target))).await?;
        Ok(())
    }

    /// Runs `command` in one container, showing its lines as they come.
    async fn run(&self, command: &[String], target: &Target) -> Result<(), DeployError> {
        let target = exec::Target {
            api: Api::namespaced(self.client.clone(), &target.namespace),
            pod: target.pod.clone(),
            container: target.container.clone(),
        };
        exec::run_hook(
            &target,
            command,
            self.prefix,
            self.sink,
            StatusCode::DeployUnknown,
        )
        .await
    }
}

/// The containers of `pod` that `hook` runs in: the pod is `Running`, the container is running
/// (or has no status yet) and both names match their patterns.
pub(super) fn selected(pod: &Pod, hook: &NamedContainerHook) -> Vec<Target> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let status = pod.status.as_ref();
    if status.and_then(|s| s.phase.as_deref()) != Some("Running") || !matches(&hook.pod_name, &name)
    {
        return Vec::new();
    }
    let statuses = status
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or_default();
    let not_running = |container: &str| {
        statuses.iter().any(|s| {
            s.name == container
                && s.state
                    .as_ref()
                    .and_then(|st| st.running.as_ref())
                    .is_none()
        })
    };
    pod.spec
        .iter()
        .flat_map(|spec| &spec.containers)
        .filter(|c| !not_running(&c.name) && matches(&hook.container_name, &c.name))
        .map(|c| Target {
            namespace: pod.metadata.namespace.clone().unwrap_or_default(),
            pod: name.clone(),
            container: c.name.clone(),
        })
        .collect()
}

/// Whether `name` matches `pattern`; an empty pattern matches every name.
fn matches(pattern: &str, name: &str) -> bool {
    pattern.is_empty() || wildcard_match(pattern, name)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pod(phase: &str, statuses: serde_json::Value) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "web-7f9", "namespace": "dev"},
            "spec": {"containers": [{"name": "app"}, {"name": "sidecar"}]},
            "status": {"phase": phase, "containerStatuses": statuses},
        }))
        .unwrap()
    }

    fn hook(pod_name: &str, container_name: &str) -> NamedContainerHook {
        NamedContainerHook {
            command: vec!["true".into()],
            pod_name: pod_name.into(),
            container_name: container_name.into(),
        }
    }

    fn names(targets: Vec<Target>) -> Vec<String> {
        targets.into_iter().map(|t| t.container).collect()
    }

    const RUNNING: &str = r#"[{"name": "app", "state": {"running": {}}},
        {"name": "sidecar", "state": {"running": {}}}]"#;

    #[test]
    fn names_are_matched_as_globs_and_empty_patterns_match_all() {
        let running = pod("Running", serde_json::from_str(RUNNING).unwrap());
        assert_eq!(
            names(selected(&running, &hook("web-*", ""))),
            ["app", "sidecar"]
        );
        assert_eq!(
            names(selected(&running, &hook("web-*", "s?de*"))),
            ["sidecar"]
        );
        assert!(selected(&running, &hook("api-*", "")).is_empty());
        assert!(selected(&running, &hook("web-[", "")).is_empty());
        let target = &selected(&running, &hook("*", "app"))[0];
        assert_eq!(
            (target.namespace.as_str(), target.pod.as_str()),
            ("dev", "web-7f9")
        );
    }

    #[test]
    fn only_running_containers_of_running_pods_are_selected() {
        let pending = pod("Pending", serde_json::from_str(RUNNING).unwrap());
        assert!(selected(&pending, &hook("*", "")).is_empty());
        let waiting = pod(
            "Running",
            json!([{"name": "app", "state": {"running": {}}},
                   {"name": "sidecar", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]),
        );
        assert_eq!(names(selected(&waiting, &hook("*", ""))), ["app"]);
    }
}
