//! [`FakeCluster`]: the test's handle on a running fake API server.

use crate::behaviour::PodBehaviour;
use crate::error::ApiError;
use crate::exec::ExecHandler;
use crate::object;
use crate::pods::Pods;
use crate::requests::RequestRecord;
use crate::router;
use crate::script::PodTarget;
use crate::state::{Options, Shared, lock};
use crate::store::ObjectKey;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// What a scripting call on the fake can fail with.
#[derive(Debug, thiserror::Error)]
pub enum FakeError {
    /// The API machinery refused, as it would refuse a client.
    #[error("the fake API server refused: {0}")]
    Api(#[from] ApiError),
    /// No served resource type has this apiVersion and kind.
    #[error(
        "no resource of kind {kind} in {api_version} is served (apply its CustomResourceDefinition first)"
    )]
    UnknownKind {
        /// The requested apiVersion.
        api_version: String,
        /// The requested kind.
        kind: String,
    },
    /// A pod was deleted but no replacement appeared.
    #[error("pod {pod} was deleted but not replaced: {reason}")]
    NotReplaced {
        /// `namespace/name`.
        pod: String,
        /// Why.
        reason: String,
    },
}

/// Options for [`FakeCluster::builder`].
#[derive(Debug, Clone)]
pub struct FakeClusterBuilder {
    options: Options,
}

impl FakeClusterBuilder {
    /// Whether the workload controllers run (default: yes). Without them, Deployments,
    /// StatefulSets, ReplicaSets and Jobs make no pods and get no status.
    pub fn controllers(mut self, enabled: bool) -> Self {
        self.options.controllers = enabled;
        self
    }

    /// Whether the kubelet simulation runs (default: yes). Without it, pods stay `Pending`
    /// unless the test sets their status.
    pub fn kubelet(mut self, enabled: bool) -> Self {
        self.options.kubelet = enabled;
        self
    }

    /// How often watches with `allowWatchBookmarks=true` get a `BOOKMARK` (default: 1 s).
    pub fn bookmark_interval(mut self, interval: Duration) -> Self {
        self.options.bookmark_interval = interval;
        self
    }

    /// Binds 127.0.0.1 on a free port and starts serving (and reconciling).
    pub async fn start(self) -> std::io::Result<FakeCluster> {
        let shared = Shared::new(self.options);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = router::router(shared.clone());
        let mut tasks = vec![tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                tracing::warn!("fake API server stopped: {err}");
            }
        })];
        if shared.options.controllers || shared.options.kubelet {
            tasks.push(tokio::spawn(shared.clone().run_controllers()));
        }
        Ok(FakeCluster {
            shared,
            addr,
            tasks,
        })
    }
}

