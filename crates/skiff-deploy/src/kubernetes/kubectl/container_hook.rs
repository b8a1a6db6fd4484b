//! `container` deploy hooks: the command exec'd (no shell) through the API in every running
//! container whose pod and container names match the hook's `podName` and `containerName`
//! globs (Go's `path.Match`; an empty pattern matches everything, a malformed one nothing), in
//! the run's pods (`skaffold.dev/run-id=<id>`) of the given namespaces. All matching containers
//! run the command at once; its lines are shown as the container's logs are (same prefix,
//! an `ApplicationLogEvent` each).

use futures_util::future::try_join_all;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, AttachParams, ListParams};
use skiff_config::model::NamedContainerHook;
use skiff_config::template::go_quote;
use skiff_config::validate::wildcard_match;
use skiff_proto::enums::StatusCode;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use crate::DeployError;
use crate::kubernetes::client::api_error;
use crate::logs::LogPrefix;
use crate::logs::format::{LineFormat, LineSink};

/// The label that marks the objects of one skiff run.
const RUN_ID_LABEL: &str = "skaffold.dev/run-id";

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
        let params = ListParams::default().labels(&format!("{RUN_ID_LABEL}={}", self.run_id));
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
        let failed = |why: String| {
            DeployError::new(
                StatusCode::DeployUnknown,
                format!(
                    "hook execution failed for pod {} container {}: {why}",
                    go_quote(&target.pod),
                    go_quote(&target.container)
                ),
            )
        };
        let api = Api::<Pod>::namespaced(self.client.clone(), &target.namespace);
        let params = AttachParams::default()
            .container(target.container.as_str())
            .stdout(true)
            .stderr(true);
        let mut process = api
            .exec(&target.pod, command.to_vec(), &params)
            .await
            .map_err(|err| failed(err.to_string()))?;
        let format = LineFormat::for_pod(&target.pod, &target.container, self.prefix, None);
        let (stdout, stderr) = (process.stdout(), process.stderr());
        let status = process.take_status();
        tokio::join!(self.show(stdout, &format), self.show(stderr, &format));
        let status = match status {
            Some(status) => status.await,
            None => None,
        };
        process
            .join()
            .await
            .map_err(|err| failed(err.to_string()))?;
        match status {
            Some(status) if status.status.as_deref() == Some("Success") => Ok(()),
            Some(status) => Err(failed(exit_description(&status))),
            None => Err(failed("the API reported no exit status".to_string())),
        }
    }

    /// Shows the lines of one output stream of a hook.
    async fn show(&self, pipe: Option<impl AsyncRead + Unpin>, format: &LineFormat) {
        let Some(pipe) = pipe else { return };
        let mut lines = BufReader::new(pipe).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            self.sink.emit(format, &format!("{line}\n"));
        }
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

/// How a failed exec ended, in the words of Go's `exec`: `exit status 3`, else the API's
/// message.
fn exit_description(status: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Status) -> String {
    let code = status
        .details
        .as_ref()
        .and_then(|d| d.causes.as_deref())
        .unwrap_or_default()
        .iter()
        .find(|c| c.reason.as_deref() == Some("ExitCode"))
        .and_then(|c| c.message.clone());
    match code {
        Some(code) => format!("exit status {code}"),
        None => status
            .message
            .clone()
            .unwrap_or_else(|| "exec failed".to_string()),
    }
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

    #[test]
    fn a_failed_exec_is_described_by_its_exit_code() {
        let status = serde_json::from_value(json!({
            "status": "Failure", "message": "command terminated with non-zero exit code",
            "details": {"causes": [{"reason": "ExitCode", "message": "3"}]},
        }))
        .unwrap();
        assert_eq!(exit_description(&status), "exit status 3");
        let other =
            serde_json::from_value(json!({"status": "Failure", "message": "no shell"})).unwrap();
        assert_eq!(exit_description(&other), "no shell");
    }
}
