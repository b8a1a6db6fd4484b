//! `--mute-logs` end to end: `skiff build --mute-logs build` on the `docker-deploy` project
//! sends each artifact's build steps to its own log file, `$TMPDIR/skaffold/build/<image>.log`,
//! and prints where instead.

mod common;

use common::{assert_success, project};
use skiff_testenv::{assert_contains, engine, run_isolated, stdout, unique};

#[tokio::test(flavor = "multi_thread")]
async fn a_muted_build_writes_each_artifacts_steps_to_its_log_file() {
    let Some(engine) = engine("DOCKER_HOST").await else {
        return;
    };
    let dir = project("docker-deploy");
    let tmp = tempfile::tempdir().unwrap();
    let tag = unique("muted");
    let out = run_isolated(
        env!("CARGO_BIN_EXE_skiff"),
        dir.path(),
        &["build", "--mute-logs", "build", "-t", &tag],
        &[
            ("HOME", dir.path().to_str().unwrap()),
            ("TMPDIR", tmp.path().to_str().unwrap()),
        ],
    );
    for image in ["bert", "ernie"] {
        let _ = engine.remove_image(&format!("{image}:{tag}")).await;
    }
    assert_success(&out);

    let printed = stdout(&out);
    for image in ["bert", "ernie"] {
        let log = tmp.path().join(format!("skaffold/build/{image}.log"));
        assert_contains(
            &printed,
            &format!(
                "Building [{image}]...\n - writing logs to {}\n",
                log.display()
            ),
        );
        let steps = std::fs::read_to_string(&log).unwrap();
        assert_contains(&steps, "COPY www /www");
    }
    assert!(
        !printed.contains("COPY www /www"),
        "build steps printed:\n{printed}"
    );
}
