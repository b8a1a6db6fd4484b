//! Custom tests run as real host commands: success with `IMAGE` and `TEST_CONTEXT`, a non-zero
//! exit, a timeout that kills the whole process group, a bad template, and the dependencies a
//! custom test declares.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::assert_failure;
use skiff_config::model::{CustomTest, CustomTestDependencies, CustomTestDependencySource};
use skiff_proto::enums::{StatusCode, SuggestionCode};
use skiff_testenv::{Collect, assert_contains, gone, read_pid};
use skiff_tester::{CustomTestRun, TestError, custom_test_dependencies};

fn command(command: &str) -> CustomTest {
    CustomTest {
        command: command.into(),
        ..Default::default()
    }
}

/// Runs `test` for `app:1` in `workspace`, returning the outcome and the output.
async fn run(test: &CustomTest, workspace: &Path) -> (Result<(), TestError>, String) {
    let output = Collect::default();
    let extra = [("SKIFF_EXTRA".to_owned(), "extra-value".to_owned())];
    let result = CustomTestRun {
        test,
        workspace,
        image: "app:1",
        extra_env: &extra,
    }
    .run(&output)
    .await;
    (result, output.text())
}

#[tokio::test]
async fn a_passing_command_sees_the_image_its_context_and_the_extra_env() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("ctx")).unwrap();
    std::fs::write(dir.path().join("ctx/marker"), "").unwrap();
    let test = command(
        "test -f marker && echo \"image=$IMAGE ctx=$TEST_CONTEXT extra=$SKIFF_EXTRA\" && echo {{ \"templated\" }}",
    );
    let (result, output) = run(&test, &dir.path().join("./ctx/../ctx")).await;
    result.unwrap();
    let ctx = dir.path().join("ctx");
    assert_eq!(
        output,
        format!(
            "Running custom test command: \"test -f marker && echo \\\"image=$IMAGE ctx=$TEST_CONTEXT extra=$SKIFF_EXTRA\\\" && echo templated\"\n\
             image=app:1 ctx={} extra=extra-value\n\
             templated\n\
             Command finished successfully.\n",
            ctx.display()
        )
    );
}

#[tokio::test]
async fn a_non_zero_exit_fails_with_skaffolds_code_and_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let (result, output) = run(&command("echo before; exit 3"), dir.path()).await;
    assert_eq!(
        result.unwrap_err(),
        TestError::new(
            StatusCode::TestCustomCmdRunNonZeroExitErr,
            "command echo before; exit 3 finished with non-0 exit code: exit status 3"
        )
        .suggest(
            SuggestionCode::CheckCustomCommand,
            "Check the custom command contents: \"echo before; exit 3\""
        )
    );
    assert!(
        output.ends_with("before\nCommand finished with non-0 exit code.\n"),
        "{output}"
    );
}

#[tokio::test]
async fn a_timed_out_command_is_killed_with_everything_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("sleeper.pid");
    let test = CustomTest {
        command: format!(
            "sleep 30 & echo $! > {}; echo started; wait",
            pid_file.display()
        ),
        timeout_seconds: 1,
        ..Default::default()
    };
    let started = Instant::now();
    let (result, output) = run(&test, dir.path()).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        result.unwrap_err(),
        TestError::new(
            StatusCode::TestCustomCmdRunTimedoutErr,
            "command timed out: context deadline exceeded"
        )
        .suggest(
            SuggestionCode::FixCustomCommandTimeout,
            "Fix the custom command timeoutSeconds: 1"
        )
    );
    assert_contains(&output, "\" with timeout 1 s\n");
    assert!(output.ends_with("started\nCommand timed out\n"), "{output}");

    let sleeper = read_pid(&pid_file).expect("the command wrote its child's pid");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !gone(sleeper) {
        assert!(
            Instant::now() < deadline,
            "the background sleep {sleeper} outlived the timed-out test"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_bad_template_or_a_missing_context_fail_before_running() {
    let dir = tempfile::tempdir().unwrap();
    let (result, output) = run(&command("echo {{"), dir.path()).await;
    assert_failure(
        &result.unwrap_err(),
        StatusCode::TestCustomCmdParseErr,
        "unable to parse test command echo {{: ",
    );
    assert_eq!(output, "");

    let (result, _) = run(&command("true"), &dir.path().join("missing")).await;
    assert_failure(
        &result.unwrap_err(),
        StatusCode::TestCustomCmdRunErr,
        "error running cmd: ",
    );
}

fn with_dependencies(source: CustomTestDependencySource, ignore: &[&str]) -> CustomTest {
    CustomTest {
        command: "true".into(),
        dependencies: Some(CustomTestDependencies {
            source: Some(source),
            ignore: ignore.iter().map(|s| (*s).to_owned()).collect(),
        }),
        ..Default::default()
    }
}

#[test]
fn dependencies_come_from_paths_or_a_command() {
    let dir = tempfile::tempdir().unwrap();
    for file in ["src/a.go", "src/b.go", "src/gen/c.go", "README.md"] {
        let path = dir.path().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
    }
    let paths = with_dependencies(
        CustomTestDependencySource::Paths(vec!["src".into(), "README.md".into()]),
        &["src/gen"],
    );
    assert_eq!(
        custom_test_dependencies(&paths, dir.path()).unwrap(),
        ["README.md", "src/a.go", "src/b.go"].map(PathBuf::from)
    );

    let listed = with_dependencies(
        CustomTestDependencySource::Command("echo '[\"x/y\", \"/abs\"]'".into()),
        &[],
    );
    assert_eq!(
        custom_test_dependencies(&listed, dir.path()).unwrap(),
        ["x/y", "/abs"].map(PathBuf::from)
    );

    let garbled = with_dependencies(CustomTestDependencySource::Command("echo nope".into()), &[]);
    let err = custom_test_dependencies(&garbled, dir.path()).unwrap_err();
    assert_eq!(err.code, StatusCode::TestCustomDependenciesUnmarshallErr);

    let failing = with_dependencies(
        CustomTestDependencySource::Command("echo oops >&2; exit 2".into()),
        &[],
    );
    let err = custom_test_dependencies(&failing, dir.path()).unwrap_err();
    assert_failure(
        &err,
        StatusCode::TestCustomDependenciesCmdErr,
        "getting dependencies from command: echo oops >&2; exit 2: running [sh -c echo oops >&2; exit 2]\n",
    );
    assert_contains(&err.message, " - stderr: \"oops\\n\"\n");
    assert_contains(&err.message, "exit status 2");

    let unmatched = with_dependencies(
        CustomTestDependencySource::Paths(vec!["nope/*".into()]),
        &[],
    );
    assert_eq!(
        custom_test_dependencies(&unmatched, dir.path())
            .unwrap_err()
            .code,
        StatusCode::TestUserConfigErr
    );
    assert!(
        custom_test_dependencies(&command("true"), dir.path())
            .unwrap()
            .is_empty()
    );
}
