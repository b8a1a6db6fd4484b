//! The kubectl-CLI deploy path and deploy hooks against the fake API server. The kubectl tests
//! run the real kubectl, looked up on PATH (`eval "$(scripts/test-env env)"` puts it there);
//! under `CI=true` a missing kubectl fails them instead of skipping them.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use skiff_config::hook_env::StaticHookEnv;
use skiff_config::model::{
    DeployHookItem, DeployHooks, HostHook, KubectlFlags, NamedContainerHook,
};
use skiff_deploy::kubernetes::kubectl::{DeployHookEnv, DeployHookRunner, KubectlCli};
use skiff_deploy::logs::LogPrefix;
use skiff_kube_fake::{ExecHandler, ExecOutput, FakeCluster, PodTarget};
use skiff_proto::enums::{StatusCode, SuggestionCode};
use skiff_render::ManifestList;
use skiff_testenv::recorded_output;

const MANIFESTS: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  greeting: hello
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
";

const RUN_ID: &str = "run-kubectl";

fn kubectl() -> Option<PathBuf> {
    skiff_testenv::test_tool("kubectl")
}

/// A fake cluster, the directory holding its kubeconfig and kubectl's cache, and a CLI for it
/// with `--validate=false` (the fake serves no OpenAPI) plus the given apply/global flags.
struct Setup {
    fake: FakeCluster,
    dir: tempfile::TempDir,
    cli: KubectlCli,
}

async fn setup(binary: PathBuf, global: &[&str], apply: &[&str]) -> Setup {
    let fake = FakeCluster::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    fake.write_kubeconfig(&kubeconfig, "fake").unwrap();
    let cache = format!("--cache-dir={}", dir.path().join("cache").display());
    let strings = |flags: &[&str]| flags.iter().map(|f| f.to_string()).collect::<Vec<_>>();
    let cli = KubectlCli {
        binary,
        context: "fake".into(),
        kubeconfig: Some(kubeconfig),
        namespace: "default".into(),
        flags: KubectlFlags {
            global: [vec![cache], strings(global)].concat(),
            apply: strings(apply),
            delete: Vec::new(),
            disable_validation: true,
        },
    };
    Setup { fake, dir, cli }
}

fn manifests() -> ManifestList {
    ManifestList::parse(MANIFESTS, "test").unwrap()
}

fn configmap(fake: &FakeCluster) -> Option<serde_json::Value> {
    fake.get("v1", "ConfigMap", Some("default"), "settings")
}

#[tokio::test]
async fn apply_creates_the_objects_and_delete_removes_them() {
    let Some(binary) = kubectl() else { return };
    let Setup {
        fake,
        dir: _dir,
        cli,
    } = setup(binary, &["--request-timeout=20s"], &[]).await;
    let (output, printed) = recorded_output();

    cli.apply(&manifests(), false, &output).await.unwrap();
    assert_eq!(configmap(&fake).unwrap()["data"]["greeting"], "hello");
    assert!(fake.get("v1", "Service", Some("default"), "web").is_some());
    let text = printed.text();
    assert!(text.contains(" - configmap/settings created\n"), "{text}");
    assert!(text.contains(" - service/web created\n"), "{text}");
    // The global flag reached kubectl: every request carries its timeout.
    let requests = fake.requests();
    assert!(
        requests.iter().any(|r| r.query.contains("timeout=20s")),
        "{requests:?}"
    );

    cli.delete(&manifests(), &output).await.unwrap();
    assert!(configmap(&fake).is_none());
    assert!(fake.get("v1", "Service", Some("default"), "web").is_none());
    assert!(printed.text().contains(" - configmap \"settings\" deleted"));
    // Deleting what is already gone is fine.
    cli.delete(&manifests(), &output).await.unwrap();
}

