//! The custom builder's script runner with real processes: the environment Skaffold sets, the
//! working directory, output streaming, failures with their status and output tail, and that a
//! cancelled build leaves no process behind. No container engine is needed here.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use skiff_build::custom::{ScriptSettings, run_build_script, script_env};
use skiff_config::model::Artifact;
use skiff_proto::enums::StatusCode;
use skiff_testenv::{Collect, build_request, custom_artifact, gone, read_pid};

#[tokio::test]
async fn the_script_gets_skaffolds_environment_and_runs_in_the_context() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().canonicalize().unwrap();
    let a = custom_artifact(
        "skiff-custom",
        "echo \"IMAGE=$IMAGE\"; echo \"PUSH_IMAGE=$PUSH_IMAGE\"; echo \"BUILD_CONTEXT=$BUILD_CONTEXT\"; \
         echo \"PLATFORMS=$PLATFORMS\"; echo \"SKIP_TEST=$SKIP_TEST\"; echo \"IMAGE_REPO=$IMAGE_REPO\"; \
         echo \"IMAGE_TAG=$IMAGE_TAG\"; echo \"BASE=$BASE\"; echo \"EXTRA=$SKIFF_EXTRA\"; echo \"PWD=$(pwd)\"",
    );
    let out = Collect::default();
    let mut req = build_request(&a, &workspace, "127.0.0.1:5000/team/app:v1", false, &out);
    req.push = true;
    req.platforms = vec!["linux/amd64".into(), "linux/arm64".into()];
    req.required = [("BASE".to_owned(), "base:abc".to_owned())].into();
    let settings = ScriptSettings {
        skip_tests: true,
        extra_env: vec![("SKIFF_EXTRA".into(), "yes".into())],
    };
    run_build_script(&req, &settings).await.unwrap();

    let ws = workspace.to_string_lossy();
    let expected = format!(
        "IMAGE=127.0.0.1:5000/team/app:v1\nPUSH_IMAGE=true\nBUILD_CONTEXT={ws}\n\
         PLATFORMS=linux/amd64,linux/arm64\nSKIP_TEST=true\nIMAGE_REPO=127.0.0.1:5000/team/app\n\
         IMAGE_TAG=v1\nBASE=base:abc\nEXTRA=yes\nPWD={ws}\n"
    );
    assert_eq!(out.text(), expected);
    // Output arrives line by line.
    assert!(
        out.0
            .lock()
            .unwrap()
            .iter()
            .all(|l| l.ends_with('\n') && l.matches('\n').count() == 1)
    );
}

#[test]
fn script_env_lists_skaffolds_variables_in_order() {
    let a = custom_artifact("skiff-custom", "true");
    let out = Collect::default();
    let req = build_request(&a, Path::new("/ws/app"), "app", false, &out);
    let env = script_env(&req, &ScriptSettings::default());
    let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "IMAGE",
            "PUSH_IMAGE",
            "BUILD_CONTEXT",
            "PLATFORMS",
            "SKIP_TEST",
            "IMAGE_REPO",
            "IMAGE_TAG"
        ]
    );
    let map: BTreeMap<_, _> = env.into_iter().collect();
    assert_eq!(map["PUSH_IMAGE"], "false");
    assert_eq!(map["SKIP_TEST"], "false");
    assert_eq!(map["PLATFORMS"], "");
    assert_eq!(map["IMAGE_REPO"], "app");
    assert_eq!(map["IMAGE_TAG"], "");
}

#[tokio::test]
async fn the_process_environment_wins_over_skaffolds_variables() {
    // As in Skaffold (Go keeps the last of duplicate variables, and the OS env comes last).
    let dir = tempfile::tempdir().unwrap();
    let a = custom_artifact("skiff-custom", "echo \"$PATH\"");
    let out = Collect::default();
    let req = build_request(&a, dir.path(), "app:1", false, &out);
    let settings = ScriptSettings {
        extra_env: vec![("PATH".into(), "/nowhere".into())],
        ..Default::default()
    };
    run_build_script(&req, &settings).await.unwrap();
    assert_eq!(out.text(), format!("{}\n", std::env::var("PATH").unwrap()));
}

