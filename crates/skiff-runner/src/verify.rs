//! The verify phase: the verification tests of every config, run on the local engine (the
//! `Verify` task; see `skiff_actions::verify`).

use skiff_build::builder::BuiltImage;
use skiff_config::SkaffoldConfig;
use skiff_docker::Engine;
use skiff_events::{Output, Phase};

use skiff_actions::LocalRun;
pub use skiff_actions::LocalRunOptions;

use crate::error::PipelineError;

/// Runs the `verify` test cases of `configs` with the images of `builds` (those the tests name
/// run as built; the others are pulled as Skaffold pulls them).
pub async fn verify(
    configs: &[&SkaffoldConfig],
    builds: &[BuiltImage],
    engine: &Engine,
    opts: &LocalRunOptions,
    output: &Output,
) -> Result<(), PipelineError> {
    let tests: Vec<_> = configs.iter().flat_map(|c| &c.pipeline.verify).collect();
    let local = LocalRun {
        engine,
        builds,
        opts,
        output,
    };
    skiff_actions::verify::verify(&tests, &local)
        .await
        .map_err(|e| PipelineError::new(Phase::Verify, e.actionable(Phase::Verify)))
}
