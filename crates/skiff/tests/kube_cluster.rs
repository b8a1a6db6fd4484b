//! The opt-in end-to-end suite against a real Kubernetes cluster (see `docs/kubernetes-e2e.md`).
//!
//! It runs only when `SKIFF_TEST_KUBECONFIG` names the kubeconfig of a cluster where the tests
//! may create and delete namespaces; otherwise every test prints a note and passes, also under
//! `CI=true` (no CI machine has a cluster). Each test works in a copy of `testdata/kube-web` and
//! a namespace of its own, created with `kubectl create namespace` and deleted when the test
//! ends, failed or not. The default suite covers the same paths against the fake API server
//! (`kube_target.rs`).
//!
//! Optional: `SKIFF_TEST_KUBE_CONTEXT` (the context, else the kubeconfig's current one),
//! `SKIFF_TEST_REGISTRY` (a registry the cluster pulls from: the built image is pushed there)
//! and `SKIFF_TEST_LOAD_IMAGE` (a command that puts a local image into the cluster's image
//! store, such as `minikube -p skiff image load`, run with the image appended). With neither,
//! skiff loads the images into a kind or k3d cluster itself; any other cluster must see the
//! images of the engine skiff builds on (Docker Desktop, or minikube after
//! `eval "$(minikube docker-env)"`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{Background, assert_success, project, skiff};
use serde_json::Value;
use skiff_testenv::{stderr, stdout};

const SKIP_NOTE: &str = "SKIFF_TEST_KUBECONFIG is not set: skipping the real-cluster suite (see docs/kubernetes-e2e.md)";

/// How long a build, a push and a rollout on a real cluster may take.
const ROLLOUT: Duration = Duration::from_secs(300);

/// How long the cluster may take to remove objects or serve an edit.
const SETTLE: Duration = Duration::from_secs(120);

/// The tests build the same image on one engine: one at a time, whatever `--test-threads` says.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The cluster the environment names, or `None` after the skip note.
#[derive(Debug, Clone)]
struct RealCluster {
    kubeconfig: PathBuf,
    context: Option<String>,
    registry: Option<String>,
    load_image: Option<Vec<String>>,
}

impl RealCluster {
    fn from_env() -> Option<RealCluster> {
        let Some(kubeconfig) = env("SKIFF_TEST_KUBECONFIG") else {
            eprintln!("{SKIP_NOTE}");
            return None;
        };
        let kubeconfig = std::fs::canonicalize(&kubeconfig)
            .unwrap_or_else(|e| panic!("SKIFF_TEST_KUBECONFIG={kubeconfig} cannot be read: {e}"));
        let load_image = env("SKIFF_TEST_LOAD_IMAGE")
            .map(|cmd| cmd.split_whitespace().map(str::to_owned).collect());
        Some(RealCluster {
            kubeconfig,
            context: env("SKIFF_TEST_KUBE_CONTEXT"),
            registry: env("SKIFF_TEST_REGISTRY"),
            load_image,
        })
    }

    /// Runs `kubectl` on the cluster with `args`.
    fn kubectl(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new("kubectl");
        cmd.arg(format!("--kubeconfig={}", self.kubeconfig.display()));
        if let Some(context) = &self.context {
            cmd.arg(format!("--context={context}"));
        }
        cmd.args(args).output().unwrap_or_else(|e| {
            panic!("kubectl cannot be run ({e}): put it on the PATH, e.g. eval \"$(scripts/test-env env)\"")
        })
    }
}

/// A non-empty environment variable.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// A namespace of the test's own, deleted (with everything in it) when dropped.
struct Namespace {
    cluster: RealCluster,
    name: String,
}

impl Namespace {
    fn create(cluster: &RealCluster, test: &str) -> Namespace {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let name = format!("skiff-e2e-{test}-{}", nanos % 1_000_000_000_000);
        let out = cluster.kubectl(&["create", "namespace", &name]);
        assert!(
            out.status.success(),
            "kubectl create namespace {name} failed:\n{}{}",
            stdout(&out),
            stderr(&out)
        );
        Namespace {
            cluster: cluster.clone(),
            name,
        }
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let out = self.cluster.kubectl(&[
            "delete",
            "namespace",
            &self.name,
            "--ignore-not-found",
            "--wait=true",
            "--timeout=180s",
        ]);
        if !out.status.success() {
            eprintln!(
                "warning: namespace {} may be left behind: {}",
                self.name,
                stderr(&out)
            );
        }
    }
}

