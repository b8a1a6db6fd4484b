//! `skiff test`: run the configured tests against images built earlier.

use skiff_config::SkaffoldConfig;
use skiff_runner::metadata::artifact_names;
use skiff_runner::test::test;

use crate::options::TestCommandOptions;
use crate::session::{CommandSession, connect_engine, pipeline_error, prebuilt_images};

/// Tests the images `opts` names; the API serves the session while it runs.
pub async fn run(opts: TestCommandOptions) -> anyhow::Result<()> {
    let mut session = CommandSession::start(&opts.config, &opts.api, "test", false).await?;
    let result = async {
        let engine = connect_engine().await?;
        let configs: Vec<&SkaffoldConfig> = session.configs.iter().collect();
        let builds = prebuilt_images(&opts.prebuilt)
            .and_then(|p| p.resolve(&artifact_names(&configs)))
            .map_err(pipeline_error)?;
        tokio::select! {
            result = test(&configs, &session.base_dir, &builds, &engine, &session.output) => {
                result.map_err(pipeline_error)
            }
            () = session.interrupts.recv() => anyhow::bail!("interrupted"),
        }
    }
    .await;
    session.finish().await?;
    result
}
