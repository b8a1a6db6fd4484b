//! The exec phase: one custom action of the configs, run on the local engine (the `Exec` task;
//! see `skiff_actions::exec`).

use skiff_actions::LocalRun;
use skiff_build::builder::BuiltImage;
use skiff_config::SkaffoldConfig;
use skiff_docker::Engine;
use skiff_events::{Output, Phase};

use crate::error::PipelineError;
use crate::verify::LocalRunOptions;

/// Runs the custom action named `action` (from `customActions` of `configs`) with the images of
/// `builds`.
pub async fn exec(
    configs: &[&SkaffoldConfig],
    action: &str,
    builds: &[BuiltImage],
    engine: &Engine,
    opts: &LocalRunOptions,
    output: &Output,
) -> Result<(), PipelineError> {
    let actions: Vec<_> = configs
        .iter()
        .flat_map(|c| &c.pipeline.custom_actions)
        .collect();
    let local = LocalRun {
        engine,
        builds,
        opts,
        output,
    };
    skiff_actions::exec::exec(&actions, action, &local)
        .await
        .map_err(|e| PipelineError::new(Phase::Exec, e.actionable(Phase::Exec)))
}