#[tokio::test]
async fn apply_flags_are_passed_through_so_a_client_dry_run_creates_nothing() {
    let Some(binary) = kubectl() else { return };
    let Setup {
        fake,
        dir: _dir,
        cli,
    } = setup(binary, &[], &["--dry-run=client"]).await;
    let (output, printed) = recorded_output();
    cli.apply(&manifests(), false, &output).await.unwrap();
    assert!(configmap(&fake).is_none());
    let text = printed.text();
    assert!(
        text.contains("configmap/settings created (dry run)"),
        "{text}"
    );
}

#[tokio::test]
async fn a_kubectl_failure_carries_its_stderr_and_skaffolds_code() {
    let Some(binary) = kubectl() else { return };
    let Setup {
        fake,
        dir: _dir,
        cli,
    } = setup(binary, &["--no-such-flag"], &[]).await;
    let (output, _) = recorded_output();
    let err = cli.apply(&manifests(), false, &output).await.unwrap_err();
    assert_eq!(err.code, StatusCode::DeployKubectlUserErr);
    assert!(
        err.message.starts_with("kubectl apply: exit status 1: "),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("unknown flag: --no-such-flag"),
        "{}",
        err.message
    );
    assert!(configmap(&fake).is_none());

    let err = cli.delete(&manifests(), &output).await.unwrap_err();
    assert_eq!(err.code, StatusCode::DeployCleanupErr);
    assert!(
        err.message.contains("unknown flag: --no-such-flag"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn a_missing_kubectl_is_named_with_how_to_install_it() {
    let cli = KubectlCli {
        binary: PathBuf::from("/nonexistent/kubectl"),
        context: String::new(),
        kubeconfig: None,
        namespace: String::new(),
        flags: KubectlFlags::default(),
    };
    let (output, _) = recorded_output();
    let err = cli.apply(&manifests(), false, &output).await.unwrap_err();
    assert_eq!(err.code, StatusCode::DeployKubectlVersionErr);
    assert_eq!(
        err.suggestion.map(|(code, _)| code),
        Some(SuggestionCode::InstallKubectl)
    );
    // No manifests: kubectl is not even run.
    cli.apply(&ManifestList::from_docs(Vec::new()), false, &output)
        .await
        .unwrap();
}

fn env() -> DeployHookEnv {
    DeployHookEnv {
        statics: StaticHookEnv {
            work_dir: "/work-dir".into(),
            ..StaticHookEnv::default()
        },
        run_id: RUN_ID.into(),
        kube_context: "fake".into(),
    }
}

fn host(script: &str) -> DeployHookItem {
    DeployHookItem::Host(HostHook {
        command: vec!["sh".into(), "-c".into(), script.into()],
        ..HostHook::default()
    })
}

#[tokio::test]
async fn host_hooks_see_the_deploy_variables_and_are_framed() {
    let fake = FakeCluster::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("env.txt");
    let script = format!(
        "echo \"$SKAFFOLD_RUN_ID $SKAFFOLD_KUBE_CONTEXT $SKAFFOLD_NAMESPACES $SKAFFOLD_WORK_DIR\" > {}; echo hooked",
        file.display()
    );
    let hooks = DeployHooks {
        before: vec![host(&script)],
        after: vec![host("echo after"), host("exit 3"), host("echo never")],
    };
    let runner = DeployHookRunner::new(hooks, env(), fake.client(), LogPrefix::Container);
    let (output, printed) = recorded_output();
    let namespaces = ["default".to_string(), "team".to_string()];

    runner.run_before(&namespaces, &output).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("{RUN_ID} fake default,team /work-dir\n")
    );
    assert_eq!(
        printed.text(),
        "Starting pre-deploy hooks...\nhooked\nCompleted pre-deploy hooks\n"
    );

    let err = runner.run_after(&namespaces, &output).await.unwrap_err();
    assert_eq!(err.code, StatusCode::DeployUnknown);
    assert_eq!(
        err.message,
        "post-deploy hook [sh -c \"exit 3\"] failed: exit status 3"
    );
    let text = printed.text();
    assert!(
        text.ends_with("Starting post-deploy hooks...\nafter\n"),
        "{text}"
    );
}

/// Creates a pod of the run with containers `app` and `side`, and waits until it runs.
async fn running_pod(fake: &FakeCluster, name: &str, run_id: &str) {
    fake.create(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": {"skaffold.dev/run-id": run_id}},
        "spec": {"containers": [{"name": "app", "image": "web:1"}, {"name": "side", "image": "side:1"}]},
    }))
    .unwrap();
    let running = fake
        .running_pod("default", Duration::from_secs(10), |n| n == name)
        .await;
    assert!(running.is_some(), "pod {name} never ran");
}

