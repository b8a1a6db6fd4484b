//! Structure tests against a real image, built in the test from the base image with known files,
//! environment, labels, ports, volume and entrypoint: every kind of test passes when it should
//! and fails with container-structure-test's reasons when it should not, and nothing the tests
//! create is left in the engine.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListImagesOptionsBuilder, RemoveImageOptionsBuilder,
};
use skiff_docker::{BuildRequest, Engine, context_tar};
use skiff_proto::enums::StatusCode;
use skiff_testenv::{Collect, base_image, engine, unique};
use skiff_tester::{StructureTestRun, TestError, structure_test_files};

/// An image built for one test, removed when the test ends (also when it panics). Its last
/// label makes its id unique, so the containers of one test's image are its own.
struct Fixture {
    engine: Engine,
    tag: String,
}

impl Fixture {
    /// Builds the test image in the engine named by `var`.
    async fn build(var: &str) -> Option<Fixture> {
        let engine = engine(var).await?;
        let dir = tempfile::tempdir().unwrap();
        let tag = format!("{}:t", unique("skiff-structure-fixture"));
        let files = [
            (
                "Dockerfile",
                format!(
                    "FROM {}\n\
                     ENV GREETING=hello MODE=test\n\
                     LABEL team=core version=1.2.3\n\
                     COPY app.sh hello.txt /srv/\n\
                     RUN chmod 0754 /srv/app.sh && chown 1000:50 /srv/app.sh && chmod 0640 /srv/hello.txt\n\
                     WORKDIR /srv\n\
                     EXPOSE 8080 53/udp\n\
                     VOLUME /data\n\
                     ENTRYPOINT [\"/srv/app.sh\"]\n\
                     CMD [\"--serve\"]\n\
                     LABEL fixture={tag}\n",
                    base_image()
                ),
            ),
            ("app.sh", "#!/bin/sh\necho \"app $*\"\n".to_owned()),
            ("hello.txt", "hello from skiff\nversion 1\n".to_owned()),
        ];
        for (name, text) in &files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let context = context_tar(dir.path(), files.iter().map(|(n, _)| PathBuf::from(n))).unwrap();
        let request = BuildRequest {
            dockerfile: "Dockerfile".into(),
            tag: tag.clone(),
            ..Default::default()
        };
        engine
            .build(context, &request, |_| {})
            .await
            .expect("the fixture image builds");
        Some(Fixture { engine, tag })
    }

    /// Runs the structure test files `names` (under `tests/fixtures`) against the image.
    async fn run(&self, names: &[&str], args: &[&str]) -> (Result<(), TestError>, String) {
        let patterns: Vec<String> = names.iter().map(|n| format!("fixtures/{n}")).collect();
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        let files = structure_test_files(&patterns, &tests_dir()).unwrap();
        let output = Collect::default();
        let result = StructureTestRun {
            files: &files,
            patterns: &patterns,
            args: &args,
            image: &self.tag,
            engine: &self.engine,
        }
        .run(&output)
        .await;
        (result, output.text())
    }

    /// Asserts that no container of the image and no image committed from it is left.
    async fn assert_nothing_left(&self) {
        let filters = HashMap::from([("ancestor", vec![self.tag.as_str()])]);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let containers = self
            .engine
            .client()
            .list_containers(Some(options))
            .await
            .unwrap();
        assert!(containers.is_empty(), "containers left: {containers:?}");
        // Images committed from setup steps inherit the fixture's unique label.
        let filters = HashMap::from([("label", vec![format!("fixture={}", self.tag)])]);
        let options = ListImagesOptionsBuilder::default()
            .filters(&filters)
            .build();
        let images = self
            .engine
            .client()
            .list_images(Some(options))
            .await
            .unwrap();
        let fixture_id = self.engine.image_id(&self.tag).await.unwrap();
        let left: Vec<&String> = images
            .iter()
            .map(|i| &i.id)
            .filter(|id| Some(*id) != fixture_id.as_ref())
            .collect();
        assert!(left.is_empty(), "setup images left: {left:?}");
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let (host, tag) = (self.engine.host().to_owned(), self.tag.clone());
        // The test's runtime may be gone or shutting down: remove the image from a runtime of
        // its own.
        let removal = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let engine = Engine::connect(Some(&host)).await.unwrap();
                // Parent layers stay: they are the build cache other tests' builds use.
                let options = RemoveImageOptionsBuilder::default()
                    .force(true)
                    .noprune(true)
                    .build();
                let _ = engine
                    .client()
                    .remove_image(&tag, Some(options), None)
                    .await;
            });
        });
        let _ = removal.join();
    }
}

fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

