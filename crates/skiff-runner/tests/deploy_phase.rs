//! The deploy phase on dockerd: Skaffold's render, deploy and status-check events in order, for
//! a deploy that stabilizes, one whose container crashes, and one with the status check off;
//! then the cleanup.

use std::path::PathBuf;
use std::sync::Arc;

use skiff_build::builder::BuiltImage;
use skiff_config::SkaffoldConfig;
use skiff_config::model::DockerDeploy;
use skiff_deploy::docker::{RUN_ID_LABEL, network_name};
use skiff_docker::{BuildRequest, Engine, context_tar};
use skiff_events::{Hub, HubLimits, InitialState, Output, Stream};
use skiff_proto::enums::StatusCode;
use skiff_proto::v2::event::EventType;
use skiff_runner::deploy::{DeployOptions, cleanup, deploy, docker_target};
use skiff_testenv::{base_image, engine, unique};

/// A test's run and image, removed when it is dropped — after a failed assertion too — over a
/// connection of its own.
struct Scratch {
    host: String,
    run_id: String,
    image: BuiltImage,
}

impl Scratch {
    /// Builds an image from the base image whose command is `cmd` (a JSON array).
    async fn new(engine: &Engine, cmd: &str) -> Self {
        let name = unique("skiff-deploy-phase");
        let dir = tempfile::tempdir().unwrap();
        let dockerfile = format!("FROM {}\nCMD {cmd}\n", base_image());
        std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
        let tar = context_tar(dir.path(), [PathBuf::from("Dockerfile")]).unwrap();
        let reference = format!("{name}:1");
        let request = BuildRequest {
            dockerfile: "Dockerfile".into(),
            tag: reference.clone(),
            ..Default::default()
        };
        engine.build(tar, &request, |_| {}).await.unwrap();
        Self {
            host: engine.host().to_owned(),
            run_id: unique("skiff-deploy-phase-run"),
            image: BuiltImage {
                image_name: name,
                reference,
            },
        }
    }

    /// A config deploying the image with `deploy.docker`.
    fn config(&self) -> SkaffoldConfig {
        let mut config = SkaffoldConfig::default();
        config.pipeline.deploy.docker = Some(DockerDeploy {
            use_compose: false,
            images: vec![self.image.image_name.clone()],
        });
        config
    }

    fn options(&self) -> DeployOptions {
        DeployOptions {
            run_id: self.run_id.clone(),
            ..Default::default()
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let (host, run_id) = (self.host.clone(), self.run_id.clone());
        let image = self.image.reference.clone();
        let removal = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let engine = Engine::connect(Some(&host)).await.unwrap();
                let label = format!("{RUN_ID_LABEL}={run_id}");
                for container in engine.containers_with_label(&label).await.unwrap() {
                    engine.remove_container(&container.id).await.unwrap();
                }
                engine.remove_network(&network_name(&run_id)).await.unwrap();
                engine.remove_image(&image).await.unwrap();
            });
        });
        removal.join().unwrap();
    }
}

fn output() -> Output {
    let hub = Hub::new(&InitialState::default(), HubLimits::default());
    Output::new(hub, Arc::new(|_: &str| {}))
}

/// The task, subtask and status-check events of the history, one line each.
fn sequence(output: &Output) -> Vec<String> {
    output
        .hub()
        .history(Stream::Events)
        .iter()
        .filter_map(|e| match e.event_type.as_ref()? {
            EventType::TaskEvent(t) => Some(format!("task {} {}", t.id, t.status)),
            EventType::RenderEvent(r) => Some(format!("render {} {}", r.id, r.status)),
            EventType::DeploySubtaskEvent(d) => {
                Some(format!("deploy {} {} {}", d.task_id, d.id, d.status))
            }
            EventType::StatusCheckSubtaskEvent(s) => {
                Some(format!("status {} {} {}", s.task_id, s.resource, s.status))
            }
            _ => None,
        })
        .collect()
}

