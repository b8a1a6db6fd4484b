//! The test phase: run the testers of every built image and report it as Skaffold does
//! (`Test-N` task, one `testEvent` per tester, `Testing images...`).
//!
//! The task is reported even when there is nothing to test (InProgress then Succeeded). Testers
//! run one at a time in Skaffold's order (see [`skiff_tester::schedule`]) and the first failure
//! stops the phase. As in Skaffold, all of the phase's output belongs to no subtask (`-1`).

use std::path::Path;

use skiff_build::builder::{BuildOutput, BuiltImage};
use skiff_config::SkaffoldConfig;
use skiff_docker::Engine;
use skiff_events::{LogFile, Output, Phase, SUBTASK_ID_NONE, Status, Subtask, errors};
use skiff_tester::Tester;

use crate::error::PipelineError;

/// Tester output written as output of the Test phase.
struct TestOutput<'a>(&'a Output);

impl BuildOutput for TestOutput<'_> {
    fn write(&self, text: &str) {
        self.0.write(Phase::Test, SUBTASK_ID_NONE, text);
    }
}

/// Runs the test phase over `configs` for the images in `builds` (tests of images that were
/// not built do not run), with paths relative to `base_dir`.
pub async fn test(
    configs: &[&SkaffoldConfig],
    base_dir: &Path,
    builds: &[BuiltImage],
    engine: &Engine,
    output: &Output,
) -> Result<(), PipelineError> {
    let testers = skiff_tester::testers(configs.iter().flat_map(|c| &c.pipeline.test), base_dir);
    let hub = output.hub();
    hub.task_in_progress(Phase::Test, "Test");
    let result = run(&testers, builds, engine, output).await;
    match &result {
        Ok(()) => hub.task_succeeded(Phase::Test),
        Err(err) => hub.task_failed(Phase::Test, err.actionable.clone()),
    }
    result
}

/// Runs the `testers` of the images in `builds` in Skaffold's order, one at a time as subtasks
/// `0`, `1`, …, until one fails.
async fn run(
    testers: &[Tester<'_>],
    builds: &[BuiltImage],
    engine: &Engine,
    output: &Output,
) -> Result<(), PipelineError> {
    if testers.is_empty() {
        return Ok(());
    }
    output.phase(Phase::Test, "Testing images...\n");
    if !output.mutes(Phase::Test) {
        return run_testers(testers, builds, engine, output).await;
    }
    // `--mute-logs test`: the tests write to a log file, shown in full only when they fail.
    let file = LogFile::create(&["test.log"]).map_err(|e| {
        PipelineError::new(
            Phase::Test,
            errors::unknown(
                Phase::Test,
                format!("unable to create log file for tests: {e}"),
            ),
        )
    })?;
    let path = file.path().to_path_buf();
    output.phase(
        Phase::Test,
        &format!(" - writing logs to {}\n", path.display()),
    );
    let result = run_testers(testers, builds, engine, &output.to_file(file)).await;
    if result.is_err()
        && let Ok(log) = std::fs::read_to_string(&path)
    {
        output.phase(Phase::Test, &log);
    }
    result
}

/// Runs the scheduled testers, one at a time, until one fails.
async fn run_testers(
    testers: &[Tester<'_>],
    builds: &[BuiltImage],
    engine: &Engine,
    output: &Output,
) -> Result<(), PipelineError> {
    let hub = output.hub();
    let sink = TestOutput(output);
    let scheduled = skiff_tester::schedule(testers, builds);
    for (index, (tester, reference)) in scheduled.into_iter().enumerate() {
        let id = index.to_string();
        hub.subtask(Subtask::Test, &id, Status::InProgress, None);
        if let Err(err) = tester.run(reference, engine, &sink).await {
            let mut actionable = err.actionable();
            hub.subtask(Subtask::Test, &id, Status::Failed, Some(actionable.clone()));
            actionable.message = format!("running tests: {}", actionable.message);
            return Err(PipelineError::new(Phase::Test, actionable));
        }
        hub.subtask(Subtask::Test, &id, Status::Succeeded, None);
    }
    Ok(())
}
