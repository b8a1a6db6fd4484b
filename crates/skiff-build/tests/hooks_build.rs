//! Build hooks with real processes: the environment Skaffold gives them, the `os` filter, the
//! working directory, the phase's output, failures, timeouts and cancellation.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use skiff_build::hooks::{
    BuildHookEnv, HookOutcome, HookPhase, StaticHookEnv, host_os, run_build_hooks,
    run_build_hooks_with_timeout, run_host_hook,
};
use skiff_config::model::HostHook;
use skiff_proto::enums::StatusCode;
use skiff_testenv::{Collect, gone, read_pid};

fn sh(script: &str) -> HostHook {
    HostHook {
        command: vec!["sh".into(), "-c".into(), script.into()],
        ..Default::default()
    }
}

const PRINT_ENV: &str = "echo \"SKAFFOLD_IMAGE=$SKAFFOLD_IMAGE,SKAFFOLD_PUSH_IMAGE=$SKAFFOLD_PUSH_IMAGE,\
SKAFFOLD_IMAGE_REPO=$SKAFFOLD_IMAGE_REPO,SKAFFOLD_IMAGE_TAG=$SKAFFOLD_IMAGE_TAG,\
SKAFFOLD_BUILD_CONTEXT=$SKAFFOLD_BUILD_CONTEXT\"";

#[tokio::test]
async fn artifact_hooks_get_skaffolds_variables() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("foo");
    let env = BuildHookEnv::for_artifact(
        "gcr.io/foo/img1:latest",
        true,
        &ws,
        StaticHookEnv::current(),
    );
    for phase in [HookPhase::Before, HookPhase::After] {
        let out = Collect::default();
        run_build_hooks(phase, &[sh(PRINT_ENV)], &env, &out)
            .await
            .unwrap();
        assert_eq!(
            out.text(),
            format!(
                "Starting {phase} hooks...\n\
                 SKAFFOLD_IMAGE=gcr.io/foo/img1:latest,SKAFFOLD_PUSH_IMAGE=true,SKAFFOLD_IMAGE_REPO=gcr.io/foo,SKAFFOLD_IMAGE_TAG=latest,SKAFFOLD_BUILD_CONTEXT={}\n\
                 Completed {phase} hooks\n",
                ws.display()
            )
        );
    }
}

#[tokio::test]
async fn static_variables_are_set_only_when_known() {
    let statics = StaticHookEnv {
        default_repo: Some("127.0.0.1:5000/team".into()),
        multi_level_repo: Some(true),
        rpc_port: Some(50051),
        http_port: Some(50052),
        work_dir: "/somewhere".into(),
    };
    let env = BuildHookEnv::for_artifact("app", false, Path::new("/ws"), statics);
    let names: Vec<String> = env.vars().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        names,
        [
            "SKAFFOLD_DEFAULT_REPO",
            "SKAFFOLD_MULTI_LEVEL_REPO",
            "SKAFFOLD_RPC_PORT",
            "SKAFFOLD_HTTP_PORT",
            "SKAFFOLD_WORK_DIR",
            "SKAFFOLD_IMAGE",
            "SKAFFOLD_PUSH_IMAGE",
            "SKAFFOLD_IMAGE_REPO",
            "SKAFFOLD_IMAGE_TAG",
            "SKAFFOLD_BUILD_CONTEXT",
        ]
    );
    let out = Collect::default();
    run_build_hooks(
        HookPhase::Before,
        &[sh("echo \"$SKAFFOLD_DEFAULT_REPO $SKAFFOLD_MULTI_LEVEL_REPO $SKAFFOLD_RPC_PORT $SKAFFOLD_HTTP_PORT $SKAFFOLD_WORK_DIR [$SKAFFOLD_IMAGE_REPO] [$SKAFFOLD_IMAGE_TAG]\"")],
        &env,
        &out,
    )
    .await
    .unwrap();
    assert!(
        out.text()
            .contains("127.0.0.1:5000/team true 50051 50052 /somewhere [] []\n"),
        "{}",
        out.text()
    );

    let names: Vec<String> = BuildHookEnv::for_pipeline(StaticHookEnv::default())
        .vars()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(names[0], "SKAFFOLD_WORK_DIR");
}

#[tokio::test]
async fn pipeline_hooks_get_empty_image_variables() {
    let env = BuildHookEnv::for_pipeline(StaticHookEnv::current());
    let out = Collect::default();
    run_build_hooks(HookPhase::After, &[sh(PRINT_ENV)], &env, &out)
        .await
        .unwrap();
    assert!(out.text().contains(
        "SKAFFOLD_IMAGE=,SKAFFOLD_PUSH_IMAGE=false,SKAFFOLD_IMAGE_REPO=,SKAFFOLD_IMAGE_TAG=,SKAFFOLD_BUILD_CONTEXT=\n"
    ));

    let err = run_build_hooks(HookPhase::Before, &[sh("exit 2")], &env, &out)
        .await
        .unwrap_err();
    assert_eq!(
        err.message,
        "running builder pre-hooks: pre-build hook [sh -c \"exit 2\"] failed: exit status 2"
    );
}

