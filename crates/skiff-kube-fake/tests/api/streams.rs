//! exec and port-forward over WebSocket through kube-rs.

use crate::support::{api_error, apply, deployment, pod, pod_when, ready_pods, rolled_out, within};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, AttachParams};
use skiff_kube_fake::{ExecHandler, ExecOutput, FakeCluster, PodTarget};
use skiff_testenv::http_server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn running_pod(fake: &FakeCluster, name: &str) -> Api<Pod> {
    let api: Api<Pod> = Api::namespaced(fake.client(), "default");
    apply(&api, &pod(name, "app:1")).await;
    pod_when(fake, name, |p| {
        p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
    })
    .await;
    api
}

async fn read_all(reader: Option<impl tokio::io::AsyncRead + Unpin>) -> String {
    let mut text = String::new();
    reader
        .expect("stream requested")
        .read_to_string(&mut text)
        .await
        .unwrap();
    text
}

#[tokio::test]
async fn exec_runs_a_real_command_and_reports_its_exit_code() {
    let fake = FakeCluster::start().await.unwrap();
    let root = tempfile::tempdir().unwrap();
    fake.on_exec(
        PodTarget::namespace("default"),
        ExecHandler::local(root.path()),
    );
    let api = running_pod(&fake, "web").await;
    let mut process = api
        .exec(
            "web",
            ["sh", "-c", "echo hello; echo oops >&2; exit 3"],
            &AttachParams::default().stderr(true),
        )
        .await
        .unwrap();
    let (stdout, stderr) = (process.stdout(), process.stderr());
    let status = process.take_status().unwrap();
    let (out, err) = within("exec output", async {
        tokio::join!(read_all(stdout), read_all(stderr))
    })
    .await;
    assert_eq!((out.as_str(), err.as_str()), ("hello\n", "oops\n"));
    let status = within("exec status", status).await.expect("a status");
    assert_eq!(
        (status.status.as_deref(), status.reason.as_deref()),
        (Some("Failure"), Some("NonZeroExitCode"))
    );
    let cause = &status.details.unwrap().causes.unwrap()[0];
    assert_eq!(
        (cause.reason.as_deref(), cause.message.as_deref()),
        (Some("ExitCode"), Some("3"))
    );
    within("exec join", process.join()).await.unwrap();
}

#[tokio::test]
async fn exec_with_stdin_syncs_files_like_skaffold_does() {
    let fake = FakeCluster::start().await.unwrap();
    let root = tempfile::tempdir().unwrap();
    fake.on_exec(
        PodTarget::pod("default", "web").container("app"),
        ExecHandler::local(root.path()),
    );
    let api = running_pod(&fake, "web").await;

    let mut archive = tar::Builder::new(Vec::new());
    let body = b"synced!\n";
    let mut header = tar::Header::new_gnu();
    header.set_size(body.len() as u64);
    header.set_mode(0o644);
    archive
        .append_data(&mut header, "app/index.html", &body[..])
        .unwrap();
    let archive = archive.into_inner().unwrap();

    let command = ["tar", "xmf", "-", "-C", "/", "--no-same-owner"];
    let mut process = api
        .exec(
            "web",
            command,
            &AttachParams::default()
                .container("app")
                .stdin(true)
                .stderr(true),
        )
        .await
        .unwrap();
    let mut stdin = process.stdin().unwrap();
    let status = process.take_status().unwrap();
    stdin.write_all(&archive).await.unwrap();
    stdin.shutdown().await.unwrap();
    let status = within("tar finishes", status).await.expect("a status");
    assert_eq!(status.status.as_deref(), Some("Success"), "{status:?}");
    assert_eq!(
        std::fs::read(root.path().join("app/index.html")).unwrap(),
        body
    );
}

#[tokio::test]
async fn exec_with_a_function_handler_gets_the_request_and_stdin() {
    let fake = FakeCluster::start().await.unwrap();
    fake.on_exec(
        PodTarget::namespace("default"),
        ExecHandler::from_fn(|request, stdin| ExecOutput {
            stdout: format!(
                "{} in {}/{}: {}",
                request.command.join(" "),
                request.pod,
                request.container,
                String::from_utf8_lossy(stdin)
            )
            .into_bytes(),
            stderr: Vec::new(),
            exit_code: 0,
        }),
    );
    let api = running_pod(&fake, "web").await;
    let mut process = api
        .exec("web", ["cat"], &AttachParams::default().stdin(true))
        .await
        .unwrap();
    let mut stdin = process.stdin().unwrap();
    stdin.write_all(b"ping").await.unwrap();
    stdin.shutdown().await.unwrap();
    let out = within("function output", read_all(process.stdout())).await;
    assert_eq!(out, "cat in web/app: ping");
}

async fn http_get_through(api: &Api<Pod>, pod: &str, port: u16) -> String {
    let mut forwarder = api.portforward(pod, &[port]).await.unwrap();
    let mut stream = forwarder.take_stream(port).unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nhost: pod\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    within("forwarded response", stream.read_to_string(&mut response))
        .await
        .unwrap();
    response
}

#[tokio::test]
async fn port_forward_reaches_the_registered_server() {
    let fake = FakeCluster::start().await.unwrap();
    let server = http_server("hello from the pod").await;
    fake.forward_port(PodTarget::pod("default", "web"), 8080, server);
    let api = running_pod(&fake, "web").await;
    let response = http_get_through(&api, "web", 8080).await;
    assert!(
        response.starts_with("HTTP/1.1 200 OK") && response.ends_with("hello from the pod"),
        "{response}"
    );

    let mut unmapped = api.portforward("web", &[9999]).await.unwrap();
    let error = within("port error", unmapped.take_error(9999).unwrap())
        .await
        .expect("an error message");
    assert!(
        error.starts_with("error forwarding port 9999 to pod default/web"),
        "{error}"
    );
    let status = api_error(
        api.portforward("nope", &[8080])
            .await
            .err()
            .expect("no such pod"),
    );
    assert_eq!(status.code, 404);
}

#[tokio::test]
async fn port_forward_is_re_established_after_the_pod_is_replaced() {
    let fake = FakeCluster::start().await.unwrap();
    let server = http_server("v1").await;
    fake.forward_port(PodTarget::namespace("default"), 8080, server);
    rolled_out(&fake, &deployment("web", "app:1", 1)).await;
    let old = ready_pods(&fake, "web", 1).await.remove(0);
    let api: Api<Pod> = Api::namespaced(fake.client(), "default");
    assert!(http_get_through(&api, &old, 8080).await.ends_with("v1"));

    let mut held = api.portforward(&old, &[8080]).await.unwrap();
    let error = held.take_error(8080).unwrap();
    let new = fake.pods().replace("default", &old).unwrap();
    let message = within("forward to the deleted pod fails", error)
        .await
        .expect("an error message");
    assert!(message.ends_with("pod deleted"), "{message}");

    ready_pods(&fake, "web", 1).await;
    assert!(http_get_through(&api, &new, 8080).await.ends_with("v1"));
}
