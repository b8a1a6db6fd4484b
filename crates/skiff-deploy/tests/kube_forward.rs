//! Kubernetes port forwards against the fake API server: a forward to a Deployment reaches its
//! pod, reaches the replacement once the pod is replaced without anyone asking, picks the next
//! local port when the wanted one is taken, and is reported as a `PortForwardEvent`; a forward
//! whose pod is gone leaves the `State` until a pod runs again.

use skiff_testenv::http_server;
use std::net::TcpListener as StdListener;
use std::time::Duration;

use kube::Api;
use serde_json::json;
use skiff_config::model::{IntOrString, PortForwardResource, ResourceType};
use skiff_deploy::Background;
use skiff_deploy::kubernetes::port_forward::{
    ForwardEntry, ForwardModes, PortForwardSettings, PortForwarder,
};
use skiff_events::{Output, Stream};
use skiff_kube_fake::{FakeCluster, PodTarget};
use skiff_proto::v2::event::EventType;
use skiff_testenv::{Printed, recorded_events, recorded_output};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PATIENCE: Duration = Duration::from_secs(10);

/// The body of `GET /` on a local port.
async fn get(port: u16) -> String {
    let request = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        stream
            .write_all(b"GET / HTTP/1.1\r\nhost: local\r\nconnection: close\r\n\r\n")
            .await?;
        let mut response = String::new();
        stream.read_to_string(&mut response).await?;
        std::io::Result::Ok(response)
    };
    let response = tokio::time::timeout(PATIENCE, request)
        .await
        .expect("a response in time")
        .expect("a response");
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

/// The forwards of a `portForward` entry for port 8080 of `<resource_type>/web` (with
/// `local_port`, 0 for none), started with a recorded output.
async fn forward(
    fake: &FakeCluster,
    resource_type: &str,
    local_port: u16,
) -> (PortForwarder, Output, Printed) {
    let resource = PortForwardResource {
        resource_type: ResourceType(resource_type.into()),
        resource_name: "web".into(),
        port: Some(IntOrString::Int(8080)),
        local_port: i32::from(local_port),
        ..Default::default()
    };
    let settings = PortForwardSettings {
        modes: ForwardModes::parse(&["user"]).unwrap(),
        entries: ForwardEntry::from_config(&[resource], "default").unwrap(),
        namespaces: vec!["default".into()],
        run_id: "run-forward".into(),
    };
    let (output, printed) = recorded_output();
    let forwarder = PortForwarder::start(fake.client(), &settings, &output)
        .await
        .unwrap();
    (forwarder, output, printed)
}

async fn running_pod(fake: &FakeCluster, except: &[String]) -> String {
    let accept = |name: &str| !except.iter().any(|e| e == name);
    let found = fake.running_pod("default", PATIENCE, accept).await;
    found.expect("a running pod")
}

#[tokio::test]
async fn a_deployment_forward_heals_after_its_pod_is_replaced() {
    let fake = FakeCluster::start().await.unwrap();
    let first_server = http_server("from the first pod").await;
    let second_server = http_server("from the replacement").await;
    fake.forward_port(PodTarget::namespace("default"), 8080, first_server);
    let deployment = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": "web:1", "ports": [{"containerPort": 8080}]}]},
            },
        },
    });
    fake.create(deployment).unwrap();
    let first = running_pod(&fake, &[]).await;

    let taken = StdListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let (forwarder, output, printed) = forward(&fake, "Deployment", taken_port).await;
    let [forwarded] = forwarder.forwarded() else {
        panic!("one forward: {:?}", forwarder.forwarded());
    };
    let local = forwarded.local_port;
    assert!(
        local > taken_port && local <= taken_port + 10 || (4503..=4533).contains(&local),
        "{local} after taken {taken_port}"
    );
    assert!(
        printed.text().contains(&format!(
            "Port forwarding deployment/web in namespace default, remote port 8080 -> http://127.0.0.1:{local}"
        )),
        "{}",
        printed.text()
    );

    assert_eq!(get(local).await, "from the first pod");

    let second = fake.pods().replace("default", &first).unwrap();
    fake.forward_port(PodTarget::pod("default", &second), 8080, second_server);
    running_pod(&fake, &[first]).await;
    assert_eq!(get(local).await, "from the replacement");

    let events = recorded_events(output.hub(), Stream::Events, |e| match e {
        EventType::PortEvent(p) => Some((
            p.local_port,
            p.resource_type.clone(),
            p.resource_name.clone(),
        )),
        _ => None,
    });
    // Reported when it started, and again should the health check have seen the moment
    // without a running pod.
    assert!(!events.is_empty());
    assert!(
        events
            .iter()
            .all(|e| *e == (i32::from(local), "deployment".to_owned(), "web".to_owned())),
        "{events:?}"
    );
    assert!(
        output
            .hub()
            .state()
            .forwarded_ports
            .contains_key(&i32::from(local))
    );
    forwarder.stop().await;
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", local))
            .await
            .is_err(),
        "the local port is closed once stopped"
    );
    drop(taken);
}

#[tokio::test]
async fn a_forward_without_a_running_pod_leaves_the_state_until_one_runs_again() {
    let fake = FakeCluster::start().await.unwrap();
    fake.forward_port(
        PodTarget::namespace("default"),
        8080,
        http_server("from the pod").await,
    );
    let pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"containers": [{"name": "app", "image": "web:1"}]},
    });
    fake.create(pod.clone()).unwrap();
    running_pod(&fake, &[]).await;
    let (forwarder, output, printed) = forward(&fake, "pod", 0).await;
    let local = i32::from(forwarder.forwarded()[0].local_port);
    let listed = || output.hub().state().forwarded_ports.contains_key(&local);
    assert!(listed());

    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::default_namespaced(fake.client());
    pods.delete("web", &Default::default()).await.unwrap();
    let gone = wait_for(|| !listed()).await;
    assert!(gone, "the forward stayed in the State:\n{}", printed.text());
    assert!(
        printed
            .text()
            .contains("Port forward pod/web in namespace default is down: "),
        "{}",
        printed.text()
    );

    fake.create(pod).unwrap();
    let back = wait_for(listed).await;
    assert!(back, "the forward never came back:\n{}", printed.text());
    assert_eq!(
        get(forwarder.forwarded()[0].local_port).await,
        "from the pod"
    );
    forwarder.stop().await;
}

/// Polls `check` until it holds (true) or the patience runs out (false).
async fn wait_for(check: impl Fn() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while tokio::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}
