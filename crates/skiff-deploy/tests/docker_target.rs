//! The docker target on the real engines of the test environment: containers deployed from
//! images built here, reachable on their forwarded ports, replaced on redeploy, checked for
//! stability, and removed by a cleanup — also by one of a later run.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use skiff_build::builder::BuiltImage;
use skiff_config::model::{IntOrString, PortForwardResource, ResourceType};
use skiff_deploy::docker::{
    DeployedContainer, DockerSettings, DockerTarget, IMAGE_LABEL, RUN_ID_LABEL,
    StatusCheckSettings, network_name,
};
use skiff_docker::{BuildRequest, ContainerSpec, Engine, context_tar};
use skiff_events::{Hub, HubLimits, InitialState, Output, Stream};
use skiff_proto::enums::StatusCode;
use skiff_proto::v2::event::EventType;
use skiff_proto::v2::{PortForwardEvent, StatusCheckSubtaskEvent};
use skiff_testenv::{base_image, engine, unique};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An image whose container serves `message` over HTTP on port 8080.
fn web(message: &str) -> String {
    format!(
        "CMD [\"sh\", \"-c\", \"mkdir -p /www && echo {message} > /www/index.html && exec httpd -f -p 8080 -h /www\"]"
    )
}

/// A container that stays up doing nothing.
const IDLE: &str = "CMD [\"sleep\", \"3600\"]";

/// What one test creates on an engine, removed when it is dropped — after a failed assertion
/// too — by a connection of its own.
struct Scratch {
    host: String,
    run_ids: Vec<String>,
    containers: Vec<String>,
    images: Vec<String>,
}

impl Scratch {
    fn new(engine: &Engine) -> Self {
        Self {
            host: engine.host().to_owned(),
            run_ids: Vec::new(),
            containers: Vec::new(),
            images: Vec::new(),
        }
    }

    /// A new run id whose containers and network are removed at the end.
    fn run_id(&mut self) -> String {
        let run_id = unique("skiff-dt-run");
        self.run_ids.push(run_id.clone());
        run_id
    }

    /// Builds `<name>:1` from the base image with the Dockerfile lines `tail`.
    async fn image(&mut self, engine: &Engine, name: &str, tail: &str) -> BuiltImage {
        let dir = tempfile::tempdir().unwrap();
        let dockerfile = format!("FROM {}\n{tail}\n", base_image());
        std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
        let tar = context_tar(dir.path(), [PathBuf::from("Dockerfile")]).unwrap();
        let reference = format!("{name}:1");
        let request = BuildRequest {
            dockerfile: "Dockerfile".into(),
            tag: reference.clone(),
            ..Default::default()
        };
        engine.build(tar, &request, |_| {}).await.unwrap();
        self.images.push(reference.clone());
        BuiltImage {
            image_name: name.to_owned(),
            reference,
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let host = self.host.clone();
        let run_ids = std::mem::take(&mut self.run_ids);
        let containers = std::mem::take(&mut self.containers);
        let images = std::mem::take(&mut self.images);
        let removal = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let engine = Engine::connect(Some(&host)).await.unwrap();
                let mut ids = containers;
                for run_id in &run_ids {
                    let label = format!("{RUN_ID_LABEL}={run_id}");
                    let labelled = engine.containers_with_label(&label).await.unwrap();
                    ids.extend(labelled.into_iter().map(|c| c.id));
                }
                for id in ids {
                    engine.remove_container(&id).await.unwrap();
                }
                for run_id in &run_ids {
                    engine.remove_network(&network_name(run_id)).await.unwrap();
                }
                for image in images {
                    engine.remove_image(&image).await.unwrap();
                }
            });
        });
        removal.join().unwrap();
    }
}

/// An output recording what is written, and the hub behind it.
fn output() -> (Output, Arc<Mutex<String>>) {
    let hub = Hub::new(&InitialState::default(), HubLimits::default());
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    let output = Output::new(
        hub,
        Arc::new(move |t: &str| sink.lock().unwrap().push_str(t)),
    );
    (output, text)
}

