//! The deploy phase on dockerd: Skaffold's render, deploy and status-check events in order, for
//! a deploy that stabilizes, one whose container crashes, and one with the status check off;
//! then the cleanup.

use skiff_build::builder::BuiltImage;
use skiff_config::SkaffoldConfig;
use skiff_config::model::DockerDeploy;
use skiff_deploy::docker::{RUN_ID_LABEL, network_name};
use skiff_docker::Engine;
use skiff_events::{Output, Stream};
use skiff_proto::enums::StatusCode;
use skiff_proto::v2::event::EventType;
use std::path::Path;

use skiff_runner::deploy::{DeployOptions, ManifestSource, cleanup, deploy, docker_target};
use skiff_testenv::{Scratch, assert_contains, engine, recorded_events, recorded_output, unique};

/// A test's run and image; what the run deploys, its network and the image are removed when it
/// is dropped — after a failed assertion too.
struct Run {
    run_id: String,
    image: BuiltImage,
    _scratch: Scratch,
}

impl Run {
    /// Builds an image from the base image whose command is `cmd` (a JSON array).
    async fn new(engine: &Engine, cmd: &str) -> Self {
        let run_id = unique("skiff-deploy-phase-run");
        let mut scratch = Scratch::new(engine);
        scratch.label(format!("{RUN_ID_LABEL}={run_id}"));
        scratch.network(network_name(&run_id));
        let image_name = unique("skiff-deploy-phase");
        let reference = scratch.image(&image_name, &format!("CMD {cmd}")).await;
        Self {
            run_id,
            image: BuiltImage {
                image_name,
                reference,
            },
            _scratch: scratch,
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

    /// How many containers of the run there are.
    async fn containers(&self, engine: &Engine) -> usize {
        let label = format!("{RUN_ID_LABEL}={}", self.run_id);
        engine.containers_with_label(&label).await.unwrap().len()
    }
}

/// The task, subtask and status-check events of the history, one line each.
fn sequence(output: &Output) -> Vec<String> {
    recorded_events(output.hub(), Stream::Events, |e| match e {
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
}

/// The messages written as output of the deploy task.
fn deploy_output(output: &Output) -> String {
    recorded_events(output.hub(), Stream::Events, |e| match e {
        EventType::SkaffoldLogEvent(l) if l.task_id == "Deploy-0" => Some(l.message.clone()),
        _ => None,
    })
    .concat()
}

#[tokio::test]
async fn a_stable_deploy_reports_render_deploy_and_status_check() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let run = Run::new(&engine, r#"["sleep", "3600"]"#).await;
    let config = run.config();
    let (configs, opts) = ([&config], run.options());
    let target = docker_target(&configs, &engine, &opts).unwrap();
    let source = ManifestSource {
        configs: &configs,
        base_dir: Path::new("."),
        opts: &opts,
    };
    let (output, _) = recorded_output();

    deploy(&target, &source, std::slice::from_ref(&run.image), &output)
        .await
        .unwrap();

    let resource = format!("container/{}", run.image.image_name);
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
            run.image.image_name, run.image.reference
        )),
        "{printed}"
    );
    assert_contains(&printed, &format!(" - {resource} is ready.\n"));
    let state = output.hub().state();
    assert_eq!(state.deploy_state.unwrap().status, "Succeeded");
    assert_eq!(
        state.status_check_state.unwrap().resources[&resource],
        "Succeeded"
    );

    cleanup(&target, &source, &output, false).await.unwrap();
    assert_eq!(run.containers(&engine).await, 0);
    let network = network_name(&run.run_id);
    assert!(!engine.network_exists(&network).await.unwrap());
}

#[tokio::test]
async fn a_crashing_container_fails_status_check_and_deploy() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let run = Run::new(&engine, r#"["sh", "-c", "echo cannot start >&2; exit 4"]"#).await;
    let config = run.config();
    let (configs, opts) = ([&config], run.options());
    let target = docker_target(&configs, &engine, &opts).unwrap();
    let source = ManifestSource {
        configs: &configs,
        base_dir: Path::new("."),
        opts: &opts,
    };
    let (output, _) = recorded_output();

    let err = deploy(&target, &source, std::slice::from_ref(&run.image), &output)
        .await
        .unwrap_err();

    assert_eq!(err.code(), StatusCode::StatuscheckContainerTerminated);
    assert_contains(&err.actionable.message, "exit code 4");
    assert_contains(&err.actionable.message, "cannot start");
    let resource = format!("container/{}", run.image.image_name);
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
    cleanup(&target, &source, &output, false).await.unwrap();
}

#[tokio::test]
async fn a_config_can_turn_the_status_check_off() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    // The container would fail a status check: without one, the deploy succeeds.
    let run = Run::new(&engine, r#"["sh", "-c", "exit 4"]"#).await;
    let mut config = run.config();
    config.pipeline.deploy.status_check = Some(false);
    let (configs, opts) = ([&config], run.options());
    let target = docker_target(&configs, &engine, &opts).unwrap();
    let source = ManifestSource {
        configs: &configs,
        base_dir: Path::new("."),
        opts: &opts,
    };
    let (output, _) = recorded_output();

    deploy(&target, &source, std::slice::from_ref(&run.image), &output)
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
    cleanup(&target, &source, &output, true).await.unwrap();
    assert_eq!(
        run.containers(&engine).await,
        1,
        "a dry run removed the container"
    );
    cleanup(&target, &source, &output, false).await.unwrap();
}
