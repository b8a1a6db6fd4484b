//! The docker builder and the scheduler against the real engine and registry of the test
//! environment (`scripts/test-env`): a two-artifact project where `app` requires `base`.

use std::fs;
use std::sync::Arc;

use skiff_build::builder::Builder;
use skiff_build::docker::DockerBuilder;
use skiff_build::scheduler::{Job, Schedule, build_all};
use skiff_config::defaults::{self, DefaultsOptions};
use skiff_events::{Hub, Stream};
use skiff_proto::enums::StatusCode;
use skiff_proto::v2::event::EventType;
use skiff_testenv::{
    assert_contains, base_image, engine, recorded_events, recorded_output, registry, unique,
};

struct Project {
    dir: tempfile::TempDir,
    artifacts: Vec<skiff_config::model::Artifact>,
}

fn project(base_dockerfile: &str) -> Project {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("base")).unwrap();
    fs::create_dir_all(root.join("app/www")).unwrap();
    fs::write(root.join("base/Dockerfile"), base_dockerfile).unwrap();
    fs::write(root.join("base/.dockerignore"), "secret.txt\n").unwrap();
    fs::write(root.join("base/secret.txt"), "must not reach the engine").unwrap();
    fs::write(
        root.join("app/Dockerfile"),
        "ARG BASE\nFROM ${BASE}\nARG GREETING\nCOPY www /www\nRUN echo \"$GREETING\" > /greeting\n",
    )
    .unwrap();
    fs::write(root.join("app/www/index.html"), "hello").unwrap();
    let yaml = r#"
apiVersion: skaffold/v4beta14
kind: Config
build:
  artifacts:
    - image: skiff-test-app
      context: app
      requires:
        - image: skiff-test-base
          alias: BASE
      docker:
        buildArgs:
          GREETING: "tag={{.IMAGE_TAG}}"
    - image: skiff-test-base
      context: base
"#;
    let mut set = skiff_config::load_str(yaml, root.join("skaffold.yaml")).unwrap();
    defaults::apply(&mut set, &DefaultsOptions::default()).unwrap();
    let artifacts = set.entries[0].config.pipeline.build.artifacts.clone();
    Project { dir, artifacts }
}

fn jobs(project: &Project, builder: Arc<dyn Builder>, tag: &str) -> Vec<Job> {
    project
        .artifacts
        .iter()
        .map(|a| Job {
            artifact: a.clone(),
            workspace: project.dir.path().join(&a.context),
            tag: format!("{}/{}:{tag}", registry(), a.image),
            builder: Arc::clone(&builder),
        })
        .collect()
}

fn build_events(hub: &Hub) -> Vec<(String, String)> {
    recorded_events(hub, Stream::Events, |e| match e {
        EventType::BuildSubtaskEvent(b) => Some((b.artifact.clone(), b.status.clone())),
        _ => None,
    })
}

#[tokio::test]
async fn required_artifacts_build_first_and_push() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let project = project(&format!("FROM {}\nCOPY . /base\n", base_image()));
    let builder: Arc<dyn Builder> = Arc::new(DockerBuilder::new(engine.clone()));
    let tag = unique("t");
    let (output, printed) = recorded_output();
    let schedule = Schedule {
        push: true,
        concurrency: 1,
        ..Default::default()
    };
    let built = build_all(
        &jobs(&project, builder, &tag),
        &schedule,
        output.hub(),
        &output,
    )
    .await
    .unwrap();

    assert_eq!(built[0].image_name, "skiff-test-app");
    assert_eq!(built[1].image_name, "skiff-test-base");
    for image in &built {
        let (name_tag, digest) = image
            .reference
            .split_once('@')
            .expect("pushed references carry a digest");
        assert_eq!(
            name_tag,
            format!("{}/{}:{tag}", registry(), image.image_name)
        );
        assert!(digest.starts_with("sha256:"));
    }
    // base was built before app, each InProgress then Succeeded.
    assert_eq!(
        build_events(output.hub()),
        [
            ("skiff-test-base", "InProgress"),
            ("skiff-test-base", "Succeeded"),
            ("skiff-test-app", "InProgress"),
            ("skiff-test-app", "Succeeded"),
        ]
        .map(|(a, s)| (a.to_owned(), s.to_owned()))
    );
    assert_contains(&printed.text(), "Building [skiff-test-base]...\n");

    // The app image saw the templated build arg and the base's files, but not the ignored one.
    let app_local = format!("{}/skiff-test-app:{tag}", registry());
    let id = engine
        .image_id(&app_local)
        .await
        .unwrap()
        .expect("the app image exists locally");
    assert!(id.starts_with("sha256:"));
    let run = std::process::Command::new("docker")
        .args([
            "run",
            "--rm",
            &app_local,
            "sh",
            "-c",
            "cat /greeting; ls /base",
        ])
        .output()
        .expect("the docker CLI runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains(&format!("tag={tag}")), "{stdout}");
    assert!(
        stdout.contains("Dockerfile") && !stdout.contains("secret.txt"),
        "{stdout}"
    );
}

#[tokio::test]
async fn a_local_build_is_tagged_with_its_image_id() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let project = project(&format!("FROM {}\n", base_image()));
    let builder: Arc<dyn Builder> = Arc::new(DockerBuilder::new(engine.clone()));
    let (output, _) = recorded_output();
    let jobs: Vec<Job> = jobs(&project, builder, &unique("t"))
        .into_iter()
        .filter(|j| j.artifact.image == "skiff-test-base")
        .collect();
    let built = build_all(&jobs, &Schedule::default(), output.hub(), &output)
        .await
        .unwrap();
    let reference = &built[0].reference;
    let (_, id_tag) = reference.rsplit_once(':').unwrap();
    let id = engine.image_id(reference).await.unwrap().unwrap();
    assert_eq!(format!("sha256:{id_tag}"), id);
}

#[tokio::test]
async fn a_failing_build_cancels_the_rest_and_reports_the_dockerfile_error() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let project = project(&format!("FROM {}\nRUN exit 7\n", base_image()));
    let builder: Arc<dyn Builder> = Arc::new(DockerBuilder::new(engine));
    let (output, _) = recorded_output();
    let err = build_all(
        &jobs(&project, builder, &unique("t")),
        &Schedule::default(),
        output.hub(),
        &output,
    )
    .await
    .unwrap_err();
    assert_eq!(err.image, "skiff-test-base");
    assert_eq!(err.error.code, StatusCode::BuildUserError);
    assert!(err.error.message.contains('7'), "{}", err.error.message);
    assert_eq!(
        build_events(output.hub()),
        [
            ("skiff-test-base", "InProgress"),
            ("skiff-test-base", "Failed"),
            ("skiff-test-app", "Canceled"),
        ]
        .map(|(a, s)| (a.to_owned(), s.to_owned()))
    );
}

#[tokio::test]
async fn dependencies_follow_the_dockerfile() {
    let project = project("FROM scratch\n");
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let builder = DockerBuilder::new(engine);
    let app = &project.artifacts[0];
    let deps = builder
        .dependencies(app, &project.dir.path().join("app"))
        .unwrap();
    let deps: Vec<String> = deps.iter().map(|p| p.display().to_string()).collect();
    assert_eq!(deps, ["Dockerfile", "www/index.html"]);
}