fn settings(run_id: &str, images: &[&BuiltImage]) -> DockerSettings {
    DockerSettings {
        run_id: run_id.to_owned(),
        images: images.iter().map(|b| b.image_name.clone()).collect(),
        status_check: Some(StatusCheckSettings {
            deadline: Duration::from_secs(30),
        }),
        ..Default::default()
    }
}

/// A `portForward` entry for container port 8080 of `image` on `local_port`.
fn forward(image: &str, local_port: u16) -> PortForwardResource {
    PortForwardResource {
        resource_type: ResourceType("Container".into()),
        resource_name: image.to_owned(),
        port: Some(IntOrString::Int(8080)),
        address: "127.0.0.1".into(),
        local_port: i32::from(local_port),
        ..Default::default()
    }
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap().port()
}

/// The body of `GET /` on `127.0.0.1:port`, retried for a few seconds while nothing answers.
async fn http_get(port: u16) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            stream.write_all(b"GET / HTTP/1.0\r\n\r\n").await.unwrap();
            let mut response = String::new();
            if stream.read_to_string(&mut response).await.is_ok() && response.starts_with("HTTP/1.")
            {
                return response;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "nothing answers on port {port}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn events<T>(output: &Output, pick: impl Fn(&EventType) -> Option<T>) -> Vec<T> {
    output
        .hub()
        .history(Stream::Events)
        .iter()
        .filter_map(|e| e.event_type.as_ref().and_then(&pick))
        .collect()
}

fn port_events(output: &Output) -> Vec<PortForwardEvent> {
    events(output, |e| match e {
        EventType::PortEvent(p) => Some(p.clone()),
        _ => None,
    })
}

fn status_events(output: &Output) -> Vec<StatusCheckSubtaskEvent> {
    events(output, |e| match e {
        EventType::StatusCheckSubtaskEvent(s) => Some(s.clone()),
        _ => None,
    })
}

async fn exists(engine: &Engine, id: &str) -> bool {
    engine.inspect_container(id).await.unwrap().is_some()
}

