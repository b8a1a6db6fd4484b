//! `skiff serve`: the v2 API over an idle session, with no pipeline. IDE integrations and API
//! clients use it to exercise the API; every other command serves the same API while it runs.

use skiff_events::{Hub, HubLimits, InitialState};
use skiff_proto::enums::{BuildType, BuilderType};
use skiff_proto::v2::{BuildMetadata, DeployMetadata, Metadata, RenderMetadata, build_metadata};

use crate::api_session::ApiSession;
use crate::options::ServeOptions;

/// Serves the API described by `opts` until SIGINT or SIGTERM, logging what clients ask for.
pub async fn run(opts: ServeOptions) -> anyhow::Result<()> {
    let mut interrupts = crate::signals::Interrupts::install()?;
    let metadata = Metadata {
        build: Some(BuildMetadata {
            artifacts: opts
                .artifacts
                .iter()
                .map(|name| build_metadata::Artifact {
                    r#type: BuilderType::UnknownBuilderType as i32,
                    name: name.clone(),
                    ..Default::default()
                })
                .collect(),
            r#type: BuildType::UnknownBuildType as i32,
            additional: Default::default(),
        }),
        deploy: Some(DeployMetadata::default()),
        test: None,
        run_id: crate::build_info::new_run_id(),
        render: Some(RenderMetadata::default()),
        additional: Default::default(),
    };
    let hub = Hub::new(
        &InitialState {
            artifacts: opts.artifacts.clone(),
            auto_build: opts.auto_build,
            auto_sync: opts.auto_sync,
            auto_deploy: opts.auto_deploy,
            metadata: metadata.clone(),
        },
        HubLimits::default(),
    );
    let (session, mut control) = ApiSession::start(&opts.api, &hub).await?;
    hub.meta(&crate::build_info::meta_entry(), metadata);

    loop {
        tokio::select! {
            requests = control.recv() => {
                tracing::info!("control request received (no pipeline runs under `serve`): {requests:?}");
            }
            () = interrupts.recv() => break,
        }
    }
    session.finish().await
}