/// A fake Kubernetes API server on 127.0.0.1, stopped when dropped.
pub struct FakeCluster {
    shared: Arc<Shared>,
    addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for FakeCluster {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl FakeCluster {
    /// Starts a cluster with the controllers and the kubelet simulation running.
    pub async fn start() -> std::io::Result<Self> {
        Self::builder().start().await
    }

    /// A builder to choose what the cluster simulates.
    pub fn builder() -> FakeClusterBuilder {
        FakeClusterBuilder {
            options: Options {
                controllers: true,
                kubelet: true,
                bookmark_interval: Duration::from_secs(1),
            },
        }
    }

    /// The server URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kube-rs client for this cluster (default namespace `default`).
    pub fn client(&self) -> kube::Client {
        let url = self.url().parse().expect("the server URL is a valid URI");
        kube::Client::try_from(kube::Config::new(url))
            .expect("a plain-HTTP kube client always builds")
    }

    /// Writes a kubeconfig whose current context `context` points at this cluster (namespace
    /// `default`, no credentials), for kubectl or kube-rs's config loading.
    pub fn write_kubeconfig(&self, path: &Path, context: &str) -> std::io::Result<()> {
        let config = json!({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": {"server": self.url()}}],
            "users": [{"name": context, "user": {}}],
            "contexts": [{"name": context, "context": {"cluster": context, "user": context, "namespace": "default"}}],
            "current-context": context,
            "preferences": {},
        });
        let text = serde_yaml_ng::to_string(&config).map_err(std::io::Error::other)?;
        std::fs::write(path, text)
    }

    fn key(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<ObjectKey, FakeError> {
        let store = lock(&self.shared.store);
        let rt = store
            .registry()
            .find_kind(api_version, kind)
            .ok_or_else(|| FakeError::UnknownKind {
                api_version: api_version.into(),
                kind: kind.into(),
            })?;
        let namespace = if rt.namespaced {
            namespace.unwrap_or("default")
        } else {
            ""
        };
        Ok(ObjectKey::new(rt.into(), namespace, name))
    }

    /// One stored object (`namespace` is ignored for cluster-scoped kinds).
    pub fn get(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let key = self.key(api_version, kind, namespace, name).ok()?;
        lock(&self.shared.store).get(&key).cloned()
    }

    /// The stored objects of a kind, in one namespace or (`None`) all, by namespace and name.
    pub fn list(&self, api_version: &str, kind: &str, namespace: Option<&str>) -> Vec<Value> {
        let Ok(key) = self.key(api_version, kind, None, "") else {
            return Vec::new();
        };
        lock(&self.shared.store)
            .list(&key.resource, namespace)
            .cloned()
            .collect()
    }

    /// Creates an object directly (through the same machinery as a `POST`), for seeding state.
    pub fn create(&self, object: Value) -> Result<Value, FakeError> {
        let text = |field: &str| {
            object
                .get(field)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let (api_version, kind) = (text("apiVersion"), text("kind"));
        let mut store = lock(&self.shared.store);
        let rt = store
            .registry()
            .find_kind(&api_version, &kind)
            .cloned()
            .ok_or(FakeError::UnknownKind { api_version, kind })?;
        let namespace = object::meta(&object, "namespace").map(String::from);
        Ok(store.create(&rt, namespace.as_deref(), object)?)
    }

    /// Every request served so far, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.shared.requests).clone()
    }

    /// Forgets the requests served so far.
    pub fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
    }

    /// Pods created from now on whose container image is `image` behave like `behaviour`
    /// (default for unmatched images: [`PodBehaviour::Ready`]).
    pub fn on_image(&self, image: &str, behaviour: PodBehaviour) {
        lock(&self.shared.script).on_image(image, behaviour);
    }

    /// The pod-scripting handle.
    pub fn pods(&self) -> Pods<'_> {
        Pods {
            shared: &self.shared,
        }
    }

    /// Appends a line to a container's log (followers see it at once).
    pub fn append_log(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        line: &str,
    ) -> Result<(), FakeError> {
        let store = lock(&self.shared.store);
        let pod = crate::pods::stored(&store, namespace, pod)?;
        crate::kubelet::resolve_container(pod, Some(container))?;
        lock(&self.shared.logs).append(object::uid(pod), container, line);
        Ok(())
    }

    /// Records a core/v1 Event about an existing object of a built-in `kind` (`Pod`,
    /// `Deployment`, …), as a kubelet or controller would: `event_type` is `Normal` or `Warning`.
    pub fn record_event(
        &self,
        namespace: &str,
        kind: &str,
        name: &str,
        event_type: &str,
        reason: &str,
        message: &str,
    ) -> Result<Value, FakeError> {
        let mut store = lock(&self.shared.store);
        let rt = store
            .registry()
            .all()
            .iter()
            .find(|t| t.kind == kind && t.crd.is_none())
            .cloned()
            .ok_or_else(|| FakeError::UnknownKind {
                api_version: String::new(),
                kind: kind.into(),
            })?;
        let about_ns = if rt.namespaced { namespace } else { "" };
        let about = store
            .get(&ObjectKey::new((&rt).into(), about_ns, name))
            .cloned()
            .ok_or_else(|| {
                ApiError::not_found(
                    &crate::error::Qualified {
                        group: &rt.group,
                        plural: &rt.plural,
                    },
                    name,
                )
            })?;
        let now = jiff::Timestamp::now();
        let event = json!({
            "metadata": {"name": format!("{name}.{:x}", now.as_nanosecond()), "namespace": namespace},
            "involvedObject": {
                "apiVersion": rt.api_version(),
                "kind": kind,
                "name": name,
                "namespace": about_ns,
                "uid": object::uid(&about),
                "resourceVersion": object::meta(&about, "resourceVersion"),
            },
            "reason": reason,
            "message": message,
            "type": event_type,
            "source": {"component": "skiff-kube-fake"},
            "firstTimestamp": format!("{now:.0}"),
            "lastTimestamp": format!("{now:.0}"),
            "count": 1,
            "reportingComponent": "skiff-kube-fake",
            "reportingInstance": "",
        });
        let events = store
            .registry()
            .find("", "v1", "events")
            .cloned()
            .expect("built-in events");
        Ok(store.create(&events, Some(namespace), event)?)
    }

    /// Serves exec calls into the targeted pods with `handler` (latest registration wins).
    pub fn on_exec(&self, target: PodTarget, handler: ExecHandler) {
        lock(&self.shared.script).on_exec(target, handler);
    }

    /// Forwards `port` of the targeted pods to `address` (a local server standing for the
    /// container; latest registration wins).
    pub fn forward_port(&self, target: PodTarget, port: u16, address: SocketAddr) {
        lock(&self.shared.script).forward_port(target, port, address);
    }

    /// Compacts the watch history as etcd eventually does: open watches end, and resuming from
    /// any earlier resourceVersion gets `410 Expired`, so clients must list again.
    pub fn expire_watches(&self) {
        lock(&self.shared.store).expire_watches();
    }

    /// Polls `check` every 20 ms until it holds or `timeout` passes; returns whether it held.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&Self) -> bool,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if check(self) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits up to `timeout` for a `Running` pod of `namespace` whose name `accept` takes, and
    /// returns the first one's name.
    pub async fn running_pod(
        &self,
        namespace: &str,
        timeout: Duration,
        accept: impl Fn(&str) -> bool,
    ) -> Option<String> {
        let mut found = None;
        self.wait_until(timeout, |fake| {
            found = fake
                .list("v1", "Pod", Some(namespace))
                .into_iter()
                .filter(|pod| pod["status"]["phase"] == "Running")
                .filter_map(|pod| pod["metadata"]["name"].as_str().map(String::from))
                .find(|name| accept(name));
            found.is_some()
        })
        .await;
        found
    }
}