/// The messages written as output of the deploy task.
fn deploy_output(output: &Output) -> String {
    output
        .hub()
        .history(Stream::Events)
        .iter()
        .filter_map(|e| match e.event_type.as_ref()? {
            EventType::SkaffoldLogEvent(l) if l.task_id == "Deploy-0" => Some(l.message.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_stable_deploy_reports_render_deploy_and_status_check() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let scratch = Scratch::new(&engine, r#"["sleep", "3600"]"#).await;
    let config = scratch.config();
    let target = docker_target(&[&config], &engine, &scratch.options()).unwrap();
    let output = output();

    deploy(&target, std::slice::from_ref(&scratch.image), &output)
        .await
        .unwrap();

    let resource = format!("container/{}", scratch.image.image_name);
    assert_eq!(
        sequence(&output),
        [
            "task Render-0 InProgress".to_owned(),
            "task Render-0 Succeeded".to_owned(),
            "task Deploy-0 InProgress".to_owned(),
            "deploy Deploy-0 0 InProgress".to_owned(),
            "task StatusCheck-0 InProgress".to_owned(),
            format!("status Deploy-0 {resource} InProgress"),
            format!("status Deploy-0 {resource} Succeeded"),
            "task StatusCheck-0 Succeeded".to_owned(),
            "deploy Deploy-0 0 Succeeded".to_owned(),
            "task Deploy-0 Succeeded".to_owned(),
        ]
    );
    let printed = deploy_output(&output);
    assert!(
        printed.starts_with(&format!(
            "Tags used in deployment:\n - {} -> {}\nStarting deploy...\n",
            scratch.image.image_name, scratch.image.reference
        )),
        "{printed}"
    );
    assert!(
        printed.contains(&format!(" - {resource} is ready.\n")),
        "{printed}"
    );
    let state = output.hub().state();
    assert_eq!(state.deploy_state.unwrap().status, "Succeeded");
    assert_eq!(
        state.status_check_state.unwrap().resources[&resource],
        "Succeeded"
    );

    cleanup(&target, &output, false).await.unwrap();
    let label = format!("{RUN_ID_LABEL}={}", scratch.run_id);
    assert!(
        engine
            .containers_with_label(&label)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !engine
            .network_exists(&network_name(&scratch.run_id))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_crashing_container_fails_status_check_and_deploy() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let scratch = Scratch::new(&engine, r#"["sh", "-c", "echo cannot start >&2; exit 4"]"#).await;
    let config = scratch.config();
    let target = docker_target(&[&config], &engine, &scratch.options()).unwrap();
    let output = output();

    let err = deploy(&target, std::slice::from_ref(&scratch.image), &output)
        .await
        .unwrap_err();

    assert_eq!(err.code(), StatusCode::StatuscheckContainerTerminated);
    assert!(
        err.actionable.message.contains("exit code 4"),
        "{}",
        err.actionable.message
    );
    assert!(
        err.actionable.message.contains("cannot start"),
        "{}",
        err.actionable.message
    );
    let resource = format!("container/{}", scratch.image.image_name);
    assert_eq!(
        sequence(&output)[4..],
        [
            "task StatusCheck-0 InProgress".to_owned(),
            format!("status Deploy-0 {resource} InProgress"),
            format!("status Deploy-0 {resource} Failed"),
            "task StatusCheck-0 Failed".to_owned(),
            "deploy Deploy-0 0 Failed".to_owned(),
            "task Deploy-0 Failed".to_owned(),
        ]
    );
    assert_eq!(output.hub().state().deploy_state.unwrap().status, "Failed");
    cleanup(&target, &output, false).await.unwrap();
}

#[tokio::test]
async fn a_config_can_turn_the_status_check_off() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    // The container would fail a status check: without one, the deploy succeeds.
    let scratch = Scratch::new(&engine, r#"["sh", "-c", "exit 4"]"#).await;
    let mut config = scratch.config();
    config.pipeline.deploy.status_check = Some(false);
    let target = docker_target(&[&config], &engine, &scratch.options()).unwrap();
    let output = output();

    deploy(&target, std::slice::from_ref(&scratch.image), &output)
        .await
        .unwrap();

    assert_eq!(
        sequence(&output),
        [
            "task Render-0 InProgress",
            "task Render-0 Succeeded",
            "task Deploy-0 InProgress",
            "deploy Deploy-0 0 InProgress",
            "deploy Deploy-0 0 Succeeded",
            "task Deploy-0 Succeeded",
        ]
    );
    cleanup(&target, &output, true).await.unwrap();
    assert_eq!(
        engine
            .containers_with_label(&format!("{RUN_ID_LABEL}={}", scratch.run_id))
            .await
            .unwrap()
            .len(),
        1,
        "a dry run removed the container"
    );
    cleanup(&target, &output, false).await.unwrap();
}