#[tokio::test]
async fn the_command_is_a_template_over_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let a = custom_artifact("skiff-custom", "echo 'home={{.HOME}}'");
    let out = Collect::default();
    run_build_script(
        &build_request(&a, dir.path(), "app:1", false, &out),
        &ScriptSettings::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        out.text(),
        format!("home={}\n", std::env::var("HOME").unwrap())
    );

    let bad = custom_artifact("skiff-custom", "echo {{.HOME");
    let err = run_build_script(
        &build_request(&bad, dir.path(), "app:1", false, &out),
        &ScriptSettings::default(),
    )
    .await
    .unwrap_err();
    assert!(
        err.message.starts_with(
            "building custom artifact: retrieving cmd: unable to parse build command \"echo {{.HOME\""
        ),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn a_failing_script_reports_its_status_and_last_output_lines() {
    let dir = tempfile::tempdir().unwrap();
    let a = custom_artifact(
        "skiff-custom",
        "for i in $(seq 1 30); do echo \"line $i\"; done; echo 'step failed: boom' >&2; exit 3",
    );
    let out = Collect::default();
    let err = run_build_script(
        &build_request(&a, dir.path(), "app:1", false, &out),
        &ScriptSettings::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, StatusCode::BuildUnknown);
    assert!(
        err.message
            .starts_with("building custom artifact: exit status 3\nlast output lines:\n"),
        "{}",
        err.message
    );
    assert!(
        err.message.ends_with("  line 30\n  step failed: boom"),
        "{}",
        err.message
    );
    assert!(
        !err.message.contains("line 11\n"),
        "only the tail: {}",
        err.message
    );
    // Everything was streamed.
    assert!(out.text().starts_with("line 1\nline 2\n"));
    assert!(out.text().contains("step failed: boom\n"));
}

#[tokio::test]
async fn output_without_a_final_newline_still_arrives_as_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let a = custom_artifact("skiff-custom", "printf 'no newline'");
    let out = Collect::default();
    run_build_script(
        &build_request(&a, dir.path(), "app:1", false, &out),
        &ScriptSettings::default(),
    )
    .await
    .unwrap();
    assert_eq!(out.text(), "no newline\n");
}

#[tokio::test]
async fn a_script_killed_by_a_signal_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let a = custom_artifact("skiff-custom", "kill -TERM $$");
    let out = Collect::default();
    let err = run_build_script(
        &build_request(&a, dir.path(), "app:1", false, &out),
        &ScriptSettings::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.message, "building custom artifact: signal: terminated");
}

#[tokio::test]
async fn a_non_custom_artifact_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = Artifact {
        image: "plain".into(),
        ..Default::default()
    };
    let out = Collect::default();
    let err = run_build_script(
        &build_request(&a, dir.path(), "plain:1", false, &out),
        &ScriptSettings::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.message, "artifact plain is not a custom artifact");
}

#[tokio::test]
async fn cancelling_the_build_kills_the_script_and_what_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let a = custom_artifact(
        "skiff-custom",
        "sleep 30 & echo $! > \"$BUILD_CONTEXT/child.pid\"; echo $$ > \"$BUILD_CONTEXT/pids\"; echo started; wait",
    );
    let out = Collect::default();
    let req = build_request(&a, dir.path(), "app:1", false, &out);
    let settings = ScriptSettings::default();
    let build = run_build_script(&req, &settings);
    // Cancel (drop the future) once the script is running.
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(10), async {
        tokio::pin!(build);
        loop {
            tokio::select! {
                r = &mut build => break Some(r),
                _ = tokio::time::sleep(Duration::from_millis(20)) => {
                    if read_pid(&pids).is_some() && out.text().contains("started") {
                        break None;
                    }
                }
            }
        }
    })
    .await
    .unwrap();
    assert!(result.is_none(), "the script ended by itself: {result:?}");
    let shell = read_pid(&pids).unwrap();
    let child = read_pid(&dir.path().join("child.pid")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !(gone(shell) && gone(child)) {
        assert!(
            Instant::now() < deadline,
            "script {shell} or its child {child} still runs"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(started.elapsed() < Duration::from_secs(10));
}
