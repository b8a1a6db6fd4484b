//! Runs containers on the real engines of the test environment: output lines per stream, exit
//! codes, timeouts, labels, networks and removal.

use std::collections::HashMap;
use std::time::Duration;

use skiff_docker::{ContainerSpec, Engine, LogStream, RunEnd};
use skiff_testenv::{Scratch, base_image, engine, on_both_engines, unique};

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

on_both_engines!(
    runs_to_completion,
    containers_are_listed_while_they_stop,
    a_killed_container_is_stopped_and_keeps_its_new_name
);

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
    let left = engine.containers_with_label(&label).await.unwrap();
    assert!(left.is_empty(), "{left:?}");
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
    let selector = format!("skiff-test-run={run_id}");
    let network = unique("skiff-net");
    let mut scratch = Scratch::new(&engine);
    scratch.label(&selector);
    scratch.network(&network);
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
    let left = engine.containers_with_label(&selector).await.unwrap();
    assert!(left.is_empty(), "{left:?}");
    assert!(!engine.network_exists(&network).await.unwrap());
}

/// Podman briefly reports a container it is stopping as `stopped`, a state the Engine API does
/// not have: listing containers meanwhile still answers.
async fn containers_are_listed_while_they_stop(host_var: &str) {
    let Some(engine) = engine(host_var).await else {
        return;
    };
    let run_id = unique("stopping");
    let selector = format!("skiff-test-run={run_id}");
    let mut scratch = Scratch::new(&engine);
    scratch.label(&selector);
    let mut ids = Vec::new();
    for _ in 0..8 {
        // Takes a moment to exit on SIGTERM, so the stop lasts long enough to be seen.
        let spec = ContainerSpec {
            labels: [("skiff-test-run".to_owned(), run_id.clone())].into(),
            ..shell("trap 'sleep 0.3; exit 0' TERM; sleep 60 & wait")
        };
        let id = engine.create_container(&spec).await.unwrap();
        engine.start_container(&id).await.unwrap();
        ids.push(id);
    }

    let stops: Vec<_> = ids
        .iter()
        .map(|id| {
            let client = engine.client().clone();
            let id = id.clone();
            tokio::spawn(async move {
                let options = bollard::query_parameters::StopContainerOptionsBuilder::default()
                    .t(10)
                    .build();
                client.stop_container(&id, Some(options)).await
            })
        })
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let listed = engine.containers_with_label(&selector).await.unwrap();
        assert_eq!(listed.len(), ids.len(), "{listed:?}");
        if listed.iter().all(|c| c.state == "exited") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{listed:?}");
    }
    for stop in stops {
        stop.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn a_scratch_removes_what_a_failed_test_created() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let run_id = unique("scratch");
    let selector = format!("skiff-test-run={run_id}");
    let network = unique("skiff-scratch-net");
    let image_name = unique("skiff-scratch");
    let failed_test = {
        let (engine, selector, network, image_name) = (
            engine.clone(),
            selector.clone(),
            network.clone(),
            image_name.clone(),
        );
        async move {
            let mut scratch = Scratch::new(&engine);
            scratch.label(&selector);
            scratch.network(&network);
            let image = scratch.image(&image_name, "CMD [\"true\"]").await;
            engine
                .create_network(&network, &HashMap::new())
                .await
                .unwrap();
            let spec = ContainerSpec {
                image,
                labels: [("skiff-test-run".to_owned(), run_id)].into(),
                network: Some(network),
                ..Default::default()
            };
            engine.create_container(&spec).await.unwrap();
            panic!("a failed assertion");
        }
    };
    assert!(tokio::spawn(failed_test).await.unwrap_err().is_panic());

    let left = engine.containers_with_label(&selector).await.unwrap();
    assert!(left.is_empty(), "{left:?}");
    assert!(!engine.network_exists(&network).await.unwrap());
    let image = format!("{image_name}:1");
    assert_eq!(engine.image_id(&image).await.unwrap(), None);
}

async fn a_killed_container_is_stopped_and_keeps_its_new_name(host_var: &str) {
    let Some(engine) = engine(host_var).await else {
        return;
    };
    let name = unique("skiff-kill");
    let mut scratch = Scratch::new(&engine);
    let spec = ContainerSpec {
        name: Some(name.clone()),
        // Ignores SIGTERM: only a SIGKILL stops it at once.
        ..shell("trap '' TERM; sleep 60 & wait")
    };
    let id = engine.create_container(&spec).await.unwrap();
    scratch.container(&id);
    engine.start_container(&id).await.unwrap();
    let renamed = format!("{name}-aside");
    engine.rename_container(&id, &renamed).await.unwrap();

    let started = std::time::Instant::now();
    let kill = engine.signal_kill(&id).await.unwrap();
    kill.stopped().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    let inspected = engine.inspect_container(&renamed).await.unwrap().unwrap();
    assert_eq!(inspected.status, "exited", "{inspected:?}");
    assert_eq!(inspected.name, renamed);
    // Stopping what no longer runs, or is gone, is not an error, either way.
    for removed in [false, true] {
        if removed {
            engine.remove_container(&id).await.unwrap();
        }
        engine.kill_container(&id).await.unwrap();
        let kill = engine.signal_kill(&id).await.unwrap();
        kill.stopped().await.unwrap();
    }
}
