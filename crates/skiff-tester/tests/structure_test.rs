//! Structure tests against a real image, built in the test from the base image with known files,
//! environment, labels, ports, volume and entrypoint: every kind of test passes when it should
//! and fails with container-structure-test's reasons when it should not, and nothing the tests
//! create is left in the engine.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bollard::query_parameters::{ListContainersOptionsBuilder, ListImagesOptionsBuilder};
use common::assert_failure;
use skiff_docker::Engine;
use skiff_proto::enums::StatusCode;
use skiff_testenv::{Collect, Scratch, assert_contains, engine, on_both_engines, unique};
use skiff_tester::{StructureTestRun, TestError, structure_test_files};

/// An image built for one test from the base image, removed when the test ends (also when it
/// panics). Its last label makes its id unique, so the containers of one test's image are its
/// own.
struct Fixture {
    engine: Engine,
    tag: String,
    /// The label every image of the fixture carries, the setup images committed from it too.
    label: String,
    _scratch: Scratch,
}

impl Fixture {
    /// Builds the test image in the engine named by `var`.
    async fn build(var: &str) -> Option<Fixture> {
        let engine = engine(var).await?;
        let name = unique("skiff-structure-fixture");
        let label = format!("fixture={name}");
        let mut scratch = Scratch::new(&engine);
        let tag = scratch
            .image(
                &name,
                &format!(
                    "ENV GREETING=hello MODE=test\n\
                     LABEL team=core version=1.2.3\n\
                     RUN mkdir -p /srv \\\n\
                     && printf '#!/bin/sh\\necho \"app $*\"\\n' > /srv/app.sh \\\n\
                     && printf 'hello from skiff\\nversion 1\\n' > /srv/hello.txt \\\n\
                     && chmod 0754 /srv/app.sh && chown 1000:50 /srv/app.sh && chmod 0640 /srv/hello.txt\n\
                     WORKDIR /srv\n\
                     EXPOSE 8080 53/udp\n\
                     VOLUME /data\n\
                     ENTRYPOINT [\"/srv/app.sh\"]\n\
                     CMD [\"--serve\"]\n\
                     LABEL {label}"
                ),
            )
            .await;
        Some(Fixture {
            engine,
            tag,
            label,
            _scratch: scratch,
        })
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
        let client = self.engine.client();
        let filters = HashMap::from([("ancestor", vec![self.tag.as_str()])]);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let containers = client.list_containers(Some(options)).await.unwrap();
        assert!(containers.is_empty(), "containers left: {containers:?}");
        // Images committed from setup steps inherit the fixture's unique label.
        let filters = HashMap::from([("label", vec![self.label.as_str()])]);
        let options = ListImagesOptionsBuilder::default()
            .filters(&filters)
            .build();
        let images = client.list_images(Some(options)).await.unwrap();
        let fixture_id = self.engine.image_id(&self.tag).await.unwrap();
        let left: Vec<&String> = images
            .iter()
            .map(|i| &i.id)
            .filter(|id| Some(*id) != fixture_id.as_ref())
            .collect();
        assert!(left.is_empty(), "setup images left: {left:?}");
    }
}

/// Asserts that the structure tests' report `output` contains each of `parts` and ends with
/// `end`.
#[track_caller]
fn assert_report(output: &str, parts: &[&str], end: &str) {
    for part in parts {
        assert_contains(output, part);
    }
    assert!(
        output.ends_with(end),
        "{output:?} does not end with {end:?}"
    );
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
        assert_contains(&output, &format!("=== RUN: {name}\n--- PASS\n"));
    }
    assert_report(
        &output,
        &[
            "stdout: hello world from skiff\nstderr: test\n",
            "\n====== Test file: passing.yaml ======\n",
            "\n====== Test file: second.yaml ======\n",
            "Passes:      11\nFailures:    0\n",
        ],
        "Total tests: 11\n\nPASS\n",
    );
    fixture.assert_nothing_left().await;
}

on_both_engines!(every_kind_passes);

#[tokio::test]
async fn every_kind_of_test_fails_with_its_reasons() {
    let Some(fixture) = Fixture::build("DOCKER_HOST").await else {
        return;
    };
    let (result, output) = fixture.run(&["failing.yaml"], &[]).await;
    assert_eq!(
        result.unwrap_err(),
        TestError::new(
            StatusCode::TestCstUserErr,
            "running container-structure-test: 8 of 8 tests failed: \
             Command Test: wrong output, Command Test: no such program, Command Test: failing setup, \
             File Existence Test: missing, File Existence Test: wrong mode, \
             File Content Test: wrong contents, File Content Test: no file, Metadata Test"
        )
    );
    assert_report(
        &output,
        &[
            "Error: Expected string 'bye' not found in output 'hi\n'\n",
            "Error: Test 'wrong output' exited with incorrect error code. Expected: 1, Actual: 0\n",
            "Error: error running [\"bash\"]: ",
            "Error: error setting up: [\"sh\" \"-c\" \"echo no luck >&2; exit 5\"] exited with code 5: no luck\n",
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
            "Passes:      0\nFailures:    8\n",
        ],
        "\nFAIL\n",
    );
    fixture.assert_nothing_left().await;
}

#[tokio::test]
async fn bad_files_arguments_and_images_are_clear_errors() {
    let Some(fixture) = Fixture::build("DOCKER_HOST").await else {
        return;
    };
    let (result, output) = fixture.run(&["unknown_field.yaml"], &[]).await;
    let err = result.unwrap_err();
    assert_failure(
        &err,
        StatusCode::TestCstUserErr,
        "running container-structure-test: ",
    );
    assert_contains(&err.message, "unknown_field.yaml: ");
    assert_contains(&err.message, "unknown field `shouldExists`");
    assert_eq!(output, "");

    let (result, _) = fixture.run(&["passing.yaml"], &["--pull"]).await;
    assert_failure(
        &result.unwrap_err(),
        StatusCode::TestUserConfigErr,
        "test[].structureTestsArgs: \"--pull\" is not supported",
    );

    let (result, _) = fixture.run(&["nothing-*.yaml"], &[]).await;
    assert_eq!(
        result.unwrap_err(),
        TestError::new(
            StatusCode::TestCstUserErr,
            "running container-structure-test: no structure test file matches [\"fixtures/nothing-*.yaml\"]"
        )
    );

    let files = structure_test_files(&["fixtures/second.yaml".to_owned()], &tests_dir()).unwrap();
    let missing = "127.0.0.1:1/skiff-no-such-image:x";
    let result = StructureTestRun {
        files: &files,
        patterns: &[],
        args: &[],
        image: missing,
        engine: &fixture.engine,
    }
    .run(&Collect::default())
    .await;
    assert_failure(
        &result.unwrap_err(),
        StatusCode::TestImgPullErr,
        &format!("unable to docker pull image {missing}: "),
    );
}
