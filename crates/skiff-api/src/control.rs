//! The control channel from API clients to the runner.
//!
//! Requests are coalesced until the runner takes them: repeated intents collapse into one flag,
//! and an auto-trigger switch keeps only its latest value. So the channel is bounded by
//! construction, a client can never block the server, and the runner always sees the net effect
//! of what was asked since it last looked.

use std::sync::{Arc, Mutex};

use skiff_events::AutoTrigger;
use skiff_proto::v2::Intent;
use tokio::sync::Notify;

/// What API clients asked for since the runner last took the requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ControlRequests {
    /// Build once (`Execute {build: true}`).
    pub build: bool,
    /// Sync once (`Execute {sync: true}`).
    pub sync: bool,
    /// Deploy once (`Execute {deploy: true}`).
    pub deploy: bool,
    /// Run the whole dev loop once (`Execute {devloop: true}`).
    pub devloop: bool,
    /// The latest `AutoBuild` value, if it was switched.
    pub auto_build: Option<bool>,
    /// The latest `AutoSync` value, if it was switched.
    pub auto_sync: Option<bool>,
    /// The latest `AutoDeploy` value, if it was switched.
    pub auto_deploy: Option<bool>,
}

impl ControlRequests {
    /// Whether nothing was asked.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

#[derive(Debug, Default)]
struct Shared {
    pending: Mutex<ControlRequests>,
    notify: Notify,
}

/// The API side of the control channel.
#[derive(Debug, Clone)]
pub struct ControlSender {
    shared: Arc<Shared>,
}

/// The runner side of the control channel.
#[derive(Debug)]
pub struct ControlReceiver {
    shared: Arc<Shared>,
}

/// A connected sender and receiver.
pub fn channel() -> (ControlSender, ControlReceiver) {
    let shared = Arc::new(Shared::default());
    (
        ControlSender {
            shared: Arc::clone(&shared),
        },
        ControlReceiver { shared },
    )
}

impl ControlSender {
    fn update(&self, change: impl FnOnce(&mut ControlRequests)) {
        change(
            &mut self
                .shared
                .pending
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        self.shared.notify.notify_one();
    }

    /// Records a one-shot intent.
    pub fn execute(&self, intent: &Intent) {
        self.update(|p| {
            p.build |= intent.build;
            p.sync |= intent.sync;
            p.deploy |= intent.deploy;
            p.devloop |= intent.devloop;
        });
    }

    /// Records an auto-trigger switch.
    pub fn auto(&self, phase: AutoTrigger, enabled: bool) {
        self.update(|p| {
            let slot = match phase {
                AutoTrigger::Build => &mut p.auto_build,
                AutoTrigger::Sync => &mut p.auto_sync,
                AutoTrigger::Deploy => &mut p.auto_deploy,
            };
            *slot = Some(enabled);
        });
    }
}

impl ControlReceiver {
    /// Takes what was asked so far, if anything.
    pub fn try_take(&self) -> Option<ControlRequests> {
        let taken = std::mem::take(
            &mut *self
                .shared
                .pending
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        (!taken.is_empty()).then_some(taken)
    }

    /// Waits until something was asked and takes it.
    pub async fn recv(&mut self) -> ControlRequests {
        loop {
            if let Some(requests) = self.try_take() {
                return requests;
            }
            self.shared.notify.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_coalesce_until_taken() {
        let (tx, mut rx) = channel();
        assert_eq!(rx.try_take(), None);
        tx.execute(&Intent {
            build: true,
            ..Default::default()
        });
        tx.execute(&Intent {
            deploy: true,
            ..Default::default()
        });
        tx.auto(AutoTrigger::Sync, false);
        tx.auto(AutoTrigger::Sync, true);
        let got = rx.recv().await;
        assert!(got.build && got.deploy && !got.sync && !got.devloop);
        assert_eq!(got.auto_sync, Some(true));
        assert_eq!(got.auto_build, None);
        assert_eq!(rx.try_take(), None);
    }

    #[tokio::test]
    async fn recv_wakes_on_a_later_request() {
        let (tx, mut rx) = channel();
        let waiter = tokio::spawn(async move { rx.recv().await });
        tokio::task::yield_now().await;
        tx.execute(&Intent {
            devloop: true,
            ..Default::default()
        });
        assert!(waiter.await.unwrap().devloop);
    }
}
