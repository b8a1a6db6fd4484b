//! The network the containers of a run join: `--docker-network` when given (used as it is),
//! otherwise `skaffold-network-<runID>`, created for the run and removed after it.

use std::collections::HashMap;
use std::future::Future;

use skiff_deploy::docker::{RUN_ID_LABEL, network_name};
use skiff_docker::Engine;

use crate::error::ActionError;
use crate::local::{LocalRun, LocalRunOptions};

/// Runs `work` with the name of the run's network, created first when the run owns it and
/// removed afterwards.
pub(crate) async fn with_network<T, Fut>(
    local: &LocalRun<'_>,
    work: impl FnOnce(String) -> Fut,
) -> Result<T, ActionError>
where
    Fut: Future<Output = Result<T, ActionError>>,
{
    let network = RunNetwork::prepare(local.engine, local.opts).await?;
    let result = work(network.name.clone()).await;
    network.release(local.engine).await;
    result
}

/// The network of a run, and whether this run created it (and so removes it).
#[derive(Debug)]
struct RunNetwork {
    name: String,
    created: bool,
}

impl RunNetwork {
    /// The network `opts` asks for; the run's own is created when it does not exist yet.
    async fn prepare(engine: &Engine, opts: &LocalRunOptions) -> Result<Self, ActionError> {
        if let Some(name) = &opts.network {
            return Ok(Self {
                name: name.clone(),
                created: false,
            });
        }
        let name = network_name(&opts.run_id);
        let failed = |source| ActionError::Network {
            name: name.clone(),
            source,
        };
        if engine.network_exists(&name).await.map_err(failed)? {
            return Ok(Self {
                name,
                created: false,
            });
        }
        let labels = HashMap::from([(RUN_ID_LABEL.to_owned(), opts.run_id.clone())]);
        engine
            .create_network(&name, &labels)
            .await
            .map_err(failed)?;
        Ok(Self {
            name,
            created: true,
        })
    }

    /// Removes the network if this run created it; a failure is only worth a warning, as in
    /// Skaffold's cleanup.
    async fn release(self, engine: &Engine) {
        if !self.created {
            return;
        }
        if let Err(e) = engine.remove_network(&self.name).await {
            tracing::warn!("cleaning up skaffold created network {}: {e}", self.name);
        }
    }
}