#[tokio::test]
async fn hooks_for_other_systems_are_skipped() {
    let env = BuildHookEnv::for_pipeline(StaticHookEnv::current());
    let other = if host_os() == "windows" {
        "darwin"
    } else {
        "windows"
    };
    let skipped = HostHook {
        os: vec![other.into()],
        ..sh("echo should-not-run")
    };
    let runs = HostHook {
        os: vec![other.into(), host_os().into()],
        ..sh("echo runs-here")
    };
    let out = Collect::default();
    assert_eq!(
        run_host_hook(&skipped, &[], &out, None).await.unwrap(),
        HookOutcome::Skipped
    );
    run_build_hooks(HookPhase::Before, &[skipped, runs], &env, &out)
        .await
        .unwrap();
    assert_eq!(
        out.text(),
        "Starting pre-build hooks...\nruns-here\nCompleted pre-build hooks\n"
    );
}

#[tokio::test]
async fn no_hooks_no_output() {
    let env = BuildHookEnv::for_pipeline(StaticHookEnv::current());
    let out = Collect::default();
    run_build_hooks(HookPhase::Before, &[], &env, &out)
        .await
        .unwrap();
    assert_eq!(out.text(), "");
}

#[tokio::test]
async fn hooks_run_in_their_dir_without_a_shell() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().canonicalize().unwrap();
    let env = BuildHookEnv::for_pipeline(StaticHookEnv::current());
    let out = Collect::default();
    let pwd = HostHook {
        command: vec!["pwd".into()],
        dir: real.to_string_lossy().into_owned(),
        ..Default::default()
    };
    // Arguments go to the program as they are: no expansion without a shell.
    let echo = HostHook {
        command: vec!["echo".into(), "$HOME".into(), "a  b".into()],
        ..Default::default()
    };
    run_build_hooks(HookPhase::After, &[pwd, echo], &env, &out)
        .await
        .unwrap();
    assert_eq!(
        out.text(),
        format!(
            "Starting post-build hooks...\n{}\n$HOME a  b\nCompleted post-build hooks\n",
            real.display()
        )
    );
}

#[tokio::test]
async fn the_first_failing_hook_stops_the_phase() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let env = BuildHookEnv::for_artifact("app:1", false, dir.path(), StaticHookEnv::current());
    let out = Collect::default();
    let hooks = [
        sh("echo checking; echo 'lint failed: 3 problems' >&2; exit 4"),
        sh(&format!("touch {}", marker.display())),
    ];
    let err = run_build_hooks(HookPhase::Before, &hooks, &env, &out)
        .await
        .unwrap_err();
    assert_eq!(err.code, StatusCode::BuildUnknown);
    assert_eq!(
        err.message,
        "pre-build hook [sh -c \"echo checking; echo 'lint failed: 3 problems' >&2; exit 4\"] failed: exit status 4\nlast output lines:\n  checking\n  lint failed: 3 problems"
    );
    assert!(!marker.exists(), "the second hook ran");
    assert_eq!(
        out.text(),
        "Starting pre-build hooks...\nchecking\nlint failed: 3 problems\n"
    );

    let missing = HostHook {
        command: vec!["skiff-no-such-hook".into()],
        ..Default::default()
    };
    let err = run_build_hooks(HookPhase::After, &[missing], &env, &out)
        .await
        .unwrap_err();
    assert!(
        err.message
            .starts_with("post-build hook [skiff-no-such-hook] failed: starting cmd: "),
        "{}",
        err.message
    );
    let empty = HostHook::default();
    let err = run_build_hooks(HookPhase::After, &[empty], &env, &out)
        .await
        .unwrap_err();
    assert_eq!(
        err.message,
        "post-build hook [] failed: hook has no command"
    );
}

async fn wait_gone(pids: &[u32]) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !pids.iter().all(|p| gone(*p)) {
        assert!(Instant::now() < deadline, "{pids:?} still running");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_hook_that_runs_too_long_is_killed_with_its_children() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("child.pid");
    let env = BuildHookEnv::for_pipeline(StaticHookEnv::current());
    let out = Collect::default();
    let hook = sh(&format!(
        "echo waiting; sleep 30 & echo $! > {}; wait",
        pid_file.display()
    ));
    let started = Instant::now();
    let err = run_build_hooks_with_timeout(
        HookPhase::Before,
        &[hook],
        &env,
        &out,
        Some(Duration::from_millis(500)),
    )
    .await
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        err.message
            .ends_with("failed: timed out after 500ms\nlast output lines:\n  waiting"),
        "{}",
        err.message
    );
    wait_gone(&[read_pid(&pid_file).unwrap()]).await;
}

#[tokio::test]
async fn cancelling_a_hook_kills_it() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pids");
    let env = BuildHookEnv::for_pipeline(StaticHookEnv::current());
    let out = Collect::default();
    let hook = sh(&format!(
        "sleep 30 & echo \"$$ $!\" > {}; wait",
        pid_file.display()
    ));
    let hooks = [hook];
    let run = run_build_hooks(HookPhase::Before, &hooks, &env, &out);
    let finished = tokio::time::timeout(Duration::from_secs(10), async {
        tokio::pin!(run);
        loop {
            tokio::select! {
                r = &mut run => break Some(r),
                _ = tokio::time::sleep(Duration::from_millis(20)) => {
                    if fs::read_to_string(&pid_file).is_ok_and(|s| s.ends_with('\n')) {
                        break None;
                    }
                }
            }
        }
    })
    .await
    .unwrap();
    assert!(finished.is_none(), "the hook ended by itself: {finished:?}");
    let pids: Vec<u32> = fs::read_to_string(&pid_file)
        .unwrap()
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    wait_gone(&pids).await;
}