/// One test's copy of `testdata/kube-web` and its namespace on the real cluster.
struct Suite {
    // Dropped first: the namespace goes before the copy of the project.
    namespace: Namespace,
    cluster: RealCluster,
    dir: tempfile::TempDir,
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl Suite {
    /// `None` (the test is skipped) without `SKIFF_TEST_KUBECONFIG`.
    fn start(test: &str) -> Option<Suite> {
        let cluster = RealCluster::from_env()?;
        let turn = ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let dir = project("kube-web");
        if cluster.registry.is_some() {
            // The image is pushed to the registry the cluster pulls from (`run` and `dev` have
            // no `--push`: `build.local.push` decides).
            let config = dir.path().join("skaffold.yaml");
            let text = std::fs::read_to_string(&config).unwrap();
            assert!(text.contains("push: false"), "{text}");
            std::fs::write(&config, text.replace("push: false", "push: true")).unwrap();
        }
        let namespace = Namespace::create(&cluster, test);
        Some(Suite {
            namespace,
            cluster,
            dir,
            _turn: turn,
        })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn ns(&self) -> &str {
        &self.namespace.name
    }

    /// `command` with the flags that point skiff at the cluster, the namespace and the registry.
    fn args(&self, command: &[&str]) -> Vec<String> {
        let mut all: Vec<String> = command.iter().map(|a| (*a).to_owned()).collect();
        all.push(format!(
            "--kubeconfig={}",
            self.cluster.kubeconfig.display()
        ));
        if let Some(context) = &self.cluster.context {
            all.push(format!("--kube-context={context}"));
        }
        all.extend(["-n".to_owned(), self.ns().to_owned()]);
        if command.first() != Some(&"delete")
            && let Some(registry) = &self.cluster.registry
        {
            all.push(format!("--default-repo={registry}"));
        }
        all
    }

    fn skiff(&self, command: &[&str]) -> Output {
        let args = self.args(command);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        skiff(self.path(), &args)
    }

    fn background(&self, command: &[&str]) -> Background {
        let args = self.args(command);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Background::start(self.path(), &args)
    }

    /// With `SKIFF_TEST_LOAD_IMAGE`: builds the image and loads it into the cluster, so the
    /// `run` or `dev` that follows finds it in its cache and deploys the tag the cluster has.
    fn preload_images(&self) {
        let Some(load) = &self.cluster.load_image else {
            return;
        };
        let out = skiff(self.path(), &["build", "--file-output=tags.json"]);
        assert_success(&out);
        let tags: Value =
            serde_json::from_str(&std::fs::read_to_string(self.path().join("tags.json")).unwrap())
                .unwrap();
        for build in tags["builds"].as_array().unwrap() {
            let tag = build["tag"].as_str().unwrap();
            let out = Command::new(&load[0])
                .args(&load[1..])
                .arg(tag)
                .output()
                .unwrap_or_else(|e| panic!("SKIFF_TEST_LOAD_IMAGE {load:?} cannot be run: {e}"));
            assert!(
                out.status.success(),
                "{load:?} {tag} failed:\n{}{}",
                stdout(&out),
                stderr(&out)
            );
        }
    }

    /// `kubectl get <kinds> -n <ns> -o json`: the items.
    fn objects(&self, kinds: &str) -> Vec<Value> {
        let out = self
            .cluster
            .kubectl(&["get", kinds, "-n", self.ns(), "-o", "json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let list: Value = serde_json::from_slice(&out.stdout).unwrap();
        list["items"].as_array().cloned().unwrap_or_default()
    }

    fn deployment(&self) -> Option<Value> {
        self.objects("deployments")
            .into_iter()
            .find(|d| d["metadata"]["name"] == "kube-web")
    }

    /// Waits until the Deployment `kube-web` reports the condition `Available`.
    fn wait_available(&self) -> Value {
        let deadline = Instant::now() + ROLLOUT;
        loop {
            let deployment = self.deployment();
            if let Some(d) = &deployment
                && d["status"]["conditions"].as_array().is_some_and(|conds| {
                    conds
                        .iter()
                        .any(|c| c["type"] == "Available" && c["status"] == "True")
                })
            {
                return d.clone();
            }
            assert!(
                Instant::now() < deadline,
                "the Deployment never became available: {deployment:?}"
            );
            std::thread::sleep(Duration::from_secs(1));
        }
    }

    /// Waits until neither the Deployment nor the Service of kube-web is in the namespace.
    fn wait_gone(&self, why: &str) {
        let deadline = Instant::now() + SETTLE;
        loop {
            let left: Vec<String> = self
                .objects("deployments,services")
                .iter()
                .filter(|o| o["metadata"]["name"] == "kube-web")
                .map(|o| format!("{}/kube-web", o["kind"].as_str().unwrap_or("?")))
                .collect();
            if left.is_empty() {
                return;
            }
            assert!(Instant::now() < deadline, "{why}, but {left:?} remain");
            std::thread::sleep(Duration::from_secs(1));
        }
    }

    fn printed(&self) -> String {
        std::fs::read_to_string(self.path().join("stdout.txt")).unwrap_or_default()
    }
}

/// The first line of `text` that contains `needle`.
fn line_with<'a>(text: &'a str, needle: &str) -> Option<&'a str> {
    text.lines().find(|l| l.contains(needle))
}

/// `GET /` on a local port: the whole response, or `None` when nothing answers.
fn try_get(port: u16) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    (!response.is_empty()).then_some(response)
}

#[test]
fn run_makes_the_deployment_available_and_delete_removes_it() {
    let Some(suite) = Suite::start("run") else {
        return;
    };
    suite.preload_images();

    let out = suite.skiff(&["run"]);
    assert_success(&out);
    let printed = stdout(&out);
    let ready = format!(" - {}:deployment/kube-web is ready.", suite.ns());
    assert!(printed.contains(&ready), "{ready:?} not in:\n{printed}");
    let deployment = suite.wait_available();
    let image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap_or_default();
    assert!(
        image.contains("kube-web:"),
        "the Deployment runs the built image, not {image:?}"
    );
    assert!(
        deployment["metadata"]["labels"]["skaffold.dev/run-id"].is_string(),
        "{deployment}"
    );
    assert!(
        suite
            .objects("services")
            .iter()
            .any(|s| s["metadata"]["name"] == "kube-web"),
        "the Service was applied"
    );

    let out = suite.skiff(&["delete"]);
    assert_success(&out);
    suite.wait_gone("skiff delete succeeded");
}

#[test]
fn dev_serves_through_the_forward_syncs_an_edit_and_cleans_up_on_ctrl_c() {
    let Some(suite) = Suite::start("dev") else {
        return;
    };
    suite.preload_images();

    let mut dev = suite.background(&["dev"]);
    dev.wait_for_output("Watching for changes", ROLLOUT);
    let forwarded = format!(
        "Port forwarding service/kube-web in namespace {}, remote port 80 -> http://127.0.0.1:",
        suite.ns()
    );
    dev.wait_for_output(&forwarded, SETTLE);
    let printed = suite.printed();
    let port: u16 = line_with(&printed, &forwarded)
        .and_then(|line| line.split(forwarded.as_str()).nth(1))
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or_else(|| panic!("no forwarded port in:\n{printed}"));

    let wait_for_body = |wanted: &str| {
        let deadline = Instant::now() + SETTLE;
        loop {
            let response = try_get(port);
            if response.as_deref().is_some_and(|r| r.contains(wanted)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{wanted:?} was never served on port {port} (last answer: {response:?}); skiff printed:\n{}",
                suite.printed()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    };
    wait_for_body("hello from kube-web");

    std::fs::write(
        suite.path().join("www/index.html"),
        "<h1>edited on a real cluster</h1>\n",
    )
    .unwrap();
    wait_for_body("edited on a real cluster");
    let printed = suite.printed();
    assert!(printed.contains("Syncing 1 files for "), "{printed}");
    assert!(
        printed.matches("Building [kube-web]...").count() <= 1,
        "a synced edit rebuilds nothing:\n{printed}"
    );

    dev.interrupt();
    let status = dev.wait(SETTLE);
    assert_eq!(status, 0, "skiff dev printed:\n{}", suite.printed());
    suite.wait_gone("Ctrl-C in skiff dev removes what it deployed");
}

#[test]
fn run_with_tail_shows_what_the_pod_writes() {
    let Some(suite) = Suite::start("tail") else {
        return;
    };
    // busybox `httpd -f` logs nothing: the copy's container says a line before it serves.
    let dockerfile = suite.path().join("Dockerfile");
    let text = std::fs::read_to_string(&dockerfile).unwrap();
    let cmd = r#"CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]"#;
    assert!(text.contains(cmd), "{text}");
    std::fs::write(
        &dockerfile,
        text.replace(
            cmd,
            r#"CMD ["sh", "-c", "echo kube-web is serving on 8080; exec httpd -f -p 8080 -h /www"]"#,
        ),
    )
    .unwrap();
    suite.preload_images();

    let mut run = suite.background(&["run", "--tail"]);
    run.wait_for_output("kube-web is serving on 8080", ROLLOUT);

    run.interrupt();
    let status = run.wait(SETTLE);
    assert_eq!(status, 0, "skiff run --tail printed:\n{}", suite.printed());
    let out = suite.skiff(&["delete"]);
    assert_success(&out);
    suite.wait_gone("skiff delete succeeded");
}