/// Execs served so far, as `pod/container: command`.
type Calls = Arc<Mutex<Vec<String>>>;

fn record_execs(fake: &FakeCluster, exit_code: i32) -> Calls {
    let calls = Calls::default();
    let seen = Arc::clone(&calls);
    fake.on_exec(
        PodTarget::namespace("default"),
        ExecHandler::from_fn(move |request, _| {
            seen.lock().unwrap().push(format!(
                "{}/{}: {}",
                request.pod,
                request.container,
                request.command.join(" ")
            ));
            ExecOutput {
                stdout: b"hook ran\n".to_vec(),
                stderr: Vec::new(),
                exit_code,
            }
        }),
    );
    calls
}

fn container_hook(pod_name: &str, container_name: &str) -> DeployHookItem {
    DeployHookItem::Container(NamedContainerHook {
        command: vec!["touch".into(), "/tmp/ready".into()],
        pod_name: pod_name.into(),
        container_name: container_name.into(),
    })
}

#[tokio::test]
async fn container_hooks_exec_in_matching_containers_of_the_run_once() {
    let fake = FakeCluster::start().await.unwrap();
    running_pod(&fake, "web-1", RUN_ID).await;
    running_pod(&fake, "other-1", RUN_ID).await;
    running_pod(&fake, "web-2", "another-run").await;
    let calls = record_execs(&fake, 0);
    let hooks = DeployHooks {
        before: Vec::new(),
        after: vec![container_hook("web-*", "a*")],
    };
    let runner = DeployHookRunner::new(hooks, env(), fake.client(), LogPrefix::PodAndContainer);
    let (output, printed) = recorded_output();
    let namespaces = ["default".to_string()];

    runner.run_after(&namespaces, &output).await.unwrap();
    assert_eq!(*calls.lock().unwrap(), ["web-1/app: touch /tmp/ready"]);
    assert_eq!(
        printed.text(),
        "Starting post-deploy hooks...\n[web-1 app] hook ran\nCompleted post-deploy hooks\n"
    );

    // The next iteration only reaches containers that have not had the hook.
    running_pod(&fake, "web-3", RUN_ID).await;
    runner.run_after(&namespaces, &output).await.unwrap();
    assert_eq!(
        *calls.lock().unwrap(),
        ["web-1/app: touch /tmp/ready", "web-3/app: touch /tmp/ready"]
    );
}

#[tokio::test]
async fn a_failing_container_hook_names_the_pod_container_and_exit_status() {
    let fake = FakeCluster::start().await.unwrap();
    running_pod(&fake, "web-1", RUN_ID).await;
    record_execs(&fake, 4);
    let hooks = DeployHooks {
        before: vec![container_hook("web-1", "side")],
        after: Vec::new(),
    };
    let runner = DeployHookRunner::new(hooks, env(), fake.client(), LogPrefix::Container);
    let (output, _) = recorded_output();
    let err = runner
        .run_before(&["default".to_string()], &output)
        .await
        .unwrap_err();
    assert_eq!(err.code, StatusCode::DeployUnknown);
    assert_eq!(
        err.message,
        "hook execution failed for pod \"web-1\" container \"side\": exit status 4"
    );
}
