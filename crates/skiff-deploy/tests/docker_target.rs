//! The docker target on the real engines of the test environment: containers deployed from
//! images built here, reachable on their forwarded ports, replaced on redeploy, checked for
//! stability, and removed by a cleanup — also by one of a later run.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use skiff_build::builder::BuiltImage;
use skiff_config::model::{IntOrString, PortForwardResource, ResourceType};
use skiff_deploy::Target;
use skiff_deploy::docker::{
    DeployedContainer, DockerSettings, DockerTarget, IMAGE_LABEL, RUN_ID_LABEL, SANDBOX_LABEL,
    StatusCheckSettings, network_name,
};
use skiff_docker::{ContainerSpec, Engine};
use skiff_events::{Output, Stream};
use skiff_proto::enums::StatusCode;
use skiff_proto::v2::event::EventType;
use skiff_proto::v2::{PortForwardEvent, StatusCheckSubtaskEvent};
use skiff_render::ManifestList;
use skiff_testenv::{
    Printed, Scratch, assert_contains, base_image, engine, free_port, on_both_engines,
    recorded_events, recorded_output, unique,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An image whose container serves `message` over HTTP on port 8080.
fn web(message: &str) -> String {
    format!(
        "CMD [\"sh\", \"-c\", \"mkdir -p /www && echo {message} > /www/index.html && exec httpd -f -p 8080 -h /www\"]"
    )
}

/// A container that stays up doing nothing.
const IDLE: &str = "CMD [\"sleep\", \"3600\"]";

/// A new run id whose containers and network `scratch` removes at the end.
fn run_id(scratch: &mut Scratch) -> String {
    let run_id = unique("skiff-dt-run");
    scratch.label(format!("{RUN_ID_LABEL}={run_id}"));
    scratch.network(network_name(&run_id));
    run_id
}

/// Builds an image named `unique(prefix)` from the base image with the Dockerfile lines `tail`;
/// its sandbox, if a test leaves one, is removed at the end too.
async fn image(scratch: &mut Scratch, prefix: &str, tail: &str) -> BuiltImage {
    let image_name = unique(prefix);
    scratch.label(format!("{SANDBOX_LABEL}={image_name}"));
    let reference = scratch.image(&image_name, tail).await;
    BuiltImage {
        image_name,
        reference,
    }
}

/// The settings of a run deploying `images`, with a 30 s status check.
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

/// A target with `settings` on `engine`, and an output recording what it writes.
fn target(engine: &Engine, settings: DockerSettings) -> (DockerTarget, Output, Printed) {
    let target = DockerTarget::new(engine.clone(), settings).unwrap();
    let (output, printed) = recorded_output();
    (target, output, printed)
}

/// Deploys `image` alone with `target`, which must succeed.
async fn deploy(
    target: &DockerTarget,
    output: &Output,
    image: &BuiltImage,
) -> Vec<DeployedContainer> {
    target
        .deploy(
            std::slice::from_ref(image),
            &ManifestList::default(),
            output,
        )
        .await
        .unwrap()
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

fn port_events(output: &Output) -> Vec<PortForwardEvent> {
    recorded_events(output.hub(), Stream::Events, |e| match e {
        EventType::PortEvent(p) => Some(p.clone()),
        _ => None,
    })
}

fn status_events(output: &Output) -> Vec<StatusCheckSubtaskEvent> {
    recorded_events(output.hub(), Stream::Events, |e| match e {
        EventType::StatusCheckSubtaskEvent(s) => Some(s.clone()),
        _ => None,
    })
}

/// Whether the container `id` exists.
async fn exists(engine: &Engine, id: &str) -> bool {
    engine.inspect_container(id).await.unwrap().is_some()
}

/// Whether the network of run `run_id` exists.
async fn has_network(engine: &Engine, run_id: &str) -> bool {
    engine.network_exists(&network_name(run_id)).await.unwrap()
}

on_both_engines!(
    two_images_are_deployed_reachable_and_removed,
    a_taken_name_gets_a_counter,
    a_container_that_exits_fails_the_status_check_with_its_code_and_logs,
    a_later_run_removes_what_an_earlier_one_left,
    a_redeploy_replaces_a_container_that_stopped_or_went,
);

async fn two_images_are_deployed_reachable_and_removed(host_var: &str) {
    let Some(engine) = engine(host_var).await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let run_id = run_id(&mut scratch);
    let web_a = image(&mut scratch, "skiff-dt-a", &web("hello-from-a")).await;
    let web_b = image(&mut scratch, "skiff-dt-b", &web("hello-from-b")).await;
    let (port_a, port_b) = (free_port(), free_port());
    let (target, output, printed) = target(
        &engine,
        DockerSettings {
            port_forward: vec![
                forward(&web_a.image_name, port_a),
                forward(&web_b.image_name, port_b),
            ],
            labels: BTreeMap::from([("team".to_owned(), "blue".to_owned())]),
            ..settings(&run_id, &[&web_a, &web_b])
        },
    );

    let deployed = target
        .deploy(
            &[web_a.clone(), web_b.clone()],
            &ManifestList::default(),
            &output,
        )
        .await
        .unwrap();
    target.status_check(&deployed, &output).await.unwrap();

    assert_eq!(deployed.len(), 2);
    assert_eq!(deployed[0].name, web_a.image_name);
    assert_eq!(deployed[1].name, web_b.image_name);
    assert_contains(&http_get(port_a).await, "hello-from-a");
    assert_contains(&http_get(port_b).await, "hello-from-b");

    let forwards = port_events(&output);
    assert_eq!(forwards.len(), 2, "{forwards:?}");
    // The containers start together: their events come in either order.
    let first = forwards
        .iter()
        .find(|f| f.resource_name == web_a.image_name)
        .expect("a port event for the first image");
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

    let printed = printed.text();
    assert_contains(
        &printed,
        &format!(
            "[{}] Forwarding container port 8080 -> local port http://127.0.0.1:{port_a}\n",
            web_a.image_name
        ),
    );
    assert_contains(&printed, "Waiting for deployments to stabilize...\n");
    assert_contains(&printed, "[1/2 deployment(s) still pending]\n");
    assert_contains(&printed, "Deployments stabilized in ");

    let inspected = engine
        .client()
        .inspect_container(&deployed[0].id, None)
        .await
        .unwrap();
    let labels = inspected.config.unwrap().labels.unwrap();
    assert_eq!(labels[RUN_ID_LABEL], run_id);
    assert_eq!(labels[IMAGE_LABEL], web_a.image_name);
    assert_eq!(labels["team"], "blue");
    assert_eq!(inspected.host_config.as_ref().unwrap().init, Some(true));
    // The container joins the network namespace of its image's sandbox, which is on the run's
    // network and publishes the ports.
    let mode = inspected
        .host_config
        .as_ref()
        .unwrap()
        .network_mode
        .clone()
        .unwrap();
    let sandbox_id = mode
        .strip_prefix("container:")
        .expect("container network mode");
    let sandbox = engine.inspect_container(sandbox_id).await.unwrap().unwrap();
    assert_eq!(sandbox.name, format!("{}-sandbox", deployed[0].name));
    assert_eq!(sandbox.networks, [network_name(&run_id)]);

    target
        .cleanup(&ManifestList::default(), &output, false)
        .await
        .unwrap();
    for container in &deployed {
        assert!(
            !exists(&engine, &container.id).await,
            "{} left",
            container.name
        );
    }
    assert!(!has_network(&engine, &run_id).await);
    assert!(target.containers().is_empty());
    // A second cleanup finds nothing and is not an error.
    target
        .cleanup(&ManifestList::default(), &output, false)
        .await
        .unwrap();
}

/// A run deploying one image that serves a message, forwarded to a free local port.
struct WebRun {
    run_id: String,
    app: BuiltImage,
    port: u16,
    target: DockerTarget,
    output: Output,
}

/// A [`WebRun`] of an image `skiff-dt-<name>` serving `message`.
async fn web_run(engine: &Engine, scratch: &mut Scratch, name: &str, message: &str) -> WebRun {
    let run_id = run_id(scratch);
    let app = image(scratch, &format!("skiff-dt-{name}"), &web(message)).await;
    let port = free_port();
    let (target, output, _) = target(
        engine,
        DockerSettings {
            port_forward: vec![forward(&app.image_name, port)],
            ..settings(&run_id, &[&app])
        },
    );
    WebRun {
        run_id,
        app,
        port,
        target,
        output,
    }
}

#[tokio::test]
async fn a_redeploy_replaces_the_container_under_the_same_name_and_port() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let WebRun {
        app,
        port,
        target,
        output,
        ..
    } = web_run(&engine, &mut scratch, "redeploy", "first").await;

    let first = deploy(&target, &output, &app).await;
    let second = deploy(&target, &output, &app).await;

    assert!(
        !exists(&engine, &first[0].id).await,
        "the old container is still there"
    );
    assert!(exists(&engine, &second[0].id).await);
    assert_ne!(first[0].id, second[0].id);
    assert_eq!(second[0].name, app.image_name);
    let engine_name = engine
        .inspect_container(&second[0].id)
        .await
        .unwrap()
        .map(|c| c.name);
    assert_eq!(engine_name.as_deref(), Some(app.image_name.as_str()));
    assert_eq!(second[0].ports[0].local_port, port);
    assert_eq!(target.containers(), second);
    target.status_check(&second, &output).await.unwrap();
    assert_contains(&http_get(port).await, "first");
    target
        .cleanup(&ManifestList::default(), &output, false)
        .await
        .unwrap();
}

/// The containers of `run_id` the engine has, by name.
async fn run_container_names(engine: &Engine, run_id: &str) -> Vec<String> {
    let label = format!("{RUN_ID_LABEL}={run_id}");
    let mut names: Vec<String> = engine
        .containers_with_label(&label)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    names.sort();
    names
}

async fn a_redeploy_replaces_a_container_that_stopped_or_went(host_var: &str) {
    let Some(engine) = engine(host_var).await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let WebRun {
        run_id,
        app,
        port,
        target,
        output,
    } = web_run(&engine, &mut scratch, "gone", "again").await;

    let first = deploy(&target, &output, &app).await;
    engine.remove_container(&first[0].id).await.unwrap();
    let second = deploy(&target, &output, &app).await;
    assert_eq!(second[0].name, app.image_name);
    engine.kill_container(&second[0].id).await.unwrap();
    let third = deploy(&target, &output, &app).await;
    assert_eq!(third[0].name, app.image_name);

    assert!(!exists(&engine, &second[0].id).await);
    assert_eq!(
        run_container_names(&engine, &run_id).await,
        std::slice::from_ref(&app.image_name),
        "only the new container is left (its sandbox carries no run label)"
    );
    target.status_check(&third, &output).await.unwrap();
    assert_contains(&http_get(port).await, "again");
    target
        .cleanup(&ManifestList::default(), &output, false)
        .await
        .unwrap();
}

async fn a_taken_name_gets_a_counter(host_var: &str) {
    let Some(engine) = engine(host_var).await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let run_id = run_id(&mut scratch);
    let app = image(&mut scratch, "skiff-dt-taken", IDLE).await;
    let squatter = engine
        .create_container(&ContainerSpec {
            image: base_image(),
            name: Some(app.image_name.clone()),
            cmd: Some(vec!["true".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    scratch.container(&squatter);
    let (target, output, _) = target(&engine, settings(&run_id, &[&app]));

    let deployed = deploy(&target, &output, &app).await;

    assert_eq!(deployed[0].name, format!("{}-1", app.image_name));
    target
        .cleanup(&ManifestList::default(), &output, false)
        .await
        .unwrap();
    assert!(!exists(&engine, &deployed[0].id).await);
    // A container the target did not label is not its to remove.
    assert!(exists(&engine, &squatter).await);
}

async fn a_container_that_exits_fails_the_status_check_with_its_code_and_logs(host_var: &str) {
    let Some(engine) = engine(host_var).await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let run_id = run_id(&mut scratch);
    let crash = image(
        &mut scratch,
        "skiff-dt-crash",
        "CMD [\"sh\", \"-c\", \"echo starting; echo 'fatal: no config file' >&2; exit 3\"]",
    )
    .await;
    let (target, output, printed) = target(&engine, settings(&run_id, &[&crash]));

    let deployed = deploy(&target, &output, &crash).await;
    let err = target.status_check(&deployed, &output).await.unwrap_err();

    assert_eq!(
        err.code,
        StatusCode::StatuscheckContainerTerminated,
        "{}",
        err.message
    );
    let name = &deployed[0].name;
    assert_contains(
        &err.message,
        &format!("container {name} terminated with exit code 3"),
    );
    assert_contains(&err.message, "fatal: no config file");
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
    assert_contains(
        &failed.actionable_err.unwrap().message,
        "  > fatal: no config file",
    );
    assert_contains(
        &printed.text(),
        &format!(
            " - container/{name} failed. Error: container {name} terminated with exit code 3.\n"
        ),
    );
    target
        .cleanup(&ManifestList::default(), &output, false)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_container_that_completes_counts_as_stable() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let run_id = run_id(&mut scratch);
    let job = image(&mut scratch, "skiff-dt-job", "CMD [\"echo\", \"done\"]").await;
    let (target, output, printed) = target(&engine, settings(&run_id, &[&job]));

    let deployed = deploy(&target, &output, &job).await;
    target.status_check(&deployed, &output).await.unwrap();

    assert_contains(
        &printed.text(),
        &format!(" - container/{} is ready.\n", deployed[0].name),
    );
    target
        .cleanup(&ManifestList::default(), &output, false)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_unhealthy_container_fails_the_status_check() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let run_id = run_id(&mut scratch);
    let sick = image(
        &mut scratch,
        "skiff-dt-sick",
        &format!("HEALTHCHECK --interval=100ms --timeout=1s --retries=1 CMD false\n{IDLE}"),
    )
    .await;
    let (target, output, _) = target(&engine, settings(&run_id, &[&sick]));

    let deployed = deploy(&target, &output, &sick).await;
    let err = target.status_check(&deployed, &output).await.unwrap_err();

    assert_eq!(
        err.code,
        StatusCode::StatuscheckUnhealthy,
        "{}",
        err.message
    );
    assert_contains(&err.message, "is unhealthy");
    target
        .cleanup(&ManifestList::default(), &output, false)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_container_not_stable_by_the_deadline_fails_the_status_check() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let run_id = run_id(&mut scratch);
    // Its first health check runs after an hour: it stays `starting`.
    let slow = image(
        &mut scratch,
        "skiff-dt-slow",
        &format!("HEALTHCHECK --interval=1h CMD true\n{IDLE}"),
    )
    .await;
    let (target, output, _) = target(
        &engine,
        DockerSettings {
            status_check: Some(StatusCheckSettings {
                deadline: Duration::from_secs(1),
            }),
            ..settings(&run_id, &[&slow])
        },
    );

    let deployed = deploy(&target, &output, &slow).await;
    let err = target.status_check(&deployed, &output).await.unwrap_err();

    assert_eq!(err.code, StatusCode::StatuscheckDeadlineExceeded);
    assert!(
        err.message.ends_with("could not stabilize within 1s"),
        "{}",
        err.message
    );
    target
        .cleanup(&ManifestList::default(), &output, false)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_taken_host_port_moves_to_a_free_one() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let run_id = run_id(&mut scratch);
    let app = image(&mut scratch, "skiff-dt-port", &web("moved")).await;
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = holder.local_addr().unwrap().port();
    let (target, output, _) = target(
        &engine,
        DockerSettings {
            port_forward: vec![forward(&app.image_name, taken)],
            ..settings(&run_id, &[&app])
        },
    );

    let deployed = deploy(&target, &output, &app).await;
    target.status_check(&deployed, &output).await.unwrap();

    let chosen = deployed[0].ports[0].local_port;
    assert_ne!(chosen, taken);
    assert_eq!(port_events(&output)[0].local_port, i32::from(chosen));
    assert_contains(&http_get(chosen).await, "moved");
    drop(holder);
    target
        .cleanup(&ManifestList::default(), &output, false)
        .await
        .unwrap();
}

/// Deploys `image` with a target of its own and returns what it started.
async fn deploy_alone(engine: &Engine, run_id: &str, image: &BuiltImage) -> DeployedContainer {
    let (target, output, _) = target(engine, settings(run_id, &[image]));
    deploy(&target, &output, image).await.remove(0)
}

async fn a_later_run_removes_what_an_earlier_one_left(host_var: &str) {
    let Some(engine) = engine(host_var).await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let (first_run, second_run) = (run_id(&mut scratch), run_id(&mut scratch));
    let app = image(&mut scratch, "skiff-dt-left", IDLE).await;
    let left = deploy_alone(&engine, &first_run, &app).await;
    assert!(has_network(&engine, &first_run).await);

    // `delete`: a new process, another run id, the same config.
    let (later, output, _) = target(&engine, settings(&second_run, &[&app]));
    later
        .cleanup(&ManifestList::default(), &output, false)
        .await
        .unwrap();

    assert!(
        !exists(&engine, &left.id).await,
        "the earlier run's container is left"
    );
    assert!(!has_network(&engine, &first_run).await);
}

#[tokio::test]
async fn a_dry_run_lists_and_removes_nothing() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let (first_run, second_run) = (run_id(&mut scratch), run_id(&mut scratch));
    let app = image(&mut scratch, "skiff-dt-dry", IDLE).await;
    let left = deploy_alone(&engine, &first_run, &app).await;

    let (later, output, printed) = target(&engine, settings(&second_run, &[&app]));
    later
        .cleanup(&ManifestList::default(), &output, true)
        .await
        .unwrap();

    assert!(exists(&engine, &left.id).await);
    assert!(has_network(&engine, &first_run).await);
    assert_eq!(
        printed.text(),
        format!(
            " - container/{}\n - container/{}-sandbox\n - network/{}\n",
            left.name,
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
    assert_contains(&err.message, "deploy.docker.useCompose");
    assert_contains(&err.message, "deploy.docker.images");
}

#[tokio::test]
async fn images_not_listed_are_skipped() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let run_id = run_id(&mut scratch);
    let listed = image(&mut scratch, "skiff-dt-listed", IDLE).await;
    let other = image(&mut scratch, "skiff-dt-other", IDLE).await;
    let (target, output, _) = target(&engine, settings(&run_id, &[&listed]));

    let deployed = target
        .deploy(&[other, listed.clone()], &ManifestList::default(), &output)
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
    target
        .cleanup(&ManifestList::default(), &output, false)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_address_of_no_local_interface_fails_the_deploy_cleanly() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let mut scratch = Scratch::new(&engine);
    let run_id = run_id(&mut scratch);
    let app = image(&mut scratch, "skiff-dt-noaddr", &web("never")).await;
    // TEST-NET-1: documentation addresses no interface of the test machine has.
    let unbindable = PortForwardResource {
        address: "192.0.2.1".into(),
        ..forward(&app.image_name, free_port())
    };
    let (target, output, _) = target(
        &engine,
        DockerSettings {
            port_forward: vec![unbindable],
            ..settings(&run_id, &[&app])
        },
    );

    let err = target
        .deploy(
            std::slice::from_ref(&app),
            &ManifestList::default(),
            &output,
        )
        .await
        .unwrap_err();

    assert_contains(&err.message, "no free local port");
    assert_contains(&err.message, "192.0.2.1");
    assert_contains(&err.message, &app.image_name);
    let label = format!("{RUN_ID_LABEL}={run_id}");
    let left = engine.containers_with_label(&label).await.unwrap();
    assert!(left.is_empty(), "{left:?}");
    assert!(target.containers().is_empty());
}
