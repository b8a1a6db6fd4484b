//! `skiff test`: run the configured tests against images built earlier.

use skiff_config::SkaffoldConfig;
use skiff_runner::metadata::artifact_names;
use skiff_runner::test::test;

use crate::options::TestCommandOptions;
use crate::session::{
    CommandSession, connect_engine, interruptible, pipeline_error, prebuilt_images,
};

/// Tests the images `opts` names; the API serves the session while it runs.
pub async fn run(opts: TestCommandOptions) -> anyhow::Result<()> {
    CommandSession::within(&opts.config, &opts.api, "test", false, async |session| {
        let engine = connect_engine().await?;
        let configs: Vec<&SkaffoldConfig> = session.configs.iter().collect();
        let builds = prebuilt_images(&opts.prebuilt)
            .and_then(|p| p.resolve(&artifact_names(&configs)))
            .map_err(pipeline_error)?;
        let work = test(
            &configs,
            &session.base_dir,
            &builds,
            &engine,
            &session.output,
        );
        interruptible(&mut session.interrupts, work).await
    })
    .await
}