async fn two_images_are_deployed_reachable_and_removed(host_var: &str) {
    let Some(engine) = engine(host_var).await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let run_id = scratch.run_id();
    let web_a = scratch
        .image(&engine, &unique("skiff-dt-a"), &web("hello-from-a"))
        .await;
    let web_b = scratch
        .image(&engine, &unique("skiff-dt-b"), &web("hello-from-b"))
        .await;
    let (port_a, port_b) = (free_port(), free_port());
    let target = DockerTarget::new(
        engine.clone(),
        DockerSettings {
            port_forward: vec![
                forward(&web_a.image_name, port_a),
                forward(&web_b.image_name, port_b),
            ],
            labels: BTreeMap::from([("team".to_owned(), "blue".to_owned())]),
            ..settings(&run_id, &[&web_a, &web_b])
        },
    )
    .unwrap();
    let (output, text) = output();

    let deployed = target
        .deploy(&[web_a.clone(), web_b.clone()], &output)
        .await
        .unwrap();
    target.status_check(&deployed, &output).await.unwrap();

    assert_eq!(deployed.len(), 2);
    assert_eq!(deployed[0].name, web_a.image_name);
    assert_eq!(deployed[1].name, web_b.image_name);
    assert!(http_get(port_a).await.contains("hello-from-a"));
    assert!(http_get(port_b).await.contains("hello-from-b"));

    let forwards = port_events(&output);
    assert_eq!(forwards.len(), 2, "{forwards:?}");
    let first = &forwards[0];
    assert_eq!(first.local_port, i32::from(port_a));
    assert_eq!(first.resource_type, "container");
    assert_eq!(first.resource_name, web_a.image_name);
    assert_eq!(first.container_name, web_a.image_name);
    assert_eq!(first.pod_name, "");
    assert_eq!(first.address, "127.0.0.1");
    assert_eq!(first.target_port.as_ref().unwrap().int_val, 8080);
    assert_eq!(first.task_id, "PortForward-0");
    let state = output.hub().state();
    assert!(state.forwarded_ports.contains_key(&i32::from(port_b)));

    let statuses = status_events(&output);
    let succeeded: Vec<_> = statuses
        .iter()
        .filter(|s| s.status == "Succeeded")
        .map(|s| s.resource.clone())
        .collect();
    assert_eq!(succeeded.len(), 2, "{statuses:?}");
    assert!(succeeded.contains(&format!("container/{}", web_a.image_name)));
    assert!(statuses.iter().all(|s| s.task_id == "Deploy-0"));

    let printed = text.lock().unwrap().clone();
    assert!(
        printed.contains(&format!(
            "[{}] Forwarding container port 8080 -> local port http://127.0.0.1:{port_a}\n",
            web_a.image_name
        )),
        "{printed}"
    );
    assert!(printed.contains("Waiting for deployments to stabilize...\n"));
    assert!(
        printed.contains("[1/2 deployment(s) still pending]\n"),
        "{printed}"
    );
    assert!(printed.contains("Deployments stabilized in "), "{printed}");

    let inspected = engine
        .client()
        .inspect_container(&deployed[0].id, None)
        .await
        .unwrap();
    let labels = inspected.config.unwrap().labels.unwrap();
    assert_eq!(labels[RUN_ID_LABEL], run_id);
    assert_eq!(labels[IMAGE_LABEL], web_a.image_name);
    assert_eq!(labels["team"], "blue");
    assert_eq!(inspected.host_config.unwrap().init, Some(true));
    let details = engine
        .inspect_container(&deployed[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(details.networks, [network_name(&run_id)]);

    target.cleanup(&output, false).await.unwrap();
    for container in &deployed {
        assert!(
            !exists(&engine, &container.id).await,
            "{} left",
            container.name
        );
    }
    assert!(!engine.network_exists(&network_name(&run_id)).await.unwrap());
    assert!(target.containers().is_empty());
    // A second cleanup finds nothing and is not an error.
    target.cleanup(&output, false).await.unwrap();
}

#[tokio::test]
async fn two_images_are_deployed_reachable_and_removed_on_dockerd() {
    two_images_are_deployed_reachable_and_removed("DOCKER_HOST").await;
}

#[tokio::test]
async fn two_images_are_deployed_reachable_and_removed_on_podman() {
    two_images_are_deployed_reachable_and_removed("PODMAN_DOCKER_HOST").await;
}

#[tokio::test]
async fn a_redeploy_replaces_the_container_under_the_same_name_and_port() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let run_id = scratch.run_id();
    let app = scratch
        .image(&engine, &unique("skiff-dt-redeploy"), &web("first"))
        .await;
    let port = free_port();
    let target = DockerTarget::new(
        engine.clone(),
        DockerSettings {
            port_forward: vec![forward(&app.image_name, port)],
            ..settings(&run_id, &[&app])
        },
    )
    .unwrap();
    let (output, _) = output();

    let first = target
        .deploy(std::slice::from_ref(&app), &output)
        .await
        .unwrap();
    let second = target
        .deploy(std::slice::from_ref(&app), &output)
        .await
        .unwrap();

    assert!(
        !exists(&engine, &first[0].id).await,
        "the old container is still there"
    );
    assert!(exists(&engine, &second[0].id).await);
    assert_ne!(first[0].id, second[0].id);
    assert_eq!(second[0].name, app.image_name);
    assert_eq!(second[0].ports[0].local_port, port);
    assert_eq!(target.containers(), second);
    target.status_check(&second, &output).await.unwrap();
    assert!(http_get(port).await.contains("first"));
    target.cleanup(&output, false).await.unwrap();
}

async fn a_taken_name_gets_a_counter(host_var: &str) {
    let Some(engine) = engine(host_var).await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let run_id = scratch.run_id();
    let app = scratch
        .image(&engine, &unique("skiff-dt-taken"), IDLE)
        .await;
    let squatter = engine
        .create_container(&ContainerSpec {
            image: base_image(),
            name: Some(app.image_name.clone()),
            cmd: Some(vec!["true".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    scratch.containers.push(squatter.clone());
    let target = DockerTarget::new(engine.clone(), settings(&run_id, &[&app])).unwrap();
    let (output, _) = output();

    let deployed = target
        .deploy(std::slice::from_ref(&app), &output)
        .await
        .unwrap();

    assert_eq!(deployed[0].name, format!("{}-1", app.image_name));
    target.cleanup(&output, false).await.unwrap();
    assert!(!exists(&engine, &deployed[0].id).await);
    // A container the target did not label is not its to remove.
    assert!(exists(&engine, &squatter).await);
}

#[tokio::test]
async fn a_taken_name_gets_a_counter_on_dockerd() {
    a_taken_name_gets_a_counter("DOCKER_HOST").await;
}

#[tokio::test]
async fn a_taken_name_gets_a_counter_on_podman() {
    a_taken_name_gets_a_counter("PODMAN_DOCKER_HOST").await;
}

async fn a_container_that_exits_fails_the_status_check_with_its_code_and_logs(host_var: &str) {
    let Some(engine) = engine(host_var).await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let run_id = scratch.run_id();
    let crash = scratch
        .image(
            &engine,
            &unique("skiff-dt-crash"),
            "CMD [\"sh\", \"-c\", \"echo starting; echo 'fatal: no config file' >&2; exit 3\"]",
        )
        .await;
    let target = DockerTarget::new(engine.clone(), settings(&run_id, &[&crash])).unwrap();
    let (output, text) = output();

    let deployed = target
        .deploy(std::slice::from_ref(&crash), &output)
        .await
        .unwrap();
    let err = target.status_check(&deployed, &output).await.unwrap_err();

    assert_eq!(
        err.code,
        StatusCode::StatuscheckContainerTerminated,
        "{}",
        err.message
    );
    let name = &deployed[0].name;
    assert!(
        err.message
            .contains(&format!("container {name} terminated with exit code 3")),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("fatal: no config file"),
        "{}",
        err.message
    );
    assert!(err.message.starts_with("1/1 deployment(s) failed: "));
    let failed = status_events(&output)
        .into_iter()
        .find(|s| s.status == "Failed")
        .unwrap();
    assert_eq!(failed.resource, format!("container/{name}"));
    assert_eq!(
        failed.status_code,
        StatusCode::StatuscheckContainerTerminated as i32
    );
    assert!(
        failed
            .actionable_err
            .unwrap()
            .message
            .contains("  > fatal: no config file")
    );
    let printed = text.lock().unwrap().clone();
    assert!(
        printed.contains(&format!(
            " - container/{name} failed. Error: container {name} terminated with exit code 3.\n"
        )),
        "{printed}"
    );
    target.cleanup(&output, false).await.unwrap();
}

#[tokio::test]
async fn a_container_that_exits_fails_the_status_check_with_its_code_and_logs_on_dockerd() {
    a_container_that_exits_fails_the_status_check_with_its_code_and_logs("DOCKER_HOST").await;
}

#[tokio::test]
async fn a_container_that_exits_fails_the_status_check_with_its_code_and_logs_on_podman() {
    a_container_that_exits_fails_the_status_check_with_its_code_and_logs("PODMAN_DOCKER_HOST")
        .await;
}

#[tokio::test]
async fn a_container_that_completes_counts_as_stable() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let run_id = scratch.run_id();
    let job = scratch
        .image(&engine, &unique("skiff-dt-job"), "CMD [\"echo\", \"done\"]")
        .await;
    let target = DockerTarget::new(engine.clone(), settings(&run_id, &[&job])).unwrap();
    let (output, text) = output();

    let deployed = target
        .deploy(std::slice::from_ref(&job), &output)
        .await
        .unwrap();
    target.status_check(&deployed, &output).await.unwrap();

    let printed = text.lock().unwrap().clone();
    assert!(
        printed.contains(&format!(" - container/{} is ready.\n", deployed[0].name)),
        "{printed}"
    );
    target.cleanup(&output, false).await.unwrap();
}

#[tokio::test]
async fn an_unhealthy_container_fails_the_status_check() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let run_id = scratch.run_id();
    let sick = scratch
        .image(
            &engine,
            &unique("skiff-dt-sick"),
            &format!("HEALTHCHECK --interval=100ms --timeout=1s --retries=1 CMD false\n{IDLE}"),
        )
        .await;
    let target = DockerTarget::new(engine.clone(), settings(&run_id, &[&sick])).unwrap();
    let (output, _) = output();

    let deployed = target
        .deploy(std::slice::from_ref(&sick), &output)
        .await
        .unwrap();
    let err = target.status_check(&deployed, &output).await.unwrap_err();

    assert_eq!(
        err.code,
        StatusCode::StatuscheckUnhealthy,
        "{}",
        err.message
    );
    assert!(err.message.contains("is unhealthy"), "{}", err.message);
    target.cleanup(&output, false).await.unwrap();
}

#[tokio::test]
async fn a_container_not_stable_by_the_deadline_fails_the_status_check() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let run_id = scratch.run_id();
    // Its first health check runs after an hour: it stays `starting`.
    let slow = scratch
        .image(
            &engine,
            &unique("skiff-dt-slow"),
            &format!("HEALTHCHECK --interval=1h CMD true\n{IDLE}"),
        )
        .await;
    let target = DockerTarget::new(
        engine.clone(),
        DockerSettings {
            status_check: Some(StatusCheckSettings {
                deadline: Duration::from_secs(1),
            }),
            ..settings(&run_id, &[&slow])
        },
    )
    .unwrap();
    let (output, _) = output();

    let deployed = target
        .deploy(std::slice::from_ref(&slow), &output)
        .await
        .unwrap();
    let err = target.status_check(&deployed, &output).await.unwrap_err();

    assert_eq!(err.code, StatusCode::StatuscheckDeadlineExceeded);
    assert!(
        err.message.ends_with("could not stabilize within 1s"),
        "{}",
        err.message
    );
    target.cleanup(&output, false).await.unwrap();
}

#[tokio::test]
async fn a_taken_host_port_moves_to_a_free_one() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let run_id = scratch.run_id();
    let app = scratch
        .image(&engine, &unique("skiff-dt-port"), &web("moved"))
        .await;
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = holder.local_addr().unwrap().port();
    let target = DockerTarget::new(
        engine.clone(),
        DockerSettings {
            port_forward: vec![forward(&app.image_name, taken)],
            ..settings(&run_id, &[&app])
        },
    )
    .unwrap();
    let (output, _) = output();

    let deployed = target
        .deploy(std::slice::from_ref(&app), &output)
        .await
        .unwrap();
    target.status_check(&deployed, &output).await.unwrap();

    let chosen = deployed[0].ports[0].local_port;
    assert_ne!(chosen, taken);
    assert_eq!(port_events(&output)[0].local_port, i32::from(chosen));
    assert!(http_get(chosen).await.contains("moved"));
    drop(holder);
    target.cleanup(&output, false).await.unwrap();
}

/// Deploys `image` with a target of its own and returns what it started.
async fn deploy_alone(engine: &Engine, run_id: &str, image: &BuiltImage) -> DeployedContainer {
    let target = DockerTarget::new(engine.clone(), settings(run_id, &[image])).unwrap();
    let (output, _) = output();
    let mut deployed = target
        .deploy(std::slice::from_ref(image), &output)
        .await
        .unwrap();
    deployed.remove(0)
}

async fn a_later_run_removes_what_an_earlier_one_left(host_var: &str) {
    let Some(engine) = engine(host_var).await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let (first_run, second_run) = (scratch.run_id(), scratch.run_id());
    let app = scratch.image(&engine, &unique("skiff-dt-left"), IDLE).await;
    let left = deploy_alone(&engine, &first_run, &app).await;
    assert!(
        engine
            .network_exists(&network_name(&first_run))
            .await
            .unwrap()
    );

    // `delete`: a new process, another run id, the same config.
    let later = DockerTarget::new(engine.clone(), settings(&second_run, &[&app])).unwrap();
    let (output, _) = output();
    later.cleanup(&output, false).await.unwrap();

    assert!(
        !exists(&engine, &left.id).await,
        "the earlier run's container is left"
    );
    assert!(
        !engine
            .network_exists(&network_name(&first_run))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_later_run_removes_what_an_earlier_one_left_on_dockerd() {
    a_later_run_removes_what_an_earlier_one_left("DOCKER_HOST").await;
}

#[tokio::test]
async fn a_later_run_removes_what_an_earlier_one_left_on_podman() {
    a_later_run_removes_what_an_earlier_one_left("PODMAN_DOCKER_HOST").await;
}

#[tokio::test]
async fn a_dry_run_lists_and_removes_nothing() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let (first_run, second_run) = (scratch.run_id(), scratch.run_id());
    let app = scratch.image(&engine, &unique("skiff-dt-dry"), IDLE).await;
    let left = deploy_alone(&engine, &first_run, &app).await;

    let later = DockerTarget::new(engine.clone(), settings(&second_run, &[&app])).unwrap();
    let (output, text) = output();
    later.cleanup(&output, true).await.unwrap();

    assert!(exists(&engine, &left.id).await);
    assert!(
        engine
            .network_exists(&network_name(&first_run))
            .await
            .unwrap()
    );
    let printed = text.lock().unwrap().clone();
    assert_eq!(
        printed,
        format!(
            " - container/{}\n - network/{}\n",
            left.name,
            network_name(&first_run)
        )
    );
}

#[tokio::test]
async fn compose_is_refused_naming_the_field_and_the_alternative() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let err = DockerTarget::new(
        engine,
        DockerSettings {
            run_id: "compose".into(),
            images: vec!["app".into()],
            use_compose: true,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.code, StatusCode::InitCreateDeployerError);
    assert!(
        err.message.contains("deploy.docker.useCompose"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("deploy.docker.images"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn images_not_listed_are_skipped() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let run_id = scratch.run_id();
    let listed = scratch
        .image(&engine, &unique("skiff-dt-listed"), IDLE)
        .await;
    let other = scratch
        .image(&engine, &unique("skiff-dt-other"), IDLE)
        .await;
    let target = DockerTarget::new(engine.clone(), settings(&run_id, &[&listed])).unwrap();
    let (output, _) = output();

    let deployed = target
        .deploy(&[other, listed.clone()], &output)
        .await
        .unwrap();

    let names: Vec<_> = deployed.iter().map(|c| c.image_name.clone()).collect();
    assert_eq!(names, [listed.image_name]);
    let label = format!("{RUN_ID_LABEL}={run_id}");
    let running: HashMap<_, _> = engine
        .containers_with_label(&label)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    assert_eq!(running.len(), 1);
    target.cleanup(&output, false).await.unwrap();
}

#[tokio::test]
async fn an_address_of_no_local_interface_fails_the_deploy_cleanly() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let run_id = scratch.run_id();
    let app = scratch
        .image(&engine, &unique("skiff-dt-noaddr"), &web("never"))
        .await;
    // TEST-NET-1: documentation addresses no interface of the test machine has.
    let unbindable = PortForwardResource {
        address: "192.0.2.1".into(),
        ..forward(&app.image_name, free_port())
    };
    let target = DockerTarget::new(
        engine.clone(),
        DockerSettings {
            port_forward: vec![unbindable],
            ..settings(&run_id, &[&app])
        },
    )
    .unwrap();
    let (output, _) = output();

    let err = target
        .deploy(std::slice::from_ref(&app), &output)
        .await
        .unwrap_err();

    assert!(
        err.message.contains("no free local port"),
        "{}",
        err.message
    );
    assert!(err.message.contains("192.0.2.1"), "{}", err.message);
    assert!(err.message.contains(&app.image_name), "{}", err.message);
    let label = format!("{RUN_ID_LABEL}={run_id}");
    assert!(
        engine
            .containers_with_label(&label)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(target.containers().is_empty());
}