async fn every_kind_passes(var: &str) {
    let Some(fixture) = Fixture::build(var).await else {
        return;
    };
    let (result, output) = fixture
        .run(&["passing.yaml", "second.yaml"], &["--no-color"])
        .await;
    assert!(result.is_ok(), "{result:?}\n{output}");
    for name in [
        "Command Test: env and output",
        "Command Test: setup and teardown",
        "Command Test: exit code",
        "Command Test: the image's program",
        "File Existence Test: app",
        "File Existence Test: tmp",
        "File Existence Test: passwd",
        "File Existence Test: absent",
        "File Content Test: hello",
        "Metadata Test",
        "File Content Test: passwd has root",
    ] {
        assert!(
            output.contains(&format!("=== RUN: {name}\n--- PASS\n")),
            "{name} did not pass:\n{output}"
        );
    }
    assert!(
        output.contains("stdout: hello world from skiff\nstderr: test\n"),
        "{output}"
    );
    assert!(
        output.contains("\n====== Test file: passing.yaml ======\n"),
        "{output}"
    );
    assert!(
        output.contains("\n====== Test file: second.yaml ======\n"),
        "{output}"
    );
    assert!(
        output.contains("Passes:      11\nFailures:    0\n"),
        "{output}"
    );
    assert!(output.ends_with("Total tests: 11\n\nPASS\n"), "{output}");
    fixture.assert_nothing_left().await;
}

#[tokio::test]
async fn every_kind_of_test_passes_on_dockerd() {
    every_kind_passes("DOCKER_HOST").await;
}

#[tokio::test]
async fn every_kind_of_test_passes_on_podman() {
    every_kind_passes("PODMAN_DOCKER_HOST").await;
}

#[tokio::test]
async fn every_kind_of_test_fails_with_its_reasons() {
    let Some(fixture) = Fixture::build("DOCKER_HOST").await else {
        return;
    };
    let (result, output) = fixture.run(&["failing.yaml"], &[]).await;
    let err = result.unwrap_err();
    assert_eq!(err.code, StatusCode::TestCstUserErr);
    assert_eq!(
        err.message,
        "running container-structure-test: 8 of 8 tests failed: \
         Command Test: wrong output, Command Test: no such program, Command Test: failing setup, \
         File Existence Test: missing, File Existence Test: wrong mode, \
         File Content Test: wrong contents, File Content Test: no file, Metadata Test"
    );
    for reason in [
        "Error: Expected string 'bye' not found in output 'hi\n'\n",
        "Error: Test 'wrong output' exited with incorrect error code. Expected: 1, Actual: 0\n",
        "Error: error running [\"bash\"]: ",
        "Error: error setting up: [\"sh\", \"-c\", \"echo no luck >&2; exit 5\"] exited with code 5: no luck\n",
        "Error: File /srv/missing should exist but does not, got error: no such file or directory\n",
        "Error: /srv/hello.txt has incorrect permissions. Expected: -rw-r--r--, Actual: -rw-r-----\n",
        "Error: /srv/hello.txt has incorrect executable bit. Expected to be executable by any, Actual: -rw-r-----\n",
        "Error: Expected string goodbye not found in file content string hello from skiff\nversion 1\n\n",
        "Error: Excluded string skiff found in file content string hello from skiff\n",
        "Error: Failed to open /nope. Error: no such file or directory\n",
        "Error: env var MODE value test does not match expected value: prod\n",
        "Error: label team value core does not match regex ^x\n",
        "Error: Port 9090 not found in config\n",
        "Error: Image user  does not match config user: nobody\n",
    ] {
        assert!(output.contains(reason), "missing {reason:?} in:\n{output}");
    }
    assert!(
        output.contains("Passes:      0\nFailures:    8\n"),
        "{output}"
    );
    assert!(output.ends_with("\nFAIL\n"), "{output}");
    fixture.assert_nothing_left().await;
}

#[tokio::test]
async fn bad_files_arguments_and_images_are_clear_errors() {
    let Some(fixture) = Fixture::build("DOCKER_HOST").await else {
        return;
    };
    let (result, output) = fixture.run(&["unknown_field.yaml"], &[]).await;
    let err = result.unwrap_err();
    assert_eq!(err.code, StatusCode::TestCstUserErr);
    assert!(
        err.message.contains("unknown_field.yaml: "),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("unknown field `shouldExists`"),
        "{}",
        err.message
    );
    assert_eq!(output, "");

    let (result, _) = fixture.run(&["passing.yaml"], &["--pull"]).await;
    let err = result.unwrap_err();
    assert_eq!(err.code, StatusCode::TestUserConfigErr);
    assert!(
        err.message
            .starts_with("test[].structureTestsArgs: \"--pull\""),
        "{}",
        err.message
    );

    let (result, _) = fixture.run(&["nothing-*.yaml"], &[]).await;
    let err = result.unwrap_err();
    assert_eq!(
        err.message,
        "running container-structure-test: no structure test file matches [\"fixtures/nothing-*.yaml\"]"
    );

    let files = structure_test_files(&["fixtures/second.yaml".to_owned()], &tests_dir()).unwrap();
    let missing = "127.0.0.1:1/skiff-no-such-image:x";
    let err = StructureTestRun {
        files: &files,
        patterns: &[],
        args: &[],
        image: missing,
        engine: &fixture.engine,
    }
    .run(&Collect::default())
    .await
    .unwrap_err();
    assert_eq!(err.code, StatusCode::TestImgPullErr);
    assert!(
        err.message
            .starts_with(&format!("unable to docker pull image {missing}: ")),
        "{}",
        err.message
    );
}
