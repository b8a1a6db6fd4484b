//! Killing a container. dockerd answers a `SIGKILL` only once it has recorded the container
//! stopped, some 20 ms after the signal reached the container's processes; its `kill` event
//! comes when the signal has been sent. A successor that shares the container's network
//! namespace can start on that event: the ports are free as soon as the killed processes exit,
//! long before a starting container's own process runs.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::{SystemTime, UNIX_EPOCH};

use bollard::query_parameters::KillContainerOptionsBuilder;
use futures_util::StreamExt;

use crate::classify::is_not_found;
use crate::engine::Engine;
use crate::error::EngineError;

/// A container being killed, whose processes have been signalled: [`Kill::stopped`] waits
/// until the engine has recorded it stopped.
pub struct Kill<'a> {
    rest: Pin<Box<dyn Future<Output = Result<(), EngineError>> + Send + 'a>>,
}

impl Kill<'_> {
    /// Waits until the killed container no longer runs (as [`Engine::kill_container`]).
    pub async fn stopped(self) -> Result<(), EngineError> {
        self.rest.await
    }
}

impl Engine {
    /// Stops a container at once (`SIGKILL`) and returns once it no longer runs; its
    /// processes, and the ports they listened on, are gone then. A container that is not
    /// running, or gone, is not an error.
    pub async fn kill_container(&self, id: &str) -> Result<(), EngineError> {
        let options = KillContainerOptionsBuilder::default()
            .signal("SIGKILL")
            .build();
        if let Err(e) = self.client().kill_container(id, Some(options)).await {
            // Not running, or gone (dockerd answers 409 or 404, Podman 500 "state improper").
            let running = self
                .inspect_container(id)
                .await?
                .is_some_and(|c| c.status == "running");
            if running {
                return Err(EngineError::api("kill container")(e));
            }
            return Ok(());
        }
        // dockerd answers a SIGKILL once the container stopped; other engines may answer
        // when the signal is sent.
        match self.wait_container(id).await {
            Err(EngineError::Api { ref source, .. }) if is_not_found(source) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// Sends `SIGKILL` to a container and returns as soon as the engine reports the signal
    /// sent (its `kill` event) or the container stopped, whichever it tells first; the
    /// [`Kill`] then waits for the rest of the stop. Engines that send no `kill` event before
    /// the stop (Podman) return when the container stopped.
    pub async fn signal_kill<'a>(&'a self, id: &'a str) -> Result<Kill<'a>, EngineError> {
        let sent_at = SystemTime::now();
        let mut rest = Box::pin(self.kill_container(id));
        let signalled = self.signalled(id, sent_at);
        tokio::select! {
            biased;
            result = &mut rest => {
                result?;
                Ok(Kill { rest: Box::pin(std::future::ready(Ok(()))) })
            }
            () = signalled => Ok(Kill { rest }),
        }
    }

    /// Resolves on the first `kill` or `die` event of container `id` at or after `sent_at`
    /// (replayed from the engine's buffer, so one sent before the subscription counts);
    /// never, if the event stream fails.
    async fn signalled(&self, id: &str, sent_at: SystemTime) {
        let sent_nanos = sent_at
            .duration_since(UNIX_EPOCH)
            .ok()
            .and_then(|d| i64::try_from(d.as_nanos()).ok())
            .unwrap_or(i64::MAX);
        let filters = HashMap::from([("container", vec![id]), ("event", vec!["kill", "die"])]);
        let mut events = Box::pin(self.events_of(filters, Some(sent_at)));
        while let Some(Ok(event)) = events.next().await {
            if event.time_nano >= sent_nanos && matches!(event.action.as_str(), "kill" | "die") {
                return;
            }
        }
        std::future::pending().await
    }
}
