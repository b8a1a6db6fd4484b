//! Runs containers on the real engines of the test environment: output lines per stream, exit
//! codes, timeouts, labels, networks and removal.

use std::collections::HashMap;
use std::time::Duration;

use skiff_docker::{ContainerSpec, Engine, LogStream, RunEnd};
use skiff_testenv::{base_image, engine, unique};

fn shell(script: &str) -> ContainerSpec {
    ContainerSpec {
        image: base_image(),
        cmd: Some(vec!["sh".into(), "-c".into(), script.into()]),
        init: true,
        ..Default::default()
    }
}

async fn run(
    engine: &Engine,
    spec: &ContainerSpec,
    timeout: Option<Duration>,
) -> (RunEnd, Vec<(LogStream, String)>) {
    let mut lines = Vec::new();
    let end = engine
        .run_to_completion(spec, timeout, |line| lines.push((line.stream, line.text)))
        .await
        .unwrap();
    (end, lines)
}

async fn runs_to_completion(host_var: &str) {
    let Some(engine) = engine(host_var).await else {
        return;
    };
    let name = unique("skiff-run");
    let spec = ContainerSpec {
        name: Some(name.clone()),
        env: vec!["GREETING=hi there".into()],
        ..shell("echo \"$GREETING\"; echo oops >&2; printf 'no newline'; exit 3")
    };
    let (end, lines) = run(&engine, &spec, None).await;
    assert_eq!(end, RunEnd::Exited(3));
    assert!(
        lines.contains(&(LogStream::Stdout, "hi there\n".into())),
        "{lines:?}"
    );
    assert!(
        lines.contains(&(LogStream::Stderr, "oops\n".into())),
        "{lines:?}"
    );
    assert!(
        lines.contains(&(LogStream::Stdout, "no newline".into())),
        "{lines:?}"
    );
    let label = format!("skiff-test-name={name}");
    assert!(
        engine
            .containers_with_label(&label)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        engine
            .client()
            .inspect_container(&name, None)
            .await
            .is_err(),
        "container {name} was not removed"
    );
}

#[tokio::test]
async fn runs_to_completion_on_dockerd() {
    runs_to_completion("DOCKER_HOST").await;
}

#[tokio::test]
async fn runs_to_completion_on_podman() {
    runs_to_completion("PODMAN_DOCKER_HOST").await;
}

#[tokio::test]
async fn a_timeout_stops_and_removes_the_container() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let name = unique("skiff-timeout");
    let spec = ContainerSpec {
        name: Some(name.clone()),
        ..shell("echo started; sleep 60")
    };
    let started = std::time::Instant::now();
    let (end, lines) = run(&engine, &spec, Some(Duration::from_millis(1500))).await;
    assert_eq!(end, RunEnd::TimedOut);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(lines, vec![(LogStream::Stdout, "started\n".to_owned())]);
    assert!(
        engine
            .client()
            .inspect_container(&name, None)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn labeled_containers_and_networks_are_found_and_removed() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let run_id = unique("run");
    let labels: HashMap<String, String> = [("skiff-test-run".to_owned(), run_id.clone())].into();
    let network = unique("skiff-net");
    engine.create_network(&network, &labels).await.unwrap();
    engine.create_network(&network, &labels).await.unwrap();
    let id = engine
        .create_container(&ContainerSpec {
            labels: labels.clone(),
            network: Some(network.clone()),
            ..shell("sleep 60")
        })
        .await
        .unwrap();
    let selector = format!("skiff-test-run={run_id}");
    let found = engine.containers_with_label(&selector).await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, id);
    assert_eq!(found[0].state, "created");
    assert_eq!(
        engine.networks_with_label(Some(&selector)).await.unwrap(),
        vec![network.clone()]
    );

    engine.remove_container(&id).await.unwrap();
    engine.remove_container(&id).await.unwrap();
    engine.remove_network(&network).await.unwrap();
    engine.remove_network(&network).await.unwrap();
    assert!(
        engine
            .containers_with_label(&selector)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!engine.network_exists(&network).await.unwrap());
}
